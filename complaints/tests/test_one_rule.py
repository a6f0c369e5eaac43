"""#20 §2, one rule in one place for complaints: the contact audit row, the automatic
closing, the overdue notices and the monthly report each live in one service or
selector, and the admin and the beat job call it."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from complaints.models import Complaint, ContactAccess
from complaints.services import complaint_submit
from offices.models import Office, OfficerProfile
from offices.roles import SUPERVISOR, ensure_role_groups

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB)  # a Tuesday


def _staff(username, role, office_code=None, phone=""):
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[role])
    office = Office.objects.get(code=office_code) if office_code else None
    OfficerProfile.objects.create(
        user=user, office=office, is_headquarters=office is None, whatsapp_number=phone
    )
    return user


def _report(office="tangerang", **kwargs) -> Complaint:
    values = {"category": "pungli", "description": "Diminta Rp500.000 di loket 3."}
    values.update(kwargs)
    return complaint_submit(office=Office.objects.get(code=office), now=NOW, **values)


def _change(complaint) -> str:
    return reverse("admin:complaints_complaint_change", args=[complaint.pk])


# --- the contact audit row ---------------------------------------------------------------


def test_each_showing_of_a_reporters_contact_in_the_admin_leaves_exactly_one_row(client):
    named = _report(reporter_name="Budi", reporter_phone="081234567890")
    anonymous = _report()
    elsewhere = _report(office="batam", reporter_name="Sari")
    supervisor = _staff("spv", SUPERVISOR, "tangerang")
    client.force_login(supervisor)

    page = client.get(_change(named))
    assert page.status_code == 200
    assert "Budi" in page.content.decode()
    assert list(ContactAccess.objects.values_list("complaint", "user", "where")) == [
        (named.pk, supervisor.pk, "admin")
    ]
    client.get(_change(named))  # a second look is a second showing
    assert ContactAccess.objects.filter(complaint=named).count() == 2

    # Nothing shown, nothing logged: an anonymous report, another office's case.
    assert client.get(_change(anonymous)).status_code == 200
    assert client.get(_change(elsewhere)).status_code == 302
    assert not ContactAccess.objects.exclude(complaint=named).exists()

    # A post the admin cannot save draws the page again: one more showing, one row.
    redrawn = client.post(_change(named), {})
    assert redrawn.status_code == 200
    assert "Budi" in redrawn.content.decode()
    assert ContactAccess.objects.filter(complaint=named).count() == 3


# --- the monthly report ------------------------------------------------------------------


def test_the_monthly_report_is_a_selector_over_the_readers_own_cases():
    from complaints.models import Complaint as C
    from complaints.selectors import complaints_monthly_report
    from complaints.services import overdue_complaints

    for days in (1, 2, 4, 10):  # triaged after 1, 2, 4, 10 days: the median is 3
        case = _report()
        C.objects.filter(pk=case.pk).update(
            received_at=NOW,
            triaged_at=NOW + dt.timedelta(days=days),
            status="triaged",
            follow_up_due=dt.date(2026, 12, 31),
        )
    _report(category="calo")  # received, not triaged: overdue after 4 December
    _report(office="batam")  # another office: not in a Tangerang reader's scope
    scope = C.objects.filter(office__code="tangerang")
    later = dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIB)

    (row,) = complaints_monthly_report(scope=scope, now=later)
    assert row["office__name"] == Office.objects.get(code="tangerang").name
    assert (row["received"], row["pungli"], row["calo"]) == (5, 4, 1)
    assert row["median_triage_days"] == 3.0
    assert row["median_close_days"] is None
    assert row["overdue"] == overdue_complaints(now=later).filter(office__code="tangerang").count()
    assert row["overdue"] == 1
    assert row["bar"] == 100
    # The same cases on 2 December: nothing is overdue yet (the time is injected).
    (early,) = complaints_monthly_report(scope=scope, now=NOW + dt.timedelta(days=1))
    assert early["overdue"] == 0


# --- the automatic closing and the overdue notices -----------------------------------------


def _concluded(supervisor, **kwargs) -> Complaint:
    from complaints.services import complaint_transition

    complaint = _report(reporter_phone="081234567890", **kwargs)
    for to in ("triaged", "investigating", "substantiated"):
        complaint_transition(complaint=complaint, to=to, actor=supervisor, now=NOW)
    return complaint


def test_the_automatic_closing_is_a_transition_with_its_history_and_one_notice():
    from complaints.services import SYSTEM, complaint_transition, complaints_autoclose
    from immigration.errors import ConflictError
    from notifications.models import OutboundMessage

    supervisor = _staff("spv", SUPERVISOR, "tangerang")
    first, second = _concluded(supervisor), _concluded(supervisor)
    due = NOW + dt.timedelta(days=14)  # 10 working days after the conclusion
    # The system may do nothing else, and nothing early.
    with pytest.raises(ConflictError) as early:
        complaint_transition(complaint=first, to="closed", actor=SYSTEM, now=NOW)
    assert early.value.code == "autoclose_not_due"
    with pytest.raises(ConflictError):
        complaint_transition(complaint=first, to="investigating", actor=SYSTEM, now=due)

    # A run cut short after the first case: the next closes only the second.
    note = "Closed: no answer from the reporter within 10 working days."
    complaint_transition(complaint=first, to="closed", actor=SYSTEM, public_note=note, now=due)
    assert complaints_autoclose(now=due) == 1
    assert complaints_autoclose(now=due) == 0  # idempotent
    for case in (first, second):
        case.refresh_from_db()
        assert case.status == "closed"
        assert case.closed_at == due
        (event,) = case.events.filter(to_status="closed")
        assert (event.from_status, event.actor) == ("substantiated", None)
        assert event.public_note == note
        closing = OutboundMessage.objects.filter(
            kind="complaint_status", text__contains=case.tracking_code
        ).filter(text__contains="ditutup")
        assert closing.count() == 1


def test_the_complaint_batch_jobs_refuse_to_run_inside_a_callers_transaction():
    from django.db import transaction

    from complaints.services import complaints_autoclose, complaints_notify_overdue

    _report()
    with transaction.atomic(), pytest.raises(RuntimeError):
        complaints_autoclose(now=NOW)
    with transaction.atomic(), pytest.raises(RuntimeError):
        complaints_notify_overdue(now=NOW + dt.timedelta(days=6))


def test_overdue_notices_resume_without_telling_anyone_twice():
    from complaints.services import complaints_notify_overdue
    from notifications.models import OutboundMessage

    _staff("spv-t", SUPERVISOR, "tangerang", phone="6281100000001")
    _staff("spv-b", SUPERVISOR, "batam", phone="6281100000002")
    _report()
    batam = _report(office="batam")
    later = dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIB)  # triage was due on 4 December
    assert complaints_notify_overdue(now=later) == 2
    # Beat fires again the same day, after a new overdue case: nobody is told twice.
    Complaint.objects.filter(pk=batam.pk).update(triage_due=dt.date(2026, 12, 1))
    _report(office="batam")
    assert complaints_notify_overdue(now=later) == 0
    sent = OutboundMessage.objects.filter(kind="complaints_overdue")
    assert sorted(sent.values_list("to", flat=True)) == ["6281100000001", "6281100000002"]
