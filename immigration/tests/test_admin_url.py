"""The admin's path comes from DJANGO_ADMIN_URL; nothing else assumes /admin/."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh process: the URLconf reads the setting once, at import.
_PROBE = """
import json
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
from django.urls import reverse
client = Client()
print("RESULT", json.dumps([
    reverse("admin:login"),
    client.get(reverse("admin:login")).status_code,
    client.get("/admin/login/").status_code,
    client.get(reverse("admin:index")).url,
]))
"""


def test_the_admin_moves_to_the_path_in_the_setting():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env |= {
        "DJANGO_DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "immigration.settings",
        "DJANGO_ADMIN_URL": "/kantor-7f3q/",
    }
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # Log lines share stdout with the answer.
    answer = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    login, served, old_path, redirect = json.loads(answer.removeprefix("RESULT "))
    assert login == "/kantor-7f3q/login/"
    assert served == 200
    assert old_path == 404
    # Anonymous visitors of the index are sent to the login form at the new path.
    assert redirect.startswith("/kantor-7f3q/login/")
