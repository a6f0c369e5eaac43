"""Scenario 4, WhatsApp inbound: through the REST gateway (`run_once`, which answers
with the reply, so it is synchronous) and through the signed Cloud API webhook
(`run_webhook_once`, which answers once the delivery is stored).

5,000 messages from 5,000 senders to five offices' numbers: 4,000 booking lines
(`#NAME#DDMMYYYY#DDMMYYYY#`, spread over each office's next open days so days do not
fill) and 1,000 malformed ones of the kinds people really send (two-digit years,
impossible dates, a missing field, words). Every message gets an answer; checked in
the database: one inbound row per message, one booking per valid line, none for the
malformed, one reply queued per message. Each run ends when every message's reply
has been sent by the worker, and its CPU is summed over gunicorn, the worker and
PostgreSQL from /proc (bench/cpu.py): CPU ms per message, end to end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from bench.cpu import cpu_by_kind, cpu_ms_per
from bench.load import Request, machine_cpu, run_load, steal_share
from bench.rush import bookable_days, letters
from bookings.models import HOLDING_STATUSES, Booking
from bookings.whatsapp_api import gateway_message_id
from notifications.models import InboundMessage, OutboundMessage
from offices.models import ApiClient, ApiScope, Office, Slot

OFFICES = ["jakarta-selatan", "bandung", "surabaya", "denpasar", "makassar"]
VALID = 4_000
MALFORMED = 1_000
CLIENTS = 64
GATEWAY = "bench-gateway"
WEBHOOK_PREFIX = "wamid.bench."
DRAIN_TIMEOUT = 600

BAD_LINES = [
    "#{name}#170678#{day}#",  # two-digit year
    "#{name}#31021990#{day}#",  # 31 February
    "#{name}#{day}#",  # a field missing
    "#{name}##{day}#",  # empty birth date
    "halo mau daftar paspor {name}",
    "#{name}#17-06-1978#{day}#{day}#",  # one field too many
    "###",
    "#{name}#99999999#{day}#",
]


def gateway_key() -> tuple[ApiClient, str]:
    ApiClient.objects.filter(name=GATEWAY).delete()
    return ApiClient.objects.create_key(name=GATEWAY, scopes=[ApiScope.WHATSAPP_INBOUND])


def gateway_messages(clients) -> QuerySet[InboundMessage]:
    """The inbound rows the bench's keys delivered (bookings/whatsapp_api.py stores each
    as gw:<key prefix>:<id>)."""
    ids = Q(pk__in=[])
    for client in clients:
        ids |= Q(provider_message_id__startswith=gateway_message_id(client, ""))
    return InboundMessage.objects.filter(ids)


def offices() -> list[Office]:
    found = list(Office.objects.filter(code__in=OFFICES, is_active=True).order_by("code"))
    if len(found) < 3:  # the pilot list changed: any five active offices do
        found = list(Office.objects.filter(is_active=True).order_by("code")[:5])
    return found


@transaction.atomic
def reset() -> None:
    """Remove the last run's messages and bookings, and give their places back: a
    queryset delete does not touch the slots' `booked` counters, so each counter is
    recounted from the bookings left (without this, each run found the days fuller)."""
    senders = gateway_messages(ApiClient.objects.filter(name=GATEWAY)) | (
        InboundMessage.objects.filter(provider_message_id__startswith=WEBHOOK_PREFIX)
    )
    phones = list(senders.values_list("sender", flat=True).distinct())
    bookings = Booking.objects.filter(phone__in=phones)
    slot_ids = set(bookings.values_list("slot_id", flat=True))
    bookings.delete()
    holding = (
        Booking.objects.filter(slot=OuterRef("pk"), status__in=HOLDING_STATUSES)
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Slot.objects.filter(pk__in=slot_ids).update(booked=Coalesce(Subquery(holding), 0))
    OutboundMessage.objects.filter(to__in=phones).delete()
    senders.delete()


def _texts(run: int):
    """(i, office, text) of each of the run's messages: the same lines for both ways in."""
    chooser = random.Random(2000 + run)
    targets = []
    for office in offices():
        days = bookable_days(office)[:10]
        targets.append((office, days))
    for i in range(VALID + MALFORMED):
        office, days = targets[i % len(targets)]
        day = chooser.choice(days)
        name = f"PEMOHON WA {letters(run)} {letters(i)}"
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=i % 20000)
        if i < VALID:
            text = f"#{name}#{birth:%d%m%Y}#{day:%d%m%Y}#"
        else:
            text = BAD_LINES[i % len(BAD_LINES)].format(name=name, day=f"{day:%d%m%Y}")
        yield i, office, text


