"""The office-scoped lists of one day (`/api/v1/offices/{code}/bookings/`,
`.../waitlist/`): one view, whose subclasses say which rows and in which shape."""

import datetime as dt

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.serializers import DayQuerySerializer
from offices import schedule
from offices.access import staff_or_key
from offices.models import ApiScope, Office
from offices.roles import VIEW_BOOKINGS

# `?date=`, in each subclass's schema (with its summary and response).
DAY_PARAMETER = OpenApiParameter("date", OpenApiTypes.DATE, required=True)


# A comment, not a docstring: drf-spectacular would print it as every subclass's
# description. An office's rows of the day `?date=` (YYYY-MM-DD, the office's zone),
# for its own staff and its own keys only: `request.caller.office_for` refuses any
# other office (404) before a row is read. Times are rendered in the office's zone.
# Subclasses give `rows` and `row_serializer`, and their schema (summary, response).
class OfficeDayListView(APIView):
    permission_classes = [staff_or_key(ApiScope.BOOKINGS_READ, VIEW_BOOKINGS)]
    row_serializer: type[serializers.Serializer]

    def rows(self, office: Office, day: dt.date) -> list:
        raise NotImplementedError

    def get(self, request, code):
        office = request.caller.office_for(code)
        query = DayQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = self.rows(office, query.validated_data["date"])
        with timezone.override(schedule.office_zone(office)):
            return Response(self.row_serializer(rows, many=True).data)
