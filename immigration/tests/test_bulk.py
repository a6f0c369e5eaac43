"""insert_many (immigration/bulk.py): many rows in one statement of a fixed size, with
the defaults and refusals a model's own save would give."""

import pytest
from django.db import DataError, IntegrityError, transaction

from bookings.models import BookingEvent
from bookings.tests.factories import book, office
from immigration.bulk import insert_many
from notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db


def test_rows_take_the_defaults_of_absent_fields_and_keep_every_type():
    ids = insert_many(
        OutboundMessage,
        [
            {"to": "6281200000001", "text": "Halo\n'quoted' \"and\" {braces}", "kind": "test"},
            {
                "to": "6281200000002",
                "text": "Dua",
                "kind": "test",
                "template_params": ["a", {"b": 1}],
                "image_png": b"\x89PNG\x00\xff",
            },
        ],
    )
    first, second = (OutboundMessage.objects.get(pk=pk) for pk in ids)
    assert first.text == "Halo\n'quoted' \"and\" {braces}"
    assert (first.status, first.attempts, first.language, first.sender) == ("queued", 0, "id", "")
    assert first.template_params == []
    assert first.image_png is None
    assert first.dedupe_key is None
    assert first.created_at is not None
    assert second.template_params == ["a", {"b": 1}]
    assert bytes(second.image_png) == b"\x89PNG\x00\xff"


def test_a_thousand_rows_are_one_statement_and_the_ids_come_back_in_order(
    django_assert_num_queries,
):
    booking = book(office())
    rows = [
        {"booking_id": booking.pk, "to_status": "expired", "actor_kind": "system", "note": str(i)}
        for i in range(1000)
    ]
    with django_assert_num_queries(1):
        ids = insert_many(BookingEvent, rows)
    notes = dict(BookingEvent.objects.filter(pk__in=ids).values_list("pk", "note"))
    assert [notes[pk] for pk in ids] == [str(i) for i in range(1000)]


def test_an_over_long_text_is_refused_not_cut_and_nothing_is_inserted():
    with pytest.raises(DataError), transaction.atomic():
        insert_many(
            OutboundMessage,
            [
                {"to": "62812", "text": "ok", "kind": "test"},
                {"to": "6" * 16, "text": "x", "kind": "t"},
            ],
        )
    assert not OutboundMessage.objects.exists()


def test_a_constraint_is_enforced_for_the_whole_statement():
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_many(
            OutboundMessage,
            [
                {"to": "62812", "text": "a", "kind": "t", "dedupe_key": "same"},
                {"to": "62813", "text": "b", "kind": "t", "dedupe_key": "same"},
            ],
        )
    assert not OutboundMessage.objects.exists()


def test_an_unknown_field_is_a_programming_error_and_no_rows_is_no_statement(
    django_assert_num_queries,
):
    with pytest.raises(TypeError, match="nonsense"):
        insert_many(OutboundMessage, [{"to": "62812", "text": "a", "kind": "t", "nonsense": 1}])
    with django_assert_num_queries(0):
        assert insert_many(OutboundMessage, []) == []


def test_a_value_shared_by_every_row_is_sent_once_and_still_checked(django_assert_num_queries):
    booking = book(office())
    rows = [{"booking_id": booking.pk, "to_status": "expired", "note": "same"}] * 3
    with django_assert_num_queries(1) as captured:
        ids = insert_many(BookingEvent, rows)
    assert "unnest" not in captured.captured_queries[0]["sql"]  # no column differs
    assert (
        list(BookingEvent.objects.filter(pk__in=ids).values_list("booking_id", "to_status", "note"))
        == [(booking.pk, "expired", "same")] * 3
    )
    with pytest.raises(DataError), transaction.atomic():
        insert_many(
            OutboundMessage, [{"to": "6" * 16, "text": str(i), "kind": "t"} for i in (1, 2)]
        )
    assert not OutboundMessage.objects.filter(kind="t").exists()  # the booking's own stays


# --- insert_select_sql: the rows of a query, with the same defaults -----------------------


def _insert_select(model, attnames, select, params):
    from immigration.bulk import binding_cursor, insert_select_sql

    sql, defaults = insert_select_sql(model, attnames, select)
    with binding_cursor() as cursor:
        cursor.execute(f"{sql} RETURNING id", [*defaults, *params])
        return [pk for (pk,) in cursor.fetchall()]


def test_rows_of_a_query_take_the_defaults_insert_many_gives():
    [by_list] = insert_many(OutboundMessage, [{"to": "62812", "text": "x", "kind": "k"}])
    [by_query] = _insert_select(
        OutboundMessage,
        ["to", "text", "kind", "template_params"],
        "SELECT %b::text, %b::text, %b::text, '[]'::jsonb",
        ["62812", "x", "k"],
    )
    fields = [f.attname for f in OutboundMessage._meta.concrete_fields]
    skip = {"id", "created_at"}
    first, second = OutboundMessage.objects.filter(pk__in=[by_list, by_query]).order_by("pk")
    assert {f: getattr(first, f) for f in fields if f not in skip} == {
        f: getattr(second, f) for f in fields if f not in skip
    }
    assert second.created_at is not None


def test_a_field_with_a_default_per_row_must_be_selected():
    with pytest.raises(TypeError, match="template_params"):
        _insert_select(OutboundMessage, ["to", "text", "kind"], "SELECT '1', '2', '3'", [])
