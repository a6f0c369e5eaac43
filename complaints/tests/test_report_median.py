"""The monthly report's medians (complaints/admin.py, statistics.median): the middle of
an odd count, the mean of the two middles of an even one, cases not yet there left out."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from complaints.models import Complaint
from complaints.services import complaint_submit
from offices.models import Office, OfficerProfile
from offices.roles import INSPECTOR, ensure_role_groups

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # Tuesday 09:00 WIB


def _case(triaged_after_days=None, closed_after_days=None) -> Complaint:
    complaint = complaint_submit(
        office=Office.objects.get(code="tangerang"),
        category="pungli",
        description="Diminta Rp500.000 di loket 3.",
        notify=False,
        now=NOW,
    )
    # The spans themselves are the input here, not the workflow that makes them.
    Complaint.objects.filter(pk=complaint.pk).update(
        received_at=NOW,
        triaged_at=NOW + dt.timedelta(days=triaged_after_days)
        if triaged_after_days is not None
        else None,
        closed_at=NOW + dt.timedelta(days=closed_after_days)
        if closed_after_days is not None
        else None,
    )
    return complaint


def _report_cells(client) -> list[str]:
    user = User.objects.create_user("ins", password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[INSPECTOR])
    OfficerProfile.objects.create(user=user, office=None, is_headquarters=True)
    client.force_login(user)
    page = client.get(reverse("admin:complaints_complaint_report")).content.decode()
    (row,) = re.findall(r"<tr>\s*<td>Desember 2026</td>(.*?)</tr>", page, re.S)
    return re.findall(r"<td>(.*?)</td>", row)


def test_the_medians_of_an_even_and_an_odd_count(client):
    # Triaged after 1, 2, 4 and 10 days (even: (2 + 4) / 2 = 3), one not yet triaged;
    # closed after 3, 5 and 11.5 days (odd: 5), two not yet closed.
    _case(1, 3)
    _case(2, 5)
    _case(4, 11.5)
    _case(10)
    _case()
    cells = _report_cells(client)
    # Office, received, pungli, calo, substantiated, not, triage median, close median.
    assert cells[1] == "5"
    assert cells[6:8] == ["3,0", "5,0"]


def test_an_uneven_middle_is_rounded_to_a_tenth_and_no_span_is_a_dash(client):
    _case(1.25)
    _case(2)
    cells = _report_cells(client)
    assert cells[6:8] == ["1,6", "-"]  # (1.25 + 2) / 2 = 1.625
