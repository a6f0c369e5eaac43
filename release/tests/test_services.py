"""The draw's services on real PostgreSQL: releases and windows, the commitment,
entering (and every refusal), the run (idempotent, resumable, never a place twice),
the public JSON and the stand-alone verify script."""

import datetime as dt
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count

from bookings.models import Booking
from bookings.tests.factories import book
from immigration.errors import DomainError
from notifications.models import OutboundMessage
from offices.tests.factories import OfficeFactory
from release import services
from release.models import (
    Draw,
    DrawEntry,
    DrawEvent,
    DrawPerson,
    DrawState,
    EntryResult,
    EntryStatus,
    Placement,
    ReleaseMode,
    ReleasePolicy,
)
from release.selectors import draw_public
from release.services import (
    draw_commit,
    draw_entry_confirm,
    draw_run,
    draw_waitlist,
    draws_commit_upcoming,
    draws_run_due,
    release_for,
)
from release.tests.factories import (
    CLOSES,
    DAYS,
    DURING,
    FIRST,
    OPENS,
    bulk_entries,
    committed,
    draw_office,
    enter,
    person,
    phone,
)

pytestmark = pytest.mark.django_db

BEFORE = dt.date(2026, 12, 21)  # a Monday before the policy applies: first come
VERIFY = Path(settings.BASE_DIR) / "scripts" / "verify-draw"


# --- releases and the commitment ---------------------------------------------------------


def test_a_release_is_a_block_of_days_whose_window_opens_at_its_first_days_release():
    office = draw_office()
    release = release_for(office=office, day=DAYS[3])
    assert (release.first_day, release.last_day) == (DAYS[0], DAYS[4])
    assert (release.opens_at, release.closes_at) == (OPENS, CLOSES)
    following = release_for(office=office, day=DAYS[4] + dt.timedelta(days=1))
    assert following.first_day == DAYS[4] + dt.timedelta(days=1)
    assert release_for(office=office, day=FIRST - dt.timedelta(days=1)) is None


def test_a_later_first_come_policy_cuts_the_release_short():
    office = draw_office()
    ReleasePolicy.objects.create(office=office, mode=ReleaseMode.FIRST_COME, applies_from=DAYS[3])
    assert release_for(office=office, day=DAYS[0]).last_day == DAYS[2]
    assert release_for(office=office, day=DAYS[3]) is None


def test_commit_publishes_the_sha256_of_a_secret_seed_once():
    office = draw_office()
    draw = committed(office)
    assert draw.commitment == hashlib.sha256(bytes.fromhex(draw.seed)).hexdigest()
    assert len(draw.seed) == 64
    again = draw_commit(office=office, first_day=FIRST, now=OPENS)
    assert (again.pk, again.seed) == (draw.pk, draw.seed)
    assert list(DrawEvent.objects.filter(draw=draw).values_list("kind", flat=True)) == ["committed"]
    page = draw_public(draw=draw)
    assert page["commitment"] == draw.commitment
    assert "seed" not in page
    assert "entries" not in page
    assert draw.seed not in json.dumps(page)


def test_commit_refuses_a_day_that_does_not_start_a_release():
    office = draw_office()
    with pytest.raises(DomainError) as refused:
        draw_commit(office=office, first_day=DAYS[1], now=OPENS)
    assert refused.value.code == "not_a_release"


def test_the_beat_commits_draws_ahead_of_their_windows_and_only_those():
    office = draw_office()
    assert draws_commit_upcoming(now=OPENS - dt.timedelta(hours=72)) == 0
    assert draws_commit_upcoming(now=OPENS - dt.timedelta(hours=47)) == 1
    assert draws_commit_upcoming(now=OPENS - dt.timedelta(hours=46)) == 0
    assert Draw.objects.get(office=office).first_day == FIRST


# --- entering ----------------------------------------------------------------------------


