"""`create_staff` holds staff passwords to AUTH_PASSWORD_VALIDATORS."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory

pytestmark = pytest.mark.django_db

STRONG = "kunci-rahasia-panjang-42"


def _create(username, password):
    call_command(
        "create_staff", username, "--office", "batam", "--role", "desk", "--password", password
    )


def _login(username, password):
    return authenticate(RequestFactory().post("/"), username=username, password=password)


@pytest.mark.parametrize(
    "weak",
    [
        "Kp9#x",  # too short
        "4815162342",  # digits only
        "iloveyou12",  # a common password
        "budisantoso1",  # the username itself
    ],
)
def test_a_weak_password_is_refused_and_no_account_is_made(weak):
    with pytest.raises(CommandError):
        _create("budisantoso", weak)
    assert not get_user_model().objects.filter(username="budisantoso").exists()


def test_a_weak_password_leaves_an_existing_account_as_it_was():
    _create("budi", STRONG)
    with pytest.raises(CommandError):
        _create("budi", "12345678")
    assert _login("budi", STRONG) is not None
    assert _login("budi", "12345678") is None


def test_a_strong_password_is_set():
    _create("budi", STRONG)
    user = _login("budi", STRONG)
    assert user is not None
    assert user.is_staff
