"""Helpers for the fault drills: stop and start the real PostgreSQL and Redis servers
the suite runs on (scripts/with-services exports how), start Celery workers that can
be killed, and a loopback stand-in for the WhatsApp Cloud API that workers send
through, so the test sees every message a worker process handed to the provider.

Every drill restores what it stopped in a `finally` and waits until it answers again:
the rest of the suite shares these servers.
"""

import contextlib
import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis

from immigration import launcher

ROOT = launcher.ROOT
# Drills publish to their own Redis databases, so only their own workers consume them
# (the suite's worker listens on the database of REDIS_URL).
DRILL_DB_REDIS = 11
DRILL_DB_KILL = 12
DRILL_DB_POSTGRES = 13
DRILL_DB_INBOX = 14


def wait_for(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {what}")
        time.sleep(0.1)


def database_url(db_settings: dict) -> str:
    user = db_settings["USER"]
    password = f":{db_settings['PASSWORD']}" if db_settings.get("PASSWORD") else ""
    host = db_settings["HOST"] or "127.0.0.1"
    port = db_settings["PORT"] or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{db_settings['NAME']}"


def current_database_url() -> str:
    """The database this process uses (in tests: pytest-django's test_<name>)."""
    from django.db import connection

    return database_url(connection.settings_dict)


def redis_url(db: int) -> str:
    from django.conf import settings

    return settings.REDIS_URL.rsplit("/", 1)[0] + f"/{db}"


@dataclass(frozen=True)
class Servers:
    """The servers scripts/with-services started, and how to stop and start them."""

    pgdata: str
    pg_bin: str
    pg_log: str
    pg_user: str
    redis_conf: str

    @classmethod
    def from_env(cls) -> "Servers":
        names = ["SERVICES_PGDATA", "PG_BIN", "SERVICES_PG_LOG", "SERVICES_REDIS_CONF"]
        missing = [name for name in names if not os.environ.get(name)]
        if missing:
            pytest.skip(f"fault drills run under scripts/with-services (missing {missing})")
        return cls(
            pgdata=os.environ["SERVICES_PGDATA"],
            pg_bin=os.environ["PG_BIN"],
            pg_log=os.environ["SERVICES_PG_LOG"],
            pg_user=os.environ.get("SERVICES_PG_USER", ""),
            redis_conf=os.environ["SERVICES_REDIS_CONF"],
        )

    # --- Redis -------------------------------------------------------------------
    def _redis(self) -> redis.Redis:
        from django.conf import settings

        return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)

    def redis_up(self) -> bool:
        try:
            return bool(self._redis().ping())
        except redis.RedisError:
            return False

    def stop_redis(self) -> None:
        with contextlib.suppress(redis.ConnectionError):  # the server hangs up as it goes
            self._redis().shutdown(nosave=True)
        wait_for(lambda: not self.redis_up(), "Redis stopped")

    def start_redis(self) -> None:
        if not self.redis_up():
            subprocess.run(["redis-server", self.redis_conf], check=True, capture_output=True)
        wait_for(self.redis_up, "Redis answers again")

    @contextlib.contextmanager
    def redis_stopped(self):
        self.stop_redis()
        try:
            yield
        finally:
            self.start_redis()

    # --- PostgreSQL ----------------------------------------------------------------
    def pg_ctl(self, *args: str) -> None:
        run_as = ["runuser", "-u", self.pg_user, "--"] if self.pg_user else []
        command = [*run_as, f"{self.pg_bin}/pg_ctl", "-D", self.pgdata, "-l", self.pg_log, *args]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def postgres_up(self) -> bool:
        return Path(self.pgdata, "postmaster.pid").exists()

    def stop_postgres(self) -> None:
        """`pg_ctl stop -m fast`: open sessions are terminated, transactions roll back."""
        self.pg_ctl("-m", "fast", "-w", "-t", "60", "stop")

    def start_postgres(self) -> None:
        if not self.postgres_up():
            self.pg_ctl("-w", "-t", "60", "start")

    def restart_postgres(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "-t", "60", "restart")


@contextlib.contextmanager
def broker(url: str):
    """Point this process's Celery app at another broker (a drill's own database)."""
    from immigration.celery import app

    def reset():
        app._pool = None
        app.amqp._producer_pool = None

    original = app.conf.broker_url
    app.conf.broker_url = url
    reset()
    try:
        yield
    finally:
        app.conf.broker_url = original
        reset()


