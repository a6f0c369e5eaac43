"""Drill: the PostgreSQL server the suite runs on is stopped (`pg_ctl stop -m fast`)
and started again while gunicorn (gthread, persistent connections, DEBUG off) takes
concurrent bookings on the test database.

What must hold: no request ever answers 500; while the server is down every request
answers 503 (the API's error shape; a plain page elsewhere; /healthz too); nothing is
half-applied (each slot's count equals its holding bookings, queue numbers unique,
each booking has its event and its confirmation in the outbox, every 201 is in the
database); and once the server is back the very next requests succeed, on connections
that CONN_HEALTH_CHECKS found dead and replaced.
"""

import collections
import threading

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.test import Client

from bookings.models import HOLDING_STATUSES, Booking, BookingEvent
from immigration import launcher
from immigration.tests.drills import (
    DRILL_DB_POSTGRES,
    booking_request,
    current_database_url,
    open_day,
    redis_url,
    verified_phone_key,
    wait_for,
)
from notifications.models import OutboundMessage
from offices.models import Slot
from offices.tests.factories import OfficeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.drill]

BOOKERS = 3
MAX_REQUESTS_PER_THREAD = 80


@pytest.fixture
def gunicorn(tmp_path):
    port = launcher.free_port()
    env = {
        "DATABASE_URL": current_database_url(),
        # Its notices are published to a database no worker reads: not what we test.
        "REDIS_URL": redis_url(DRILL_DB_POSTGRES),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "drill-only-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "API_THROTTLE_ANON": "100000/min",
        "API_THROTTLE_BOOKING": "100000/min",
        "LOG_LEVEL": "ERROR",
    }
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    with launcher.gunicorn(port=port, env=env, workers=1, threads=4, log=log) as server:
        launcher.wait_serving(server, base, seconds=30)
        yield base


class Load:
    """Threads sending requests until told to stop; each answer is kept with the phase
    of the drill in which its request started."""

    def __init__(self, base: str, office, day):
        self.base, self.office, self.day = base, office, day
        self.auth = {"Authorization": f"Api-Key {verified_phone_key(office)}"}
        self.phase = "before"
        self.answers: list[dict] = []
        self.numbers = iter(range(1, 10_000))
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def _record(self, started: str, kind: str, response) -> None:
        try:
            body = response.json()
        except ValueError:
            body = None
        with self._lock:
            self.answers.append(
                {
                    "phase": started,
                    "kind": kind,
                    "status": response.status_code,
                    "body": body,
                    "retry_after": response.headers.get("Retry-After"),
                }
            )

    def booker(self) -> None:
        session = requests.Session()
        for _ in range(MAX_REQUESTS_PER_THREAD):
            if self.stop.is_set():
                return
            with self._lock:
                n = next(self.numbers)
            started = self.phase
            response = session.post(
                f"{self.base}/api/v1/bookings/",
                json=booking_request(self.office, self.day, n),
                headers=self.auth,
                timeout=20,
            )
            self._record(started, "booking", response)

    def prober(self) -> None:
        session = requests.Session()
        for _ in range(MAX_REQUESTS_PER_THREAD):
            if self.stop.is_set():
                return
            for kind, path in (("health", "/healthz"), ("offices", "/api/v1/offices/")):
                started = self.phase
                self._record(started, kind, session.get(f"{self.base}{path}", timeout=20))

    def count(self, phase: str, *, status: int | None = None, kind: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for a in self.answers
                if a["phase"] == phase
                and (status is None or a["status"] == status)
                and (kind is None or a["kind"] == kind)
            )