def test_a_whatsapp_entry_takes_part_at_once_a_web_entry_after_ya():
    office = draw_office()
    committed(office)
    by_whatsapp = enter(office)
    assert by_whatsapp.status == EntryStatus.ENTERED
    number = phone()
    by_web = enter(office, verified=False, phone_number=number)
    assert by_web.status == EntryStatus.PENDING
    assert by_web.pseudonym == services.pseudonym(by_web.reference)
    confirmed = draw_entry_confirm(
        office=office, phone=by_web.phone, code=by_web.display_reference, now=DURING
    )
    assert confirmed.status == EntryStatus.ENTERED
    with pytest.raises(DomainError) as again:
        draw_entry_confirm(office=office, phone=by_web.phone, code=by_web.reference, now=DURING)
    assert again.value.code == "already_entered"


def test_ya_from_another_phone_or_office_finds_nothing():
    office = draw_office()
    committed(office)
    entry = enter(office, verified=False)
    other_office = draw_office()
    for where, number in [(office, "6281399999999"), (other_office, entry.phone)]:
        with pytest.raises(DomainError) as refused:
            draw_entry_confirm(office=where, phone=number, code=entry.reference, now=DURING)
        assert refused.value.code == "entry_not_found"
    assert DrawEntry.objects.get(pk=entry.pk).status == EntryStatus.PENDING


def test_a_person_already_entered_is_refused_by_name_and_birth_date_or_by_nik():
    office = draw_office()
    committed(office)
    siti = person("Siti Nur'aini", dt.date(1978, 6, 17), nik="3171015706780001")
    enter(office, [siti])
    for duplicate in [
        person("  siti   nur'aini ", dt.date(1978, 6, 17)),  # folded name + birth date
        person("SITI N", dt.date(1978, 6, 17), nik="3171015706780001"),  # the NIK
    ]:
        before = DrawEntry.objects.count()
        with pytest.raises(DomainError) as refused:
            enter(office, [person(), duplicate])
        assert refused.value.code == "person_entered"
        assert DrawEntry.objects.count() == before


def test_a_later_duplicate_confirmed_by_ya_becomes_invalid_and_is_told_why_in_both_languages():
    office = draw_office()
    committed(office)
    budi = person("BUDI SANTOSO", dt.date(1990, 1, 2))
    pending = enter(office, [budi], verified=False)
    enter(office, [budi])  # entered first, by WhatsApp
    late = draw_entry_confirm(
        office=office, phone=pending.phone, code=pending.reference, now=DURING
    )
    assert late.status == EntryStatus.INVALID
    stored = DrawEntry.objects.get(pk=pending.pk)
    assert stored.status == EntryStatus.INVALID
    assert "one request only" in stored.invalid_reason  # English
    assert "hanya boleh ada di satu permohonan" in stored.invalid_reason  # Indonesian


def test_one_request_per_phone():
    office = draw_office()
    committed(office)
    number = phone()
    enter(office, phone_number=number)
    with pytest.raises(DomainError) as refused:
        enter(office, phone_number=number)
    assert refused.value.code == "phone_entered"


@pytest.mark.parametrize(
    ("days", "code"),
    [
        ([FIRST - dt.timedelta(days=1)], "not_draw_mode"),
        ([DAYS[0], DAYS[4] + dt.timedelta(days=3)], "days_other_release"),
        ([DAYS[0], DAYS[1], DAYS[2], DAYS[3]], "invalid_preferences"),
        ([DAYS[0], DAYS[0]], "invalid_preferences"),
        ([], "invalid_preferences"),
    ],
)
def test_days_outside_the_release_are_refused(days, code):
    office = draw_office()
    committed(office)
    with pytest.raises(DomainError) as refused:
        services.draw_enter(
            office=office,
            applicants=[person()],
            preferences=days,
            phone=phone(),
            channel="web",
            now=DURING,
        )
    assert refused.value.code == code
    assert not DrawEntry.objects.exists()


def test_a_closed_day_of_the_release_is_refused():
    office = draw_office(days_per_release=7)
    draw_commit(office=office, first_day=FIRST, now=OPENS)
    with pytest.raises(DomainError) as refused:
        enter(office, days=[FIRST + dt.timedelta(days=5)])  # a Saturday
    assert refused.value.code == "day_closed"


