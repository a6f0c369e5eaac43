"""The public report page and the tracking page."""

import io

import pytest
from PIL import Image

from complaints.models import Complaint

pytestmark = pytest.mark.django_db


def _png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(out, format="PNG")
    out.seek(0)
    out.name = "foto.png"
    return out


def _form(**overrides):
    data = {"office": "tangerang", "category": "pungli", "description": "Diminta uang di loket 3."}
    data.update(overrides)
    return data


def test_the_report_page_offers_every_office_grouped_by_province(client):
    page = client.get("/lapor/").content.decode()
    assert '<optgroup label="Banten">' in page
    assert "Kantor Imigrasi Kelas I Non TPI Tangerang" in page
    assert 'name="website"' in page  # the honeypot


def test_a_report_with_evidence_leads_to_its_tracking_page(client, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    response = client.post("/lapor/", _form(evidence=[_png()]))
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/lapor/{complaint.tracking_code}/"
    page = client.get(response["Location"]).content.decode()
    assert complaint.tracking_code in page
    assert "Laporan Anda sudah diterima" in page
    assert complaint.evidence.count() == 1


def test_errors_are_shown_beside_the_field_and_what_was_typed_is_kept(client):
    page = client.post("/lapor/", _form(description="", occurred_where="Parkiran")).content.decode()
    assert 'role="alert"' in page
    assert "Parkiran" in page
    assert not Complaint.objects.exists()


def test_a_bad_file_is_refused_beside_the_evidence_field(client):
    text = io.BytesIO(b"not an image")
    text.name = "foto.png"
    page = client.post("/lapor/", _form(evidence=[text])).content.decode()
    assert "Hanya berkas JPEG, PNG dan PDF yang diterima." in page
    assert not Complaint.objects.exists()


def test_a_bot_filling_the_honeypot_is_turned_away(client):
    assert client.post("/lapor/", _form(website="http://spam")).status_code == 404
    assert not Complaint.objects.exists()


def test_the_tracking_page_hides_contact_details_and_takes_more_information(client):
    client.post("/lapor/", _form(reporter_name="Budi Rahasia", reporter_phone="081299998888"))
    complaint = Complaint.objects.get()
    page = client.get(f"/lapor/{complaint.tracking_code.lower()}/").content.decode()
    assert "Budi Rahasia" not in page
    assert "99998888" not in page
    added = client.post(
        f"/lapor/{complaint.tracking_code}/", {"text": "Terjadi lagi."}
    ).content.decode()
    assert "informasi Anda sudah ditambahkan" in added or "your information has been added" in added
    assert complaint.events.filter(by_reporter=True).count() == 1
    assert client.get("/lapor/ZZZZZZZZ/").status_code == 404


def test_the_page_speaks_english_when_asked(client):
    page = client.get("/lapor/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Report pungli, calo or poor service" in page
