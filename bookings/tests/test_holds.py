"""Holds: a booking made with a typed phone waits for `YA <code>` by WhatsApp from that
number; invented numbers hold a handful of places for minutes and never become bookings."""

import datetime as dt
import itertools
import re

import psycopg
import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import translation

from bookings.holds import hold_client
from bookings.models import Booking, BookingEvent, Channel
from bookings.retention import bookings_erase_personal_data
from bookings.services import (
    Actor,
    booking_cancel,
    booking_check_in,
    booking_hold_confirm,
    holds_release_expired,
)
from bookings.tests.factories import DAY, NOW, applicant, book, book_family, office, phone
from bookings.tests.races import race
from immigration.errors import DomainError
from immigration.locks import BusyError
from notifications.models import OutboundMessage
from notifications.services import session_open
from offices.models import ApiClient, Office, OfficerProfile, Slot

pytestmark = pytest.mark.django_db

ATTACKER = "net:203.0.113.9"
WHATSAPP = Actor.applicant(Channel.WHATSAPP)
LATER = NOW + dt.timedelta(minutes=16)  # past BOOKING_HOLD_MINUTES (15)


_clients = itertools.count(1)


def _hold(place, **kwargs):
    """A hold, from a client of its own unless one is named."""
    kwargs.setdefault("hold_client", f"net:198.51.{next(_clients)}.1")
    return book(place, phone_verified=False, **kwargs)


def _places_add_up(place):
    """Every slot's counter equals the rows holding a place in it (a lapsed hold still
    holds its row until released, which is what the counter counts)."""
    for slot in Slot.objects.filter(office=place):
        holding = slot.bookings.filter(
            status__in=["held", "booked", "checked_in", "submitted", "paid", "ready", "collected"]
        ).count()
        assert slot.booked == holding, slot


def _e164(number: str) -> str:
    return "62" + number[1:]


# --- the hold itself --------------------------------------------------------------------


def test_a_hold_takes_its_place_without_a_queue_number_or_any_message():
    place = office()
    hold = _hold(place)
    assert (hold.status, hold.queue_seq, hold.queue_number) == ("held", None, "")
    assert hold.hold_expires_at == NOW + dt.timedelta(minutes=15)
    hold.slot.refresh_from_db()
    assert hold.slot.booked == 1
    # Nothing is sent to a number nobody has proven: no spam, no cost, no leak.
    assert not OutboundMessage.objects.exists()


def test_the_phone_confirms_its_hold_and_gets_queue_number_code_and_qr():
    place = office()
    hold = _hold(place)
    [booking] = booking_hold_confirm(
        office=place, phone=hold.phone, code=hold.display_code, now=NOW + dt.timedelta(minutes=3)
    )
    booking.refresh_from_db()
    assert (booking.status, booking.queue_number) == ("booked", "A-001")
    [notice] = OutboundMessage.objects.filter(to=hold.phone)
    assert notice.kind == "booking_confirmed"
    assert notice.image_qr == hold.code
    assert hold.display_code in notice.text
    assert "A-001" in notice.text
    event = booking.events.get(to_status="booked")
    assert (event.from_status, event.channel) == ("held", "whatsapp")
    _places_add_up(place)


def test_a_family_hold_is_confirmed_by_one_message():
    place = office()
    people = [applicant(), applicant(), applicant()]
    holds = book_family(place, people, phone_verified=False, hold_client=ATTACKER)
    confirmed = booking_hold_confirm(
        office=place, phone=holds[0].phone, code=holds[1].code, now=NOW
    )
    assert sorted(b.queue_seq for b in confirmed) == [1, 2, 3]
    assert Booking.objects.filter(status="booked").count() == 3


@pytest.mark.parametrize("wrong", ["phone", "office", "code"])
def test_a_confirmation_that_is_not_the_holds_own_changes_nothing(wrong):
    place, other = office(), office()
    hold = _hold(place)
    sender = _e164(phone()) if wrong == "phone" else hold.phone
    where = other if wrong == "office" else place
    code = "ZZZZ-ZZZZ" if wrong == "code" else hold.code
    with pytest.raises(DomainError) as refused:
        booking_hold_confirm(office=where, phone=sender, code=code, now=NOW)
    assert refused.value.code == "hold_not_found"
    # The same polite answer in both languages, whatever was wrong: no oracle.
    message = str(refused.value.message)
    assert "Tidak ada pemesanan" in message
    assert "No booking waiting" in message
    hold.refresh_from_db()
    assert (hold.status, hold.queue_seq) == ("held", None)
    assert not OutboundMessage.objects.exists()