@pytest.mark.parametrize(
    ("now", "code"),
    [(OPENS - dt.timedelta(seconds=1), "draw_not_open"), (CLOSES, "draw_closed")],
)
def test_entries_only_while_the_window_is_open(now, code):
    office = draw_office()
    committed(office)
    with pytest.raises(DomainError) as refused:
        enter(office, now=now)
    assert refused.value.code == code


def test_a_family_larger_than_the_maximum_is_refused():
    office = draw_office()
    committed(office)
    with pytest.raises(DomainError) as refused:
        enter(office, [person() for _n in range(settings.BOOKING_FAMILY_MAX + 1)])
    assert refused.value.code == "family_too_large"


# --- first come is refused while a draw holds the day --------------------------------------


def test_first_come_booking_of_a_drawn_day_is_refused_until_the_draw_is_done():
    office = draw_office()
    committed(office)
    with pytest.raises(DomainError) as refused:
        book(office, day=DAYS[0], now=DURING)
    assert refused.value.code == "day_in_draw"
    assert "WIB" in str(refused.value.message)
    draw_run(draw=Draw.objects.get(office=office), now=CLOSES)
    assert book(office, day=DAYS[0], now=CLOSES).status == "booked"


def test_days_outside_any_draw_stay_first_come():
    office = draw_office()
    assert book(office, day=BEFORE, now=OPENS).status == "booked"


# --- the run -----------------------------------------------------------------------------


def _entries_for(office, count, days=None, size=1):
    return [enter(office, [person() for _n in range(size)], days) for _i in range(count)]


def test_the_run_is_refused_before_the_window_closes():
    office = draw_office()
    draw = committed(office)
    with pytest.raises(DomainError) as refused:
        draw_run(draw=draw, now=CLOSES - dt.timedelta(seconds=1))
    assert refused.value.code == "draw_not_due"
    assert Draw.objects.get(pk=draw.pk).state == DrawState.COMMITTED


def test_winners_get_bookings_losers_their_position_each_in_their_language():
    office = draw_office(daily_capacity=14)
    draw = committed(office)
    singles = _entries_for(office, 12, [DAYS[0]])
    families = _entries_for(office, 4, [DAYS[0], DAYS[1]], size=3)
    english = enter(office, [person()], [DAYS[0]], language="en")
    draw = draw_run(draw=draw, now=CLOSES)
    assert draw.state == DrawState.DONE
    entries = list(DrawEntry.objects.filter(draw=draw))
    won = [e for e in entries if e.result == EntryResult.WON]
    assert {e.placement for e in won} == {Placement.BOOKED}
    for entry in won:
        bookings = (
            Booking.objects.filter(group_code=entry.group_code)
            if entry.people_count > 1
            else Booking.objects.filter(code=entry.group_code)
        )
        assert bookings.count() == entry.people_count  # the family, together
        assert {b.date for b in bookings} == {entry.won_day}
        assert {b.phone for b in bookings} == {entry.phone}
        assert all(b.queue_seq for b in bookings)
    per_day = Booking.objects.filter(office=office).values("date").annotate(n=Count("pk"))
    for row in per_day:
        assert row["n"] <= draw.capacities[row["date"].isoformat()]
    waiting = draw_waitlist(draw=draw)
    assert [e.waitlist_position for e in waiting] == list(range(1, len(waiting) + 1))
    assert [e.rank for e in waiting] == sorted(e.rank for e in waiting)
    assert len(won) + len(waiting) == len(singles) + len(families) + 1
    results = OutboundMessage.objects.filter(kind="draw_result")
    assert results.count() == len(entries)
    told = results.get(to=english.phone)
    assert told.language == "en"
    assert "draw" in told.text
    assert english.pseudonym in told.text
    kinds = set(DrawEvent.objects.filter(draw=draw).values_list("kind", flat=True))
    assert kinds == {"committed", "drawn", "finished"}


