"""Work is split into queues that scale on their own (immigration/celery.py), and the
deployment shape (docker-compose.yml) has a consumer for every queue: a task routed to a
queue nobody reads would wait for ever, silently."""

from pathlib import Path

import pytest
import yaml

from immigration.celery import DEFAULT, NOTICES, SWEEPS, app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _every_task_registered():
    """As a worker does at start: import every app's tasks.py (autodiscovery is lazy)."""
    app.loader.import_default_modules()


def _queue(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_what_applicants_wait_for_goes_to_the_notices_queue():
    for task in (
        "notifications.tasks.drain_outbox",
        "notifications.tasks.send_outbound_message",
        "notifications.tasks.send_outbound_messages",
        "notifications.tasks.drain_inbox",
        "notifications.tasks.process_inbound",
        "waitlist.tasks.places_freed",
        "notifications.tasks.wake_outbox_due",
    ):
        assert task in app.tasks, task
        assert _queue(task) == NOTICES, task


def test_every_periodic_job_but_the_heartbeat_and_the_outbox_wake_up_goes_to_sweeps():
    special = {"heartbeat": DEFAULT, "wake-outbox-due": NOTICES}
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, entry["task"]
        expected = special.get(name, SWEEPS)
        assert _queue(entry["task"]) == expected, name


def test_a_worker_without_queue_options_consumes_every_queue():
    """`make stack`, the tests' workers and the bench start workers without -Q."""
    assert set(app.amqp.queues) == {DEFAULT, NOTICES, SWEEPS}
    routed = {_queue(name) for name in app.tasks if not name.startswith("celery.")}
    assert routed <= set(app.amqp.queues)


def test_every_task_of_an_app_is_routed_on_purpose():
    """A new task must be given its queue in immigration/celery.py: one left on the
    default queue would wait behind nothing in particular and scale with no one. Only
    the project's own probes (immigration.tasks) stay on the default queue."""
    for name in app.tasks:
        if name.startswith(("celery.", "immigration.")):
            continue
        assert name in app.conf.task_routes, f"{name} has no queue in immigration/celery.py"
        assert _queue(name) in (NOTICES, SWEEPS), name


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _consumed(command: list[str]) -> set[str]:
    for i, arg in enumerate(command):
        if arg == "-Q":
            return set(command[i + 1].split(","))
        if arg.startswith("--queues="):
            return set(arg.split("=", 1)[1].split(","))
    return set(app.amqp.queues)


def test_the_compose_workers_consume_every_queue_and_beat_runs_once():
    services = _compose()["services"]
    workers = {
        name: service
        for name, service in services.items()
        if "worker" in (service.get("command") or [])
    }
    consumed = set().union(*(_consumed(w["command"]) for w in workers.values()))
    assert consumed == set(app.amqp.queues)
    # One worker service per queue that matters, so each scales on its own.
    assert {NOTICES, SWEEPS} <= {q for w in workers.values() for q in _consumed(w["command"])}
    assert not any({NOTICES, SWEEPS} <= _consumed(w["command"]) for w in workers.values())
    beats = [s for s in services.values() if "beat" in (s.get("command") or [])]
    assert len(beats) == 1
    assert beats[0].get("deploy", {}).get("replicas", 1) == 1