def test_confirming_twice_says_so_and_numbers_once():
    place = office()
    hold = _hold(place)
    booking_hold_confirm(office=place, phone=hold.phone, code=hold.code, now=NOW)
    with pytest.raises(DomainError) as again:
        booking_hold_confirm(office=place, phone=hold.phone, code=hold.code, now=NOW)
    assert again.value.code == "already_confirmed"
    assert OutboundMessage.objects.filter(kind="booking_confirmed").count() == 1


def test_a_hold_is_not_valid_at_the_door():
    place = office()
    hold = _hold(place)
    door = dt.datetime(2026, 12, 7, 0, 45, tzinfo=dt.UTC)
    with pytest.raises(DomainError) as refused:
        booking_check_in(office=place, code=hold.code, actor=Actor.system(), now=door)
    assert refused.value.code == "not_confirmed"


# --- expiry -----------------------------------------------------------------------------


def test_a_lapsed_hold_blocks_nobody_even_before_the_sweep():
    place = office(hours__daily_capacity=14)  # one place in each of 14 slots
    person = applicant()
    holds = [_hold(place, person=person)] + [_hold(place) for _ in range(13)]
    assert Slot.objects.filter(office=place).exclude(booked=1).count() == 0  # full
    # No sweep has run: the same person, the same phone, and a stranger all book.
    again = _hold(place, person=person, phone_number=holds[0].phone, now=LATER)
    other = book(place, now=LATER)
    assert again.status == "held"
    assert other.status == "booked"
    assert Booking.objects.filter(status="released").count() == 14
    _places_add_up(place)


def test_the_sweep_releases_lapsed_holds_and_gives_their_places_back():
    place = office()
    lapsed, live = _hold(place), _hold(place, now=NOW + dt.timedelta(minutes=10))
    assert holds_release_expired(now=LATER) == 1
    lapsed.refresh_from_db()
    live.refresh_from_db()
    assert (lapsed.status, live.status) == ("released", "held")
    assert lapsed.events.get(to_status="released").actor_kind == "system"
    _places_add_up(place)
    assert holds_release_expired(now=LATER) == 0  # idempotent


def test_confirming_a_lapsed_hold_releases_it_and_asks_to_book_again():
    place = office()
    hold = _hold(place)
    with pytest.raises(DomainError) as late:
        booking_hold_confirm(office=place, phone=hold.phone, code=hold.code, now=LATER)
    assert late.value.code == "hold_expired"
    hold.refresh_from_db()
    assert hold.status == "released"  # committed before the refusal
    _places_add_up(place)


# --- limits and the attack --------------------------------------------------------------


def test_holds_count_in_the_per_phone_limit(settings):
    place = office()
    number = phone()
    for _ in range(settings.BOOKING_PHONE_MAX_ACTIVE):
        _hold(place, phone_number=number, hold_client=f"net:192.0.2.{_}")
    with pytest.raises(DomainError) as refused:
        _hold(place, phone_number=number)
    assert refused.value.code == "limit_reached"


def test_a_live_hold_counts_in_the_one_person_one_booking_rule_until_it_lapses():
    place, other = office(), office()
    person = applicant()
    _hold(place, person=person)
    for where in (place, other):  # the same day, this office or another, as a hold too
        with pytest.raises(DomainError) as refused:
            _hold(where, person=person)
        assert refused.value.code == "duplicate_booking"
    assert Booking.objects.filter(status="held").count() == 1
    assert _hold(other, person=person, now=LATER).status == "held"  # lapsed: counts nowhere


