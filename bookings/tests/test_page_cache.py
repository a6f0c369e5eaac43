"""The booking page's repeats, served by bookings.page_cache before the session, CSRF
and auth middleware: each visitor still gets their own language and CSRF token, and
nothing of one visitor reaches another."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB
PATH = "/pesan/?office=belakang-padang&date=2026-12-07"


def _tokens(page: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))


def _language(page: str) -> str:
    return re.search(r'<html lang="([a-z-]+)"', page).group(1)


def _visitor(**headers) -> Client:
    return Client(enforce_csrf_checks=True, **headers)


def _switch_back(visitor: Client, token: str):
    """A post of the page's language form with `token`: 403 unless it is the visitor's."""
    return visitor.post(
        "/pesan/",
        {
            "office": "belakang-padang",
            "date": "2026-12-07",
            "language": "id",
            "csrfmiddlewaretoken": token,
        },
    )


@time_machine.travel(NOW, tick=False)
def test_visitors_with_different_languages_and_cookies_each_get_their_own_page(settings):
    settings.AVAILABILITY_CACHE_SECONDS = 60  # every repeat below is a hit
    english = _visitor(HTTP_ACCEPT_LANGUAGE="en")
    drawn = english.get(PATH)
    indonesian = _visitor()
    indonesian.cookies["django_language"] = "id"
    other = indonesian.get(PATH)
    with CaptureQueriesContext(connection) as queries:
        repeat = _visitor(HTTP_ACCEPT_LANGUAGE="en").get(PATH)
        english_by_cookie = _visitor(HTTP_ACCEPT_LANGUAGE="id")
        english_by_cookie.cookies["django_language"] = "en"  # the cookie wins, as Django's
        by_cookie = english_by_cookie.get(PATH)
    assert len(queries) == 0, "a repeat is served from the cache"

    pages = {
        name: response.content.decode()
        for name, response in {
            "drawn": drawn,
            "other": other,
            "repeat": repeat,
            "by_cookie": by_cookie,
        }.items()
    }
    assert [_language(p) for p in pages.values()] == ["en", "id", "en", "en"]
    for response, language in ((drawn, "en"), (other, "id"), (repeat, "en"), (by_cookie, "en")):
        assert response["Content-Language"] == language
        assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}
        assert response["X-Frame-Options"] == "DENY"
        assert "csrftoken" in response.cookies  # each new visitor gets a cookie of their own
    # Every visitor's forms carry their own token (two forms, one token each) and
    # cookie; nobody's reaches another's page.
    tokens = {name: _tokens(page) for name, page in pages.items()}
    assert all(len(found) == 1 for found in tokens.values())
    assert len(set.union(*tokens.values())) == 4
    cookies = {r.cookies["csrftoken"].value for r in (drawn, other, repeat, by_cookie)}
    assert len(cookies) == 4
    # The page is the drawn one otherwise: the same bytes once the token is set aside.
    [drawn_token], [repeat_token] = tokens["drawn"], tokens["repeat"]
    assert pages["repeat"].replace(repeat_token, "T") == pages["drawn"].replace(drawn_token, "T")


@time_machine.travel(NOW, tick=False)
def test_a_cached_page_token_is_valid_for_its_visitor_only(settings):
    settings.AVAILABILITY_CACHE_SECONDS = 60
    first, second = _visitor(), _visitor()
    [first_token] = _tokens(first.get(PATH).content.decode())
    [second_token] = _tokens(second.get(PATH).content.decode())  # a hit
    assert _switch_back(second, second_token).status_code == 200
    assert _switch_back(second, first_token).status_code == 403
    # A visitor who already has a CSRF cookie keeps its secret (Django re-sends the
    # cookie with every token it hands out, to refresh its age).
    cookie = second.cookies["csrftoken"].value
    again = second.get(PATH)
    assert again.cookies["csrftoken"].value == cookie
    [token] = _tokens(again.content.decode())
    assert _switch_back(second, token).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_a_logged_in_officers_page_shares_nothing_of_the_officer(settings):
    settings.AVAILABILITY_CACHE_SECONDS = 60
    officer = User.objects.create_user("petugas-rahasia", password="x", is_staff=True)
    desk = _visitor()
    desk.force_login(officer)
    drawn = desk.get(PATH)
    session = desk.cookies[settings.SESSION_COOKIE_NAME].value
    assert officer.username not in drawn.content.decode()
    stranger = _visitor().get(PATH)
    page = stranger.content.decode()
    assert officer.username not in page
    assert session not in page
    assert settings.SESSION_COOKIE_NAME not in stranger.cookies


@time_machine.travel(NOW, tick=False)
def test_a_post_is_never_answered_from_the_cache(settings, client):
    """The page's language buttons post it: drawn in the new language, not the cached
    page of the old one."""
    settings.AVAILABILITY_CACHE_SECONDS = 60
    page = client.get(PATH).content.decode()
    post = client.post(
        "/pesan/", {"office": "belakang-padang", "date": "2026-12-07", "language": "en"}
    )
    assert post.status_code == 200
    assert (_language(page), _language(post.content.decode())) == ("id", "en")
