"""`/api/v1/bookings/...` and the staff's `/api/v1/offices/{code}/...` endpoints.

Thin views: parse, call a service, render. Applicants prove a code is theirs with the
birth date; staff and integrators act only for the offices in their reach.
"""

import functools
import threading

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import codes, holds
from bookings.api_office_day import DAY_PARAMETER, OfficeDayListView
from bookings.applicant import Applicant
from bookings.models import Booking, Channel
from bookings.qr import qr_png, qr_svg
from bookings.serializers import (
    BirthDateSerializer,
    BookingCreateSerializer,
    BookingSerializer,
    CallNextResultSerializer,
    CheckInSerializer,
    PriorityTicketCreateSerializer,
    PriorityTicketSerializer,
    RescheduleSerializer,
    StaffBookingSerializer,
    SubmissionSerializer,
)
from bookings.services import (
    Actor,
    booking_cancel,
    booking_check_in,
    booking_confirm_payment,
    booking_create_family,
    booking_for_applicant,
    booking_mark_collected,
    booking_mark_ready,
    booking_record_submission,
    booking_reschedule,
    priority_ticket_issue,
    queue_call_next,
)
from immigration.errors import API_ERROR, DomainError
from immigration.negotiation import IgnoreClientAccept
from immigration.ratelimit import client_ip
from immigration.sensitive import sensitive_api_view
from offices import schedule
from offices.access import api_client, staff_or_key
from offices.models import ApiScope, Office
from offices.roles import ISSUE_TICKETS, MOVE_BOOKINGS
from offices.scoping import offices_for_user
from offices.selectors import active_office
from offices.throttling import caller_ident

ERROR = API_ERROR
ERRORS = {400: ERROR, 404: ERROR, 409: ERROR, 429: ERROR}


@functools.cache
def _shared(serializer_class):
    """One instance of an output serializer, its fields built once.

    A ModelSerializer builds its fields from the model on every instantiation: that was
    about half of rendering a booking (`make bench-profile`, #19). Rendering keeps no
    state on the instance (`to_representation` reads the fields and the active zone),
    so gunicorn's threads share it."""
    return serializer_class()


_reused = threading.local()


def _validated(serializer_class, data) -> dict:
    """`serializer_class(data=data)`'s validated data, raising its ValidationError, as
    `is_valid(raise_exception=True)` does, through one instance of the class per thread.

    Building an input serializer deep-copies its declared fields (a new instance of
    each, its validators, its error messages): three quarters of validating a booking
    request (#19, bench/README.md "The web side of a booking"). The instance keeps no
    state between calls: the request's data, validated data and errors are set and
    cleared here, and its fields hold none."""
    serializer = _reused.__dict__.get(serializer_class)
    if serializer is None:
        serializer = _reused.__dict__[serializer_class] = serializer_class(data=None)
    serializer.initial_data = data
    try:
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
    finally:
        for name in ("initial_data", "_validated_data", "_errors"):
            serializer.__dict__.pop(name, None)


def _render(serializer_class, bookings, *, many=False) -> dict | list:
    """Times in the office's own zone (all bookings of a call share one office)."""
    first = bookings[0] if many else bookings
    shared = _shared(serializer_class)
    with timezone.override(schedule.office_zone(first.office)):
        if many:
            return [shared.to_representation(booking) for booking in bookings]
        return shared.to_representation(bookings)


def request_language(request) -> str:
    """The applicant's language for what is sent to them later (WhatsApp): the
    request's, id unless it asked for English."""
    return "en" if (getattr(request, "LANGUAGE_CODE", "id") or "id").startswith("en") else "id"


def _applicants_booking(request, code: str, given) -> Booking:
    """The booking `code` names, shown only to whoever gives its birth date."""
    proof = BirthDateSerializer(data=given)
    proof.is_valid(raise_exception=True)
    return booking_for_applicant(
        code=code, birth_date=proof.validated_data["birth_date"], client=caller_ident(request)[1]
    )


class ForbiddenError(DomainError):
    http_status = status.HTTP_403_FORBIDDEN