class Worker:
    """A real `celery worker` process (immigration/launcher.py) on `broker_url` and the
    test database: one process (solo pool), so a SIGKILL stops a task mid-way."""

    _count = 0

    def __init__(self, *, broker_url: str, env: dict | None = None):
        Worker._count += 1
        self.hostname = f"drill-{os.getpid()}-{Worker._count}@localhost"
        self.broker_url = broker_url
        self.server = launcher.celery_worker(
            hostname=self.hostname,
            solo=True,
            quiet=True,
            loglevel="WARNING",
            env={
                "DATABASE_URL": current_database_url(),
                "REDIS_URL": broker_url,
                "DJANGO_DEBUG": "true",
                "DJANGO_SETTINGS_MODULE": "immigration.settings",
                **(env or {}),
            },
        )

    def start(self) -> "Worker":
        self.server.start()
        wait_for(self.answers, f"worker {self.hostname} answers ping", seconds=60)
        return self

    def answers(self) -> bool:
        if not self.server.running():
            pytest.fail(f"worker {self.hostname} is not running")
        with broker(self.broker_url):
            return launcher.worker_answers(self.server, self.hostname)

    def forget_earlier_tasks(self, seconds: float = 90) -> int:
        """Revoke every task this worker holds for later (a countdown's ETA) or has
        reserved, once it is between tasks: what earlier tests published must not run in
        the next one, on its committed rows (conftest.py empties the queues themselves
        next). A solo worker answers control messages only between tasks, so each answer
        also waits for the task it is running; the revoke's answer means none of them
        starts later. `seconds` bounds a task's run (CELERY_TASK_TIME_LIMIT, 60 s).
        Returns how many were revoked."""
        from immigration.celery import app

        if not self.server.running() or app.conf.broker_url != self.broker_url:
            return 0  # killed by its test, or a test pointed the app at another broker
        for attempt in (1, 2):
            try:
                inspect = app.control.inspect(destination=[self.hostname], timeout=seconds, limit=1)
                scheduled = (inspect.scheduled() or {}).get(self.hostname, [])
                held = [t["request"]["id"] for t in scheduled]
                held += [t["id"] for t in (inspect.reserved() or {}).get(self.hostname, [])]
                if held:
                    app.control.revoke(
                        held, destination=[self.hostname], reply=True, timeout=seconds, limit=1
                    )
                return len(held)
            except Exception:  # a pooled connection a drill's Redis restart left stale
                if attempt == 2:
                    raise
                app._pool = None
                app.amqp._producer_pool = None
        return 0

    def kill(self) -> None:
        """SIGKILL: no cleanup, no acknowledgement, connections dropped mid-transaction."""
        self.server.kill()

    def stop(self) -> None:
        self.server.stop()


@contextlib.contextmanager
def running_worker(*, broker_url: str, env: dict | None = None):
    worker = Worker(broker_url=broker_url, env=env)
    try:
        yield worker.start()
    finally:
        worker.stop()


class Provider:
    """A loopback Graph API stand-in for workers using the real cloud backend.

    Records every message it accepted (`sends`, a list of JSON bodies). `hold("after")`
    makes the next send be recorded, then left unanswered until `release()`: the
    provider has the message, the worker does not know. `hold("before")` leaves it
    unanswered and unrecorded: the message never reached the provider."""

    def __init__(self):
        self.sends: list[dict] = []
        self._lock = threading.Lock()
        self._hold: str | None = None
        self.holding = threading.Event()
        self._release = threading.Event()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path.endswith("/media"):
                    return self._answer({"id": "media-1"})
                with provider._lock:
                    hold, provider._hold = provider._hold, None
                    if hold != "before":
                        provider.sends.append(json.loads(body))
                        number = len(provider.sends)
                if hold:
                    provider.holding.set()
                    provider._release.wait(timeout=60)
                    self.close_connection = True
                    return None
                return self._answer({"messages": [{"id": f"wamid.drill.{number}"}]})

            def _answer(self, data):
                payload = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def worker_env(self) -> dict:
        return {
            "WHATSAPP_BACKEND": "notifications.backends.cloud.CloudBackend",
            "WHATSAPP_GRAPH_URL": f"http://127.0.0.1:{self.server.server_port}",
            "WHATSAPP_ACCESS_TOKEN": "drill-token",
        }

    def hold(self, where: str) -> None:
        self._hold = where
        self.holding.clear()
        self._release.clear()

    def release(self) -> None:
        self._release.set()

    def sends_to(self, phone: str) -> int:
        with self._lock:
            return sum(1 for body in self.sends if body.get("to") == phone)

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


def open_day(office, *, places: int = 1):
    """The first day, by the real clock, on which `office` takes `places` bookings (a
    drill's server processes cannot share a test's frozen clock)."""
    import datetime as dt

    from django.utils import timezone

    from offices import schedule
    from offices.selectors import DayState, office_availability

    today = schedule.local_today(office, timezone.now())
    days = office_availability(office=office, start=today, end=today + dt.timedelta(days=27))
    for day in days:
        if day.state == DayState.OPEN and day.remaining >= places:
            return day.date
    pytest.fail(f"{office.code} has no open day in the next four weeks")


def verified_phone_key(office) -> str:
    """An API key that books confirmed at `office` (a gateway that verified the phone
    itself): the drills follow confirmations through the outbox, and a hold (what an
    anonymous booking is) sends none."""
    from offices.models import ApiClient

    _client, key = ApiClient.objects.create_key(
        name=f"drill-{office.code}", scopes=["bookings:verified-phone"], office=office
    )
    return key


def booking_request(office, day, n: int) -> dict:
    """The API body of applicant number `n`: each a different person and phone."""
    letters = "".join(chr(65 + int(digit)) for digit in f"{n:04d}")
    return {
        "office": office.code,
        "date": day.isoformat(),
        "name": f"PEMOHON {letters}",
        "birth_date": "1990-05-17",
        "phone": f"08129{n:07d}",
    }
