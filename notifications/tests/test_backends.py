import io

import pytest
from django.core.checks import run_checks

from notifications.backends import OutgoingMessage, get_backend, locmem
from notifications.backends.console import ConsoleBackend


def test_tests_send_through_the_locmem_backend():
    result = get_backend().send(OutgoingMessage(to="6281234567890", text="Halo"))
    assert result.provider_message_id.startswith("locmem-")
    assert locmem.outbox == [OutgoingMessage(to="6281234567890", text="Halo")]


def test_console_backend_prints_the_whole_message():
    stream = io.StringIO()
    result = ConsoleBackend(stream=stream).send(
        OutgoingMessage(to="6281234567890", text="Kode booking: ABCD-EFGH", image_png=b"png")
    )
    printed = stream.getvalue()
    assert "6281234567890" in printed
    assert "Kode booking: ABCD-EFGH" in printed
    assert "[+ image 3 bytes]" in printed
    assert result.provider_message_id in printed


@pytest.mark.parametrize(
    ("path", "check_id"),
    [
        ("notifications.backends.nosuch.Backend", "notifications.E001"),
        ("notifications.backends.base.OutgoingMessage", "notifications.E002"),
    ],
)
def test_a_wrong_whatsapp_backend_fails_the_system_checks(settings, path, check_id):
    settings.WHATSAPP_BACKEND = path
    assert check_id in [message.id for message in run_checks()]
