"""The settings contract: real servers in tests, and a production mode that is safe."""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from immigration.tests.processes import manage, probe

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "k8#Vt2!pQz9@Lm4$Rw7^Xc1&Nb6*Hj3(Ds5)Fg0_Ya8+Ue2=Io4?Ks6",
    "DJANGO_ALLOWED_HOSTS": "antrean.imigrasi.go.id",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://antrean.imigrasi.go.id",
    "DJANGO_SECURE_HSTS_PRELOAD": "true",
}


@pytest.mark.django_db
def test_suite_runs_on_postgresql():
    assert connection.vendor == "postgresql"


def test_redis_backs_the_cache_and_the_celery_broker():
    assert settings.REDIS_URL.startswith("redis://")
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL
    assert settings.CELERY_TASK_ALWAYS_EAGER is False


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV}
    del env["DJANGO_SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [("BOOKING_RETENTION_DAYS", "30"), ("MESSAGE_RETENTION_DAYS", "0")],
)
def test_a_retention_period_that_would_break_a_rule_is_refused(variable, value):
    """Erasing bookings inside the no-show window would let a repeat no-show book
    again as a stranger; a period of 0 days would erase messages still in use."""
    result = manage("check", env={"DJANGO_DEBUG": "true", variable: value})
    assert result.returncode != 0
    assert variable in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_redis_tasks_run_in_process_and_cache_is_local():
    script = (
        "import json; from django.conf import settings as s\n"
        "print('RESULT', json.dumps([s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND']]))"
    )
    answer = probe(script, {"DJANGO_DEBUG": "true"}, without=("REDIS_URL",))
    assert answer == [True, "django.core.cache.backends.locmem.LocMemCache"]


def test_without_database_url_the_database_is_make_runs_postgresql():
    """One database engine everywhere: unset, DATABASE_URL means the cluster `make run`
    keeps in .postgres/, through its unix socket (so a second terminal's manage.py
    reaches what make run serves); set, it wins."""
    script = (
        "import json; from django.conf import settings as s; d = s.DATABASES['default']\n"
        "print('RESULT', json.dumps([d['ENGINE'], d['NAME'], d['USER'], d['HOST'],"
        " d.get('OPTIONS', {}).get('host')]))"
    )
    answer = probe(script, {"DJANGO_DEBUG": "true"}, without=("DATABASE_URL",))
    folder = str(Path(__file__).resolve().parents[2] / ".postgres")
    assert answer == ["django.db.backends.postgresql", "antrean", "antrean", "", folder]

    given = {"DJANGO_DEBUG": "true", "DATABASE_URL": "postgres://u:p@db.example:6543/other"}
    answer = probe(script, given)
    assert answer == ["django.db.backends.postgresql", "other", "u", "db.example", None]