def test_a_thousand_invented_numbers_hold_a_handful_at_any_moment_and_never_book(
    settings, django_capture_on_commit_callbacks
):
    """The attack: one client, 1,000 attempts with invented names and numbers, one every
    6 seconds for 100 minutes, so its holds lapse and it tries again. At no moment does
    it hold more than a handful of places (BOOKING_HOLD_CLIENT_MAX); nothing it held
    becomes a booking; and the owner of every number it held books up to the full
    limit, even while the attacker's hold of that number is still live."""
    place = Office.objects.get(code="tangerang")
    cap = settings.BOOKING_HOLD_CLIENT_MAX
    held, refused, peak = [], set(), 0
    for n in range(1000):
        at = NOW + dt.timedelta(seconds=6 * n)
        try:
            held.append(_hold(place, phone_number=f"0857{n:08d}", hold_client=ATTACKER, now=at))
        except DomainError as exc:
            refused.add(exc.code)
            continue
        # The count only rises when a hold is made: this is every moment's high point.
        live = Booking.objects.filter(
            hold_client=ATTACKER, status="held", hold_expires_at__gt=at
        ).count()
        assert live <= cap, at
        peak = max(peak, live)
    assert peak == cap
    assert refused == {"hold_limit_reached"}
    lifetimes = 100 // settings.BOOKING_HOLD_MINUTES + 1  # 15-minute holds in 100 minutes
    assert cap < len(held) <= cap * lifetimes
    assert not Booking.objects.filter(status="booked").exists()
    end = NOW + dt.timedelta(seconds=6 * 999)
    live = [h for h in held if h.hold_expires_at > end]
    assert live  # some of its holds are still live while their owners book
    # The attacker cannot confirm from the numbers it invented: it does not own them.
    for hold in live:
        with pytest.raises(DomainError):
            booking_hold_confirm(office=place, phone=_e164(phone()), code=hold.code, now=end)
    # The owners book by WhatsApp: those of the live holds, and of the first wave (lapsed,
    # never swept), each up to the full limit, Monday to Friday (the one-booking-a-day
    # rule is per person; the office's daily capacity is the only other bound).
    owners = [h.phone for h in live] + [h.phone for h in held[:cap]]
    with django_capture_on_commit_callbacks(execute=True):
        for n, number in enumerate(owners):
            mine = [
                book(
                    place,
                    day=DAY + dt.timedelta(days=(n + k) % 5),
                    phone_number=number,
                    actor=WHATSAPP,
                    now=end,
                )
                for k in range(settings.BOOKING_PHONE_MAX_ACTIVE)
            ]
            assert all(b.status == "booked" for b in mine), number
    # The owners' bookings won over the attacker's holds; none of those became a booking.
    assert not Booking.objects.filter(hold_client=ATTACKER, status="held").exists()
    assert not Booking.objects.filter(hold_client=ATTACKER).exclude(status="released").exists()
    assert holds_release_expired(now=end) == 0  # nothing left for the sweep
    _places_add_up(place)


def test_a_verified_booking_wins_over_a_hold_of_the_same_person():
    place = office()
    person = applicant()
    squatter = _hold(place, person=person, hold_client=ATTACKER)
    mine = book(place, person=person, actor=WHATSAPP)
    assert mine.status == "booked"
    squatter.refresh_from_db()
    assert squatter.status == "released"
    _places_add_up(place)


def test_the_hold_client_keys_ipv6_by_its_64_and_api_keys_by_id():
    assert hold_client(address="2001:db8:1:2:aaaa::1") == hold_client(address="2001:db8:1:2::9")
    assert hold_client(address="2001:db8:1:3::1") != hold_client(address="2001:db8:1:2::1")
    assert hold_client(address="::ffff:203.0.113.9") == "net:203.0.113.9"
    assert hold_client(address="203.0.113.9", api_key_prefix="Ab12Cd34") == "key:Ab12Cd34"


# --- WhatsApp ---------------------------------------------------------------------------


@pytest.fixture
def gateway(client):
    _c, key = ApiClient.objects.create_key(
        name="gateway", scopes=["whatsapp:inbound"], office=Office.objects.get(code="tangerang")
    )

    def send(text, sender, message_id):
        body = {"id": message_id, "from": sender, "to": "+628118119000", "text": text}
        return client.post(
            "/api/v1/whatsapp/messages/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {key}",
        )

    return send


@time_machine.travel(NOW, tick=False)
def test_ya_code_by_whatsapp_confirms_and_replies_with_the_booking(gateway):
    place = Office.objects.get(code="tangerang")
    hold = _hold(place)
    response = gateway(f"ya {hold.display_code}", hold.phone, "gw-ya-1")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["booking"]["status"] == "booked"
    assert data["booking"]["queue_number"] == "A-001"
    assert hold.display_code in data["reply"]
    # The applicant wrote first: the confirmation goes free-form inside the 24-hour window.
    notice = OutboundMessage.objects.get(kind="booking_confirmed")
    assert session_open(notice.to, NOW)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("word", ["YA", "YES", "KONFIRMASI", "confirm"])
