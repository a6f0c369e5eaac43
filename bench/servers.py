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
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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
    "WHATSAPP_SENDER_LIMIT": "1000000",
    "WHATSAPP_BACKEND": "notifications.backends.locmem.LocmemBackend",
}


def configure_environment() -> None:
    """The same settings for this process (set-up and checks) and the servers."""
    os.environ.update(BENCH_ENV)
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def web_shape(cores: int) -> tuple[int, int]:
    """gunicorn workers and threads for this machine. Measured on 2 cores: a process
    per core plus one keeps the CPUs busy while others wait on PostgreSQL; two threads
    each overlap a request's database waits without the GIL churn that more threads
    cost (see bench/README.md for the shapes tried)."""
    workers = int(os.environ.get("BENCH_WORKERS") or cores + 1)
    threads = int(os.environ.get("BENCH_THREADS") or 2)
    return workers, threads


class Stack:
    """gunicorn + one Celery worker, started and stopped as a unit."""

    def __init__(self, logdir: Path, cores: int):
        self.logdir = logdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers, self.threads = web_shape(cores)
        self.processes: list[subprocess.Popen] = []

    def _start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "ab")  # noqa: SIM115 (lives with the process)
        process = subprocess.Popen(
            argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def start(self) -> None:
        env_shape = {
            "WEB_CONCURRENCY": str(self.workers),
            "GUNICORN_THREADS": str(self.threads),
            "PORT": str(self.port),
        }
        os.environ.update(env_shape)
        self._start("web", [str(BIN / "gunicorn"), "immigration.wsgi"])
        self._start(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "immigration",
                "worker",
                "--loglevel=WARNING",
                "--concurrency=2",
                "-n",
                "bench@%h",
            ],
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            sys.exit("bench: gunicorn did not answer /healthz")
        from immigration.tasks import ping

        if ping.delay().get(timeout=90) != "pong":
            sys.exit("bench: the Celery worker did not answer")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()