def booking_authority(request, office: Office) -> tuple[Actor, bool, str]:
    """Who is booking, whether the phone is proven, and the hold client (the waiting
    list's API asks it too: a request is pending unless the phone is proven so).

    - An API key with `bookings:verified-phone`, bound to this office: the gateway has
      verified the number itself; confirmed at once, the key recorded on the event.
      The scope on a key of another office (or of every office) is refused (403).
    - A staff user who works at this office, booking for a walk-in at the desk:
      confirmed at once, the officer recorded as the actor.
    - Anyone else: a hold, counted per key or per network."""
    client = api_client(request)
    if client is not None and client.has_scope(ApiScope.BOOKINGS_VERIFIED_PHONE):
        if client.office_id != office.pk:
            raise ForbiddenError(
                code="scope_wrong_office",
                message=_("This key may book with a verified phone only at its own office."),
            )
        label = f"api:{client.prefix}:{client.name}"
        return Actor.api_client(label, client=client), True, ""
    user = request.user
    if (
        client is None
        and user.is_authenticated
        and user.is_staff
        and user.is_active
        and offices_for_user(user).filter(pk=office.pk).exists()
    ):
        return Actor.staff(user, Channel.DESK), True, ""
    who = holds.hold_client(
        address=client_ip(request), api_key_prefix=client.prefix if client is not None else None
    )
    return Actor.applicant(Channel.API), False, who


def _actor(request) -> Actor:
    caller = request.caller
    if caller.user is not None:
        return Actor.staff(caller.user, Channel.API)
    return Actor.api_client(caller.client.name)


@sensitive_api_view
class BookingCreateView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "booking"

    @extend_schema(
        summary="Book a place (one applicant, or a family from one phone)",
        request=BookingCreateSerializer,
        responses={201: BookingSerializer(many=True), 403: ERROR, **ERRORS},
        description=(
            "Returns a list: the applicant first, then the family members. Conflicts are "
            "409 with codes such as slot_full, day_full, duplicate_booking, limit_reached, "
            "hold_limit_reached, no_show_blocked, office_without_whatsapp.\n\n"
            "**Holds.** The phone typed here is not proven, so the bookings come back with "
            "status `held`: they hold their places for `BOOKING_HOLD_MINUTES` (15) but have "
            "no queue number and are not valid at the door. The applicant confirms by "
            "sending `confirm_text` (`YA <code>`) by WhatsApp from that number to the "
            "office; `confirm_url` is a wa.me link that prefills it. Unconfirmed holds are "
            "released; each client (network or key) may have a few live holds at most. "
            "An office whose WhatsApp number is not published takes no holds: 409 "
            "`office_without_whatsapp` (`whatsapp_number_is_placeholder` in the offices "
            "API); the applicant books in person there.\n\n"
            "**Confirmed at once** (status `booked`): a staff user of the office booking "
            "for a walk-in applicant (session; recorded with the officer as the actor), or "
            "an API key with the `bookings:verified-phone` scope bound to this office (a "
            "gateway that verified the number itself; every booking records the key). "
            "That scope at another office is 403 `scope_wrong_office`."
        ),
    )
    def post(self, request):
        answer = booking_create_answer(request, request.data)
        return Response(answer, status=status.HTTP_201_CREATED)


def booking_create_answer(request, data) -> list[dict]:
    """POST /bookings/'s work once the caller is known and counted: validate `data`,
    book, and the answer's body. Shared by the DRF view and the plain one
    (bookings/api_booking.py), so both refuse and book alike."""
    values = _validated(BookingCreateSerializer, data)
    office = active_office(values["office"])
    if office is None:
        raise Http404
    people = [Applicant(values["name"], values["birth_date"], values.get("nik"))] + [
        Applicant(m["name"], m["birth_date"], m.get("nik")) for m in values.get("family", [])
    ]
    actor, verified, client = booking_authority(request, office)
    bookings = booking_create_family(
        office=office,
        date=values["date"],
        applicants=people,
        phone=values["phone"],
        actor=actor,
        service=values["service"],
        slot_id=values.get("slot"),
        language=request_language(request),
        phone_verified=verified,
        hold_client=client,
        priority=[values.get("priority", "")]
        + [m.get("priority", "") for m in values.get("family", [])],
    )
    return _render(BookingSerializer, bookings, many=True)


BIRTH_DATE = OpenApiParameter(
    "birth_date", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD"
)


