"""`/api/v1/waitlist/...`: join a full day's waiting list, see one's position, leave;
and `/api/v1/offices/{code}/waitlist/` for the office's own staff and keys.

Thin views, as the bookings API: parse, call a service, render. A request's phone is
proven as for a booking (bookings.api.booking_authority): from anyone else it is
`pending` until `YA <ref>` arrives by WhatsApp from the typed number. Applicants prove
a reference is theirs with a birth date of one of its people (with the lookup's guess
limit, bookings/lookup.py).
"""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.api import ERROR, ERRORS, booking_authority, request_language
from bookings.api_office_day import DAY_PARAMETER, OfficeDayListView
from bookings.applicant import Applicant
from bookings.serializers import BirthDateSerializer
from immigration.sensitive import sensitive_api_view
from offices import schedule
from offices.selectors import active_offices
from offices.throttling import caller_ident
from waitlist.models import WaitlistRequest
from waitlist.serializers import (
    StaffWaitlistRequestSerializer,
    WaitlistJoinSerializer,
    WaitlistRequestSerializer,
)
from waitlist.services import waitlist_for_applicant, waitlist_join, waitlist_leave


def _render(serializer_class, requests, office, *, many=False):
    """Times in the office's own zone."""
    with timezone.override(schedule.office_zone(office)):
        return serializer_class(requests, many=many).data


def _applicants_request(request, ref: str) -> WaitlistRequest:
    """The request `ref` names, shown only to whoever gives a birth date of its people."""
    proof = BirthDateSerializer(data=request.data)
    proof.is_valid(raise_exception=True)
    return waitlist_for_applicant(
        ref=ref, birth_date=proof.validated_data["birth_date"], client=caller_ident(request)[1]
    )


@sensitive_api_view
class WaitlistJoinView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "booking"

    @extend_schema(
        summary="Join a full day's waiting list (one applicant, or a family from one phone)",
        request=WaitlistJoinSerializer,
        responses={201: WaitlistRequestSerializer, 403: ERROR, **ERRORS},
        description=(
            "The family waits together: when places free up, the first request on the "
            "day's list whose people all fit is offered them by WhatsApp, held for it "
            "until `offer_expires_at`; `YA` books them, any other reply or silence passes "
            "them to the next.\n\n"
            "**Pending.** The phone typed here is not proven, so the request comes back "
            "`pending`, with no position: it takes its place at the end of the list when "
            "`confirm_text` (`YA <ref>`) arrives by WhatsApp from that number before "
            "`confirm_by`; `confirm_url` is a wa.me link that prefills it.\n\n"
            "**Waiting at once** (state `waiting`, with its `position`): a staff user of "
            "the office, or an API key with the `bookings:verified-phone` scope bound to "
            "this office (a gateway that verified the number itself). That scope at "
            "another office is 403 `scope_wrong_office`.\n\n"
            "Conflicts are 409: already_waiting (a person is on that day's list), "
            "duplicate_booking (booked that day), limit_reached (people on the lists of "
            "one phone). A day not open or past its cut-off is 400 (not_released, "
            "waitlist_closed)."
        ),
    )
    def post(self, request):
        data = WaitlistJoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        office = get_object_or_404(active_offices(), code=values["office"])
        family = values.get("family", [])
        actor, verified, _client = booking_authority(request, office)
        joined = waitlist_join(
            office=office,
            date=values["date"],
            applicants=[Applicant(values["name"], values["birth_date"], values.get("nik"))]
            + [Applicant(m["name"], m["birth_date"], m.get("nik")) for m in family],
            phone=values["phone"],
            phone_verified=verified,
            channel=actor.channel,
            language=request_language(request),
            priority=[values.get("priority", "")] + [m.get("priority", "") for m in family],
        )
        return Response(
            _render(WaitlistRequestSerializer, joined, office), status=status.HTTP_201_CREATED
        )


@sensitive_api_view
class WaitlistLookupView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "lookup"

    @extend_schema(
        summary="A waiting-list request and its position (a birth date of its people)",
        request=BirthDateSerializer,
        responses={200: WaitlistRequestSerializer, **ERRORS},
        description=(
            "404 `waitlist_not_found` for a wrong reference or birth date alike; after "
            "too many wrong birth dates for one reference, 429 `too_many_attempts`."
        ),
    )
    def post(self, request, ref):
        found = _applicants_request(request, ref)
        return Response(_render(WaitlistRequestSerializer, found, found.office))


@sensitive_api_view
class WaitlistLeaveView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "lookup"

    @extend_schema(
        summary="Leave the waiting list (an open offer's places pass on at once)",
        request=BirthDateSerializer,
        responses={200: WaitlistRequestSerializer, **ERRORS},
    )
    def post(self, request, ref):
        left = waitlist_leave(request=_applicants_request(request, ref))
        return Response(_render(WaitlistRequestSerializer, left, left.office))


@sensitive_api_view
@extend_schema_view(
    get=extend_schema(
        summary="An office's waiting list of a day, in list order (its own staff and keys)",
        parameters=[DAY_PARAMETER],
        responses={200: StaffWaitlistRequestSerializer(many=True), **ERRORS},
    )
)
class OfficeWaitlistView(OfficeDayListView):
    row_serializer = StaffWaitlistRequestSerializer

    def rows(self, office, day):
        return list(
            WaitlistRequest.objects.filter(office=office, date=day, position__isnull=False)
            .select_related("office")
            .order_by("position")
        )
