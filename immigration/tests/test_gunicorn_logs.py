"""gunicorn as deployed (gunicorn.conf.py) writes no access line of its own: those carry
the query string, where a birth date or NIK may travel. Our access line has the path."""

import pytest
import requests

from immigration import launcher
from immigration.tests.drills import current_database_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_gunicorn_logs_no_query_strings(tmp_path):
    port = launcher.free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        "DATABASE_URL": current_database_url(),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "log-test-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "INFO",
    }
    url = f"http://127.0.0.1:{port}/api/v1/offices/?birth_date=1990-01-31&nik=3171234567890123"
    with launcher.gunicorn(port=port, env=env, workers=1, log=log) as server:
        # A slow first answer on a loaded machine is waited for, not failed.
        launcher.wait_serving(server, f"http://127.0.0.1:{port}", seconds=60)
        assert requests.get(url, timeout=30).status_code == 200
    text = log.read_text()
    assert '"path": "/api/v1/offices/"' in text  # our own access line
    assert "1990-01-31" not in text
    assert "3171234567890123" not in text
    assert "birth_date" not in text
