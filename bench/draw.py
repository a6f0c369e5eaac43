"""Scenario 1b, the draw: the rush's 400-place day at Tangerang released in draw mode.

The same office, the same 64 concurrent clients in a closed loop, every request a
different applicant; instead of booking, each request *enters* the draw, as WhatsApp
does it: a message of one line per person (`#NAME#DDMMYYYY#DAYS#`, the phone
authenticated by WhatsApp, so the request takes part at once), delivered as the Cloud
API does, a signed delivery to the webhook (answered once stored; the worker's drain
enters it and sends the reply), or with BENCH_DRAW_VIA=gateway through the REST
gateway, which answers with the reply (synchronous, as before h26-inbound). 20,000 requests,
10,000 of them entered over HTTP under the rush (`BENCH_DRAW_ENTER`) and the others
stored directly before it, as if entered earlier in the window; families among them
(1, 1, 1, 1, 2, 2, 3, 4, 5 people in turn: 2.2 on average, about 44,000 people),
for a release of three open days: the 400-place day every request names first,
and two days with 20 places left that a third of the requests name second, and
another third second and third (the month shape's small days).

Then the window is closed (its end moved to now: the bench does not wait a day) and
the draw is run in this process, as beat runs it (`draw_run`): the order, the
winners' bookings, the losers onto the waiting list, 20,000 result messages queued.
Measured: entering (requests/s, p50/p99, CPU ms per entry by process kind, from
/proc, until every entry's reply is sent), the draw's seconds and CPU, and the seconds
until the worker has sent every result.

Checked in the database, never assumed: every request entered (one entered request
per message), the draw gave no more people than places on any day and every slot's
counter equals its bookings, every family won together or waits together, the
waiting list is exactly the requests that won nothing, every request got one result
message, and `scripts/verify-draw` recomputes the page's JSON (fetched from the
server) to the same result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from bench.cpu import Meter
from bench.inbound import WEBHOOK_PREFIX, wait_answered, webhook_phone_ids
from bench.load import percentiles, run_load
from bench.rush import OFFICE, PLACES, bookable_days, letters, reset
from bench.servers import ROOT
from bookings.models import ABOUT_BOOKING, HOLDING_STATUSES, Booking
from notifications.models import MessageStatus, OutboundMessage
from offices import release_window
from offices.models import ApiClient, ApiScope, CapacityOverride, Office, Slot
from release.models import Draw, DrawEntry, DrawEvent, EntryResult, EntryStatus, ReleasePolicy
from release.services import draw_commit, draw_run, pseudonym
from waitlist.models import WaitlistRequest

REQUESTS = 20_000
# Entered over HTTP under the rush (the rush's own 10,000); the others are stored
# directly first, as if they had entered earlier in the window: the draw's figure is
# for all 20,000, and entering 20,000 over HTTP would take an hour on the shared VM.
ENTER = int(os.environ.get("BENCH_DRAW_ENTER", "10000"))
CLIENTS = 64
SIZES = (1, 1, 1, 1, 2, 2, 3, 4, 5)
SMALL_DAYS = 20
GATEWAY = "bench-draw-gateway"
DRAIN_TIMEOUT = 900
VIA = os.environ.get("BENCH_DRAW_VIA", "webhook")


def release_days(office: Office) -> list[dt.date]:
    """The last three open days already released: their release (a block from the
    first to the third) opened within the last days, so its window can still be open."""
    return bookable_days(office)[-3:]


@transaction.atomic
def clean(office: Office) -> None:
    """Remove every draw, draw request and release policy of the office, the waiting
    lists of the release's days and the draw's messages: the other scenarios book the
    office first come."""
    draws = Draw.objects.filter(office=office)
    entries = DrawEntry.objects.filter(draw__in=draws)
    OutboundMessage.objects.filter(subject__startswith="draw:", to__startswith="62816").delete()
    WaitlistRequest.objects.filter(office=office, source__startswith="draw:").delete()
    entries.delete()
    DrawEvent.objects.filter(draw__in=draws).delete()
    draws.delete()
    ReleasePolicy.objects.filter(office=office).delete()


def prepare(office: Office) -> Draw:
    """A draw policy for the three days, its window open now (it opened when the first
    day was released; it lasts until an hour from now), the draw committed."""
    clean(office)
    days = release_days(office)
    reset(office, {days[0]: SMALL_DAYS, days[1]: SMALL_DAYS, days[2]: PLACES})
    now = timezone.now()
    opens = release_window.release_at(office, days[0])
    hours = math.ceil((now - opens).total_seconds() / 3600) + 1
    ReleasePolicy.objects.create(
        office=office,
        mode="draw",
        applies_from=days[0],
        days_per_release=(days[-1] - days[0]).days + 1,
        draw_window_hours=hours,
    )
    return draw_commit(office=office, first_day=days[0], now=now)


def sender(run: int, i: int) -> str:
    return f"62816{run:01d}{i:07d}"


def wishes(days: list[dt.date], run: int) -> list[tuple[int, list[dt.date]]]:
    """Each request's people and days: the big day first, then none, one or both small
    days in a random order."""
    small, big = days[:2], days[2]
    chooser = random.Random(5000 + run)
    return [
        (SIZES[i % len(SIZES)], [big, *chooser.sample(small, k=i % 3)]) for i in range(REQUESTS)
    ]


def store_earlier(draw: Draw, run: int, wanted: list[tuple[int, list[dt.date]]]) -> None:
    """The requests that entered before the rush, stored as entered (the run reads only
    their pseudonyms, people and days; their persons' keys are left out)."""
    rows = []
    for i, (size, days) in enumerate(wanted):
        reference = f"B{run:01d}{i:06d}"
        rows.append(
            DrawEntry(
                draw=draw,
                reference=reference,
                pseudonym=pseudonym(reference),
                phone=sender(run, REQUESTS + i),
                channel="whatsapp",
                people=[
                    {
                        "name": f"PEMOHON AWAL {letters(run)} {letters(i)} {letters(n)}",
                        "birth_date": "1980-01-01",
                        "nik": "",
                    }
                    for n in range(size)
                ],
                people_count=size,
                preferences=[day.isoformat() for day in days],
                status=EntryStatus.ENTERED,
                created_at=draw.opens_at,
                confirmed_at=draw.opens_at,
            )
        )
    DrawEntry.objects.bulk_create(rows, batch_size=2000)


def messages(office: Office, run: int, key: str, wanted: list[tuple[int, list[dt.date]]]):
    """One gateway message per request: one line per person, the same days on each."""
    requests, people = [], 0
    for i, (size, days) in enumerate(wanted):
        people += size
        when = ",".join(f"{day:%d%m%Y}" for day in days)
        lines = [
            f"#PEMOHON UNDIAN {letters(run)} {letters(i)} {letters(n)}"
            f"#{dt.date(1960, 1, 1) + dt.timedelta(days=(i * 7 + n) % 20000):%d%m%Y}#{when}#"
            for n in range(size)
        ]
        requests.append(
            _request(
                {
                    "id": f"bench-draw-{run}-{i}",
                    "from": sender(run, i),
                    "to": office.whatsapp_number,
                    "text": "\n".join(lines),
                },
                key,
            )
        )
    return requests, people


def _request(body: dict, key: str):
    from bench.load import Request

    if VIA == "gateway":
        return Request(
            "POST",
            "/api/v1/whatsapp/messages/",
            body,
            headers={"Authorization": f"Api-Key {key}"},
        )
    return _delivery(body)


def _delivery(body: dict):
    """The message as the Cloud API delivers it to the webhook, signed."""
    from bench.load import Request

    office = Office.objects.get(whatsapp_number=body["to"])
    phone_number_id = webhook_phone_ids([office])[office.pk]
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": phone_number_id},
        "messages": [
            {
                "from": body["from"],
                "id": f"{WEBHOOK_PREFIX}{body['id']}",
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": body["text"]},
            }
        ],
    }
    raw = json.dumps({"entry": [{"changes": [{"field": "messages", "value": value}]}]}).encode()
    secret = settings.WHATSAPP_APP_SECRET.encode()
    signature = "sha256=" + hmac.new(secret, raw, hashlib.sha256).hexdigest()
    return Request(
        "POST", "/api/v1/whatsapp/webhook/", raw=raw, headers={"X-Hub-Signature-256": signature}
    )