def test_each_confirm_word_works(gateway, word):
    hold = _hold(Office.objects.get(code="tangerang"))
    gateway(f"{word} {hold.code}", hold.phone, f"gw-{word}")
    hold.refresh_from_db()
    assert hold.status == "booked"


@time_machine.travel(NOW, tick=False)
def test_ya_from_another_number_changes_nothing_and_gets_a_polite_bilingual_answer(gateway):
    hold = _hold(Office.objects.get(code="tangerang"))
    response = gateway(f"YA {hold.display_code}", "6289999999999", "gw-other-1")
    assert response.status_code == 200
    data = response.json()
    assert data["booking"] is None
    assert "Tidak ada pemesanan" in data["reply"]
    assert "No booking waiting" in data["reply"]
    assert hold.name not in data["reply"]
    hold.refresh_from_db()
    assert hold.status == "held"


@time_machine.travel(NOW, tick=False)
def test_the_help_text_tells_how_to_confirm(gateway):
    reply = gateway("INFO", "6281111111111", "gw-help").json()["reply"]
    assert "YA <kode>" in reply


# --- the API ----------------------------------------------------------------------------


def _payload(**overrides):
    return {
        "office": "tangerang",
        "date": DAY.isoformat(),
        "name": "Siti Nur'aini",
        "birth_date": "1978-06-17",
        "phone": "0812-3456-7890",
        **overrides,
    }


