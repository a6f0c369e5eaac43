"""The draw's admin: scoped to the officer's office, draws and entries read-only, the
seed hidden until the draw, policies refused where they would change a published
release."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from offices.models import OfficerProfile
from offices.roles import DESK, SUPERVISOR, ensure_role_groups
from release.models import ReleaseMode, ReleasePolicy
from release.services import draw_run
from release.tests.factories import CLOSES, DAYS, committed, draw_office, enter

pytestmark = pytest.mark.django_db


def _officer(client, office, role, name):
    user = User.objects.create_user(name, password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[role])
    OfficerProfile.objects.create(user=user, office=office)
    client.force_login(user)
    return client


def test_officers_see_only_their_offices_draws_and_entries(client):
    own, other = draw_office(), draw_office()
    own_draw, other_draw = committed(own), committed(other)
    own_entry, other_entry = enter(own), enter(other)
    _officer(client, own, DESK, "loket")
    draws = client.get(reverse("admin:release_draw_changelist")).content.decode()
    # Office names are public (the filter lists them all, as elsewhere); the rows are not.
    assert reverse("admin:release_draw_change", args=[own_draw.pk]) in draws
    assert reverse("admin:release_draw_change", args=[other_draw.pk]) not in draws
    entries = client.get(reverse("admin:release_drawentry_changelist")).content.decode()
    assert own_entry.display_reference in entries
    assert other_entry.display_reference not in entries
    other_page = reverse("admin:release_draw_change", args=[other_draw.pk])
    assert client.get(other_page).status_code == 302
    own_page = client.get(reverse("admin:release_draw_change", args=[own_draw.pk]))
    assert own_page.status_code == 200


def test_the_seed_is_hidden_until_the_draw_and_nothing_can_be_edited(client):
    office = draw_office()
    draw = committed(office)
    enter(office, days=[DAYS[0]])
    _officer(client, office, SUPERVISOR, "kepala")
    url = reverse("admin:release_draw_change", args=[draw.pk])
    page = client.get(url).content.decode()
    assert draw.commitment in page
    assert draw.seed not in page
    client.post(url, {"state": "done"})
    draw.refresh_from_db()
    assert draw.state == "committed"
    draw_run(draw=draw, now=CLOSES)
    assert draw.seed in client.get(url).content.decode()


def test_a_policy_that_decided_a_draw_is_fixed_and_none_starts_inside_one(client):
    office = draw_office()
    draw = committed(office)
    _officer(client, office, SUPERVISOR, "kepala")
    policy = ReleasePolicy.objects.get(office=office)
    change = reverse("admin:release_releasepolicy_change", args=[policy.pk])
    response = client.post(
        change,
        {
            "office": office.pk,
            "mode": ReleaseMode.FIRST_COME,
            "applies_from": policy.applies_from.isoformat(),
            "days_per_release": 5,
            "draw_window_hours": 24,
        },
    )
    assert response.status_code == 200  # the form again, with the refusal
    policy.refresh_from_db()
    assert policy.mode == ReleaseMode.DRAW
    add = reverse("admin:release_releasepolicy_add")
    inside = {
        "office": office.pk,
        "mode": ReleaseMode.FIRST_COME,
        "applies_from": (draw.first_day + dt.timedelta(days=2)).isoformat(),
        "days_per_release": 7,
        "draw_window_hours": 24,
    }
    assert client.post(add, inside).status_code == 200
    assert ReleasePolicy.objects.filter(office=office).count() == 1
    after = {**inside, "applies_from": (draw.last_day + dt.timedelta(days=1)).isoformat()}
    assert client.post(add, after).status_code == 302
    assert ReleasePolicy.objects.filter(office=office).count() == 2


def test_a_supervisor_cannot_add_a_policy_for_another_office(client):
    own, other = draw_office(), draw_office()
    _officer(client, own, SUPERVISOR, "kepala")
    response = client.post(
        reverse("admin:release_releasepolicy_add"),
        {
            "office": other.pk,
            "mode": ReleaseMode.DRAW,
            "applies_from": "2027-03-01",
            "days_per_release": 7,
            "draw_window_hours": 24,
        },
    )
    assert response.status_code == 200
    assert not ReleasePolicy.objects.filter(office=other, applies_from="2027-03-01").exists()