def _parallel_gets(url: str, *, threads: int, each: int) -> list[int]:
    statuses: list[int] = []

    def get():
        session = requests.Session()
        for _ in range(each):
            statuses.append(session.get(url, timeout=20).status_code)

    workers = [threading.Thread(target=get) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return statuses


def _probe_pages_in_process() -> dict[str, object]:
    """This process's own connection died with the server: its pages answer 503 too."""
    client = Client(raise_request_exception=False)
    page = client.get("/pesan/")
    api = client.get("/api/v1/offices/")
    health = client.get("/healthz")
    return {
        "page": (page.status_code, page["Content-Type"].split(";")[0]),
        "api": (api.status_code, api.json()["error"]["code"]),
        "health": (health.status_code, health.json()),
    }


def test_postgres_restarted_under_load_answers_503_never_500_and_resumes_by_itself(
    servers, gunicorn
):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    office = OfficeFactory(hours__daily_capacity=700)  # more than the load can book
    day = open_day(office, places=BOOKERS * MAX_REQUESTS_PER_THREAD)
    load = Load(gunicorn, office, day)
    threads = [threading.Thread(target=load.booker) for _ in range(BOOKERS)]
    threads.append(threading.Thread(target=load.prober))
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: load.count("before", status=201) >= 6, "bookings are being taken")
        load.phase = "stopping"
        servers.stop_postgres()
        load.phase = "down"
        wait_for(
            lambda: (
                load.count("down", kind="booking") >= 2 * BOOKERS
                and load.count("down", kind="health") >= 2
            ),
            "requests were answered while the database was down",
        )
        in_process = _probe_pages_in_process()
        load.phase = "starting"
    finally:
        servers.start_postgres()
    load.phase = "after"
    try:
        wait_for(
            lambda: (
                load.count("after", status=201) >= 2 * BOOKERS
                and load.count("after", kind="offices") >= 2
            ),
            "bookings are taken again after the restart",
        )
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
    # An idle restart: each gunicorn thread now holds a persistent connection that the
    # server drops; without CONN_HEALTH_CHECKS the first request on each would fail.
    servers.restart_postgres()
    resumed = _parallel_gets(f"{gunicorn}/api/v1/offices/", threads=4, each=3)
    connection.close()  # ours died with the server; the next query reconnects

    assert resumed == [200] * 12

    assert in_process == {
        "page": (503, "text/html"),
        "api": (503, "service_unavailable"),
        "health": (503, {"status": "error"}),  # the detail is for staff or a token
    }
    statuses = collections.Counter((a["phase"], a["status"]) for a in load.answers)
    assert not [a for a in load.answers if a["status"] >= 500 and a["status"] != 503], statuses
    down = [a for a in load.answers if a["phase"] == "down"]
    assert {a["status"] for a in down} == {503}, statuses
    for answer in (a for a in load.answers if a["status"] == 503):
        if answer["kind"] == "health":
            assert answer["body"] == {"status": "error"}
        else:
            assert answer["body"]["error"]["code"] == "service_unavailable"
            assert answer["retry_after"] == "15"
    # Resumed by itself: nothing that started after the restart failed.
    after = [a for a in load.answers if a["phase"] == "after"]
    assert {a["status"] for a in after} <= {200, 201}, statuses

    accepted = {a["body"][0]["code"] for a in load.answers if a["status"] == 201}
    bookings = Booking.objects.filter(office=office)
    assert {b.display_code for b in bookings} >= accepted  # every 201 is in the database
    holding = Q(bookings__status__in=HOLDING_STATUSES)
    for slot in Slot.objects.filter(office=office).annotate(held=Count("bookings", filter=holding)):
        assert slot.booked == slot.held, slot
    seqs = list(bookings.values_list("queue_seq", flat=True))
    assert len(seqs) == len(set(seqs))
    for booking in bookings:
        assert BookingEvent.objects.filter(booking=booking).exists()
        assert OutboundMessage.objects.filter(
            **booking.about.fields(), kind="booking_confirmed"
        ).exists()
    print(
        f"\nPostgreSQL drill: {len(load.answers)} requests, "
        f"{sum(a['status'] == 503 for a in load.answers)} answered 503, "
        f"{len(accepted)} bookings accepted, {bookings.count()} in the database, "
        f"by phase: {dict(sorted(statuses.items()))}"
    )
