"""Entering a draw by WhatsApp: the booking lines enter the draw when the day is drawn,
several days as DDMMYYYY,DDMMYYYY,DDMMYYYY; `YA <reference>` confirms a web request."""

import datetime as dt
import itertools

import pytest

from bookings.models import Booking
from notifications.inbound import Inbound, receive_inbound
from release.models import DrawEntry, EntryStatus
from release.tests.factories import DAYS, DURING, committed, draw_office, enter

pytestmark = pytest.mark.django_db

SENDER = "6281234500001"
_ids = itertools.count(1)


def _send(office, text, sender=SENDER, now=DURING):
    return receive_inbound(
        Inbound(
            provider_message_id=f"wamid.draw.{next(_ids)}",
            sender=sender,
            text=text,
            received_at=now,
            to=office.whatsapp_number,
        ),
        now=now,
    )


def _d(day: dt.date) -> str:
    return f"{day:%d%m%Y}"


def test_a_family_enters_the_draw_with_three_days_and_is_told_it_is_not_a_booking():
    office = draw_office()
    draw = committed(office)
    text = "\n".join(
        f"#{name}#17061978#{_d(DAYS[2])},{_d(DAYS[0])},{_d(DAYS[4])}#"
        for name in ["SITI NURAINI", "BUDI SANTOSO"]
    )
    answer = _send(office, text)
    entry = DrawEntry.objects.get()
    assert entry.draw == draw
    assert entry.status == EntryStatus.ENTERED
    assert entry.people_count == 2
    assert entry.preferences == [d.isoformat() for d in (DAYS[2], DAYS[0], DAYS[4])]
    assert entry.phone == SENDER
    assert not Booking.objects.exists()
    assert "not yet a booking" in answer.reply or "bukan pemesanan" in answer.reply.lower()
    assert "WIB" in answer.reply
    assert entry.pseudonym in answer.reply


def test_english_applicant_gets_the_english_reply():
    office = draw_office()
    committed(office)
    _send(office, "EN")
    answer = _send(office, f"#ANI WIJAYA#01021990#{_d(DAYS[1])}#")
    assert "This is an entry in the draw, not yet a booking." in answer.reply
    assert DrawEntry.objects.get().language == "en"


def test_a_duplicate_person_by_whatsapp_is_refused_with_the_reason():
    office = draw_office()
    committed(office)
    _send(office, f"#ANI WIJAYA#01021990#{_d(DAYS[1])}#", sender="6281234500002")
    answer = _send(office, f"#ani  wijaya#01021990#{_d(DAYS[0])}#")
    assert DrawEntry.objects.count() == 1
    assert "one request only" in answer.reply


def test_lines_with_different_days_are_refused():
    office = draw_office()
    committed(office)
    answer = _send(
        office, f"#ANI WIJAYA#01021990#{_d(DAYS[1])}#\n#BUDI SANTOSO#01021990#{_d(DAYS[0])}#"
    )
    assert not DrawEntry.objects.exists()
    assert answer.result.get("error") == "days_differ"


def test_ya_with_the_reference_confirms_a_web_request_from_its_phone_only():
    office = draw_office()
    committed(office)
    entry = enter(office, verified=False, phone_number="081234500003")
    stranger = _send(office, f"YA {entry.display_reference}", sender="6281234500099")
    assert DrawEntry.objects.get(pk=entry.pk).status == EntryStatus.PENDING
    assert entry.pseudonym not in stranger.reply
    answer = _send(office, f"YA {entry.display_reference}", sender="6281234500003")
    assert DrawEntry.objects.get(pk=entry.pk).status == EntryStatus.ENTERED
    assert entry.pseudonym in answer.reply


def test_a_first_come_day_still_books_as_before():
    office = draw_office()
    answer = _send(office, "#ANI WIJAYA#01021990#21122026#", now=DURING)
    assert Booking.objects.filter(date=dt.date(2026, 12, 21)).count() == 1
    assert not DrawEntry.objects.exists()
    assert answer.result["bookings"]


def _help(office, word, now=DURING, sender=SENDER):
    return receive_inbound(
        Inbound(
            provider_message_id=f"wamid.draw.{next(_ids)}",
            sender=sender,
            text=word,
            received_at=now,
            to=office.whatsapp_number,
        ),
        now=now,
    ).reply


def test_help_at_a_draw_office_says_requests_enter_a_draw_until_when_and_where_in_both_languages():
    from django.conf import settings

    office = draw_office(timezone="Asia/Jayapura")
    draw = committed(office)
    page = f"{settings.PUBLIC_BASE_URL}/undian/{office.code}/{draw.release}/"
    indonesian = _help(office, "BANTUAN")
    assert "undian" in indonesian
    assert "Minggu, 13 Desember 2026 08:00 WIT" in indonesian
    assert page in indonesian
    assert "#NAMA#DDMMYYYY#DDMMYYYY,DDMMYYYY,DDMMYYYY#" in indonesian
    english = _help(office, "HELP", now=DURING + dt.timedelta(seconds=10))
    assert "gives its places by a draw" in english
    assert "open until Sunday, 13 December 2026 08:00 WIT" in english
    assert page in english
    # The usual help follows: the fees, the address.
    assert office.address in english
    assert not DrawEntry.objects.exists()


def test_help_before_the_window_says_when_entries_open():
    office = draw_office(timezone="Asia/Makassar")
    committed(office)
    before = dt.datetime(2026, 12, 11, 12, 0, tzinfo=dt.UTC)
    english = _help(office, "HELP", now=before)
    assert "open on Saturday, 12 December 2026 08:00 WITA" in english
    assert "close on Sunday, 13 December 2026 08:00 WITA" in english


def test_help_at_a_first_come_office_says_nothing_of_a_draw():
    from offices.tests.factories import OfficeFactory

    office = OfficeFactory()
    english = _help(office, "HELP")
    assert "draw" not in english.lower()


def test_the_hook_reads_whether_an_office_draws_and_each_release_once_per_inbox_chunk(
    django_assert_num_queries,
):
    from notifications.inbound import _memo_scope
    from offices.tests.factories import OfficeFactory
    from release import whatsapp

    first_come, drawing = OfficeFactory(), draw_office()
    with _memo_scope():
        with django_assert_num_queries(1):  # no policy in draw mode: every day first come
            assert [whatsapp._release(first_come, day) for day in DAYS] == [None] * len(DAYS)
        release = whatsapp._release(drawing, DAYS[0])
        assert release is not None
        assert release.first_day == DAYS[0]
        with django_assert_num_queries(0):
            assert whatsapp._release(drawing, DAYS[0]) is release
    # A new chunk reads again: a policy changed between chunks is seen.
    with _memo_scope(), django_assert_num_queries(1):
        assert whatsapp._release(first_come, DAYS[0]) is None


def test_an_entry_by_whatsapp_reads_the_release_calendar_once_per_chunk():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications.inbound import _memo_scope

    office = draw_office()
    committed(office)
    with _memo_scope(), CaptureQueriesContext(connection) as queries:
        for n in range(3):
            reply = _send(
                office, f"#PESERTA {'ABC'[n]}#09031985#{_d(DAYS[0])}#", sender=f"62812345009{n}"
            )
            assert reply.result["draw_entry"]
    sql = [q["sql"] for q in queries.captured_queries]
    assert len([s for s in sql if 'FROM "offices_openinghours"' in s]) == 1
    assert len([s for s in sql if 'FROM "offices_closure"' in s]) == 1
    assert DrawEntry.objects.filter(status=EntryStatus.ENTERED).count() == 3
