"""POST /api/v1/bookings/ is a plain Django view (bookings/api_booking.py) that answers
a rush's requests itself and hands anything else to the DRF view: both must answer
alike, document the same contract, and count both throttles in one Redis round trip."""

import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from redis.client import Pipeline

from bookings.models import Booking
from offices.models import ApiClient, Office, OfficerProfile

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB
PATH = "/api/v1/bookings/"
# An Accept header the plain view leaves to DRF's content negotiation (which serves it):
# the same request then goes the DRF view's way.
VIA_DRF = {"HTTP_ACCEPT": "application/json; q=1"}
SNAPSHOT = Path(__file__).parent / "data" / "booking_create_openapi.json"
# Headers a client may act on; both ways must send the same.
# Two confirmed bookings differ in these (the second has the next queue number).
BOOKED_APART = ("name", "queue_number", "slot_start", "arrive_by", "expires_at")
COMPARED_HEADERS = ("Content-Type", "Allow", "Retry-After", "WWW-Authenticate", "Vary")


def _body(n: int, **overrides) -> dict:
    body = {
        "office": "tangerang",
        "date": "2026-12-07",
        "name": f"PEMOHON {chr(65 + n // 26)}{chr(65 + n % 26)}",
        "birth_date": "1978-06-17",
        "phone": f"0812000{n:05d}",
    }
    body.update(overrides)
    return body


def _post(client, body, *, raw: str | None = None, **extra):
    data = raw if raw is not None else json.dumps(body)
    return client.post(PATH, data, content_type="application/json", **extra)


def _same_answer(plain, drf, *, ignore=("name",)) -> None:
    assert plain.status_code == drf.status_code, (plain.content, drf.content)
    for header in COMPARED_HEADERS:
        assert plain.get(header) == drf.get(header), header

    def scrub(answer):
        """Booking codes (and where they appear: confirm text, links) made alike."""
        text = json.dumps(answer)
        for item in answer if isinstance(answer, list) else []:
            for code in (item["code"], item["code"].replace("-", "")):
                text = text.replace(code, "CODE")
        return {
            "answer": [
                {k: ("*" if k in ignore else v) for k, v in item.items()}
                for item in json.loads(text)
            ]
            if isinstance(answer, list)
            else answer
        }

    assert scrub(plain.json()) == scrub(drf.json())


def test_the_endpoint_is_documented_exactly_as_the_drf_view_documented_it():
    """The operation and every schema it refers to, as main's DRF view produced them
    (regenerate the snapshot only for an intended change of the contract)."""
    with translation.override("en"):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"][PATH]
    expected = json.loads(SNAPSHOT.read_text())
    assert json.loads(json.dumps(operation)) == expected["path"]
    for name, component in expected["components"].items():
        assert json.loads(json.dumps(schema["components"]["schemas"][name])) == component, name


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("body", "raw", "extra"),
    [
        pytest.param({}, None, {}, id="booked"),
        pytest.param(
            {"family": [{"name": "BUDI", "birth_date": "2012-03-04"}]}, None, {}, id="family"
        ),
        pytest.param({"date": "2026-02-30"}, None, {}, id="invalid-date"),
        pytest.param({"name": "1234"}, None, {}, id="invalid-name"),
        pytest.param({"office": "atlantis"}, None, {}, id="unknown-office"),
        pytest.param({"date": "2026-12-06"}, None, {}, id="closed-day"),
        pytest.param(
            {"family": [{"name": "X", "birth_date": "2001-01-01"}] * 9}, None, {}, id="big-family"
        ),
        pytest.param(None, '{"office": "tangerang", "office": "x"}', {}, id="duplicate-key"),
        pytest.param(None, "[1, 2]", {}, id="not-an-object"),
        pytest.param(None, '{"name": NaN}', {}, id="nan"),
        pytest.param({}, None, {"HTTP_AUTHORIZATION": "Api-Key nope.nope"}, id="unknown-key"),
        pytest.param({"office": "tangerang", "date": None}, None, {}, id="null"),
    ],
)
def test_the_plain_view_answers_as_the_drf_view(client, body, raw, extra):
    """The same request, once each way (different people, so neither refuses the other
    as a duplicate): status, headers and body alike, booking codes aside."""

    def request(n: int) -> dict | None:
        if body is None:
            return None
        family = [{**m, "name": f"{m['name']} {chr(64 + n)}"} for m in body.get("family", [])]
        return _body(n, **{**body, **({"family": family} if family else {})})

    plain = _post(client, request(1), raw=raw, **extra)
    drf = _post(client, request(2), raw=raw, **VIA_DRF, **extra)
    _same_answer(plain, drf)


