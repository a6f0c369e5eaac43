"""The system under test: gunicorn and a Celery worker on the PostgreSQL and Redis that
`scripts/with-services` started, configured as production is (DEBUG off, throttles
on), with the differences a benchmark needs printed in the report:

- requests arrive through a (pretend) reverse proxy: TRUSTED_PROXIES=127.0.0.1 and
  every request carries its own X-Forwarded-For address, as a real rush comes from
  thousands of phones. The throttles run at their production rates per address; only
  the WhatsApp gateway's per-key rate is raised (one key carries all 5,000 messages);
- WhatsApp goes to the in-memory backend: we measure our outbox, not Meta's servers;
- plain HTTP on loopback (no TLS), as `make stack` does.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from immigration import launcher

ROOT = launcher.ROOT
BIN = ROOT / ".venv" / "bin"

BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "immigration.settings",
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_SECURE_COOKIES": "false",
    "DJANGO_SECURE_HSTS_SECONDS": "0",
    "TRUSTED_PROXIES": "127.0.0.1",
    "API_THROTTLE_WHATSAPP": "100000/min",
    # The verified rush's gateway key carries all 10,000 booking requests; applicants
    # each send one, so their per-address limits are not reached either way.
    "API_THROTTLE_CLIENT": "1000000/min",
    "API_THROTTLE_BOOKING": "1000000/min",
    "WHATSAPP_SENDER_LIMIT": "1000000",
    # The outbox scenario measures our sender, not WhatsApp's pace per number (80/s,
    # nor a new number's daily tier: both tested in notifications/tests/test_sender.py).
    "WHATSAPP_SEND_RATE_PER_SECOND": "100000",
    "WHATSAPP_DEFAULT_DAILY_UNIQUE_USERS": "100000",
    "WHATSAPP_BACKEND": "notifications.backends.locmem.LocmemBackend",
    # The Cloud API webhook's deliveries are signed with it (bench/inbound.py).
    "WHATSAPP_APP_SECRET": "bench-app-secret",
    # The 5,000 deliveries are signed (with their timestamps) before the run starts,
    # and a slow VM takes longer than the default 5 minutes to send them all.
    "WHATSAPP_WEBHOOK_MAX_AGE_SECONDS": "3600",
}


def configure_environment() -> None:
    """The same settings for this process (set-up and checks) and the servers."""
    os.environ.update(BENCH_ENV)
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))


def web_cpus() -> str:
    """BENCH_WEB_CPUS: the CPUs (a `taskset -c` list: `0`, `0,1`, `0-3`) gunicorn and
    its workers are pinned to; empty: not pinned. To show the web side scaling with
    cores (docs/scaling.md): `BENCH_WEB_CPUS=0` then `BENCH_WEB_CPUS=0,1`."""
    return os.environ.get("BENCH_WEB_CPUS", "").strip()


def _count_cpus(cpus: str) -> int:
    count = 0
    for part in cpus.split(","):
        low, _, high = part.partition("-")
        count += int(high or low) - int(low) + 1
    return count


def web_shape(cores: int) -> tuple[int, int]:
    """gunicorn workers and threads for this machine. Measured on 2 cores: a process
    per core plus one keeps the CPUs busy while others wait on PostgreSQL; two threads
    each overlap a request's database waits without the GIL churn that more threads
    cost (see bench/README.md for the shapes tried). Pinned (BENCH_WEB_CPUS), one
    process per pinned CPU: N processes on N cores is the scaling measured."""
    pinned = web_cpus()
    default = _count_cpus(pinned) if pinned else cores + 1
    workers = int(os.environ.get("BENCH_WORKERS") or default)
    threads = int(os.environ.get("BENCH_THREADS") or 2)
    return workers, threads


def worker_nice() -> int:
    """BENCH_WORKER_NICE: the Celery worker's nice value (default: the deployed one,
    immigration/launcher.py's WORKER_NICE); 0 runs it at the web's priority."""
    value = os.environ.get("BENCH_WORKER_NICE", "").strip()
    return int(value) if value else launcher.worker_nice()


def pgbouncer_pool() -> int:
    """BENCH_PGBOUNCER=N: gunicorn and the worker reach PostgreSQL through PgBouncer in
    transaction mode with N server connections (bench/pooler.py); 0 or unset: directly."""
    return int(os.environ.get("BENCH_PGBOUNCER") or 0)


class Stack:
    """gunicorn + one Celery worker, started and stopped as a unit (by
    immigration/launcher.py, as `make stack` and the tests start them)."""

    def __init__(self, logdir: Path, cores: int):
        self.logdir = logdir
        self.port = launcher.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers, self.threads = web_shape(cores)
        self.servers = launcher.Stack()

    def start(self) -> None:
        env = {}
        self.pooler = None
        if pool := pgbouncer_pool():
            from bench import pooler

            self.pooler, url = pooler.start(self.logdir, pool)
            env = {"DATABASE_URL": url, "DATABASE_TRANSACTION_POOLING": "true"}
        web = launcher.gunicorn(
            port=self.port,
            workers=self.workers,
            threads=self.threads,
            env=env,
            log=self.logdir / "web.log",
        )
        if cpus := web_cpus():
            # taskset execs gunicorn in place: the pid, and so the CPU meter, stay its.
            web.argv = ["taskset", "-c", cpus, *web.argv]
        self.web = self.servers.add(web)
        self.worker = self.servers.add(
            launcher.celery_worker(
                hostname="bench@%h",
                concurrency=2,
                loglevel="WARNING",
                env=env,
                log=self.logdir / "worker.log",
                nice=worker_nice(),
            )
        )
        self.servers.start()
        self.wait_ready()

    def wait_ready(self, timeout: float = 90) -> None:
        try:
            launcher.wait_serving(self.web, self.base, seconds=timeout)
        except launcher.LaunchError as error:
            sys.exit(f"bench: {error}")
        from immigration.tasks import ping

        if ping.delay().get(timeout=90) != "pong":
            sys.exit("bench: the Celery worker did not answer")

    def cpu_kinds(self) -> dict[str, list[int]]:
        """Root pids of every process kind serving the bench, for bench/cpu.py."""
        from bench.cpu import service_roots

        kinds = {"gunicorn": [self.web.pid], "worker": [self.worker.pid], **service_roots()}
        if self.pooler is not None:
            kinds["pgbouncer"] = [self.pooler.pid]
        return kinds

    def meter(self):
        from bench.cpu import Meter

        return Meter(self.cpu_kinds())

    def stop(self) -> None:
        self.servers.stop()
        if self.pooler is not None:
            self.pooler.stop()
