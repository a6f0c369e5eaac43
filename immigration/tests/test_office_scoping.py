"""Office scoping, enumerated: every URL the project serves is classified here, and an
officer of office A (Tangerang) holding every role and every permission of our apps is
sent to each one against office B's (Batam's) rows. None may show B's data: detail
views refuse (403, 404, or the admin's redirect), lists leave B's rows out while
showing A's, and office choices offer only A.

A new URL fails `test_every_url_is_classified` until it is added to CLASSIFIED with the
treatment it deserves.
"""

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from PIL import Image

from bookings.models import CounterCall
from bookings.services import (
    Actor,
    booking_check_in,
    booking_record_submission,
    priority_ticket_issue,
    queue_call_next,
)
from bookings.tests.factories import DAY, NOW, applicant, book
from complaints.models import ContactAccess
from complaints.services import Upload, complaint_submit
from immigration.tests.urlwalk import url_patterns
from notifications.models import InboundMessage, OutboundMessage
from offices.models import ApiClient, Office, OfficerProfile
from offices.roles import ensure_role_groups

pytestmark = pytest.mark.django_db


@dataclass
class World:
    client: Client
    officer: User
    a: Office
    b: Office
    own: dict
    theirs: dict


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(out, format="PNG")
    return out.getvalue()


def _office_rows(office: Office, tag: str) -> dict:
    booking = book(office, now=NOW, person=applicant(f"PEMOHON RAHASIA {tag}"))
    actor = Actor.system()
    ticket = priority_ticket_issue(office=office, category="elderly", actor=actor, now=NOW)
    queue_call_next(office=office, counter=1, actor=actor, now=NOW)
    complaint = complaint_submit(
        office=office,
        category="pungli",
        description=f"Laporan rahasia {tag}",
        reporter_phone="081234567890",
        uploads=[Upload(f"bukti-{tag}.png", _png(), "image/png")],
        now=NOW,
    )
    colleague = User.objects.create_user(f"officer-{tag}", is_staff=True)
    profile = OfficerProfile.objects.create(user=colleague, office=office)
    api_client, _key = ApiClient.objects.create_key(name=f"kiosk-{tag}", office=office)
    inbound = InboundMessage.objects.create(
        provider_message_id=f"wamid-{tag}",
        sender=booking.phone,
        office_code=office.code,
        text=f"STATUS {booking.code}",
        received_at=NOW,
    )
    outbound = OutboundMessage.objects.create(
        to=booking.phone, kind="reply", text=f"Balasan rahasia {tag}", subject="x"
    )
    served = _served_out_of_turn(office, tag)
    return {
        **_waitlist_rows(office, tag, booking),
        **_draw_rows(office, tag),
        "office": office,
        "counterservice": served.counter_service,
        "booking": booking,
        "slot": booking.slot,
        "priorityticket": ticket,
        "countercall": CounterCall.objects.get(office=office),
        "complaint": complaint,
        "evidence": complaint.evidence.get(),
        "contactaccess": ContactAccess.objects.create(
            complaint=complaint, user=colleague, where="admin"
        ),
        "officerprofile": profile,
        "apiclient": api_client,
        "inboundmessage": inbound,
        "outboundmessage": outbound,
        "user": colleague,
        "group": None,
        **_failed_logins(colleague.username),
    }


def _waitlist_rows(office: Office, tag: str, booking) -> dict:
    """A waiting-list request (with its person and an offer), a priority quota and a
    priority day of the office: rows the waitlist admin must keep to their office."""
    from waitlist.models import PriorityDay, PriorityQuota, WaitlistOffer, WaitlistRequest

    request = WaitlistRequest.objects.create(
        office=office,
        date=DAY,
        ref=f"WL{tag}23456"[:8],
        position=1,
        state="waiting",
        phone=booking.phone,
        channel="web",
        people_count=1,
        joined_at=NOW,
    )
    request.people.create(name=f"PEMOHON RAHASIA {tag} MENUNGGU", birth_date=dt.date(1990, 5, 17))
    offer = WaitlistOffer.objects.create(
        request=request,
        office=office,
        date=DAY,
        first_booking=booking,
        places=1,
        state="open",
        offered_at=NOW,
        expires_at=NOW + dt.timedelta(hours=2),
    )
    return {
        "waitlistrequest": request,
        "waitlistoffer": offer,
        "priorityquota": PriorityQuota.objects.create(
            office=office, valid_from=DAY, places=2, release_hours=48
        ),
        "priorityday": PriorityDay.objects.create(
            office=office, date=DAY, kept=2, release_at=NOW + dt.timedelta(days=3)
        ),
    }


