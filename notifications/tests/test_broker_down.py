"""Redis down while an applicant books: the booking stands, its notice waits in the
outbox, and goes out once the broker is back."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.tests.factories import book, office
from immigration.celery import app
from notifications.models import OutboundMessage
from notifications.services import outbox_requeue


def _reset_connections():
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down(unused_tcp_port):
    original = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{unused_tcp_port}/0"
    _reset_connections()
    yield
    app.conf.broker_url = original
    _reset_connections()


@pytest.mark.django_db(transaction=True)
def test_a_notice_queued_while_the_broker_is_down_goes_out_when_it_is_back(
    celery_worker_process, broker_down, request, wait_until
):
    booking = book(office())  # commits; the on-commit dispatch finds no broker
    message = OutboundMessage.objects.get(**booking.about.fields())
    assert message.status == "queued"

    request.getfixturevalue("broker_down")  # the fixture's teardown restores the broker
    app.conf.broker_url = celery_worker_process.broker_url
    _reset_connections()
    assert outbox_requeue(now=timezone.now() + dt.timedelta(minutes=2)) == 1
    wait_until(
        lambda: OutboundMessage.objects.get(pk=message.pk).status == "sent",
        "the notice went out after the broker came back",
    )
