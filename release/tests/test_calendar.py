"""The calendar says which days a draw holds (#18): the availability API's `by_draw`
state with the draw's time, and the booking page's words, link and legend, in the
office's own zone."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from release.models import Draw, DrawState
from release.tests.factories import DAYS, FIRST, committed, draw_office

pytestmark = pytest.mark.django_db

WITA = ZoneInfo("Asia/Makassar")
# The WITA office's window opens on 12 December 2026 at 08:00 WITA and closes 24 h later.
DURING = dt.datetime(2026, 12, 12, 12, 0, tzinfo=WITA)


def _days(client, office):
    end = FIRST + dt.timedelta(days=9)
    response = client.get(f"/api/v1/offices/{office.code}/availability/?start={FIRST}&end={end}")
    assert response.status_code == 200
    return {d["date"]: d for d in response.json()["days"]}


def test_the_api_shows_the_draws_days_with_the_draws_time_in_the_offices_zone(client):
    office = draw_office(timezone="Asia/Makassar")
    draw = committed(office)
    assert draw.closes_at == dt.datetime(2026, 12, 13, 8, 0, tzinfo=WITA)
    with time_machine.travel(DURING, tick=False):
        days = _days(client, office)
    for day in DAYS:
        assert days[day.isoformat()]["state"] == "by_draw"
        assert days[day.isoformat()]["draw_closes_at"] == "2026-12-13T08:00:00+08:00"
        assert days[day.isoformat()]["slots"] == []
    # The next release has no draw committed yet: not released, as before.
    assert days[(FIRST + dt.timedelta(days=7)).isoformat()]["state"] == "not_released"


def test_a_done_draw_gives_its_days_back_to_the_calendar(client):
    office = draw_office(timezone="Asia/Makassar")
    draw = committed(office)
    Draw.objects.filter(pk=draw.pk).update(state=DrawState.DONE)
    with time_machine.travel(DURING, tick=False):
        days = _days(client, office)
    assert days[FIRST.isoformat()]["state"] == "open"
    assert "by_draw" not in {days[d.isoformat()]["state"] for d in DAYS}
    assert all(days[d.isoformat()]["draw_closes_at"] is None for d in DAYS)


def test_the_page_says_draw_links_to_it_and_explains_early_or_late(client):
    office = draw_office(timezone="Asia/Makassar")
    committed(office)
    with time_machine.travel(DURING, tick=False):
        html = client.get(
            f"/pesan/?office={office.code}&date={FIRST}", headers={"accept-language": "en"}
        ).content.decode()
    link = f'href="/undian/{office.code}/{FIRST}/"'
    assert html.count(link) >= len(DAYS)
    assert 'data-testid="draw-day"' in html
    assert "until 13 Dec 08:00 WITA" in html
    assert "Draw: entries close 13 Dec 08:00 WITA" in html
    assert "equally good" in html
    assert "enter it until 13 December 2026 08:00 WITA" in html
    assert 'id="booking-form"' not in html


def test_the_page_in_indonesian_says_undian(client):
    office = draw_office(timezone="Asia/Makassar")
    committed(office)
    with time_machine.travel(DURING, tick=False):
        html = client.get(
            f"/pesan/?office={office.code}&month=2027-01", headers={"accept-language": "id"}
        ).content.decode()
    assert "undian sampai 13 Des 08:00 WITA" in html
    assert "sama baiknya" in html


def test_a_first_come_office_has_no_draw_days_or_legend(client):
    with time_machine.travel(DURING, tick=False):
        html = client.get("/pesan/?office=tangerang&month=2026-12").content.decode()
    assert 'data-testid="draw-day"' not in html
    assert 'data-testid="draw-legend"' not in html
    assert 'class="open' in html


AFTER_DRAW = dt.datetime(2026, 12, 13, 9, 0, tzinfo=WITA)  # the draw made; DAYS[2:] not
# released first come until 14, 15 and 16 December at 08:00 WITA


def _drawn_office():
    """A WITA office whose release was drawn: DAYS[3] filled by the draw (one family
    waits), DAYS[2] with one place taken, DAYS[4] untouched."""
    from release.services import draw_run
    from release.tests.factories import CLOSES, enter, person

    office = draw_office(timezone="Asia/Makassar", daily_capacity=14)
    draw = committed(office)
    for _n in range(8):
        enter(office, [person(), person()], [DAYS[3]])
    enter(office, [person()], [DAYS[2]])
    assert draw_run(draw=draw, now=CLOSES).state == DrawState.DONE
    return office


def test_after_the_draw_its_later_days_are_released_not_waiting_for_their_usual_time(client):
    office = _drawn_office()
    with time_machine.travel(AFTER_DRAW, tick=False):
        days = _days(client, office)
    states = {day: days[day.isoformat()] for day in DAYS[2:]}
    assert [states[day]["state"] for day in DAYS[2:]] == ["open", "full", "open"]
    assert states[DAYS[2]]["remaining"] == 13
    assert states[DAYS[3]]["remaining"] == 0
    assert states[DAYS[4]]["remaining"] == 14
    assert all(states[day]["release_at"] is None for day in DAYS[2:])
    # The next release (no draw yet) still waits for its own.
    assert days[(FIRST + dt.timedelta(days=7)).isoformat()]["state"] == "not_released"


def test_after_the_draw_the_page_and_booking_agree_with_the_calendar(client):
    office = _drawn_office()
    with time_machine.travel(AFTER_DRAW, tick=False):
        month = client.get(
            f"/pesan/?office={office.code}&month=2027-01", headers={"accept-language": "en"}
        ).content.decode()
        full = client.get(
            f"/pesan/?office={office.code}&date={DAYS[3]}", headers={"accept-language": "en"}
        ).content.decode()
        room = client.get(
            f"/pesan/?office={office.code}&date={DAYS[2]}", headers={"accept-language": "en"}
        ).content.decode()
        taken = client.post(
            "/api/v1/bookings/",
            {
                "office": office.code,
                "date": DAYS[2].isoformat(),
                "name": "PEMOHON SESUDAH UNDIAN",
                "birth_date": "1980-05-05",
                "phone": "081299990001",
                "service": "new",
            },
            content_type="application/json",
        )
        refused = client.post(
            "/api/v1/bookings/",
            {
                "office": office.code,
                "date": DAYS[3].isoformat(),
                "name": "PEMOHON TERLAMBAT",
                "birth_date": "1980-05-06",
                "phone": "081299990002",
                "service": "new",
            },
            content_type="application/json",
        )
    for release in ("opens 14 Dec", "opens 15 Dec", "opens 16 Dec"):
        assert release not in month
    assert 'data-testid="waitlist-join-link"' in full
    assert 'id="booking-form"' not in full
    assert 'id="booking-form"' in room
    assert taken.status_code == 201, taken.content
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "day_full"