def _draw_rows(office: Office, tag: str) -> dict:
    """A draw policy, a draw and an entry naming a person of the office."""
    from release.models import Draw, DrawEntry, ReleasePolicy

    first = DAY + dt.timedelta(days=28)
    policy = ReleasePolicy.objects.create(office=office, mode="draw", applies_from=first)
    draw = Draw.objects.create(
        office=office,
        policy=policy,
        first_day=first,
        last_day=first + dt.timedelta(days=6),
        opens_at=NOW + dt.timedelta(days=20),
        closes_at=NOW + dt.timedelta(days=21),
        seed="0" * 64,
        commitment="1" * 64,
        committed_at=NOW,
    )
    entry = DrawEntry.objects.create(
        draw=draw,
        reference=f"UD{tag}23456"[:8],
        pseudonym=f"pseudo{tag}",
        phone="6281234567890",
        channel="web",
        people=[{"name": f"PEMOHON RAHASIA {tag} UNDIAN", "birth_date": "1990-05-17"}],
        people_count=1,
        preferences=[first.isoformat()],
        created_at=NOW,
    )
    return {"releasepolicy": policy, "draw": draw, "drawentry": entry}


def _served_out_of_turn(office: Office, tag: str):
    """A second booking of the office, served at a counter out of turn (with a note)."""
    booking = book(office, now=NOW, person=applicant(f"PEMOHON RAHASIA {tag} LOKET"))
    morning = dt.datetime.combine(DAY, dt.time(7, 50), tzinfo=ZoneInfo(office.timezone))
    booking_check_in(office=office, code=booking.code, actor=Actor.system(), now=morning)
    return booking_record_submission(
        booking=booking,
        fee_code="paspor-biasa-48",
        billing_code="820261207000123",
        counter=1,
        out_of_turn_reason="other",
        out_of_turn_note=f"PEMOHON RAHASIA {tag} dilayani duluan",
        actor=Actor.system(),
        now=morning + dt.timedelta(minutes=30),
    )


def _failed_logins(username: str) -> dict:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    seen = {"username": username, "ip_address": "203.0.113.9", "user_agent": "x"}
    seen |= {"http_accept": "*/*", "path_info": "/admin/login/"}
    return {
        "accessattempt": AccessAttempt.objects.create(
            **seen, get_data="", post_data="", failures_since_start=1
        ),
        "accesslog": AccessLog.objects.create(**seen),
        "accessfailurelog": AccessFailureLog.objects.create(**seen),
    }


@pytest.fixture
def world(settings, tmp_path) -> World:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    a, b = Office.objects.get(code="tangerang"), Office.objects.get(code="batam")
    own, theirs = _office_rows(a, "A"), _office_rows(b, "B")
    groups = ensure_role_groups()
    own["group"] = theirs["group"] = groups["desk"]
    officer = User.objects.create_user("officer-of-a", is_staff=True)
    OfficerProfile.objects.create(user=officer, office=a)
    officer.groups.set(groups.values())
    ours = ContentType.objects.filter(
        app_label__in=["offices", "bookings", "complaints", "notifications", "waitlist", "release"]
    )
    officer.user_permissions.set(Permission.objects.filter(content_type__in=ours))
    client = Client()
    client.force_login(officer)
    return World(client, officer, a, b, own, theirs)


# --- treatments -------------------------------------------------------------------------

Check = Callable[[World], None]


def _refused(response) -> None:
    """A detail of B's: refused, never shown."""
    assert response.status_code in {302, 403, 404}, response.status_code
    if response.status_code == 302:
        assert "/change/" not in response["Location"]


def _no_b(response, w: World) -> None:
    body = response.content.decode(errors="replace")
    for secret in ("PEMOHON RAHASIA B", "Laporan rahasia B", "bukti-B", "Balasan rahasia B"):
        assert secret not in body


