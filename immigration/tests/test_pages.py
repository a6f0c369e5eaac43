import pytest

pytestmark = pytest.mark.django_db


def test_home_page_speaks_indonesian_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="id">' in html
    assert "Pesan jadwal paspor Anda" in html


def test_home_page_speaks_english_when_the_browser_asks(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Book your passport appointment" in html


def test_language_switch_remembers_the_choice(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get("/").content.decode()
