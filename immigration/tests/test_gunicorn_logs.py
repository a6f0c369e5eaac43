"""gunicorn as deployed (gunicorn.conf.py) writes no access line of its own: those carry
the query string, where a birth date or NIK may travel. Our access line has the path."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from immigration.tests.drills import current_database_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_logs_no_query_strings(tmp_path):
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": current_database_url(),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "log-test-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": "INFO",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "immigration.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}/api/v1/offices/?birth_date=1990-01-31&nik=3171234567890123"
            deadline = time.monotonic() + 60
            while True:
                try:
                    status = requests.get(url, timeout=10).status_code
                    break
                except requests.RequestException:  # not listening yet, or slow to answer
                    assert process.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, "gunicorn did not start"
                    time.sleep(0.3)
            assert status == 200
        finally:
            process.terminate()
            process.wait(timeout=30)
    text = log.read_text()
    assert '"path": "/api/v1/offices/"' in text  # our own access line
    assert "1990-01-31" not in text
    assert "3171234567890123" not in text
    assert "birth_date" not in text