def public(reason: str, path: Callable[[World], str]) -> Check:
    """Pages for anyone (by bearer code or none): staff identity adds nothing."""

    def check(w: World) -> None:
        response = w.client.get(path(w))
        assert response.status_code < 500

    check.reason = reason
    return check


def no_office_data(path: str) -> Check:
    def check(w: World) -> None:
        response = w.client.get(path)
        assert response.status_code < 500
        _no_b(response, w)

    return check


def forbidden(path: Callable[[World], str]) -> Check:
    def check(w: World) -> None:
        assert w.client.get(path(w)).status_code == 403

    return check


def _admin_url(name: str, model: str, obj=None) -> str:
    app = {
        "office": "offices",
        "slot": "offices",
        "officerprofile": "offices",
        "apiclient": "offices",
        "booking": "bookings",
        "priorityticket": "bookings",
        "fee": "bookings",
        "countercall": "bookings",
        "counterservice": "bookings",
        "complaint": "complaints",
        "contactaccess": "complaints",
        "outboundmessage": "notifications",
        "inboundmessage": "notifications",
        "user": "auth",
        "group": "auth",
        "accessattempt": "axes",
        "accesslog": "axes",
        "accessfailurelog": "axes",
        "waitlistrequest": "waitlist",
        "waitlistoffer": "waitlist",
        "priorityquota": "waitlist",
        "priorityday": "waitlist",
        "releasepolicy": "release",
        "draw": "release",
        "drawentry": "release",
    }[model]
    args = [obj.pk] if obj is not None else []
    return reverse(f"admin:{app}_{model}_{name}", args=args)


def admin_scoped(model: str, view: str, *, own_visible: bool = True) -> Check:
    """An admin of office rows: A's are there (so the check can fail), B's are not."""

    def check(w: World) -> None:
        own, theirs = w.own[model], w.theirs[model]
        if view == "changelist":
            response = w.client.get(_admin_url("changelist", model))
            assert response.status_code == 200
            body = response.content.decode()
            assert (_admin_url("change", model, own) in body) is own_visible
            assert _admin_url("change", model, theirs) not in body
            _no_b(response, w)
        elif view == "add":
            response = w.client.get(_admin_url("add", model))
            if response.status_code == 200:
                assert w.b.name not in response.content.decode()
            else:
                assert response.status_code == 403
        elif view == "redirect":
            url = _admin_url("change", model, theirs).removesuffix("change/")
            response = w.client.get(url)
            assert response.status_code == 302
            _refused(w.client.get(response["Location"]))
        else:
            if own_visible and view == "change":
                assert w.client.get(_admin_url(view, model, own)).status_code == 200
            _refused(w.client.get(_admin_url(view, model, theirs)))

    return check


def admin_forbidden(model: str, view: str) -> Check:
    """An admin the officer may not open at all, whatever the row."""

    def check(w: World) -> None:
        if view in {"changelist", "add"}:
            assert w.client.get(_admin_url(view, model)).status_code == 403
            return
        for obj in (w.own[model], w.theirs[model]):
            if view == "redirect":
                url = _admin_url("change", model, obj).removesuffix("change/")
                response = w.client.get(url)
                assert response.status_code in {302, 403}
                if response.status_code == 302:
                    assert w.client.get(response["Location"]).status_code == 403
            else:
                _refused(w.client.get(_admin_url(view, model, obj)))

    return check


def admin_national(model: str, view: str) -> Check:
    """Rows of no office (the fee table): the same for everyone."""

    def check(w: World) -> None:
        if view == "changelist":
            assert w.client.get(_admin_url("changelist", model)).status_code == 200

    return check