@sensitive_api_view
class BookingDetailView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "lookup"

    @extend_schema(
        summary="An applicant's booking (deprecated: use POST .../lookup/)",
        parameters=[BIRTH_DATE],
        responses={200: BookingSerializer, **ERRORS},
        deprecated=True,
        description=(
            "Kept for existing clients. A birth date in a URL ends up in proxy logs, "
            "browser history and error reports; POST it to .../lookup/ instead."
        ),
    )
    def get(self, request, code):
        booking = _applicants_booking(request, code, request.query_params)
        return Response(_render(BookingSerializer, booking))


@sensitive_api_view
class BookingLookupView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "lookup"

    @extend_schema(
        summary="An applicant's booking (the birth date in the body, never in the URL)",
        request=BirthDateSerializer,
        responses={200: BookingSerializer, **ERRORS},
    )
    def post(self, request, code):
        booking = _applicants_booking(request, code, request.data)
        return Response(_render(BookingSerializer, booking))


@sensitive_api_view
class BookingCancelView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "lookup"

    @extend_schema(
        summary="Cancel (frees the place at once)",
        request=BirthDateSerializer,
        responses={200: BookingSerializer, **ERRORS},
    )
    def post(self, request, code):
        booking = _applicants_booking(request, code, request.data)
        booking = booking_cancel(booking=booking, actor=Actor.applicant(Channel.API))
        return Response(_render(BookingSerializer, booking))


@sensitive_api_view
class BookingRescheduleView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "booking"

    @extend_schema(
        summary="Move to another day or time (the old booking is kept if the new place is gone)",
        request=RescheduleSerializer,
        responses={200: BookingSerializer, **ERRORS},
    )
    def post(self, request, code):
        data = RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        booking = booking_for_applicant(
            code=code, birth_date=values["birth_date"], client=caller_ident(request)[1]
        )
        moved = booking_reschedule(
            booking=booking,
            date=values["date"],
            slot_id=values.get("slot"),
            actor=Actor.applicant(Channel.API),
        )
        return Response(_render(BookingSerializer, moved))


class BookingQrView(APIView):
    """The QR image of a code; it encodes the code only, so it needs no birth date."""

    permission_classes = [AllowAny]
    throttle_scope = "lookup"
    content_negotiation_class = IgnoreClientAccept

    @extend_schema(
        summary="QR code of a booking code (PNG or SVG)",
        responses={
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "image/svg+xml"): OpenApiTypes.BINARY,
            404: ERROR,
        },
    )
    def get(self, request, code, fmt):
        # Drawn from the code alone, without asking the database: the answer must not
        # tell whether a guessed code exists.
        canonical = codes.canonical(code)
        if canonical is None:
            raise Http404
        if fmt == "svg":
            response = HttpResponse(qr_svg(canonical), content_type="image/svg+xml")
        else:
            response = HttpResponse(qr_png(canonical), content_type="image/png")
        response["Cache-Control"] = "private, max-age=86400"
        return response


# --- staff and integrators -------------------------------------------------------------


def _staff_booking(request, code: str) -> Booking:
    canonical = codes.canonical(code)
    booking = (
        Booking.objects.select_related("office", "slot")
        .filter(code=canonical, office__in=request.caller.offices())
        .first()
        if canonical
        else None
    )
    if booking is None:
        raise Http404
    return booking


@sensitive_api_view
class CheckInView(APIView):
    permission_classes = [staff_or_key(ApiScope.DESK, MOVE_BOOKINGS)]

    @extend_schema(
        summary="Check a booking in at the door (staff)",
        request=CheckInSerializer,
        responses={200: StaffBookingSerializer, **ERRORS},
    )
    def post(self, request, code):
        data = CheckInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        office = _acting_office(request, data.validated_data.get("office"))
        booking = booking_check_in(office=office, code=code, actor=_actor(request))
        return Response(_render(StaffBookingSerializer, booking))


def _acting_office(request, code: str | None) -> Office:
    """The office a door/desk call acts for: the caller's only office, or the one named."""
    offices = request.caller.offices()
    if code:
        return request.caller.office_for(code)
    only = list(offices[:2])
    if len(only) != 1:
        raise DomainError(
            code="office_required",
            message=_("Say which office this is for."),
            fields={"office": [_("Required for staff of several offices.")]},
        )
    return only[0]


