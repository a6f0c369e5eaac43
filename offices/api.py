"""`/api/v1/offices/`: the public list of offices, one office, and its availability."""

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer

from immigration.errors import API_ERROR
from offices import schedule
from offices.models import OpeningHours
from offices.selectors import active_offices, office_availability
from offices.serializers import (
    AvailabilityQuerySerializer,
    AvailabilitySerializer,
    OfficeDetailSerializer,
    OfficeSerializer,
)

ERROR = API_ERROR


class OfficeViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [AllowAny]
    lookup_field = "code"
    lookup_value_regex = r"[a-z0-9-]+"
    pagination_class = None

    def get_queryset(self):
        return active_offices().prefetch_related(
            Prefetch("opening_hours", queryset=OpeningHours.objects.select_related("office"))
        )

    def get_serializer_class(self):
        return OfficeDetailSerializer if self.action == "retrieve" else OfficeSerializer

    @extend_schema(summary="All active offices")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One office with its hours and slot plan",
        responses={200: OfficeDetailSerializer, 404: ERROR},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Days and slots of an office",
        description=(
            "Each day's state (open, closed with the reason, full, not_released with the "
            "release time, by_draw with draw_closes_at: a draw gives its places and entering "
            "early or late is equally good, past) and each slot's start (ISO 8601 with the "
            "office's UTC offset), capacity and remaining places. Give `date`, or `start` "
            "and `end` "
            "(at most 62 days)."
        ),
        parameters=[AvailabilityQuerySerializer],
        responses={200: AvailabilitySerializer, 400: ERROR, 404: ERROR},
    )
    @action(detail=True, methods=["get"])
    def availability(self, request, code=None):
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        # Everyone opens the calendar before booking: the same answer is served from
        # the cache for a couple of seconds (the booking itself is what counts places).
        key = f"availability:{code}:{start}:{end}:{get_language()}"
        body = cache.get(key) if settings.AVAILABILITY_CACHE_SECONDS else None
        if body is None:
            office = get_object_or_404(active_offices(), code=code)
            days = office_availability(office=office, start=start, end=end)
            # DRF renders datetimes in the current zone: make it the office's own.
            with timezone.override(schedule.office_zone(office)):
                data = AvailabilitySerializer(
                    {
                        "office": office.code,
                        "timezone": office.timezone,
                        "zone": office.zone_label,
                        "days": days,
                    }
                ).data
            body = JSONRenderer().render(data)
            if settings.AVAILABILITY_CACHE_SECONDS:
                cache.set(key, body, settings.AVAILABILITY_CACHE_SECONDS)
        response = HttpResponse(body, content_type="application/json")
        patch_cache_control(response, public=True, max_age=settings.AVAILABILITY_CACHE_SECONDS)
        return response
