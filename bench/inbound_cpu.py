"""WhatsApp inbound in one process: what each step costs our code and PostgreSQL.

    scripts/with-services .venv/bin/python -m bench.inbound_cpu [MESSAGES] [what ...]

`what`: `webhook` (signed deliveries through Django's WSGI handler, as gunicorn runs
it: the acknowledgement only), `drain` (the stored booking lines processed by
`inbox_process`, as the worker's drain does: the conversation, the booking, the reply
and its sending through the in-memory backend), `draw` (the same lines entering a
draw, by the drain), `gateway` (the draw's lines through `receive_inbound`, the REST
gateway's synchronous path). Default: all four.

Sequential, no load generator and no other process of ours: the figures are CPU ms
per message of this process (`time.process_time`) and of PostgreSQL (its process
tree, from /proc), the before/after figure of bench/README.md when the shared VM's
wall figures are noise. PROFILE=path writes a cProfile of the measured part of each
step to `path.<what>` (read it with `python -m pstats`).
"""

from __future__ import annotations

import cProfile
import datetime as dt
import hashlib
import hmac
import json
import os
import sys
import time

from bench.servers import BIN, ROOT, configure_environment

RUN = 7  # the senders' run digit: apart from the webhook bench's runs


def _setup() -> None:
    import subprocess

    configure_environment()
    os.environ["LOG_LEVEL"] = "WARNING"
    subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True
    )
    import django

    django.setup()


class Measure:
    """CPU seconds of this process and of PostgreSQL's tree around a block."""

    def __init__(self, what: str, count: int):
        from bench.cpu import service_roots

        self.what, self.count = what, count
        self.roots = {"postgres": service_roots().get("postgres", [])}
        self.profile = os.environ.get("PROFILE")

    def __enter__(self):
        from bench.cpu import cpu_by_kind

        self.pg = cpu_by_kind(self.roots)["postgres"]
        self.wall = time.perf_counter()
        self.cpu = time.process_time()
        if self.profile:
            self.profiler = cProfile.Profile(time.process_time)
            self.profiler.enable()
        return self

    def __exit__(self, *exc):
        from bench.cpu import cpu_by_kind

        if self.profile:
            self.profiler.disable()
        cpu = time.process_time() - self.cpu
        wall = time.perf_counter() - self.wall
        pg = cpu_by_kind(self.roots)["postgres"] - self.pg
        if self.profile:
            self.profiler.dump_stats(f"{self.profile}.{self.what}")
        n = self.count
        print(
            f"{self.what:8s} {n:5d} messages: python {cpu * 1000 / n:6.2f} ms, "
            f"postgres {pg * 1000 / n:5.2f} ms, total {(cpu + pg) * 1000 / n:6.2f} ms "
            f"per message (wall {wall * 1000 / n:6.2f} ms)",
            flush=True,
        )


def _lines(count: int, skip: int = 0) -> list[tuple[object, str]]:
    """(office, text) of `count` booking lines, the webhook bench's, valid only, after
    the first `skip` (a warm-up's, whose people are booked already)."""
    from bench import inbound

    out = []
    for i, office, text in inbound._texts(RUN):
        if len(out) == count or i >= inbound.VALID:
            break
        if i >= skip:
            out.append((office, text))
    return out


def _sender(i: int, base: str = "62817") -> str:
    return f"{base}{RUN:02d}{i:06d}"


def _clean(prefix: str) -> None:
    from bookings.models import Booking
    from notifications.models import InboundMessage, OutboundMessage

    rows = InboundMessage.objects.filter(provider_message_id__startswith=prefix)
    phones = list(rows.values_list("sender", flat=True).distinct())
    Booking.objects.filter(phone__in=phones).delete()
    OutboundMessage.objects.filter(to__in=phones).delete()
    rows.delete()


def webhook(count: int) -> None:
    """Signed deliveries through Django's WSGI handler: the acknowledgement's cost."""
    from django.conf import settings
    from django.test import Client

    from bench.inbound import webhook_phone_ids

    _clean("wamid.cpu.")
    lines = _lines(count, skip=2000)
    ids = webhook_phone_ids(sorted({office for office, _t in lines}, key=lambda o: o.pk))
    secret = settings.WHATSAPP_APP_SECRET.encode()
    stamp = str(int(time.time()))
    bodies = []
    for i, (office, text) in enumerate(lines):
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"phone_number_id": ids[office.pk]},
            "messages": [
                {
                    "from": _sender(i),
                    "id": f"wamid.cpu.{i}",
                    "timestamp": stamp,
                    "type": "text",
                    "text": {"body": text},
                }
            ],
        }
        body = json.dumps({"entry": [{"changes": [{"value": value}]}]}).encode()
        signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        bodies.append((body, signature))
    client = Client(HTTP_HOST="127.0.0.1")
    post = client.post
    for body, signature in bodies[:20]:  # warm-up, then stored again below
        post(
            "/api/v1/whatsapp/webhook/",
            body,
            "application/json",
            HTTP_X_HUB_SIGNATURE_256=signature,
        )
    _clean("wamid.cpu.")
    with Measure("webhook", count):
        for body, signature in bodies:
            response = post(
                "/api/v1/whatsapp/webhook/",
                body,
                "application/json",
                HTTP_X_HUB_SIGNATURE_256=signature,
            )
            assert response.status_code == 200, response.content