@sensitive_api_view
class SubmissionView(APIView):
    permission_classes = [staff_or_key(ApiScope.DESK, MOVE_BOOKINGS)]

    @extend_schema(
        summary="Record the fee and billing code after the interview (staff)",
        description=(
            "Records the counter service too: in turn when the booking is the counter's "
            "latest call by call next, otherwise the reason is required (400, "
            "out_of_turn_reason_required) and nothing changes."
        ),
        request=SubmissionSerializer,
        responses={200: StaffBookingSerializer, **ERRORS},
    )
    def post(self, request, code):
        data = SubmissionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        booking = booking_record_submission(
            booking=_staff_booking(request, code),
            fee_code=values["fee"],
            billing_code=values["billing_code"],
            counter=values["counter"],
            out_of_turn_reason=values.get("out_of_turn_reason"),
            out_of_turn_note=values.get("out_of_turn_note", ""),
            actor=_actor(request),
        )
        return Response(_render(StaffBookingSerializer, booking))


def _step_view(service, scope: str, summary: str):
    @sensitive_api_view
    class StepView(APIView):
        permission_classes = [staff_or_key(scope, MOVE_BOOKINGS)]

        @extend_schema(
            summary=summary, request=None, responses={200: StaffBookingSerializer, **ERRORS}
        )
        def post(self, request, code):
            booking = service(booking=_staff_booking(request, code), actor=_actor(request))
            return Response(_render(StaffBookingSerializer, booking))

    StepView.__name__ = f"{service.__name__.title().replace('_', '')}View"
    return StepView


PaymentView = _step_view(
    booking_confirm_payment, ApiScope.PAYMENTS_CONFIRM, "Confirm the payment (staff or bank)"
)
ReadyView = _step_view(
    booking_mark_ready, ApiScope.DESK, "The passport is printed and ready (staff)"
)
CollectedView = _step_view(
    booking_mark_collected, ApiScope.DESK, "The passport was collected (staff)"
)


@sensitive_api_view
class StaffCancelView(APIView):
    permission_classes = [staff_or_key(ApiScope.DESK, MOVE_BOOKINGS)]

    @extend_schema(
        summary="Cancel a booking of your office (staff)",
        request=None,
        responses={200: StaffBookingSerializer, **ERRORS},
    )
    def post(self, request, code):
        booking = booking_cancel(booking=_staff_booking(request, code), actor=_actor(request))
        return Response(_render(StaffBookingSerializer, booking))


@sensitive_api_view
@extend_schema_view(
    get=extend_schema(
        summary="An office's bookings of a day (its own staff and keys only)",
        parameters=[DAY_PARAMETER],
        responses={200: StaffBookingSerializer(many=True), **ERRORS},
    )
)
class OfficeBookingsView(OfficeDayListView):
    row_serializer = StaffBookingSerializer

    def rows(self, office, day):
        return list(
            Booking.objects.filter(office=office, date=day)
            .select_related("office", "slot")
            .order_by("queue_seq")
        )


class PriorityTicketView(APIView):
    permission_classes = [staff_or_key(ApiScope.DESK, ISSUE_TICKETS)]

    @extend_schema(
        summary="Issue a walk-in priority ticket (staff)",
        request=PriorityTicketCreateSerializer,
        responses={201: PriorityTicketSerializer, **ERRORS},
    )
    def post(self, request, code):
        office = request.caller.office_for(code)
        data = PriorityTicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = priority_ticket_issue(
            office=office, category=data.validated_data["category"], actor=_actor(request)
        )
        return Response(PriorityTicketSerializer(ticket).data, status=status.HTTP_201_CREATED)


class CallNextView(APIView):
    """Call next, as the counter page does: the only way to make a service in turn."""

    permission_classes = [staff_or_key(ApiScope.DESK, MOVE_BOOKINGS)]

    @extend_schema(
        summary="Call the next number to a counter (staff)",
        request=None,
        responses={200: CallNextResultSerializer, **ERRORS},
        description=(
            "Priority tickets first, then checked-in bookings in queue order; `called` is "
            "null when nobody is waiting. A submission of the called booking at this "
            "counter is in turn until the next call there."
        ),
    )
    def post(self, request, code, counter):
        office = request.caller.office_for(code)
        call = queue_call_next(office=office, counter=counter, actor=_actor(request))
        with timezone.override(schedule.office_zone(office)):
            return Response(CallNextResultSerializer({"called": call}).data)
