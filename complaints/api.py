"""`/api/v1/complaints/`: file a report (multipart, with evidence), follow it with its
tracking code, add information. The tracking view shows status and public notes only."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.models import Category
from complaints.services import (
    complaint_add_information,
    complaint_for_reporter,
    complaint_submit,
    uploads_from,
)
from immigration.errors import API_ERROR
from immigration.jsonbody import StrictJSONParser
from immigration.sensitive import sensitive_api_view
from offices.selectors import active_offices

ERROR = API_ERROR


class ComplaintCreateSerializer(serializers.Serializer):
    office = serializers.SlugField()
    category = serializers.ChoiceField(choices=Category.choices)
    description = serializers.CharField(max_length=5000)
    occurred_on = serializers.DateField(required=False)
    occurred_where = serializers.CharField(max_length=200, required=False, allow_blank=True)
    person_involved = serializers.CharField(max_length=200, required=False, allow_blank=True)
    about_supervisor = serializers.BooleanField(required=False, default=False)
    booking_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    reporter_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    reporter_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    reporter_email = serializers.EmailField(required=False, allow_blank=True)
    evidence = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=5,
        help_text="JPEG, PNG or PDF; 5 files, 10 MB each.",
    )


class ComplaintCreatedSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    status = serializers.CharField()


class PublicEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="created_at")
    status = serializers.CharField(source="to_status")
    note = serializers.SerializerMethodField()

    def get_note(self, event) -> str:
        # Automatic notes are stored in English and read in the caller's language.
        return gettext(event.public_note)


class ComplaintPublicSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    category = serializers.CharField()
    office = serializers.CharField(source="office.code")
    received_at = serializers.DateTimeField()
    events = serializers.SerializerMethodField()

    def get_events(self, complaint) -> list[dict]:
        public = complaint.events.exclude(public_note="").exclude(to_status="")
        return PublicEventSerializer(public, many=True).data


class InformationSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    evidence = serializers.ListField(child=serializers.FileField(), required=False, max_length=5)


@sensitive_api_view
class ComplaintCreateView(APIView):
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser, StrictJSONParser]
    throttle_scope = "complaint"

    @extend_schema(
        summary="Report pungli, calo or poor service (anonymous unless contact details are given)",
        request={"multipart/form-data": ComplaintCreateSerializer},
        responses={201: ComplaintCreatedSerializer, 400: ERROR, 404: ERROR, 429: ERROR, 503: ERROR},
    )
    def post(self, request):
        data = ComplaintCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        office = get_object_or_404(active_offices(), code=values.pop("office"))
        uploads = uploads_from(values.pop("evidence", []))
        complaint = complaint_submit(office=office, uploads=uploads, channel="api", **values)
        return Response(
            {"tracking_code": complaint.tracking_code, "status": complaint.status},
            status=status.HTTP_201_CREATED,
        )


class ComplaintDetailView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "lookup"

    @extend_schema(
        summary="A report's status and public notes",
        responses={200: ComplaintPublicSerializer, 404: ERROR},
    )
    def get(self, request, code):
        return Response(ComplaintPublicSerializer(complaint_for_reporter(tracking_code=code)).data)


@sensitive_api_view
class ComplaintInformationView(APIView):
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser, StrictJSONParser]
    throttle_scope = "complaint"

    @extend_schema(
        summary="Add information or evidence to a report",
        request={"multipart/form-data": InformationSerializer},
        responses={201: ComplaintCreatedSerializer, 400: ERROR, 404: ERROR, 429: ERROR, 503: ERROR},
    )
    def post(self, request, code):
        complaint = complaint_for_reporter(tracking_code=code)
        data = InformationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        complaint_add_information(
            complaint=complaint,
            text=data.validated_data.get("text", ""),
            uploads=uploads_from(data.validated_data.get("evidence")),
        )
        return Response(
            {"tracking_code": complaint.tracking_code, "status": complaint.status}, status=201
        )
