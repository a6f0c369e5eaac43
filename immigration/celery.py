"""The Celery app: configured from Django settings (CELERY_ namespace), tasks found in
each app's `tasks.py`, and the beat schedule, kept here in one static table so a
reader sees every periodic job of the system in one place."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_postrun, task_prerun
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "immigration.settings")

app = Celery("immigration")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Queues, so each kind of work scales on its own (docker-compose.yml runs workers per
# queue, `--scale worker-notices=N`): `notices` carries every WhatsApp message, out
# (confirmations, changes) and in (webhook deliveries that book), and waiting-list
# offers: applicants wait on it, seconds matter. `sweeps` carries the periodic jobs
# below: batches that may run for minutes and must never delay a confirmation.
# `celery` (the default) carries the rest: health probes and anything not routed.
# A worker started without -Q (make stack, tests, bench) consumes all three.
NOTICES, SWEEPS, DEFAULT = "notices", "sweeps", "celery"
app.conf.task_default_queue = DEFAULT
app.conf.task_queues = [Queue(name, routing_key=name) for name in (DEFAULT, NOTICES, SWEEPS)]
_routes = {
    "notifications.tasks.drain_outbox": {"queue": NOTICES},
    "notifications.tasks.send_outbound_message": {"queue": NOTICES},
    "notifications.tasks.send_outbound_messages": {"queue": NOTICES},
    "notifications.tasks.drain_inbox": {"queue": NOTICES},
    "notifications.tasks.process_inbound": {"queue": NOTICES},
    "waitlist.tasks.places_freed": {"queue": NOTICES},
    "notifications.tasks.wake_outbox_due": {"queue": NOTICES},
}

_beat_schedule = {
    # Lets /healthz-style probes and `make stack` see that beat and a worker are alive.
    "heartbeat": {"task": "immigration.tasks.heartbeat", "schedule": 30.0},
    # Days open for booking at each office's release time; rows appear within minutes
    # (bookings also create them on demand, so a late run loses nothing).
    "release-due-slots": {"task": "offices.tasks.release_due_slots", "schedule": 600.0},
    # No-shows are forfeited 30 minutes after their slot starts; check-in enforces the
    # same rule itself, so a late run never lets a late applicant in.
    "expire-no-shows": {"task": "bookings.tasks.expire_no_shows", "schedule": 60.0},
    # Holds not confirmed by WhatsApp within BOOKING_HOLD_MINUTES; a lapsed hold counts
    # nowhere already, so a late run only delays the tidying.
    "release-expired-holds": {"task": "bookings.tasks.release_expired_holds", "schedule": 60.0},
    # Waiting lists: lapsed offers passed on, unused priority places released before the
    # day, and any free room offered to the lists (the hooks after commit do it at once;
    # this catches a lost one).
    "waitlist-sweep": {"task": "waitlist.tasks.sweep", "schedule": 60.0},
    # The day-before reminder, from BOOKING_REMINDER_HOUR in each office's zone.
    "send-reminders": {"task": "bookings.tasks.send_reminders", "schedule": 900.0},
    # Complaints, daily at 08:00 WIB (01:00 UTC): overdue cases to the supervisors,
    # concluded cases closed after 10 working days, old contact details erased.
    "complaints-daily": {"task": "complaints.tasks.daily", "schedule": crontab(hour=1, minute=0)},
    # Personal data past its retention period, nightly at 02:30 and 02:45 WIB when the
    # offices are closed: applicants' data of old bookings (BOOKING_RETENTION_DAYS), and
    # old WhatsApp messages and numbers (MESSAGE_RETENTION_DAYS). Reporters' contact
    # details go in complaints-daily (COMPLAINT_CONTACT_RETENTION_DAYS).
    "erase-personal-data": {
        "task": "bookings.tasks.erase_personal_data",
        "schedule": crontab(hour=19, minute=30),
    },
    "erase-old-draw-entries": {
        "task": "release.tasks.erase_old_draw_entries",
        "schedule": crontab(hour=19, minute=40),
    },
    "erase-old-messages": {
        "task": "notifications.tasks.erase_old_messages",
        "schedule": crontab(hour=19, minute=45),
    },
    # Draws: commitments published ahead of their windows, and each draw run when its
    # window closes (a crashed run is finished by the next).
    "commit-draws": {"task": "release.tasks.commit_draws", "schedule": 600.0},
    "run-due-draws": {"task": "release.tasks.run_due_draws", "schedule": 60.0},
    # Messages whose task was lost (broker down) or that wait for a retry go out here.
    "requeue-outbox": {"task": "notifications.tasks.requeue_outbox", "schedule": 60.0},
    # Notices a limit held back (the 6 s one-user spacing, a number's pace, a retry's
    # back-off) wait in the table, not as Celery countdowns (an ETA task held by the
    # worker killed it when Redis restarted); this wakes a sender once one is due.
    "wake-outbox-due": {
        "task": "notifications.tasks.wake_outbox_due",
        "schedule": float(os.environ.get("OUTBOX_WAKE_DUE_SECONDS", "5")),
    },
    # Webhook messages stored while Redis or the worker was down are processed here;
    # those that failed too often are parked for an operator (admin).
    "requeue-inbox": {"task": "notifications.tasks.requeue_inbox", "schedule": 60.0},
}
# Every periodic job but the heartbeat (which shows that a worker of the default queue
# is alive) and the outbox's wake-up (what applicants wait for: it must not queue
# behind a long sweep) runs on the sweeps queue. (Built as plain dicts: reading app.conf here would
# load Django's settings at import.)
_routes.update(
    {
        entry["task"]: {"queue": SWEEPS}
        for name, entry in _beat_schedule.items()
        if name not in ("heartbeat", "wake-outbox-due")
    }
)
app.conf.beat_schedule = _beat_schedule
app.conf.task_routes = _routes


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(**kwargs):
    """Treat a task as Django treats a request: before and after it, close connections
    that are broken or older than CONN_MAX_AGE, keep the others (the fixup no longer
    closes them every time, see CELERY_DB_REUSE_MAX)."""
    from django.db import close_old_connections

    close_old_connections()


@task_prerun.connect
def _bind_request_id(task_id=None, task=None, **kwargs):
    """Tag a task's log lines with its task id, as requests are tagged with theirs."""
    from immigration.logging import request_id_var

    task.request.request_id_token = request_id_var.set(task_id)


@task_postrun.connect
def _unbind_request_id(task=None, **kwargs):
    from immigration.logging import request_id_var

    token = getattr(task.request, "request_id_token", None)
    if token is not None:
        request_id_var.reset(token)