def _store(lines: list[tuple[object, str]], prefix: str, base: str) -> None:
    from django.utils import timezone

    from bench.inbound import webhook_phone_ids
    from notifications.inbound import Inbound, inbox_store

    ids = webhook_phone_ids(sorted({office for office, _t in lines}, key=lambda o: o.pk))
    now = timezone.now()
    inbox_store(
        [
            Inbound(
                provider_message_id=f"{prefix}{i}",
                sender=_sender(i, base),
                text=text,
                received_at=now,
                phone_number_id=ids[office.pk],
            )
            for i, (office, text) in enumerate(lines)
        ]
    )


def _drain(what: str, count: int) -> None:
    from notifications.inbound import inbox_process
    from notifications.models import InboundMessage, InboundState

    # CHUNK: the claim's size (INBOX_CHUNK by default; a drain that keeps up with a
    # trickle of deliveries claims one or two at a time).
    chunk = int(os.environ.get("CHUNK") or 0) or None
    with Measure(what, count):
        while inbox_process(**({"limit": chunk} if chunk else {})):
            pass
    left = InboundMessage.objects.filter(state=InboundState.PENDING).count()
    assert left == 0, f"{left} left pending"


def drain(count: int) -> None:
    """Booking lines stored as the webhook stores them, then processed by the drain."""
    from bookings.models import Booking
    from notifications.inbound import inbox_process

    _clean("wamid.cpu.")
    # Warm-up (imports, translations, first connections), not measured.
    _store(_lines(20, skip=3000), "wamid.cpu.warm.", "62818")
    while inbox_process():
        pass
    _store(_lines(count), "wamid.cpu.", "62817")
    _drain("drain", count)
    booked = Booking.objects.filter(phone__startswith=f"62817{RUN:02d}").count()
    print(f"         booked {booked} of {count}")


def _draw_lines(count: int) -> list[tuple[object, str]]:
    """Entries for the draw bench's release at its office: a family of 1 to 5 (bench
    draw's sizes), its days in order of preference."""
    from bench import draw as drawbench
    from bench.rush import letters
    from offices.models import Office

    office = Office.objects.get(code=drawbench.OFFICE)
    drawbench.prepare(office)
    days = drawbench.release_days(office)
    wanted = drawbench.wishes(days, RUN)[:count]
    out = []
    for i, (size, chosen) in enumerate(wanted):
        when = ",".join(f"{day:%d%m%Y}" for day in chosen)
        text = "\n".join(
            f"#PEMOHON CPU {letters(i)} {letters(n)}"
            f"#{dt.date(1960, 1, 1) + dt.timedelta(days=(i * 7 + n) % 20000):%d%m%Y}#{when}#"
            for n in range(size)
        )
        out.append((office, text))
    return out


def draw(count: int) -> None:
    """The draw's entries stored as the webhook stores them, entered by the drain."""
    from release.models import DrawEntry, EntryStatus

    _clean("wamid.cpu.draw.")
    lines = _draw_lines(count + 20)
    _store(lines[:20], "wamid.cpu.draw.warm.", "62818")
    from notifications.inbound import inbox_process

    while inbox_process():
        pass
    _store(lines[20:], "wamid.cpu.draw.", "62819")
    _drain("draw", count)
    entered = DrawEntry.objects.filter(
        phone__startswith=f"62819{RUN:02d}", status=EntryStatus.ENTERED
    ).count()
    print(f"         entered {entered} of {count}")


def gateway(count: int) -> None:
    """The draw's entries through `receive_inbound` (the REST gateway's path, without
    DRF): synchronous, each its own message."""
    from django.utils import timezone

    from bench.inbound import webhook_phone_ids
    from notifications.inbound import Inbound, receive_inbound

    _clean("wamid.cpu.gw.")
    lines = _draw_lines(count + 20)
    ids = webhook_phone_ids([lines[0][0]])
    now = timezone.now()

    def message(i, office, text):
        return Inbound(
            provider_message_id=f"wamid.cpu.gw.{i}",
            sender=_sender(i, "62819"),
            text=text,
            received_at=now,
            phone_number_id=ids[office.pk],
        )

    for i, (office, text) in enumerate(lines[:20]):
        receive_inbound(message(i, office, text))
    with Measure("gateway", count):
        for i, (office, text) in enumerate(lines[20:], start=20):
            receive_inbound(message(i, office, text))


STEPS = {"webhook": webhook, "drain": drain, "draw": draw, "gateway": gateway}


def main() -> None:
    _setup()
    args = sys.argv[1:]
    count = int(args.pop(0)) if args and args[0].isdigit() else 300
    for what in args or list(STEPS):
        STEPS[what](count)


if __name__ == "__main__":
    main()