def _replies(entering, phones: list[str]) -> Counter:
    """The first line of what each entry was answered: the gateway's response, or the
    reply the drain sent."""
    if VIA == "gateway":
        return Counter(
            str(a.body.get("reply", "")).split("\n")[0][:60] if isinstance(a.body, dict) else "-"
            for a in entering.answers
        )
    texts = OutboundMessage.objects.filter(to__in=phones, kind="reply")
    return Counter(text.split("\n")[0][:60] for text in texts.values_list("text", flat=True))


def wait_results_sent(draw: Draw, timeout: float = DRAIN_TIMEOUT) -> float | None:
    """Seconds until the worker has sent every result message and winner's booking
    notice the draw queued; None when the wait ran out."""
    begin = time.perf_counter()
    pending = OutboundMessage.objects.filter(
        created_at__gte=draw.closes_at, status__in=[MessageStatus.QUEUED, MessageStatus.SENDING]
    )
    while pending.exists():
        if time.perf_counter() - begin > timeout:
            return None
        time.sleep(0.5)
    return round(time.perf_counter() - begin, 1)


def verify(base: str, draw: Draw) -> tuple[bool, str]:
    """The page's JSON, fetched like anyone would, recomputed by scripts/verify-draw."""
    url = f"{base}/undian/{draw.office.code}/{draw.release}.json"
    with urllib.request.urlopen(url, timeout=60) as response:
        page = response.read()
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as out:
        out.write(page)
    ran = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "verify-draw"), out.name],
        capture_output=True,
        text=True,
    )
    Path(out.name).unlink()
    return ran.returncode == 0 and "result equals the page:  yes" in ran.stdout, ran.stdout[-300:]