ADMIN_VIEWS = {
    "": "changelist",
    "add/": "add",
    "<path:object_id>/history/": "history",
    "<path:object_id>/delete/": "delete",
    "<path:object_id>/change/": "change",
    "<path:object_id>/": "redirect",
}
# How each registered model admin treats an officer of another office.
ADMIN_MODELS: dict[str, Callable[[str, str], Check]] = {
    "offices/office": admin_scoped,
    "offices/slot": admin_scoped,
    "offices/officerprofile": admin_forbidden,  # headquarters assigns officers
    "offices/apiclient": admin_forbidden,  # a key may act for every office
    "bookings/booking": admin_scoped,
    "bookings/priorityticket": admin_scoped,
    "bookings/fee": admin_national,
    "bookings/countercall": admin_scoped,
    "bookings/counterservice": admin_scoped,
    "complaints/complaint": admin_scoped,
    # Inspectors only (headquarters): an officer's list is empty.
    "complaints/contactaccess": lambda model, view: admin_scoped(model, view, own_visible=False),
    # Messages of every office's applicants: superusers (operations) only.
    "notifications/outboundmessage": admin_forbidden,
    "notifications/inboundmessage": admin_forbidden,
    "auth/user": admin_forbidden,  # accounts are headquarters' business
    "auth/group": admin_forbidden,
    # Failed logins (usernames, addresses): superusers only.
    "axes/accessattempt": admin_forbidden,
    "axes/accesslog": admin_forbidden,
    "axes/accessfailurelog": admin_forbidden,
    "waitlist/waitlistrequest": admin_scoped,
    "waitlist/waitlistoffer": admin_scoped,
    "waitlist/priorityquota": admin_scoped,
    "waitlist/priorityday": admin_scoped,
    "release/releasepolicy": admin_scoped,
    "release/draw": admin_scoped,
    "release/drawentry": admin_scoped,
}


def _door_with_their_code(w: World) -> None:
    assert w.client.get("/loket/pintu/?office=batam").status_code == 403
    response = w.client.post(
        "/loket/pintu/", {"office": "tangerang", "code": w.theirs["booking"].code}
    )
    assert response.status_code == 200
    _no_b(response, w)


def _queue(w: World) -> None:
    assert w.client.get("/loket/antrean/?office=batam").status_code == 403
    assert w.client.post("/loket/antrean/", {"office": "batam", "counter": "1"}).status_code == 403
    own = w.client.get("/loket/antrean/?office=tangerang")
    assert own.status_code == 200
    _no_b(own, w)


def _counter(w: World) -> None:
    assert w.client.get("/loket/layanan/?office=batam&counter=1").status_code == 403
    call = {"office": "batam", "counter": "1", "action": "call"}
    assert w.client.post("/loket/layanan/", call).status_code == 403
    theirs = w.theirs["booking"]
    served = w.client.post(
        "/loket/layanan/",
        {
            "office": "tangerang",
            "counter": "1",
            "code": theirs.code,
            "fee": "paspor-biasa-48",
            "billing_code": "820261207000123",
            "out_of_turn_reason": "supervisor",
        },
    )
    assert served.status_code == 400
    _no_b(served, w)
    theirs.refresh_from_db()
    assert theirs.status == "booked"
    own = w.client.get("/loket/layanan/?office=tangerang&counter=1")
    assert own.status_code == 200
    _no_b(own, w)


def _dashboard(w: World) -> None:
    for query in ("", "?office=batam"):
        response = w.client.get(f"/dasbor/{query}")
        assert response.status_code == 200
        _no_b(response, w)
        assert w.b.name not in response.content.decode()
    own = w.client.get("/dasbor/?office=tangerang&csv=complaints").content.decode()
    theirs = w.client.get("/dasbor/?office=batam&csv=complaints").content.decode()
    assert len(own.strip().splitlines()) == 2
    assert len(theirs.strip().splitlines()) == 1


def _evidence(w: World) -> None:
    assert w.client.get(f"/staff/evidence/{w.own['evidence'].pk}/").status_code == 200
    assert w.client.get(f"/staff/evidence/{w.theirs['evidence'].pk}/").status_code == 404


def _transition(w: World) -> None:
    url = reverse("admin:complaints_complaint_transition", args=[w.own["complaint"].pk])
    assert w.client.get(url).status_code == 200
    theirs = reverse("admin:complaints_complaint_transition", args=[w.theirs["complaint"].pk])
    assert w.client.get(theirs).status_code == 404


def _complaint_report(w: World) -> None:
    response = w.client.get(reverse("admin:complaints_complaint_report"))
    assert response.status_code == 200
    body = response.content.decode()
    assert w.a.name in body
    assert w.b.name not in body