@time_machine.travel(NOW, tick=False)
def test_a_throttled_booking_is_answered_alike_with_retry_after(client, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "booking": "2/min"},
    }
    assert [_post(client, _body(n)).status_code for n in range(2)] == [201, 201]
    plain, drf = _post(client, _body(3)), _post(client, _body(4), **VIA_DRF)
    assert plain.status_code == 429
    assert 0 < int(plain["Retry-After"]) <= 60
    _same_answer(plain, drf)
    assert Booking.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_a_staff_session_must_carry_its_csrf_token_either_way():
    """A logged-in officer's browser is a session: without the CSRF token a booking is
    403 (another site cannot book in the officer's name), with it the booking is
    confirmed at once, as DRF's SessionAuthentication decides."""
    officer = User.objects.create_user("desk-csrf", password="x", is_staff=True)
    OfficerProfile.objects.create(user=officer, office=Office.objects.get(code="tangerang"))
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer)
    plain, drf = _post(browser, _body(1)), _post(browser, _body(2), **VIA_DRF)
    assert plain.status_code == 403
    assert "CSRF" in plain.json()["error"]["message"]
    _same_answer(plain, drf)
    assert not Booking.objects.exists()

    browser.get("/pesan/")  # a page sets the CSRF cookie
    token = {"HTTP_X_CSRFTOKEN": browser.cookies["csrftoken"].value}
    plain = _post(browser, _body(3), **token)
    drf = _post(browser, _body(4), **token, **VIA_DRF)
    assert plain.status_code == 201
    assert plain.json()[0]["status"] == "booked"
    _same_answer(plain, drf, ignore=BOOKED_APART)


@time_machine.travel(NOW, tick=False)
def test_a_gateway_key_with_the_verified_phone_scope_books_confirmed_either_way(client):
    tangerang = Office.objects.get(code="tangerang")
    _c, key = ApiClient.objects.create_key(
        name="verifier", scopes=["bookings:verified-phone"], office=tangerang
    )
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    plain, drf = _post(client, _body(1), **auth), _post(client, _body(2), **auth, **VIA_DRF)
    assert plain.status_code == 201
    assert plain.json()[0]["status"] == "booked"
    _same_answer(
        plain,
        drf,
        ignore=BOOKED_APART,
    )


@time_machine.travel(NOW, tick=False)
def test_both_throttles_of_a_booking_are_counted_in_one_redis_round_trip(client, monkeypatch):
    """The caller's counter and the booking scope's go in one pipeline: one round trip."""
    counted = []
    execute = Pipeline.execute

    def spy(self, *args, **kwargs):
        keys = [str(args_[1]) for args_, _opts in self.command_stack if len(args_) > 1]
        throttles = [key for key in keys if ":throttle:" in key]
        if throttles:
            counted.append(sorted({key.split(":")[3] for key in throttles}))
        return execute(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "execute", spy)
    assert _post(client, _body(1)).status_code == 201
    assert counted == [["anon", "booking"]]


@time_machine.travel(NOW, tick=False)
def test_the_shared_serializer_renders_what_a_fresh_one_renders(client):
    """bookings.api._render shares one serializer instance per class: a held and a
    confirmed booking render exactly as a new BookingSerializer (and the staff one)
    renders them, in the office's zone."""
    from django.utils import timezone

    from bookings.api import _render
    from bookings.serializers import BookingSerializer, StaffBookingSerializer
    from offices import schedule

    held = _post(client, _body(1)).json()[0]["code"]
    tangerang = Office.objects.get(code="tangerang")
    _c, key = ApiClient.objects.create_key(
        name="verifier", scopes=["bookings:verified-phone"], office=tangerang
    )
    booked = _post(client, _body(2), HTTP_AUTHORIZATION=f"Api-Key {key}").json()[0]["code"]
    bookings = list(
        Booking.objects.select_related("office", "slot").filter(
            code__in=[held.replace("-", ""), booked.replace("-", "")]
        )
    )
    assert {b.status for b in bookings} == {"held", "booked"}
    for serializer_class in (BookingSerializer, StaffBookingSerializer):
        with timezone.override(schedule.office_zone(tangerang)):
            fresh = serializer_class(bookings, many=True).data
        assert json.loads(json.dumps(_render(serializer_class, bookings, many=True))) == (
            json.loads(json.dumps(fresh))
        )
        assert _render(serializer_class, bookings[0]) == fresh[0]


@pytest.mark.parametrize(
    "order",
    [("valid", "invalid", "family", "valid"), ("invalid", "family", "invalid", "valid")],
)
def test_the_reused_input_serializer_validates_as_a_fresh_one_each_time(order):
    """bookings.api._validated validates with one serializer per thread: whatever the
    previous request was (valid, refused, a family), each answer is a fresh
    serializer's, and nothing of a request stays on the instance afterwards."""
    from rest_framework.exceptions import ValidationError

    from bookings.api import _reused, _validated
    from bookings.serializers import BookingCreateSerializer

    bodies = {
        "valid": _body(1, slot=7, nik="3171"),
        "invalid": _body(2, date="2026-02-30", name="", phone=None, family="x"),
        "family": _body(3, family=[{"name": "BUDI", "birth_date": "2012-03-04"}]),
    }
    for kind in order:
        fresh = BookingCreateSerializer(data=bodies[kind])
        if fresh.is_valid():
            assert _validated(BookingCreateSerializer, bodies[kind]) == fresh.validated_data
        else:
            with pytest.raises(ValidationError) as refused:
                _validated(BookingCreateSerializer, bodies[kind])
            assert refused.value.detail == fresh.errors
            assert refused.value.get_codes() == ValidationError(fresh.errors).get_codes()
        reused = _reused.__dict__[BookingCreateSerializer]
        assert not {"initial_data", "_validated_data", "_errors"} & set(vars(reused))
