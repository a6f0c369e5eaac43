import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def _login(username: str, password: str):
    # The login lockout (django-axes) needs the request a login comes with.
    return authenticate(RequestFactory().post("/"), username=username, password=password)


def _passwords(output: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+(\w+)\s+(\S+)\s+", output, flags=re.MULTILINE))


def test_demo_accounts_are_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refused when DEBUG is off"):
        call_command("create_demo_accounts")
    assert not get_user_model().objects.exists()


def test_demo_accounts_are_created_with_the_printed_passwords(settings, capsys):
    settings.DEBUG = True
    call_command("create_demo_accounts")
    passwords = _passwords(capsys.readouterr().out)
    assert set(passwords) == {"admin", "loket", "supervisor", "inspektur"}
    for username, password in passwords.items():
        user = _login(username, password)
        assert user is not None
        assert user.is_staff
    assert get_user_model().objects.get(username="admin").is_superuser
    assert not get_user_model().objects.get(username="loket").is_superuser


def test_running_again_resets_passwords_instead_of_failing(settings, capsys):
    settings.DEBUG = True
    call_command("create_demo_accounts")
    first = _passwords(capsys.readouterr().out)
    call_command("create_demo_accounts")
    second = _passwords(capsys.readouterr().out)
    assert get_user_model().objects.count() == 4
    assert first["loket"] != second["loket"]
    assert _login("loket", second["loket"]) is not None
    assert _login("loket", first["loket"]) is None


def test_demo_passwords_pass_the_password_validators(settings, capsys):
    settings.DEBUG = True
    call_command("create_demo_accounts")
    for username, password in _passwords(capsys.readouterr().out).items():
        validate_password(password, get_user_model().objects.get(username=username))


def test_demo_accounts_are_refused_when_the_validators_refuse_their_passwords(settings):
    settings.DEBUG = True
    settings.AUTH_PASSWORD_VALIDATORS = [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 40},
        }
    ]
    with pytest.raises(CommandError, match="40"):
        call_command("create_demo_accounts")
    assert not get_user_model().objects.exists()