def _autocomplete(w: World) -> None:
    # Offices are offered through the office admin's own (scoped) queryset.
    response = w.client.get(
        "/admin/autocomplete/",
        {"app_label": "offices", "model_name": "officerprofile", "field_name": "office"},
    )
    assert response.status_code == 200
    offered = {item["text"] for item in response.json()["results"]}
    assert offered == {w.a.name}


def _view_on_site(w: World) -> None:
    content_type = ContentType.objects.get_for_model(w.theirs["booking"])
    response = w.client.get(f"/admin/r/{content_type.pk}/{w.theirs['booking'].pk}/")
    assert response.status_code == 404


def _api_office_bookings(w: World) -> None:
    assert w.client.get("/api/v1/offices/tangerang/bookings/?date=2026-12-07").status_code == 200
    response = w.client.get("/api/v1/offices/batam/bookings/?date=2026-12-07")
    assert response.status_code == 404
    _no_b(response, w)


def _api_office_waitlist(w: World) -> None:
    own = w.client.get("/api/v1/offices/tangerang/waitlist/?date=2026-12-07")
    assert own.status_code == 200
    assert [r["ref"] for r in own.json()] == [w.own["waitlistrequest"].display_ref]
    response = w.client.get("/api/v1/offices/batam/waitlist/?date=2026-12-07")
    assert response.status_code == 404
    _no_b(response, w)
    assert w.theirs["waitlistrequest"].display_ref not in response.content.decode()


def _api_priority_tickets(w: World) -> None:
    response = w.client.post(
        "/api/v1/offices/batam/priority-tickets/",
        {"category": "elderly"},
        content_type="application/json",
    )
    assert response.status_code == 404


def _api_call_next(w: World) -> None:
    response = w.client.post(
        "/api/v1/offices/batam/counters/1/call-next/", content_type="application/json"
    )
    assert response.status_code == 404
    _no_b(response, w)
    assert (
        w.client.post(
            "/api/v1/offices/tangerang/counters/1/call-next/", content_type="application/json"
        ).status_code
        == 200
    )


def _api_step(step: str, body: dict | None = None) -> Check:
    def check(w: World) -> None:
        response = w.client.post(
            f"/api/v1/bookings/{w.theirs['booking'].code}/{step}/",
            body or {},
            content_type="application/json",
        )
        assert response.status_code == 404
        _no_b(response, w)

    return check


def _api_check_in(w: World) -> None:
    code = w.theirs["booking"].code
    named = w.client.post(
        f"/api/v1/bookings/{code}/check-in/", {"office": "batam"}, content_type="application/json"
    )
    assert named.status_code == 404
    url = f"/api/v1/bookings/{code}/check-in/"
    at_own_door = w.client.post(url, content_type="application/json")
    unknown = w.client.post("/api/v1/bookings/ZZZZZZZ2/check-in/", content_type="application/json")
    # B's code at A's door is a code nobody has: same status, same body.
    assert at_own_door.status_code == unknown.status_code == 404
    assert at_own_door.json() == unknown.json()
    _no_b(at_own_door, w)


def _api_gateway(w: World) -> None:
    response = w.client.post(
        "/api/v1/whatsapp/messages/",
        {"id": "x1", "from": "6281234567890", "to": w.b.whatsapp_number, "text": "INFO"},
        content_type="application/json",
    )
    # The gateway is for integrators' keys only: no staff session speaks through it.
    assert response.status_code == 403
    assert not InboundMessage.objects.filter(provider_message_id__contains=":x1").exists()


def _booking_code(w: World) -> str:
    return w.theirs["booking"].code


def _tracking_code(w: World) -> str:
    return w.theirs["complaint"].tracking_code