def check_database(draw: Draw, days: list[dt.date], requests: int) -> dict:
    office = draw.office
    entries = DrawEntry.objects.filter(draw=draw, status=EntryStatus.ENTERED)
    won = entries.filter(result=EntryResult.WON)
    won_people = dict(
        won.values_list("won_day").annotate(n=Sum("people_count")).values_list("won_day", "n")
    )
    capacity = dict(
        Slot.objects.filter(office=office, date__in=days)
        .values_list("date")
        .annotate(n=Sum("capacity"))
        .values_list("date", "n")
    )
    holding = Booking.objects.filter(office=office, date__in=days, status__in=HOLDING_STATUSES)
    per_slot = dict(holding.values_list("slot").annotate(n=Count("pk")).values_list("slot", "n"))
    drift = sum(
        per_slot.get(pk, 0) != booked or booked > cap
        for pk, booked, cap in Slot.objects.filter(office=office, date__in=days).values_list(
            "pk", "booked", "capacity"
        )
    )
    # A family won together: its group has exactly its people.
    families_split = 0
    groups = dict(
        holding.exclude(group_code="")
        .values_list("group_code")
        .annotate(n=Count("pk"))
        .values_list("group_code", "n")
    )
    for code, size in won.filter(people_count__gt=1).values_list("group_code", "people_count"):
        families_split += groups.get(code, 0) != size
    waiting = entries.filter(result=EntryResult.WAITLIST).count()
    listed = WaitlistRequest.objects.filter(office=office, source__startswith="draw:").count()
    results_sent = OutboundMessage.objects.filter(
        kind="draw_result", subject__startswith="draw:", created_at__gte=draw.closes_at
    ).count()
    return {
        "entered": entries.count(),
        "won_requests": won.count(),
        "won_people": sum(won_people.values()),
        "places": sum(capacity.values()),
        "over_places_days": sum(won_people.get(d, 0) > capacity.get(d, 0) for d in days),
        "bookings_in_db": holding.count(),
        "slot_drift": drift,
        "families_split": families_split,
        "waitlisted": waiting,
        "on_waiting_lists": listed,
        "results_queued": results_sent,
        "requests": requests,
    }