def messages(run: int, key: str) -> tuple[list[Request], int]:
    chooser = random.Random(3000 + run)
    requests = []
    for i, office, text in _texts(run):
        requests.append(
            Request(
                "POST",
                "/api/v1/whatsapp/messages/",
                {
                    "id": f"bench-{run}-{i}",
                    "from": f"62814{run:02d}{i:06d}",
                    "to": office.whatsapp_number,
                    "text": text,
                },
                headers={"Authorization": f"Api-Key {key}"},
                tag="valid" if i < VALID else "malformed",
            )
        )
    chooser.shuffle(requests)
    return requests, VALID


def wait_answered(phones: list[str]) -> float:
    """Seconds until every phone has had its reply sent (none still queued or being
    sent): the end of "end to end"."""
    begin = time.perf_counter()
    deadline = begin + DRAIN_TIMEOUT
    while time.perf_counter() < deadline:
        replies = OutboundMessage.objects.filter(to__in=phones)
        answered = replies.values("to").distinct().count()
        if answered >= len(phones) and not replies.filter(status__in=["queued", "sending"]):
            break
        time.sleep(0.2)
    return round(time.perf_counter() - begin, 2)


def run_once(base: str, run: int, roots: dict | None = None) -> dict:
    reset()
    client, key = gateway_key()
    requests, valid = messages(run, key)
    cpu_before = cpu_by_kind(roots or {})
    result = run_load(base, requests, concurrency=CLIENTS, keep_body=True)
    phones = [f"62814{run:02d}{i:06d}" for i in range(len(requests))]
    drain_s = wait_answered(phones)
    cpu = cpu_ms_per(cpu_before, cpu_by_kind(roots or {}), len(requests))
    statuses = result.statuses()
    booked = sum(
        1
        for a in result.answers
        if a.status == 200 and a.tag == "valid" and isinstance(a.body, dict) and a.body["booking"]
    )
    # What a valid line that made no booking was told (the reply's line after the echo).
    unbooked = Counter(
        str(a.body.get("reply", "")).partition("\n")[2].split("\n")[0][:60]
        for a in result.answers
        if a.tag == "valid" and isinstance(a.body, dict) and not a.body.get("booking")
    )
    wrongly_booked = sum(
        1
        for a in result.answers
        if a.tag == "malformed" and isinstance(a.body, dict) and a.body.get("booking")
    )
    in_db = Booking.objects.filter(phone__in=phones).count()
    inbound_rows = gateway_messages([client]).count()
    return {
        "messages": len(requests),
        "valid": valid,
        "booked": booked,
        "bookings_in_db": in_db,
        "malformed_booked": wrongly_booked,
        "unbooked_replies": dict(unbooked.most_common(5)),
        "inbound_rows": inbound_rows,
        "server_errors": sum(n for s, n in statuses.items() if s >= 500),
        "connection_errors": statuses.get(0, 0),
        "messages_per_s": round(len(requests) / result.wall, 1),
        "latency_ms": result.latency_ms(),
        "answered_after_s": drain_s,
        "cpu_ms_per_message": cpu,
        "generator_cores": round(result.cpu_share, 2),
        "cpu_steal": result.steal,
        "correct": (
            booked == valid == in_db
            and wrongly_booked == 0
            and inbound_rows == len(requests)
            and statuses.get(200, 0) == len(requests)
        ),
    }


# --- The Cloud API webhook -------------------------------------------------------


def webhook_phone_ids(found: list[Office]) -> dict[int, str]:
    """Each office's Cloud API phone-number id, given one when it has none."""
    ids = {}
    for office in found:
        if not office.whatsapp_phone_number_id:
            office.whatsapp_phone_number_id = f"9000{office.pk:08d}"
            office.save(update_fields=["whatsapp_phone_number_id"])
        ids[office.pk] = office.whatsapp_phone_number_id
    return ids


