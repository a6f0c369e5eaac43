"""The public pages of a draw: the page and its JSON before and after the draw, the
entry form and an entry's own page; the README shows the verify script as it is."""

import json
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from release.models import DrawEntry, EntryStatus
from release.selectors import draw_public
from release.services import draw_run
from release.tests.factories import CLOSES, DAYS, DURING, committed, draw_office, enter

pytestmark = pytest.mark.django_db


def _urls(draw):
    args = [draw.office.code, draw.release]
    return reverse("draw-page", args=args), reverse("draw-json", args=args)


def test_before_the_draw_the_page_shows_the_commitment_and_hides_the_seed(client):
    office = draw_office()
    draw = committed(office)
    enter(office)
    page, data = _urls(draw)
    with time_machine.travel(DURING, tick=False):
        html = client.get(page).content.decode()
        body = client.get(data).json()
    assert draw.commitment in html
    assert draw.seed not in html
    assert "WIB" in html
    assert body["commitment"] == draw.commitment
    assert "seed" not in body
    assert draw.seed not in json.dumps(body)


def test_after_the_draw_the_json_is_the_public_result_and_the_page_finds_a_pseudonym(client):
    office = draw_office(daily_capacity=2)
    draw = committed(office)
    entries = [enter(office, days=[DAYS[0]]) for _n in range(4)]
    draw = draw_run(draw=draw, now=CLOSES)
    page, data = _urls(draw)
    body = client.get(data).json()
    assert body == json.loads(json.dumps(draw_public(draw=draw)))
    assert body["seed"] == draw.seed
    html = client.get(page, {"p": entries[0].pseudonym}).content.decode()
    assert draw.seed in html
    entries[0].refresh_from_db()
    mine = re.search(r'id="my-result">(.*?)</p>', html, re.S).group(1)
    assert entries[0].pseudonym in mine
    assert f"drawn number {entries[0].rank}," in mine or f"nomor {entries[0].rank}" in mine
    for entry in entries:
        assert entry.phone not in html
        assert entry.people[0]["name"] not in html


def test_an_unknown_release_is_404(client):
    office = draw_office()
    committed(office)
    assert client.get(f"/undian/{office.code}/2027-02-01/").status_code == 404
    assert client.get(f"/undian/{office.code}/not-a-date/").status_code == 404


def _form(**overrides):
    data = {
        "phone": "0812 3456 7001",
        "service": "new",
        "day-1": DAYS[2].isoformat(),
        "day-2": DAYS[0].isoformat(),
        "person-1-name": "Siti Nur'aini",
        "person-1-birth_date": "17-06-1978",
        "person-2-name": "Budi Santoso",
        "person-2-birth_date": "02-01-2010",
    }
    data.update(overrides)
    return data


def test_the_form_makes_a_pending_request_whose_page_shows_ya_and_the_pseudonym(client):
    office = draw_office()
    draw = committed(office)
    enter_url = reverse("draw-enter", args=[office.code, draw.release])
    with time_machine.travel(DURING, tick=False):
        response = client.post(enter_url, _form())
        entry = DrawEntry.objects.get()
        assert response.status_code == 302
        assert entry.status == EntryStatus.PENDING
        assert entry.people_count == 2
        assert entry.preferences == [DAYS[2].isoformat(), DAYS[0].isoformat()]
        html = client.get(response["Location"]).content.decode()
    assert entry.pseudonym in html
    assert f"YA {entry.display_reference}" in html
    assert "wa.me" in html
    # Another browser cannot read it.
    client.cookies.clear()
    assert client.get(response["Location"]).status_code == 404


def test_the_form_shows_a_refusal_and_creates_nothing(client):
    office = draw_office()
    draw = committed(office)
    enter_url = reverse("draw-enter", args=[office.code, draw.release])
    with time_machine.travel(CLOSES, tick=False):
        response = client.post(enter_url, _form())
    assert response.status_code == 400
    assert "closed" in response.content.decode() or "ditutup" in response.content.decode()
    assert not DrawEntry.objects.exists()


def test_the_readme_shows_the_verify_script_as_it_is():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    script = (Path(settings.BASE_DIR) / "scripts" / "verify-draw").read_text()
    shown = re.search(r"```python\n(#!/usr/bin/env python3.*?)```", readme, re.S).group(1)
    assert shown == script


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _entry_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "release_drawentry" in q["sql"]]


def test_the_page_and_json_are_cached_and_change_when_the_draw_is_made(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    office = draw_office(daily_capacity=2)
    draw = committed(office)
    entries = [enter(office, days=[DAYS[0]]) for _n in range(4)]
    page, data = _urls(draw)
    with time_machine.travel(DURING, tick=False):
        before = client.get(data).json()
        assert draw.seed not in client.get(page).content.decode()
    assert "seed" not in before
    draw = draw_run(draw=draw, now=CLOSES)
    # The state changed: the cached committed page is not what is served any more.
    body = client.get(data).json()
    assert body["seed"] == draw.seed
    assert {r["pseudonym"] for r in body["results"]} == {e.pseudonym for e in entries}
    first = _without_tokens(client.get(page).content.decode())
    assert draw.seed in first
    with CaptureQueriesContext(connection) as json_again:
        assert client.get(data).json() == body
    with CaptureQueriesContext(connection) as page_again:
        assert _without_tokens(client.get(page).content.decode()) == first
    assert _entry_queries(json_again) == []
    assert _entry_queries(page_again) == []


def test_the_result_table_writes_days_in_the_readers_language(client):
    office = draw_office(daily_capacity=2, timezone="Asia/Makassar")
    draw = committed(office)
    mine = enter(office, days=[DAYS[0]])
    draw = draw_run(draw=draw, now=CLOSES)
    page, _data = _urls(draw)
    html = {
        language: client.get(
            page, {"p": mine.pseudonym}, headers={"accept-language": language}
        ).content.decode()
        for language in ("id", "en")
    }
    table = {language: html[language].split('class="results list"')[1] for language in html}
    assert "Sen, 11 Jan 2027" in table["id"]
    assert "Mon, 11 Jan 2027" in table["en"]
    assert ">2027-01-11<" not in html["id"] + html["en"]
    assert "Senin, 11 Januari 2027" in html["id"]
    assert "Monday, 11 January 2027" in html["en"]
    assert "WITA" in html["id"]
    assert "Sen, 11 Jan 2027: 2" in html["id"]  # the places drawn that day