def run_once(base: str, run: int, meter: Meter | None = None) -> dict:
    office = Office.objects.get(code=OFFICE)
    draw = prepare(office)
    days = release_days(office)
    ApiClient.objects.filter(name=GATEWAY).delete()
    _client, key = ApiClient.objects.create_key(name=GATEWAY, scopes=[ApiScope.WHATSAPP_INBOUND])
    wanted = wishes(days, run)
    store_earlier(draw, run, wanted[ENTER:])
    requests, people = messages(office, run, key, wanted[:ENTER])
    people += sum(size for size, _days in wanted[ENTER:])
    phones = [sender(run, i) for i in range(len(requests))]
    meter = meter or Meter({})
    with meter:
        entering = run_load(base, requests, concurrency=CLIENTS, keep_body=True)
        # Until every entry's reply is sent: the webhook's drain and the gateway's
        # reply tasks both run in the worker.
        replied_s = wait_answered(phones)
    cpu_entry = meter.per(len(requests))
    replies = _replies(entering, phones)
    # The window ends now instead of in an hour: the draw runs as beat would run it.
    closes = timezone.now()
    Draw.objects.filter(pk=draw.pk).update(closes_at=closes)
    draw.refresh_from_db()
    with meter:
        began = time.perf_counter()
        draw = draw_run(draw=draw, now=closes)
        draw_s = time.perf_counter() - began
    cpu_draw = meter.spent
    sent_after = wait_results_sent(draw)
    steps = {
        event.kind: event.created_at for event in DrawEvent.objects.filter(draw=draw)
    }  # the services' own `now`: not a timing
    db = check_database(draw, days, REQUESTS)
    verified, verify_out = verify(base, draw)
    statuses = entering.statuses()
    out = {
        "requests": REQUESTS,
        "entered_over_http": len(requests),
        "entered_via": VIA,
        "replies_sent_after_s": replied_s,
        "people": people,
        **db,
        "replies": dict(replies.most_common(3)),
        "server_errors": sum(n for s, n in statuses.items() if s >= 500),
        "connection_errors": statuses.get(0, 0),
        "wall_s": round(entering.wall, 3),
        "requests_per_s": round(len(requests) / entering.wall, 1),
        "latency_ms": entering.latency_ms(),
        "latency_entered_ms": percentiles([a.latency for a in entering.answers]),
        "generator_cores": round(entering.cpu_share, 2),
        "cpu_steal": entering.steal,
        "cpu_ms": {"entry": cpu_entry},
        "draw_s": round(draw_s, 2),
        "draw_cpu_s": {k: round(v, 2) for k, v in cpu_draw.items()},
        "results_sent_after_s": sent_after,
        "state": draw.state,
        "events": sorted(steps),
        "verified": verified,
        "verify_tail": "" if verified else verify_out,
    }
    out["correct"] = (
        draw.state == "done"
        and db["entered"] == REQUESTS
        and db["over_places_days"] == 0
        and db["slot_drift"] == 0
        and db["families_split"] == 0
        and db["bookings_in_db"] == db["won_people"]
        and db["waitlisted"] == db["entered"] - db["won_requests"] == db["on_waiting_lists"]
        and db["results_queued"] == db["entered"]
        and sent_after is not None
        and verified
        and out["server_errors"] == out["connection_errors"] == 0
    )
    finish(office, days)
    return out


@transaction.atomic
def finish(office: Office, days: list[dt.date]) -> None:
    """Leave the office as the other scenarios expect it: first come, the days without
    the draw's bookings and the bench's capacities."""
    clean(office)
    bookings = Booking.objects.filter(office=office, date__in=days)
    OutboundMessage.objects.filter(
        about_kind=ABOUT_BOOKING, about_id__in=bookings.values_list("pk", flat=True)
    ).delete()
    bookings.delete()
    Slot.objects.filter(office=office, date__in=days).delete()
    CapacityOverride.objects.filter(office=office, reason="bench").delete()
