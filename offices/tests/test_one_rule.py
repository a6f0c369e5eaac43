"""#20 §2: the capacity-override overlap rule and the closure rule live in
offices/services.py, the admin asks them, and the database backs the overlap rule
with an exclusion constraint (btree_gist), also against concurrent writers."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from bookings.tests.races import race
from immigration.errors import DomainError
from offices.models import CapacityOverride, Closure, Office
from offices.services import (
    capacity_override_create,
    capacity_overrides_save,
    closure_refusal,
    override_overlap_refusal,
)

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB
D = dt.date(2027, 2, 1)


def _office() -> Office:
    return Office.objects.get(code="belakang-padang")


def _create(office, start, end, capacity=80):
    return capacity_override_create(
        office=office,
        starts_on=start,
        ends_on=end,
        daily_capacity=capacity,
        reason="uji",
        now=NOW,
    )


@pytest.mark.django_db
def test_an_overlapping_override_is_refused_in_both_languages_and_changes_nothing():
    office = _office()
    before = CapacityOverride.objects.filter(office=office).count()
    _create(office, D, D + dt.timedelta(days=9))
    _create(office, D + dt.timedelta(days=10), D + dt.timedelta(days=12))  # adjacent: fine
    for language, words in (("en", "must not overlap"), ("id", "tidak boleh tumpang tindih")):
        with translation.override(language), pytest.raises(DomainError) as refused:
            _create(office, D + dt.timedelta(days=9), D + dt.timedelta(days=10))
        assert refused.value.code == "override_overlap"
        assert words in str(refused.value.message)
    assert CapacityOverride.objects.filter(office=office).count() == before + 2
    # Another office's overrides are its own.
    _create(Office.objects.get(code="tangerang"), D, D)


def test_the_rule_sees_an_overlap_hidden_behind_a_short_range():
    """Sorted by start, the long range overlaps the third, not its neighbour."""
    ranges = [(D, D + dt.timedelta(days=30)), (D + dt.timedelta(days=1), D + dt.timedelta(days=2))]
    ranges.append((D + dt.timedelta(days=20), D + dt.timedelta(days=21)))
    overrides = [CapacityOverride(starts_on=a, ends_on=b) for a, b in ranges]
    assert override_overlap_refusal(overrides[1:]) is None
    assert override_overlap_refusal([overrides[0], overrides[2]]).code == "override_overlap"
    assert override_overlap_refusal(overrides).code == "override_overlap"
    reversed_range = [CapacityOverride(starts_on=D, ends_on=D - dt.timedelta(days=1))]
    assert override_overlap_refusal(reversed_range).code == "override_range_reversed"


@pytest.mark.django_db
def test_one_save_may_move_two_ranges_past_each_other():
    office = _office()
    first = _create(office, D, D + dt.timedelta(days=4))
    second = _create(office, D + dt.timedelta(days=5), D + dt.timedelta(days=9))
    first.starts_on, first.ends_on = D + dt.timedelta(days=5), D + dt.timedelta(days=9)
    second.starts_on, second.ends_on = D, D + dt.timedelta(days=4)
    capacity_overrides_save(office=office, save=[first, second], now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the commit's check, now
    first.refresh_from_db()
    assert first.starts_on == D + dt.timedelta(days=5)


@pytest.mark.django_db
def test_the_database_refuses_an_overlap_written_past_the_service():
    office = _office()
    _create(office, D, D + dt.timedelta(days=4))
    CapacityOverride.objects.create(
        office=office,
        starts_on=D + dt.timedelta(days=4),
        ends_on=D + dt.timedelta(days=6),
        daily_capacity=10,
        reason="langsung",
    )
    with pytest.raises(IntegrityError) as refused, connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert refused.value.__cause__.diag.constraint_name == "override_no_overlap"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_overlapping_inserts_leave_one():
    """Each in its own connection, released at once: straight ORM inserts (the
    database alone decides) and service calls (the office lock decides)."""
    office = _office()

    def insert(start):
        def call():
            with transaction.atomic():
                return CapacityOverride.objects.create(
                    office=office,
                    starts_on=start,
                    ends_on=start + dt.timedelta(days=3),
                    daily_capacity=10,
                    reason="balapan",
                )

        return call

    results, errors = race([insert(D), insert(D + dt.timedelta(days=2))])
    assert len(results) == 1
    assert [type(e) for e in errors] == [IntegrityError]
    assert CapacityOverride.objects.filter(reason="balapan").count() == 1

    later = D + dt.timedelta(days=40)
    results, errors = race(
        [
            lambda: _create(office, later, later + dt.timedelta(days=3)),
            lambda: _create(office, later + dt.timedelta(days=1), later + dt.timedelta(days=5)),
        ]
    )
    assert len(results) == 1
    assert [getattr(e, "code", e) for e in errors] == ["override_overlap"]


@pytest.mark.django_db
def test_the_closure_rule_is_one_function_the_admin_and_the_service_ask():
    office = _office()
    assert closure_refusal(office=office, date=D, reason="Banjir", now=NOW) is None
    past = closure_refusal(office=office, date=dt.date(2026, 11, 1), reason="x", now=NOW)
    assert past.code == "closure_in_past"
    assert closure_refusal(office=office, date=D, reason="  ", now=NOW).code == (
        "closure_reason_required"
    )
    Closure.objects.create(office=office, date=D, reason="Banjir")
    assert closure_refusal(office=office, date=D, reason="Banjir", now=NOW).code == (
        "closure_exists"
    )
