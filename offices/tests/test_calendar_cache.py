"""The calendar's repeats come from the web process's memory for a moment
(offices/calendar_cache.py): the same body and headers, no query, no Redis."""

import pytest
from django.core.cache import cache
from django.http import HttpResponse

from offices import calendar_cache
from offices.models import Office

pytestmark = pytest.mark.django_db

PATH = "/api/v1/offices/tangerang/availability/?date=2026-12-07"


def test_a_repeat_is_answered_from_memory_with_the_same_headers(client, django_assert_num_queries):
    first = client.get(PATH)
    assert first.status_code == 200
    cache.clear()  # not from Redis either
    with django_assert_num_queries(0):
        again = client.get(PATH)
    assert again.content == first.content
    assert again.headers == {**first.headers, "X-Request-ID": again["X-Request-ID"]}
    assert again["X-Request-ID"] != first["X-Request-ID"]  # the outer middleware still runs
    assert again.has_header("Content-Security-Policy")
    assert again["X-Content-Type-Options"] == "nosniff"


def test_no_cookie_is_ever_replayed(rf):
    def answer_with_a_cookie(request):
        response = HttpResponse(b"{}", content_type="application/json")
        response.set_cookie("sessionid", "someone-elses")
        return response

    middleware = calendar_cache.CalendarCacheMiddleware(answer_with_a_cookie)
    assert middleware(rf.get(PATH)).cookies["sessionid"].value == "someone-elses"
    again = middleware(rf.get(PATH))
    assert again.content == b"{}"
    assert not again.cookies


def test_each_language_and_query_is_its_own_answer(client):
    christmas = "/api/v1/offices/tangerang/availability/?start=2026-12-24&end=2026-12-26"
    indonesian = client.get(christmas)
    english = client.get(christmas, HTTP_ACCEPT_LANGUAGE="en")
    other_days = client.get(christmas.replace("12-26", "12-27"))
    assert english["Content-Language"] == "en"
    assert "Christmas" in english.content.decode()
    assert len({indonesian.content, english.content, other_days.content}) == 3


def test_refusals_are_never_kept(client):
    assert client.get(PATH.replace("2026-12-07", "07-12-2026")).status_code == 400
    assert client.get("/api/v1/offices/nowhere/availability/?date=2026-12-07").status_code == 404
    assert calendar_cache._answers == {}


def test_the_answer_is_asked_again_after_the_moment(client, settings, monotonic_clock):
    settings.AVAILABILITY_CACHE_SECONDS = 1
    client.get(PATH)
    cache.clear()
    Office.objects.filter(code="tangerang").update(is_active=False)
    assert client.get(PATH).status_code == 200  # still the remembered answer
    monotonic_clock.advance(1.1)
    assert client.get(PATH).status_code == 404


def test_odd_query_strings_cannot_grow_it_without_bound(client, monkeypatch):
    monkeypatch.setattr(calendar_cache, "MAX_ENTRIES", 3)
    for n in range(10):
        client.get(f"{PATH}&n={n}")
    assert len(calendar_cache._answers) <= 3