def test_a_second_run_changes_nothing_and_sends_nothing():
    office = draw_office(daily_capacity=14)
    draw = committed(office)
    _entries_for(office, 30, [DAYS[0], DAYS[2]])
    draw_run(draw=draw, now=CLOSES)
    bookings = Booking.objects.count()
    messages = OutboundMessage.objects.count()
    snapshot = list(DrawEntry.objects.order_by("pk").values())
    assert draws_run_due(now=CLOSES + dt.timedelta(minutes=1)) == 0
    draw_run(draw=draw, now=CLOSES + dt.timedelta(minutes=2))
    assert Booking.objects.count() == bookings
    assert OutboundMessage.objects.count() == messages
    assert list(DrawEntry.objects.order_by("pk").values()) == snapshot


def test_a_run_that_crashed_half_way_is_finished_by_the_next(monkeypatch):
    office = draw_office(daily_capacity=14)
    draw = committed(office)
    _entries_for(office, 40, [DAYS[0], DAYS[1]])
    real = services.booking_create_family
    calls = {"n": 0}

    def crashing(**kwargs):
        calls["n"] += 1
        if calls["n"] == 9:
            raise RuntimeError("the worker died")
        return real(**kwargs)

    monkeypatch.setattr(services, "booking_create_family", crashing)
    monkeypatch.setattr(services, "PLACE_BATCH", 4)  # two batches commit, the third dies
    with pytest.raises(RuntimeError):
        draw_run(draw=draw, now=CLOSES)
    half = Draw.objects.get(pk=draw.pk)
    assert half.state == DrawState.DRAWN
    assert Booking.objects.count() == 8  # the two batches committed, the third rolled back
    assert DrawEntry.objects.exclude(placement="").count() == 8
    assert not OutboundMessage.objects.filter(kind="draw_result").exists()
    seed, ranks = half.seed, dict(DrawEntry.objects.values_list("pk", "rank"))
    monkeypatch.setattr(services, "booking_create_family", real)
    assert draws_run_due(now=CLOSES + dt.timedelta(minutes=1)) == 1
    done = Draw.objects.get(pk=draw.pk)
    assert done.state == DrawState.DONE
    assert done.seed == seed
    assert dict(DrawEntry.objects.values_list("pk", "rank")) == ranks  # not redrawn
    won = DrawEntry.objects.filter(result=EntryResult.WON)
    assert Booking.objects.count() == sum(won.values_list("people_count", flat=True)) == 28
    assert set(won.values_list("placement", flat=True)) == {Placement.BOOKED}
    assert OutboundMessage.objects.filter(kind="draw_result").count() == 40
    # Every person booked once: no place given twice.
    assert Booking.objects.values("name").annotate(n=Count("pk")).filter(n__gt=1).count() == 0


def test_a_winner_the_booking_service_refuses_keeps_its_result_and_is_told(monkeypatch):
    office = draw_office(daily_capacity=14)
    draw = committed(office)
    entry = enter(office, [person()], [DAYS[0]], language="en")
    for _n in range(settings.BOOKING_PHONE_MAX_ACTIVE):  # the phone's limit, first come
        book(office, day=BEFORE, now=OPENS, phone_number=entry.phone)
    draw_run(draw=draw, now=CLOSES)
    entry.refresh_from_db()
    assert entry.result == EntryResult.WON
    assert entry.placement == Placement.REFUSED
    assert entry.placement_error.startswith("limit_reached")
    assert not Booking.objects.filter(date=DAYS[0]).exists()
    assert "could not be made" in OutboundMessage.objects.get(kind="draw_result").text


# --- the public JSON and the verify script -------------------------------------------------


def _verify(page: dict, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(page))
    return subprocess.run(
        [sys.executable, str(VERIFY), str(path)], capture_output=True, text=True, check=False
    )


