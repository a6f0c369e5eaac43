"""Celery: a real worker process on the real Redis broker."""

import pytest
from django.core.cache import cache

from immigration.celery import app
from immigration.tasks import HEARTBEAT_CACHE_KEY, database_session, heartbeat, ping


def test_ping_round_trips_through_a_real_worker_on_redis(celery_worker_process):
    result = ping.delay()
    assert result.get(timeout=30) == "pong"
    assert app.conf.broker_url.startswith("redis://")


def test_the_worker_keeps_its_database_connection_between_tasks(celery_worker_process):
    # One process (solo pool): a new backend per task would mean a reconnection per
    # confirmation, the largest share of PostgreSQL's CPU in a rush (#19).
    sessions = {database_session.delay().get(timeout=30) for _ in range(5)}
    assert len(sessions) == 1


def test_heartbeat_run_by_the_worker_is_visible_through_the_shared_cache(
    celery_worker_process, wait_until
):
    cache.delete(HEARTBEAT_CACHE_KEY)
    heartbeat.delay()
    wait_until(lambda: cache.get(HEARTBEAT_CACHE_KEY) is not None, "the worker ran heartbeat")


def test_every_beat_job_names_a_registered_task():
    app.loader.import_default_modules()
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, name


def test_tasks_use_json_and_have_time_limits():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_time_limit > app.conf.task_soft_time_limit > 0


@pytest.mark.parametrize("setting", ["task_acks_late", "task_reject_on_worker_lost"])
def test_a_killed_worker_leaves_its_task_queued(setting):
    assert app.conf[setting] is True


@pytest.mark.django_db(transaction=True)
def test_a_task_an_earlier_test_left_with_the_worker_never_runs_in_the_next(
    celery_worker_process, wait_until
):
    """conftest's `_fresh_cache` asks this of the session's worker before each test: a
    deferred send published by one test once ran in the next and sent that test's
    committed notices from the worker (the inbox drain test's flake in CI)."""
    from notifications.models import OutboundMessage
    from notifications.tasks import send_outbound_messages

    # An earlier test's deferred notice, taken by the worker (one still queued goes with
    # the cache); then that test's end, and the next commits its own.
    send_outbound_messages.apply_async(([],), countdown=8)
    host = celery_worker_process.hostname
    inspect = app.control.inspect(destination=[host], timeout=30, limit=1)
    wait_until(lambda: (inspect.scheduled() or {}).get(host), "the worker holds the task")
    assert celery_worker_process.forget_earlier_tasks() == 1
    cache.clear()
    mine = OutboundMessage.objects.create(to="6281234500001", text="x", kind="reply")
    # The worker runs what is due in order of its time: once a later task has run, the
    # earlier one would have.
    assert ping.apply_async(countdown=9).get(timeout=30) == "pong"
    mine.refresh_from_db()
    assert mine.status == "queued"
