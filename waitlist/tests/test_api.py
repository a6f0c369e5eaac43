"""The waiting list's API: join (pending until the typed phone says `YA <ref>`, or
waiting at once with a key whose phone scope is bound to the office), position, leave;
bilingual errors that change nothing; and the attacker's tries: invented numbers,
another office's key, guessed references and birth dates."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import User

from bookings.applicant import Applicant
from bookings.models import Booking, BookingStatus
from bookings.services import Actor, booking_cancel
from bookings.tests.factories import DAY, NOW, office
from immigration.errors import DomainError
from offices.models import ApiClient, OfficerProfile
from offices.roles import DESK, ensure_role_groups
from waitlist.models import OfferState, RequestState, WaitlistOffer, WaitlistRequest
from waitlist.services import waitlist_confirm
from waitlist.tests.helpers import assert_invariants, fill, join

pytestmark = pytest.mark.django_db(transaction=True)

BIRTH = "1978-06-17"


@pytest.fixture
def full():
    """A full day at a WITA office (14 places)."""
    with time_machine.travel(NOW, tick=False):
        place = office(hours__daily_capacity=14, timezone="Asia/Makassar")
        booked = fill(place)
        yield place, booked


@pytest.fixture
def api(client):
    def post(path, body=None, **extra):
        return client.post(path, body or {}, content_type="application/json", **extra)

    client.post_json = post
    return client


def _payload(place, **overrides):
    body = {
        "office": place.code,
        "date": DAY.isoformat(),
        "name": "Siti Nur'aini",
        "birth_date": BIRTH,
        "phone": "0812-3456-7890",
    }
    body.update(overrides)
    return body


def _key(place, scopes=("bookings:verified-phone",)):
    _client, key = ApiClient.objects.create_key(name="gateway", scopes=list(scopes), office=place)
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def test_a_join_is_pending_until_the_typed_phone_says_ya(api, full):
    place, _ = full
    response = api.post_json("/api/v1/waitlist/", _payload(place))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "pending"
    assert body["position"] is None
    assert body["confirm_text"] == f"YA {body['ref']}"
    assert body["confirm_url"].startswith(f"https://wa.me/{place.whatsapp_number.lstrip('+')}?")
    assert body["zone"] == "WITA"
    assert body["confirm_by"].endswith("+08:00")  # the office's own clock
    request = WaitlistRequest.objects.get()
    assert (request.channel, request.phone) == ("api", "6281234567890")
    waitlist_confirm(office=place, phone="6281234567890", ref=body["ref"], now=NOW)
    shown = api.post_json(f"/api/v1/waitlist/{body['ref']}/lookup/", {"birth_date": BIRTH})
    assert shown.status_code == 200
    assert (shown.json()["state"], shown.json()["position"]) == ("waiting", 1)
    assert shown.json()["confirm_text"] is None


def test_a_family_waits_together_and_more_than_the_maximum_is_refused(api, full):
    place, _ = full
    family = [{"name": f"Anak {c}", "birth_date": "2015-03-04"} for c in "ABCDEFGH"]
    most = family[: django_settings.BOOKING_FAMILY_MAX - 1]
    response = api.post_json("/api/v1/waitlist/", _payload(place, family=most))
    assert response.status_code == 201, response.json()
    assert response.json()["people"] == django_settings.BOOKING_FAMILY_MAX
    too_many = api.post_json(
        "/api/v1/waitlist/",
        _payload(place, name="Budi", phone="0813-1111-2222", family=family[:6] + family[:1]),
    )
    assert too_many.status_code == 400
    assert "family" in too_many.json()["error"]["fields"]
    assert WaitlistRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"date": "07-12-2026"}, 400, "invalid"),
        ({"birth_date": "2090-01-01"}, 400, "invalid_birth_date"),
        ({"date": "2027-06-07"}, 400, "not_released"),
        ({"date": "2026-11-27"}, 400, "waitlist_closed"),
        ({"phone": "12"}, 400, "invalid_phone"),
        ({"name": "12345"}, 400, "invalid_name"),
        ({"priority": "vip"}, 400, "invalid"),
        ({"office": "nowhere"}, 404, "not_found"),
    ],
)
def test_bad_input_gets_a_clear_bilingual_error_and_changes_nothing(
    api, full, overrides, status, code
):
    place, _ = full
    answers = {
        language: api.post_json(
            "/api/v1/waitlist/", _payload(place, **overrides), HTTP_ACCEPT_LANGUAGE=language
        )
        for language in ("id", "en")
    }
    for response in answers.values():
        assert response.status_code == status, response.json()
        assert response.json()["error"]["code"] == code
    if code not in {"invalid", "not_found"}:
        assert answers["id"].json()["error"]["message"] != answers["en"].json()["error"]["message"]
    assert not WaitlistRequest.objects.exists()


def test_the_same_person_twice_is_409_in_either_language(api, full):
    place, _ = full
    api.post_json("/api/v1/waitlist/", _payload(place))
    for language, word in (("id", "daftar tunggu"), ("en", "waiting list")):
        again = api.post_json(
            "/api/v1/waitlist/",
            _payload(place, phone="0813-0000-0000"),
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "already_waiting"
        assert word in again.json()["error"]["message"]
    assert WaitlistRequest.objects.count() == 1


def test_a_key_with_the_verified_phone_scope_of_the_office_waits_at_once(api, full):
    place, _ = full
    first = join(place)
    response = api.post_json("/api/v1/waitlist/", _payload(place), **_key(place))
    assert response.status_code == 201, response.json()
    assert (response.json()["state"], response.json()["position"]) == ("waiting", 2)
    assert response.json()["confirm_url"] is None
    assert first.state == RequestState.WAITING


@pytest.mark.parametrize("bound_to", ["other", None])
def test_the_verified_phone_scope_of_another_office_is_refused(api, full, bound_to):
    place, _ = full
    other = office() if bound_to else None
    _client, key = ApiClient.objects.create_key(
        name="gateway", scopes=["bookings:verified-phone"], office=other
    )
    response = api.post_json(
        "/api/v1/waitlist/", _payload(place), HTTP_AUTHORIZATION=f"Api-Key {key}"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope_wrong_office"
    assert not WaitlistRequest.objects.exists()


def test_a_key_without_the_scope_only_makes_pending_requests(api, full):
    place, _ = full
    response = api.post_json(
        "/api/v1/waitlist/", _payload(place), **_key(place, scopes=["bookings:read"])
    )
    assert response.status_code == 201
    assert response.json()["state"] == "pending"


def test_invented_numbers_never_reach_the_list_nor_keep_the_owner_off_it(api, full):
    """The attack: one network types invented numbers, and the victim's own number
    and name, then places free up."""
    place, booked = full
    victim_phone = "6281234567890"
    for n in range(6):
        assert (
            api.post_json(
                "/api/v1/waitlist/",
                _payload(place, name=f"Palsu {chr(65 + n)}", phone=f"0857{n:08d}"),
            ).status_code
            == 201
        )
    squat = api.post_json("/api/v1/waitlist/", _payload(place)).json()  # the victim's name
    filler = api.post_json(  # the victim's phone, filled up with strangers
        "/api/v1/waitlist/",
        _payload(
            place,
            name="Orang Lain",
            family=[{"name": f"Lain {c}", "birth_date": "1990-01-01"} for c in "ABC"],
        ),
    )
    assert filler.status_code == 201
    assert set(WaitlistRequest.objects.values_list("state", flat=True)) == {"pending"}
    # The victim joins by WhatsApp (the sender is the phone): neither the squatted name
    # nor the filled phone keeps them off.
    mine = join(
        place,
        people=[Applicant("Siti Nur'aini", dt.date(1978, 6, 17))],
        phone_number=victim_phone,
    )
    assert mine.state == RequestState.WAITING
    # Places free up: only the victim is offered one; nothing pending holds a place.
    booking_cancel(booking=booked[0], actor=Actor.applicant("web"), now=NOW)
    booking_cancel(booking=booked[1], actor=Actor.applicant("web"), now=NOW)
    offers = WaitlistOffer.objects.filter(state=OfferState.OPEN)
    assert [o.request_id for o in offers] == [mine.pk]
    assert Booking.objects.filter(status=BookingStatus.HELD).count() == 1
    assert_invariants(place)
    # The squatter's request cannot be confirmed by the squatter (not its phone), and
    # the victim's own `YA` for it is refused: the person already waits.
    with pytest.raises(DomainError) as refused:
        waitlist_confirm(office=place, phone=victim_phone, ref=squat["ref"], now=NOW)
    assert refused.value.code == "already_waiting"
    # The throttle stops the network's next tries.
    rates = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    limit = int(rates["booking"].split("/")[0])
    statuses = [
        api.post_json("/api/v1/waitlist/", _payload(place, name=f"Lagi {chr(65 + n)}")).status_code
        for n in range(limit)
    ]
    assert 429 in statuses


def test_lookup_and_leave_need_a_birth_date_of_the_request(api, full):
    place, _ = full
    response = api.post_json("/api/v1/waitlist/", _payload(place), **_key(place))
    ref = response.json()["ref"]
    for body in ({"birth_date": "1978-06-18"}, {}, {"birth_date": "junk"}):
        for step in ("lookup", "leave"):
            refused = api.post_json(f"/api/v1/waitlist/{ref}/{step}/", body)
            assert refused.status_code in (400, 404)
            assert "SITI" not in refused.content.decode()
            assert place.name not in refused.content.decode()
    assert WaitlistRequest.objects.get().state == RequestState.WAITING
    left = api.post_json(f"/api/v1/waitlist/{ref.lower()}/leave/", {"birth_date": BIRTH})
    assert left.status_code == 200
    assert left.json()["state"] == "left"
    again = api.post_json(f"/api/v1/waitlist/{ref}/leave/", {"birth_date": BIRTH})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "waitlist_request_closed"


def test_leaving_with_an_open_offer_passes_the_places_on(api, full):
    place, booked = full
    mine = api.post_json("/api/v1/waitlist/", _payload(place), **_key(place)).json()
    second = join(place)
    booking_cancel(booking=booked[0], actor=Actor.applicant("web"), now=NOW)
    shown = api.post_json(f"/api/v1/waitlist/{mine['ref']}/lookup/", {"birth_date": BIRTH})
    assert shown.json()["state"] == "offered"
    assert shown.json()["offer_expires_at"].endswith("+08:00")
    api.post_json(f"/api/v1/waitlist/{mine['ref']}/leave/", {"birth_date": BIRTH})
    second.refresh_from_db()
    assert second.state == RequestState.OFFERED
    assert_invariants(place)


def test_a_reference_is_locked_after_too_many_wrong_birth_dates(api, full, settings):
    place, _ = full
    ref = api.post_json("/api/v1/waitlist/", _payload(place), **_key(place)).json()["ref"]
    for day in range(1, settings.BIRTH_DATE_GUESSES_PER_CLIENT + 1):
        wrong = api.post_json(
            f"/api/v1/waitlist/{ref}/lookup/", {"birth_date": f"1978-05-{day:02d}"}
        )
        assert wrong.status_code == 404
    locked = api.post_json(f"/api/v1/waitlist/{ref}/lookup/", {"birth_date": BIRTH})
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "too_many_attempts"
    assert "Retry-After" in locked
    assert WaitlistRequest.objects.get().state == RequestState.WAITING


def test_guessed_references_reveal_nothing_and_are_throttled(api, full):
    place, _ = full
    join(place)
    rates = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    limit = int(rates["lookup"].split("/")[0])
    answers = [
        api.post_json(f"/api/v1/waitlist/ZZZZ{n:04d}/lookup/", {"birth_date": "1990-05-17"})
        for n in range(limit + 1)
    ]
    assert {a.status_code for a in answers[:limit]} == {404}
    assert len({a.content for a in answers[:limit]}) == 1  # one answer for any reference
    assert answers[limit].status_code == 429
    assert answers[limit].json()["error"]["code"] == "throttled"


def _officer(place, name="petugas"):
    user = User.objects.create_user(name, password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[DESK])
    OfficerProfile.objects.create(user=user, office=place)
    return user


def test_an_office_reads_its_own_list_in_order_and_never_anothers(api, full):
    place, _ = full
    other = office(hours__daily_capacity=14)
    first, second = join(place), join(place, 2)
    join(other)
    api.force_login(_officer(place))
    own = api.get(f"/api/v1/offices/{place.code}/waitlist/?date={DAY}")
    assert own.status_code == 200
    assert [(r["ref"], r["position"]) for r in own.json()] == [
        (first.display_ref, 1),
        (second.display_ref, 2),
    ]
    assert api.get(f"/api/v1/offices/{other.code}/waitlist/?date={DAY}").status_code == 404
    api.logout()
    reader = _key(other, scopes=["bookings:read"])
    assert (
        api.get(f"/api/v1/offices/{place.code}/waitlist/?date={DAY}", **reader).status_code == 404
    )
    assert api.get(f"/api/v1/offices/{place.code}/waitlist/?date={DAY}").status_code in (401, 403)


def test_staff_of_the_office_put_a_walk_in_on_the_list_at_once(api, full):
    place, _ = full
    api.force_login(_officer(place, "loket"))
    response = api.post_json("/api/v1/waitlist/", _payload(place))
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "waiting"
    assert WaitlistRequest.objects.get().channel == "desk"
