"""The webhook's acknowledgement in one process: its fast path against Django's handler.

    scripts/with-services .venv/bin/python -m bench.webhook_ack [DELIVERIES] [ROUNDS]

Signed deliveries (one booking line each) are handed to the WSGI application as
gunicorn hands them over (an environ with the raw body), alternately through
`immigration.wsgi.application` (the fast path, notifications/webhook_wsgi.py, in front
of Django) and through Django's own handler with the webhook's middleware
(`immigration.wsgi.django_application`), ROUNDS times each, interleaved so that the
shared VM's load weighs on both alike; then refused ones (a bad signature: no database,
no Redis). Printed: CPU ms per delivery of this process (`time.process_time`) and of
PostgreSQL's process tree (/proc), the before/after figure of bench/README.md
("Session 12") when the VM's wall figures are noise. LOG_LEVEL=INFO (the default here,
as deployed) includes each request's access line; the lines go to /dev/null.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import sys
import time

from bench.servers import BIN, ROOT, configure_environment

PREFIX = "wamid.ack."


def _setup() -> None:
    import subprocess

    configure_environment()
    os.environ.setdefault("LOG_LEVEL", "INFO")
    subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True
    )
    import django

    django.setup()
    import logging

    # The access lines are formatted as deployed, and thrown away.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (for the process's life)


def _delivery(secret: bytes, phone_id: str, n: int, stamp: str) -> tuple[bytes, str]:
    message = {
        "from": f"628170{n:08d}",
        "id": f"{PREFIX}{n}",
        "timestamp": stamp,
        "type": "text",
        "text": {"body": "#PEMOHON ACK#01011990#01012030#"},
    }
    value = {"metadata": {"phone_number_id": phone_id}, "messages": [message]}
    body = json.dumps({"entry": [{"changes": [{"value": value}]}]}).encode()
    return body, "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def _environ(body: bytes, signature: str) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/whatsapp/webhook/",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_HUB_SIGNATURE_256": signature,
        "HTTP_X_FORWARDED_FOR": "10.1.2.3",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }


def _start_response(status, headers, exc_info=None):
    _start_response.status = status


def main() -> None:
    _setup()
    from django.conf import settings

    from bench.cpu import cpu_by_kind, service_roots
    from bench.inbound import offices, webhook_phone_ids
    from immigration.unread_body import UnreadBodyMiddleware
    from immigration.wsgi import application, django_application
    from notifications.models import InboundMessage

    args = sys.argv[1:]
    count = int(args[0]) if args else 1000
    rounds = int(args[1]) if len(args) > 1 else 3
    ways = {"fast path": application, "django": UnreadBodyMiddleware(django_application)}
    phone_id = next(iter(webhook_phone_ids(offices()).values()))
    secret = settings.WHATSAPP_APP_SECRET.encode()
    roots = {"postgres": service_roots().get("postgres", [])}
    serial = iter(range(10**9))
    totals = {(way, bad): [0.0, 0.0, 0] for way in ways for bad in (False, True)}

    def run(way: str, bad: bool, n: int) -> None:
        stamp = str(int(time.time()))
        items = [_delivery(secret, phone_id, next(serial), stamp) for _ in range(n)]
        environs = [_environ(body, "sha256=00" if bad else sig) for body, sig in items]
        app = ways[way]
        pg, cpu = cpu_by_kind(roots)["postgres"], time.process_time()
        for environ in environs:
            result = app(environ, _start_response)
            b"".join(result)
            getattr(result, "close", lambda: None)()
        expected = "403" if bad else "200"
        assert _start_response.status.startswith(expected), _start_response.status
        total = totals[(way, bad)]
        total[0] += time.process_time() - cpu
        total[1] += cpu_by_kind(roots)["postgres"] - pg
        total[2] += n

    InboundMessage.objects.filter(provider_message_id__startswith=PREFIX).delete()
    for way in ways:  # warm-up: imports, connections, learnt headers
        run(way, False, 50)
        run(way, True, 50)
    totals.update({key: [0.0, 0.0, 0] for key in totals})
    for _ in range(rounds):
        for way in ways:
            run(way, False, count)
        for way in ways:
            run(way, True, count // 2)
    for (way, bad), (cpu, pg, n) in totals.items():
        what = "bad signature" if bad else "stored"
        print(
            f"{way:10s} {what:14s} {n:6d}: python {cpu * 1000 / n:5.2f} ms, "
            f"postgres {pg * 1000 / n:5.2f} ms, total {(cpu + pg) * 1000 / n:5.2f} ms per delivery"
        )
    InboundMessage.objects.filter(provider_message_id__startswith=PREFIX).delete()


if __name__ == "__main__":
    main()