@time_machine.travel(NOW, tick=False)
def test_a_gateway_with_the_verified_phone_scope_books_confirmed_and_is_recorded(client):
    tangerang = Office.objects.get(code="tangerang")
    key_client, key = ApiClient.objects.create_key(
        name="verifier", scopes=["bookings:verified-phone"], office=tangerang
    )
    response = client.post(
        "/api/v1/bookings/",
        _payload(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert response.status_code == 201, response.json()
    assert response.json()[0]["status"] == "booked"
    event = BookingEvent.objects.get()
    assert (event.actor_kind, event.actor_client_id) == ("api_client", key_client.pk)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("bound_to", ["belakang-padang", None])
def test_the_verified_phone_scope_works_only_at_the_keys_own_office(client, bound_to):
    other = Office.objects.get(code=bound_to) if bound_to else None
    _c, key = ApiClient.objects.create_key(
        name="verifier", scopes=["bookings:verified-phone"], office=other
    )
    response = client.post(
        "/api/v1/bookings/",
        _payload(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope_wrong_office"
    assert not Booking.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_key_without_the_scope_only_holds_counted_per_key(client):
    _c, key = ApiClient.objects.create_key(name="kiosk", scopes=["bookings:read"])
    response = client.post(
        "/api/v1/bookings/",
        _payload(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert response.json()[0]["status"] == "held"
    assert Booking.objects.get().hold_client == f"key:{_c.prefix}"


@time_machine.travel(NOW, tick=False)
def test_staff_booking_for_a_walk_in_is_confirmed_with_the_officer_as_actor(client):
    officer = User.objects.create_user("desk1", password="x", is_staff=True)
    OfficerProfile.objects.create(user=officer, office=Office.objects.get(code="tangerang"))
    client.force_login(officer)
    response = client.post("/api/v1/bookings/", _payload(), content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()[0]["status"] == "booked"
    event = BookingEvent.objects.get()
    assert (event.actor_user, event.channel, event.actor_kind) == (officer, "desk", "staff")


@time_machine.travel(NOW, tick=False)
def test_staff_of_another_office_only_hold_like_anyone(client):
    officer = User.objects.create_user("desk2", password="x", is_staff=True)
    OfficerProfile.objects.create(user=officer, office=Office.objects.get(code="belakang-padang"))
    client.force_login(officer)
    response = client.post("/api/v1/bookings/", _payload(), content_type="application/json")
    assert response.json()[0]["status"] == "held"


# --- the pages --------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("language", "minutes", "until"),
    [("id", "15 menit lagi", "sebelum 09:15 WIB"), ("en", "15 more minutes", "before 09:15 WIB")],
)
def test_the_hold_page_shows_the_whatsapp_button_qr_and_time_left(client, language, minutes, until):
    client.cookies["django_language"] = language
    response = client.post(
        "/pesan/",
        {
            "office": "tangerang",
            "date": DAY.isoformat(),
            "slot": "",
            "service": "new",
            "name": "Siti Nur'aini",
            "birth_date": "1978-06-17",
            "phone": "0812 3456 7890",
            "nik": "",
        },
    )
    assert response.status_code == 302
    hold = Booking.objects.get()
    assert hold.status == "held"
    page = client.get(response["Location"]).content.decode()
    assert f'href="https://wa.me/628118119000?text=YA%20{hold.display_code}"' in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert re.search(r'<meta http-equiv="refresh" content="\d+; url=/pesan/\w+/">', page)
    assert minutes in page
    assert until in page
    assert "/qr.svg" not in page  # no door QR for a hold
    booking_hold_confirm(office=hold.office, phone=hold.phone, code=hold.code, now=NOW)
    page = client.get(response["Location"]).content.decode()
    assert f"/api/v1/bookings/{hold.code}/qr.svg" in page
    assert "A-001" in page
    assert "http-equiv" not in page


@time_machine.travel(NOW, tick=False)
def test_the_check_page_says_a_hold_waits_and_shows_no_door_qr(client):
    hold = _hold(
        Office.objects.get(code="tangerang"), person=applicant(birth_date=dt.date(1978, 6, 17))
    )
    page = client.post(
        "/cek/", {"code": hold.code, "birth_date": "1978-06-17", "action": "show"}
    ).content.decode()
    assert "Menunggu konfirmasi" in page
    assert "wa.me/" in page
    assert "qr.svg" not in page
    assert "qr.png" not in page


# --- races (separate connections, released together) ---------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_confirm_once_with_one_number():
    place = office()
    hold = _hold(place)
    results, errors = race(
        [
            lambda: booking_hold_confirm(office=place, phone=hold.phone, code=hold.code, now=NOW)
            for _ in range(4)
        ]
    )
    assert len(results) == 1
    # `busy`: a YA that waited for the phone's lock past LOCK_TIMEOUT_SECONDS (a loaded
    # machine) is refused cleanly and changed nothing, as `already_confirmed` did.
    assert len(errors) == 3
    assert {e.code for e in errors} <= {"already_confirmed", "busy"}, errors
    assert OutboundMessage.objects.filter(kind="booking_confirmed").count() == 1
    hold.refresh_from_db()
    assert hold.queue_seq == 1
    _places_add_up(place)


@pytest.mark.django_db(transaction=True)
def test_the_sweep_and_late_bookings_racing_for_lapsed_holds_count_each_place_once():
    place = office(hours__daily_capacity=14)  # one place a slot
    for _ in range(14):
        _hold(place)
    calls = [lambda: holds_release_expired(now=LATER)] * 2 + [
        (lambda: book(place, now=LATER)) for _ in range(20)
    ]
    results, errors = race(calls)
    booked = [r for r in results if isinstance(r, Booking)]
    codes = [getattr(e, "code", repr(e)) for e in errors]
    assert set(codes) <= {"day_full", "busy"}, codes
    # A booking that waited on the day's slots past LOCK_TIMEOUT_SECONDS (behind the
    # sweep and the others: on a loaded machine) is refused `busy` and changed nothing
    # (test_a_late_booking_behind_the_sweep_is_refused_busy_and_changes_nothing). Every
    # other one has a place while one is free: all 14 are taken once the day is full.
    assert len(booked) == min(14, 20 - codes.count("busy")), codes
    assert Booking.objects.filter(status="booked").count() == len(booked)
    assert Booking.objects.filter(status="released").count() == 14
    _places_add_up(place)


@pytest.mark.django_db(transaction=True)
def test_a_late_booking_behind_the_sweep_is_refused_busy_and_changes_nothing(
    settings, test_database_url
):
    """What the race above may meet on a loaded machine: the expiry sweep holds the
    day's slot rows while it releases lapsed holds, and a booking that needs them (the
    day has lapsed holds) waits LOCK_TIMEOUT_SECONDS, then is told to try again in the
    applicant's language (503 `busy` on the API and the page, test_locks.py)."""
    settings.LOCK_TIMEOUT_SECONDS = 0.5
    place = office()
    hold = _hold(place)
    with psycopg.connect(test_database_url) as sweep:
        sweep.execute(
            "SELECT 1 FROM offices_slot WHERE office_id = %s ORDER BY starts_at FOR UPDATE",
            [place.pk],
        )
        for language, words in (("id", "coba lagi"), ("en", "Please try again")):
            with translation.override(language):
                with pytest.raises(BusyError) as refused:
                    book(place, now=LATER)
                assert refused.value.code == "busy"
                assert words in str(refused.value.message)
        sweep.rollback()
    hold.refresh_from_db()
    assert hold.status == "held"
    assert list(Booking.objects.all()) == [hold]
    _places_add_up(place)
    # The sweep done, the same booking goes through and releases the lapsed hold.
    booking = book(place, now=LATER)
    hold.refresh_from_db()
    assert (booking.status, hold.status) == ("booked", "released")
    _places_add_up(place)


@pytest.mark.django_db(transaction=True)
def test_a_confirmation_racing_the_owners_verified_booking_never_exceeds_the_phone_limit(
    settings,
):
    place = office()
    number = phone()
    hold = _hold(place, phone_number=number)
    owner = "62" + number[1:]
    calls = [lambda: booking_hold_confirm(office=place, phone=owner, code=hold.code, now=NOW)] + [
        (lambda: book(place, phone_number=number, actor=WHATSAPP))
        for _ in range(settings.BOOKING_PHONE_MAX_ACTIVE)
    ]
    _results, errors = race(calls)
    assert {e.code for e in errors} <= {"limit_reached", "hold_not_found", "hold_expired", "busy"}
    live = Booking.objects.filter(phone=owner, status__in=["booked", "held"]).count()
    assert live <= settings.BOOKING_PHONE_MAX_ACTIVE
    _places_add_up(place)


def test_retention_erases_the_address_a_hold_came_from():
    place = office()
    hold = _hold(place, hold_client="net:2001:db8:1:2::/64")
    assert bookings_erase_personal_data(now=NOW + dt.timedelta(days=800)) == 1
    hold.refresh_from_db()
    assert (hold.hold_client, hold.phone) == ("", "")


def test_cancelling_a_hold_on_the_web_sends_nothing_by_whatsapp_it_answers():
    place = office()
    web, whatsapp = _hold(place), _hold(place)
    booking_cancel(booking=web, actor=Actor.applicant(Channel.WEB), now=NOW)
    assert not OutboundMessage.objects.exists()
    booking_cancel(booking=whatsapp, actor=WHATSAPP, now=NOW)  # BATAL from the number
    assert list(OutboundMessage.objects.values_list("to", "kind")) == [
        (whatsapp.phone, "booking_cancelled")
    ]
    _places_add_up(place)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "held_elsewhere",
    [
        # Another transaction confirming or releasing the same hold (the held row).
        "SELECT 1 FROM bookings_booking WHERE id = %(hold)s FOR UPDATE",
        # The expiry sweep or a booking holding the day's slots (the queue numbers).
        "SELECT 1 FROM offices_slot WHERE office_id = %(office)s ORDER BY starts_at FOR UPDATE",
    ],
    ids=["held-row", "slots"],
)
def test_a_confirmation_that_waits_past_the_lock_timeout_is_refused_busy(
    settings, test_database_url, held_elsewhere
):
    """`YA <code>` meets a row another transaction holds: after LOCK_TIMEOUT_SECONDS it
    is the clean `busy` refusal in the applicant's language, never a raw
    OperationalError (the holds race once raised one), and nothing changed; once the
    other transaction ends, the same `YA` confirms."""
    settings.LOCK_TIMEOUT_SECONDS = 0.3
    place = office()
    hold = _hold(place)
    owner = hold.phone
    with psycopg.connect(test_database_url) as other:
        other.execute(held_elsewhere, {"hold": hold.pk, "office": place.pk})
        for language, words in (("id", "coba lagi"), ("en", "Please try again")):
            with translation.override(language):
                with pytest.raises(BusyError) as refused:
                    booking_hold_confirm(office=place, phone=owner, code=hold.code, now=NOW)
                assert refused.value.code == "busy"
                assert words in str(refused.value.message)
        other.rollback()
    hold.refresh_from_db()
    assert (hold.status, hold.queue_seq) == ("held", None)
    assert not OutboundMessage.objects.filter(kind="booking_confirmed").exists()
    [booked] = booking_hold_confirm(office=place, phone=owner, code=hold.code, now=NOW)
    assert booked.status == "booked"
    _places_add_up(place)
