"""The admin's path comes from DJANGO_ADMIN_URL; nothing else assumes /admin/."""

from immigration.tests.processes import probe

# Run in a fresh process: the URLconf reads the setting once, at import.
_PROBE = """
import json
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
    env = {"DJANGO_DEBUG": "true", "DJANGO_ADMIN_URL": "/kantor-7f3q/"}
    login, served, old_path, redirect = probe(_PROBE, env)
    assert login == "/kantor-7f3q/login/"
    assert served == 200
    assert old_path == 404
    # Anonymous visitors of the index are sent to the login form at the new path.
    assert redirect.startswith("/kantor-7f3q/login/")