BEARER = "public: the code is the applicant's own secret; staff identity adds nothing"
PUBLIC = "public: shows nothing of any office beyond its published details"
CODE = "(?P<code>[A-Za-z0-9-]{8,9})"
REF = "(?P<ref>[A-Za-z0-9-]{8,9})"
ADMIN_APPS = (
    "admin/^(?P<app_label>auth|axes|offices|bookings|notifications|complaints|waitlist|release)/$"
)
CLASSIFIED: dict[str, Check] = {
    "": no_office_data("/"),
    "healthz": no_office_data("/healthz"),
    "pesan/": public(PUBLIC, lambda w: "/pesan/"),
    "pesan/<str:code>/": public(BEARER, lambda w: f"/pesan/{_booking_code(w)}/"),
    "pesan/<str:code>/kalender.ics": public(
        BEARER, lambda w: f"/pesan/{_booking_code(w)}/kalender.ics"
    ),
    "cek/": public(BEARER, lambda w: "/cek/"),
    "loket/pintu/": _door_with_their_code,
    "loket/antrean/": _queue,
    "loket/layanan/": _counter,
    "papan/<slug:code>/": lambda w: _no_b(w.client.get("/papan/batam/"), w),
    "dasbor/": _dashboard,
    "lapor/": public(PUBLIC, lambda w: "/lapor/"),
    "lapor/lacak/": public(BEARER, lambda w: "/lapor/lacak/"),
    "lapor/<str:code>/": public(BEARER, lambda w: f"/lapor/{_tracking_code(w)}/"),
    "i18n/setlang/": public(PUBLIC, lambda w: "/i18n/setlang/"),
    "tunggu/": public(PUBLIC, lambda w: "/tunggu/?office=batam"),
    "cek/tunggu/": public(BEARER, lambda w: "/cek/tunggu/"),
    "undian/entri/<str:reference>/": public(
        BEARER, lambda w: f"/undian/entri/{w.theirs['drawentry'].reference}/"
    ),
    "undian/<slug:office>/<str:release>/": lambda w: _no_b(
        w.client.get(f"/undian/batam/{w.theirs['draw'].first_day.isoformat()}/"), w
    ),
    "undian/<slug:office>/<str:release>.json": lambda w: _no_b(
        w.client.get(f"/undian/batam/{w.theirs['draw'].first_day.isoformat()}.json"), w
    ),
    "undian/<slug:office>/<str:release>/ikut/": public(
        PUBLIC, lambda w: f"/undian/batam/{w.theirs['draw'].first_day.isoformat()}/ikut/"
    ),
    "staff/evidence/<int:pk>/": _evidence,
    # The API: public endpoints answer anyone alike; staff ones only for A's rows.
    "api/v1/^offices/$": public(PUBLIC, lambda w: "/api/v1/offices/"),
    "api/v1/^offices/(?P<code>[a-z0-9-]+)/$": public(PUBLIC, lambda w: "/api/v1/offices/batam/"),
    "api/v1/^offices/(?P<code>[a-z0-9-]+)/availability/$": public(
        PUBLIC, lambda w: "/api/v1/offices/batam/availability/?date=2026-12-07"
    ),
    "api/v1/whatsapp/webhook/": public(
        "public: Meta's deliveries, signed", lambda w: "/api/v1/whatsapp/webhook/"
    ),
    "api/v1/whatsapp/messages/": _api_gateway,
    "api/v1/bookings/": public(PUBLIC, lambda w: "/api/v1/bookings/"),
    f"api/v1/^bookings/{CODE}/$": public(
        BEARER, lambda w: f"/api/v1/bookings/{_booking_code(w)}/?birth_date=1990-05-17"
    ),
    f"api/v1/^bookings/{CODE}/lookup/$": public(
        BEARER, lambda w: f"/api/v1/bookings/{_booking_code(w)}/lookup/"
    ),
    f"api/v1/^bookings/{CODE}/qr\\.(?P<fmt>png|svg)$": public(
        "public: drawn from the code alone", lambda w: f"/api/v1/bookings/{_booking_code(w)}/qr.png"
    ),
    f"api/v1/^bookings/{CODE}/cancel/$": public(
        BEARER, lambda w: f"/api/v1/bookings/{_booking_code(w)}/cancel/"
    ),
    f"api/v1/^bookings/{CODE}/reschedule/$": public(
        BEARER, lambda w: f"/api/v1/bookings/{_booking_code(w)}/reschedule/"
    ),
    f"api/v1/^bookings/{CODE}/check-in/$": _api_check_in,
    f"api/v1/^bookings/{CODE}/submission/$": _api_step(
        "submission",
        {"fee": "paspor-biasa-48", "billing_code": "820261234567890", "counter": 1},
    ),
    f"api/v1/^bookings/{CODE}/payment/$": _api_step("payment"),
    f"api/v1/^bookings/{CODE}/ready/$": _api_step("ready"),
    f"api/v1/^bookings/{CODE}/collected/$": _api_step("collected"),
    f"api/v1/^bookings/{CODE}/staff-cancel/$": _api_step("staff-cancel"),
    "api/v1/offices/<slug:code>/bookings/": _api_office_bookings,
    "api/v1/offices/<slug:code>/priority-tickets/": _api_priority_tickets,
    "api/v1/offices/<slug:code>/counters/<int:counter>/call-next/": _api_call_next,
    "api/v1/waitlist/": public(PUBLIC, lambda w: "/api/v1/waitlist/"),
    f"api/v1/^waitlist/{REF}/lookup/$": public(
        BEARER, lambda w: f"/api/v1/waitlist/{w.theirs['waitlistrequest'].ref}/lookup/"
    ),
    f"api/v1/^waitlist/{REF}/leave/$": public(
        BEARER, lambda w: f"/api/v1/waitlist/{w.theirs['waitlistrequest'].ref}/leave/"
    ),
    "api/v1/offices/<slug:code>/waitlist/": _api_office_waitlist,
    "api/v1/complaints/": public(PUBLIC, lambda w: "/api/v1/complaints/"),
    f"api/v1/^complaints/{CODE}/$": public(
        BEARER, lambda w: f"/api/v1/complaints/{_tracking_code(w)}/"
    ),
    f"api/v1/^complaints/{CODE}/information/$": public(
        BEARER, lambda w: f"/api/v1/complaints/{_tracking_code(w)}/information/"
    ),
    "api/v1/schema/": no_office_data("/api/v1/schema/"),
    "api/v1/docs/": no_office_data("/api/v1/docs/"),
    # The admin's own pages, then each registered model's.
    "admin/": no_office_data("/admin/"),
    "admin/login/": no_office_data("/admin/login/"),
    "admin/logout/": public(PUBLIC, lambda w: "/admin/logout/"),
    "admin/password_change/": no_office_data("/admin/password_change/"),
    "admin/password_change/done/": no_office_data("/admin/password_change/done/"),
    "admin/autocomplete/": _autocomplete,
    "admin/jsi18n/": no_office_data("/admin/jsi18n/"),
    "admin/r/<path:content_type_id>/<path:object_id>/": _view_on_site,
    ADMIN_APPS: no_office_data("/admin/bookings/"),
    "admin/(?P<url>.*)$": no_office_data("/admin/nothing/here/"),
    "admin/auth/user/<id>/password/": forbidden(
        lambda w: f"/admin/auth/user/{w.theirs['user'].pk}/password/"
    ),
    "admin/complaints/complaint/<int:pk>/transition/": _transition,
    "admin/complaints/complaint/report/": _complaint_report,
}
for _model, _treatment in ADMIN_MODELS.items():
    for _suffix, _view in ADMIN_VIEWS.items():
        CLASSIFIED[f"admin/{_model}/{_suffix}"] = _treatment(_model.split("/")[1], _view)


def test_every_url_is_classified():
    walked = {text for text, _pattern in url_patterns()}
    assert walked - set(CLASSIFIED) == set(), "classify these new URLs"
    assert set(CLASSIFIED) - walked == set(), "these URLs are gone"


def test_every_registered_model_admin_is_classified():
    registered = {f"{m._meta.app_label}/{m._meta.model_name}" for m in admin.site._registry}
    assert registered == set(ADMIN_MODELS)


@pytest.mark.parametrize("pattern", sorted(CLASSIFIED))
def test_an_officer_of_a_never_sees_office_bs_data(world, pattern):
    CLASSIFIED[pattern](world)


def test_the_scoping_check_notices_a_leak(world):
    """The treatments can fail: shown B's booking, `_refused` and `_no_b` object."""
    with pytest.raises(AssertionError):
        _refused(type("R", (), {"status_code": 200})())
    leak = type("R", (), {"content": b"PEMOHON RAHASIA B"})()
    with pytest.raises(AssertionError):
        _no_b(leak, world)
