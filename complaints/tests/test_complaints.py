"""Complaints: reporting with evidence, the workflow, deadlines, roles and privacy."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pikepdf
import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from PIL import Image

from complaints.evidence import MAX_BYTES, clean_upload
from complaints.models import Complaint, ContactAccess
from complaints.services import (
    Upload,
    complaint_add_information,
    complaint_submit,
    complaint_transition,
    complaints_autoclose,
    complaints_notify_overdue,
    overdue_complaints,
)
from complaints.working_days import add_working_days
from immigration.errors import DomainError
from notifications.models import OutboundMessage
from offices.models import Office, OfficerProfile
from offices.roles import DESK, INSPECTOR, SUPERVISOR, ensure_role_groups

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB)  # a Tuesday


def _png(size=(40, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, format="PNG", **save)
    return out.getvalue()


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "blue")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x8825] = {1: "S", 2: (6.0, 10.0, 30.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _admin(view: str, complaint=None) -> str:
    """The URL of one of the complaint admin's pages (the admin's path is a setting)."""
    args = [complaint.pk] if complaint else []
    return reverse(f"admin:complaints_complaint_{view}", args=args)


def _staff(username, role, office_code=None, phone=""):
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[role])
    office = Office.objects.get(code=office_code) if office_code else None
    OfficerProfile.objects.create(
        user=user, office=office, is_headquarters=office is None, whatsapp_number=phone
    )
    return user


def _report(office="tangerang", **kwargs):
    values = {"category": "pungli", "description": "Diminta Rp500.000 di loket 3."}
    values.update(kwargs)
    return complaint_submit(office=Office.objects.get(code=office), now=NOW, **values)


# --- working days ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (dt.date(2026, 12, 18), 3, dt.date(2026, 12, 23)),  # Friday: the weekend does not count
        (dt.date(2026, 12, 22), 3, dt.date(2026, 12, 29)),  # over cuti bersama and Christmas
        (dt.date(2026, 12, 1), 5, dt.date(2026, 12, 8)),
    ],
)
def test_deadlines_count_working_days_only(start, days, due):
    assert add_working_days(start, days) == due


# --- reporting ---------------------------------------------------------------------------


def test_an_anonymous_report_gets_a_tracking_code_and_its_deadline():
    complaint = _report()
    assert len(complaint.tracking_code) == 8
    assert complaint.status == "received"
    assert complaint.triage_due == dt.date(2026, 12, 4)
    assert not complaint.has_contact
    assert not OutboundMessage.objects.exists()  # nobody to tell


def test_a_reporter_with_a_phone_is_told_the_tracking_code():
    complaint = _report(reporter_phone="0812-3456-7890", reporter_name="Budi")
    message = OutboundMessage.objects.get()
    assert message.to == "6281234567890"
    assert complaint.tracking_code in message.text


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"description": "  "}, "description"),
        ({"category": "gossip"}, "category"),
        ({"occurred_on": dt.date(2026, 12, 2)}, "occurred_on"),
        ({"booking_code": "nonsense"}, "booking_code"),
        ({"reporter_phone": "12"}, "reporter_phone"),
    ],
)
def test_bad_reports_are_refused_with_field_errors_and_store_nothing(kwargs, field):
    with pytest.raises(DomainError) as caught:
        _report(**kwargs)
    assert field in caught.value.fields
    assert not Complaint.objects.exists()


def test_evidence_is_reencoded_without_exif():
    clean = clean_upload("foto.jpg", _jpeg_with_gps(), "image/jpeg")
    assert clean.content_type == "image/jpeg"
    with Image.open(io.BytesIO(clean.content)) as image:
        assert not image.getexif()
    assert b"PhoneMaker" not in clean.content


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("catatan.txt", b"just text", "text/plain"),
        ("foto.jpg", _png(), "image/jpeg"),  # a PNG claiming to be a JPEG
        ("foto.png", _png(), "image/jpeg"),  # declared type lies
        ("besar.png", b"\x89PNG" + b"0" * (MAX_BYTES + 1), "image/png"),
        ("kosong.png", b"", "image/png"),
        ("bom.png", _png(size=(12000, 12000)), "image/png"),  # decompression bomb
        ("surat.pdf", b"%PDF-1.4 /JavaScript (app.alert(1)) %%EOF", "application/pdf"),
        ("rusak.png", _png()[:40], "image/png"),
    ],
)
def test_unacceptable_files_are_refused(name, data, content_type):
    with pytest.raises(DomainError) as caught:
        clean_upload(name, data, content_type)
    assert caught.value.code == "invalid_evidence"


def test_a_refused_file_refuses_the_whole_report():
    uploads = [Upload("ok.png", _png(), "image/png"), Upload("x.txt", b"text", "text/plain")]
    with pytest.raises(DomainError):
        _report(uploads=uploads)
    assert not Complaint.objects.exists()


def test_a_plain_pdf_and_images_are_stored_privately(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    document = pikepdf.new()
    document.add_blank_page()
    out = io.BytesIO()
    document.save(out)
    pdf = out.getvalue()
    complaint = _report(
        uploads=[
            Upload("surat.pdf", pdf, "application/pdf"),
            Upload("foto.png", _png(), "image/png"),
        ]
    )
    stored = list(complaint.evidence.order_by("pk"))
    assert [e.content_type for e in stored] == ["application/pdf", "image/png"]
    assert all((tmp_path / e.file_name).exists() for e in stored)
    assert not str(tmp_path).startswith(str(settings.STATIC_ROOT or "/nonexistent"))


# --- workflow ----------------------------------------------------------------------------


def test_the_workflow_moves_through_the_table_and_records_each_step():
    supervisor = _staff("spv", SUPERVISOR, "tangerang")
    complaint = _report()
    for to in ("triaged", "investigating", "substantiated", "closed"):
        complaint = complaint_transition(
            complaint=complaint, to=to, actor=supervisor, internal_note=f"n-{to}", now=NOW
        )
    assert complaint.status == "closed"
    assert complaint.follow_up_due == dt.date(2026, 12, 8)
    assert list(complaint.events.values_list("to_status", flat=True)) == [
        "received",
        "triaged",
        "investigating",
        "substantiated",
        "closed",
    ]


def test_steps_out_of_order_are_refused_and_only_inspectors_reopen():
    supervisor = _staff("spv", SUPERVISOR, "tangerang")
    inspector = _staff("ins", INSPECTOR)
    complaint = _report()
    with pytest.raises(DomainError) as caught:
        complaint_transition(complaint=complaint, to="closed", actor=supervisor)
    assert caught.value.code == "invalid_transition"
    for to in ("triaged", "investigating", "unsubstantiated", "closed"):
        complaint_transition(complaint=complaint, to=to, actor=supervisor)
    with pytest.raises(DomainError) as caught:
        complaint_transition(complaint=complaint, to="investigating", actor=supervisor)
    assert caught.value.code == "inspector_only"
    assert (
        complaint_transition(complaint=complaint, to="investigating", actor=inspector).status
        == "investigating"
    )


def test_a_supervisor_cannot_touch_another_offices_case_or_one_that_names_a_supervisor():
    supervisor = _staff("spv", SUPERVISOR, "tangerang")
    for complaint in (_report(office="batam"), _report(about_supervisor=True)):
        with pytest.raises(DomainError) as caught:
            complaint_transition(complaint=complaint, to="triaged", actor=supervisor)
        assert caught.value.code == "complaint_not_found"
    inspector = _staff("ins", INSPECTOR)
    assert (
        complaint_transition(
            complaint=_report(about_supervisor=True), to="triaged", actor=inspector
        ).status
        == "triaged"
    )


def test_overdue_cases_are_flagged_and_supervisors_told_once_a_day():
    _staff("spv", SUPERVISOR, "tangerang", phone="6281100000001")
    _staff("spv-batam", SUPERVISOR, "batam", phone="6281100000002")
    _report()
    later = dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIB)  # triage was due on 4 December
    assert overdue_complaints(now=later).count() == 1
    assert complaints_notify_overdue(now=later) == 1
    assert complaints_notify_overdue(now=later) == 0  # told once a day
    assert OutboundMessage.objects.filter(kind="complaints_overdue").count() == 1
    assert OutboundMessage.objects.get(kind="complaints_overdue").to == "6281100000001"


def test_a_concluded_case_closes_itself_after_10_working_days_unless_the_reporter_answers():
    supervisor = _staff("spv", SUPERVISOR, "tangerang")
    quiet, answered = _report(), _report()
    for complaint in (quiet, answered):
        for to in ("triaged", "investigating", "substantiated"):
            complaint_transition(complaint=complaint, to=to, actor=supervisor, now=NOW)
    with time_machine.travel(NOW + dt.timedelta(days=1)):
        complaint_add_information(complaint=answered, text="Ada bukti tambahan.")
    assert complaints_autoclose(now=NOW + dt.timedelta(days=13)) == 0  # 9 working days
    assert complaints_autoclose(now=NOW + dt.timedelta(days=14)) == 1
    quiet.refresh_from_db()
    answered.refresh_from_db()
    assert (quiet.status, answered.status) == ("closed", "substantiated")


# --- API and privacy ------------------------------------------------------------------------


def test_filing_by_api_with_evidence(client, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    response = client.post(
        "/api/v1/complaints/",
        {
            "office": "tangerang",
            "category": "calo",
            "description": "Calo menawarkan nomor antrean Rp1 juta.",
            "evidence": [io.BytesIO(_png()), io.BytesIO(_png())],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "received"
    assert Complaint.objects.get(tracking_code=body["tracking_code"]).evidence.count() == 2


def test_an_invalid_api_report_is_400_with_field_errors(client):
    response = client.post("/api/v1/complaints/", {"office": "tangerang", "category": "x"})
    assert response.status_code == 400
    assert {"category", "description"} <= set(response.json()["error"]["fields"])
    bad_file = client.post(
        "/api/v1/complaints/",
        {
            "office": "tangerang",
            "category": "calo",
            "description": "x",
            "evidence": [io.BytesIO(b"text")],
        },
    )
    assert bad_file.status_code == 400
    assert bad_file.json()["error"]["code"] == "invalid_evidence"


def test_the_tracking_view_shows_status_and_public_notes_only(client):
    supervisor = _staff("spv", SUPERVISOR, "tangerang")
    complaint = _report(
        reporter_name="Budi Rahasia", reporter_phone="081299998888", person_involved="Pak X"
    )
    complaint_transition(
        complaint=complaint,
        to="triaged",
        actor=supervisor,
        internal_note="Petugas loket 3 diperiksa",
        public_note="Laporan sedang ditangani.",
    )
    response = client.get(f"/api/v1/complaints/{complaint.tracking_code.lower()}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Laporan sedang ditangani." in text
    for secret in (
        "Petugas loket 3",
        "Budi Rahasia",
        "081299998888",
        "6281299998888",
        "Pak X",
        "spv",
    ):
        assert secret not in text
    assert client.get("/api/v1/complaints/ZZZZZZZZ/").status_code == 404


def test_the_reporter_adds_information_with_the_tracking_code(client):
    complaint = _report()
    response = client.post(
        f"/api/v1/complaints/{complaint.tracking_code}/information/",
        {"text": "Terjadi lagi hari ini."},
    )
    assert response.status_code == 201
    assert complaint.events.filter(by_reporter=True).count() == 1


def test_staff_see_their_offices_cases_in_the_admin_and_contact_views_are_logged(
    client, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    own = _report(reporter_name="Budi", uploads=[Upload("foto.png", _png(), "image/png")])
    other = _report(office="batam", uploads=[Upload("foto.png", _png(), "image/png")])
    client.force_login(_staff("spv", SUPERVISOR, "tangerang"))
    assert client.get(_admin("change", own)).status_code == 200
    assert ContactAccess.objects.filter(complaint=own).count() == 1
    assert client.get(_admin("change", other)).status_code == 302
    assert client.get(_admin("transition", other)).status_code == 404
    assert client.get(f"/staff/evidence/{own.evidence.get().pk}/").status_code == 200
    assert client.get(f"/staff/evidence/{other.evidence.get().pk}/").status_code == 404
    moved = client.post(
        _admin("transition", own),
        {"to": "triaged", "public_note": "Ditangani."},
    )
    assert moved.status_code == 302
    own.refresh_from_db()
    assert own.status == "triaged"


def test_front_desk_staff_see_no_complaints(client):
    complaint = _report()
    client.force_login(_staff("loket", DESK, "tangerang"))
    assert client.get(_admin("change", complaint)).status_code in (
        302,
        403,
    )
    assert client.get(_admin("changelist")).status_code == 403


def test_the_monthly_report_counts_by_office_and_category(client):
    _report(category="pungli")
    _report(category="calo")
    client.force_login(_staff("ins", INSPECTOR))
    page = client.get(_admin("report")).content.decode()
    assert "Tangerang" in page
    assert "<td>2</td>" in page


def test_lapor_by_whatsapp_files_a_complaint_and_answers_with_the_tracking_code(settings):
    from notifications.inbound import Inbound, receive_inbound

    result = receive_inbound(
        Inbound(
            provider_message_id="wamid.lapor",
            sender="6281234567890",
            text="LAPOR PUNGLI diminta Rp500.000 di loket 3 tadi pagi",
            received_at=NOW,
            to="+628118119000",
        ),
        now=NOW,
    )
    complaint = Complaint.objects.get()
    assert (complaint.category, complaint.channel, complaint.reporter_phone) == (
        "pungli",
        "whatsapp",
        "6281234567890",
    )
    assert complaint.description == "diminta Rp500.000 di loket 3 tadi pagi"
    assert complaint.tracking_code in result.reply
    assert OutboundMessage.objects.filter(to="6281234567890").count() == 1


def test_lapor_without_a_description_explains_the_format():
    from notifications.inbound import Inbound, receive_inbound

    result = receive_inbound(
        Inbound(
            provider_message_id="wamid.l2",
            sender="6281234567890",
            text="lapor",
            received_at=NOW,
            to="+628118119000",
        ),
        now=NOW,
    )
    assert "LAPOR" in result.reply
    assert not Complaint.objects.exists()


def test_a_pdf_hiding_javascript_behind_name_escapes_is_refused():
    with pytest.raises(DomainError):
        clean_upload(
            "surat.pdf",
            b"%PDF-1.4\n<< /OpenAction << /S /J#61vaScript /J#53 (x) >> >>\n%%EOF",
            "application/pdf",
        )


def test_lapor_kepala_goes_to_the_inspectors_only():
    from notifications.inbound import Inbound, receive_inbound

    receive_inbound(
        Inbound(
            provider_message_id="wamid.kepala",
            sender="6591234567",
            text="LAPOR KEPALA PUNGLI minta uang",
            received_at=NOW,
            to="+628118119000",
        ),
        now=NOW,
    )
    complaint = Complaint.objects.get()
    assert complaint.about_supervisor is True
    assert complaint.reporter_phone == "6591234567"  # a number abroad is fine


def test_an_inspector_hears_about_every_office_with_overdue_cases():
    _staff("ins", INSPECTOR, phone="6281100000009")
    _report(office="tangerang")
    _report(office="batam")
    later = dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIB)
    assert complaints_notify_overdue(now=later) == 2
    assert (
        OutboundMessage.objects.filter(kind="complaints_overdue", to="6281100000009").count() == 2
    )


def test_the_case_list_flags_overdue_cases_and_filters_them(client):
    overdue = _report()
    client.force_login(_staff("spv", SUPERVISOR, "tangerang"))
    today = dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIB)
    fresh = complaint_submit(office=overdue.office, category="calo", description="Baru.", now=today)
    with time_machine.travel(today, tick=False):
        client.force_login(User.objects.get(username="spv"))
        everything = client.get(_admin("changelist")).content.decode()
        listed = client.get(_admin("changelist") + "?overdue=yes").content.decode()
    assert everything.count('alt="True"') == 1
    assert fresh.tracking_code in everything
    assert overdue.tracking_code in listed
    assert fresh.tracking_code not in listed