def test_the_verify_script_recomputes_the_published_result(tmp_path):
    office = draw_office(daily_capacity=14)
    draw = committed(office)
    _entries_for(office, 15, [DAYS[1], DAYS[0], DAYS[2]])
    _entries_for(office, 10, [DAYS[0]], size=2)
    draw = draw_run(draw=draw, now=CLOSES)
    page = draw_public(draw=draw)
    assert page["seed"] == draw.seed
    stored = {
        e.pseudonym: (e.rank, e.won_day.isoformat() if e.won_day else None, e.waitlist_position)
        for e in DrawEntry.objects.filter(draw=draw)
    }
    assert {
        r["pseudonym"]: (r["rank"], r["day"], r["waitlist_position"]) for r in page["results"]
    } == stored
    text = json.dumps(page)
    for entry in DrawEntry.objects.filter(draw=draw):
        assert entry.phone not in text
        assert entry.reference not in text
        assert entry.people[0]["name"] not in text
    ran = _verify(page, tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "result equals the page:  yes" in ran.stdout
    printed = [line.split() for line in ran.stdout.splitlines()[: len(page["results"])]]
    assert [row[1] for row in printed] == [r["pseudonym"] for r in page["results"]]


def test_the_verify_script_catches_a_tampered_result_and_a_wrong_seed(tmp_path):
    office = draw_office(daily_capacity=4)
    draw = committed(office)
    _entries_for(office, 8, [DAYS[0]])
    page = draw_public(draw=draw_run(draw=draw, now=CLOSES))
    swapped = json.loads(json.dumps(page))
    swapped["results"][0]["day"], swapped["results"][-1]["day"] = (
        swapped["results"][-1]["day"],
        swapped["results"][0]["day"],
    )
    assert _verify(swapped, tmp_path).returncode == 1
    reseeded = {**page, "seed": "00" * 32}
    ran = _verify(reseeded, tmp_path)
    assert ran.returncode == 1
    assert "commitment matches seed: NO" in ran.stdout


def test_twenty_thousand_requests_for_a_400_place_day(tmp_path):
    office = draw_office(daily_capacity=400, days_per_release=1)
    draw = draw_commit(office=office, first_day=FIRST, now=OPENS)
    sizes = [1, 1, 1, 1, 2, 2, 3, 4, 5]
    bulk_entries(draw, [(sizes[n % len(sizes)], [FIRST]) for n in range(20_000)])
    started = time.perf_counter()
    draw = draw_run(draw=draw, now=CLOSES)
    elapsed = time.perf_counter() - started
    print(
        f"\n20,000-request draw for a 400-place day (database, bookings, notices): {elapsed:.1f} s"
    )
    assert draw.state == DrawState.DONE
    won = DrawEntry.objects.filter(draw=draw, result=EntryResult.WON)
    people = sum(won.values_list("people_count", flat=True))
    assert 400 - 4 <= people <= 400  # all but what no family left could fill
    assert Booking.objects.filter(office=office, date=FIRST).count() == people
    groups = Booking.objects.exclude(group_code="").values("group_code").annotate(n=Count("pk"))
    sizes_won = dict(won.exclude(people_count=1).values_list("group_code", "people_count"))
    assert {g["group_code"]: g["n"] for g in groups} == sizes_won
    assert OutboundMessage.objects.filter(kind="draw_result").count() == 20_000
    assert DrawEntry.objects.filter(draw=draw, result=EntryResult.WAITLIST).count() == (
        20_000 - won.count()
    )
    ran = _verify(draw_public(draw=draw), tmp_path)
    assert ran.returncode == 0, ran.stdout[-500:]


def test_an_office_without_a_policy_is_first_come():
    office = OfficeFactory()
    assert release_for(office=office, day=FIRST) is None
    assert services.first_come_refusal(office=office, day=FIRST, now=DURING) is None


def test_old_requests_lose_their_personal_data_and_the_draw_still_recomputes(tmp_path):
    office = draw_office(daily_capacity=2)
    draw = committed(office)
    _entries_for(office, 4, [DAYS[0]])
    draw = draw_run(draw=draw, now=CLOSES)
    page = draw_public(draw=draw)
    within = dt.datetime.combine(
        DAYS[-1] + dt.timedelta(days=settings.BOOKING_RETENTION_DAYS), dt.time(12), dt.UTC
    )
    assert services.draw_entries_erase_personal_data(now=within) == 0
    later = within + dt.timedelta(days=2)
    assert services.draw_entries_erase_personal_data(now=later) == 4
    for entry in DrawEntry.objects.all():
        assert entry.people == []
        assert entry.phone == ""
        assert entry.personal_data_erased_at == later
    assert not DrawPerson.objects.exists()
    assert draw_public(draw=draw) == page
    assert _verify(page, tmp_path).returncode == 0