def webhook_sender(run: int, i: int) -> str:
    return f"62815{run:02d}{i:06d}"


def webhook_deliveries(run: int) -> list[Request]:
    """One signed delivery per message, as the Cloud API sends them."""
    phone_ids = webhook_phone_ids(offices())
    secret = settings.WHATSAPP_APP_SECRET.encode()
    stamp = str(int(time.time()))
    requests = []
    for i, office, text in _texts(run):
        value = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": office.whatsapp_number.lstrip("+"),
                "phone_number_id": phone_ids[office.pk],
            },
            "contacts": [{"profile": {"name": "X"}, "wa_id": webhook_sender(run, i)}],
            "messages": [
                {
                    "from": webhook_sender(run, i),
                    "id": f"{WEBHOOK_PREFIX}{run}.{i}",
                    "timestamp": stamp,
                    "type": "text",
                    "text": {"body": text},
                }
            ],
        }
        payload = {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
        body = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        requests.append(
            Request(
                "POST",
                "/api/v1/whatsapp/webhook/",
                raw=body,
                headers={"X-Hub-Signature-256": signature},
                tag="valid" if i < VALID else "malformed",
            )
        )
    random.Random(4000 + run).shuffle(requests)
    return requests


def _tree(roots: list[int]) -> list[int]:
    """The pids of the process trees under `roots` (a worker and its pool)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat[stat.rindex(")") + 2 :].split()[1]), []).append(int(entry))
    out, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def _signal_worker(roots: dict | None, signum: int) -> None:
    for pid in _tree((roots or {}).get("worker", [])):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def run_webhook_once(base: str, run: int, roots: dict | None = None) -> dict:
    """5,000 signed deliveries with 64 concurrent clients. The webhook's figure is its
    latency; "end to end" runs until the worker has sent every reply.

    BENCH_WEBHOOK_HOLD_WORKER=1: the worker is stopped (SIGSTOP) while the deliveries
    arrive and continued afterwards, as when the worker is down: the acknowledgement's
    latency with the web process alone on the machine's cores, and the backlog then
    drained."""
    reset()
    requests = webhook_deliveries(run)
    phones = [webhook_sender(run, i) for i in range(len(requests))]
    hold = os.environ.get("BENCH_WEBHOOK_HOLD_WORKER") == "1"
    cpu_before, machine_before = cpu_by_kind(roots or {}), machine_cpu()
    begin = time.perf_counter()
    if hold:
        _signal_worker(roots, signal.SIGSTOP)
    try:
        result = run_load(base, requests, concurrency=CLIENTS, keep_body=True)
    finally:
        if hold:
            _signal_worker(roots, signal.SIGCONT)
    drain_s = wait_answered(phones)
    wall = time.perf_counter() - begin
    cpu = cpu_ms_per(cpu_before, cpu_by_kind(roots or {}), len(requests))
    statuses = result.statuses()
    in_db = Booking.objects.filter(phone__in=phones).count()
    inbound_rows = InboundMessage.objects.filter(
        provider_message_id__startswith=f"{WEBHOOK_PREFIX}{run}."
    ).count()
    acknowledged = sum(
        1
        for a in result.answers
        if a.status == 200 and isinstance(a.body, dict) and a.body.get("handled") == 1
    )
    answered = OutboundMessage.objects.filter(to__in=phones).values("to").distinct().count()
    return {
        "messages": len(requests),
        "valid": VALID,
        "worker_held": hold,
        "acknowledged": acknowledged,
        "bookings_in_db": in_db,
        "inbound_rows": inbound_rows,
        "answered": answered,
        "server_errors": sum(n for s, n in statuses.items() if s >= 500),
        "connection_errors": statuses.get(0, 0),
        "deliveries_per_s": round(len(requests) / result.wall, 1),
        "messages_per_s": round(len(requests) / wall, 1),
        "latency_ms": result.latency_ms(),
        "answered_after_s": drain_s,
        "cpu_ms_per_message": cpu,
        "generator_cores": round(result.cpu_share, 2),
        "cpu_steal": round(steal_share(machine_before, machine_cpu()), 2),
        "correct": (
            acknowledged == len(requests) == inbound_rows == answered
            and in_db == VALID
            and statuses.get(200, 0) == len(requests)
        ),
    }
