"""The report: one Markdown table (median of the runs, with min and max) and the list
of runs that were not exact."""

from __future__ import annotations

import statistics

from bench.cpu import format_per
from bench.load import summary


def brief(run: dict) -> str:
    keys = (
        "accepted",
        "expected_accepted",
        "requests_per_s",
        "accepted_per_s",
        "sold_out_s",
        "messages_per_s",
        "deliveries_per_s",
        "answered_after_s",
        "seconds",
        "batches",
        "entered",
        "won_people",
        "draw_s",
        "results_sent_after_s",
        "correct",
    )
    parts = [f"{k}={run[k]}" for k in keys if k in run]
    if run.get("correct") is False:  # what the database and the answers showed
        why = (
            "bookings_in_db",
            "booked",
            "overbooked_slots",
            "counter_drift_slots",
            "duplicate_queue_numbers",
            "malformed_booked",
            "inbound_rows",
            "acknowledged",
            "answered",
            "server_errors",
            "connection_errors",
            "refusals",
            "unbooked_replies",
            "replies",
            "slot_drift",
            "families_split",
            "waitlisted",
            "on_waiting_lists",
            "results_queued",
            "verify_tail",
        )
        parts += [f"{k}={run[k]}" for k in why if k in run]
    if "latency_ms" in run:
        parts.append(f"p99={run['latency_ms']['p99']}ms")
    for case, per in (run.get("cpu_ms") or {}).items():
        if isinstance(per, dict):
            parts.append(f"CPU/{case}: {format_per(per)}")
    if "cpu_ms_per_message" in run:
        parts.append(f"cpu_ms={run['cpu_ms_per_message']}")
    return ", ".join(parts)


KINDS = ("gunicorn", "worker", "pgbouncer", "postgres", "redis", "generator")


def _cpu_rows(label: str, pers: list[dict], target: str = "") -> list[str]:
    """CPU ms per request, all server processes summed (the target figure), then
    each kind beside it; runs without the measurement are left out."""
    pers = [p for p in pers if p]
    if not pers:
        return []
    rows = [_row(f"{label}: CPU ms/request, server total", [p["server"] for p in pers], "", target)]
    for kind in KINDS:
        if all(kind in p for p in pers):
            rows.append(_row(f"{label}: CPU ms/request, {kind}", [p[kind] for p in pers]))
    return rows


def _row(label: str, values: list[float], unit: str = "", target: str = "") -> str:
    s = summary(values)
    return f"| {label} | {s['median']}{unit} | {s['min']} | {s['max']} | {target} |"


def _rush_rows(name: str, runs: list[dict], targets: bool) -> list[str]:
    def pick(path):
        out = []
        for run in runs:
            value = run
            for key in path:
                value = value[key]
            out.append(value)
        return out

    t = (lambda text: text) if targets else (lambda text: "")
    places = runs[0]["expected_accepted"]
    return [
        _row(f"{name}: requests/s", pick(["requests_per_s"]), "", t(">= 500")),
        _row(f"{name}: accepted bookings/s", pick(["accepted_per_s"])),
        _row(f"{name}: p50 latency", pick(["latency_ms", "p50"]), " ms"),
        _row(f"{name}: p95 latency", pick(["latency_ms", "p95"]), " ms"),
        _row(f"{name}: p99 latency", pick(["latency_ms", "p99"]), " ms", t("< 250 ms")),
        _row(f"{name}: p50 of a booking", pick(["latency_accepted_ms", "p50"]), " ms"),
        _row(f"{name}: p50 of a refusal (full)", pick(["latency_refused_ms", "p50"]), " ms"),
        _row(f"{name}: sold out after", pick(["sold_out_s"]), " s", t("< 2 s")),
        _row(f"{name}: accepted (places {places})", pick(["accepted"]), "", "= places"),
        _row(f"{name}: overbooked slots", pick(["overbooked_slots"]), "", "0"),
        _row(f"{name}: duplicate queue numbers", pick(["duplicate_queue_numbers"]), "", "0"),
        _row(
            f"{name}: 5xx + connection errors",
            [r["server_errors"] + r["connection_errors"] for r in runs],
            "",
            "0",
        ),
        _row(f"{name}: load generator's cores", pick(["generator_cores"])),
        _row(f"{name}: CPU time stolen by the hypervisor", pick(["cpu_steal"])),
        *_cpu_rows(
            f"{name}, accepted (with the notice it sends)",
            [r.get("cpu_ms", {}).get("accepted", {}) for r in runs],
            t("<= 12"),
        ),
        *_cpu_rows(
            f"{name}, refusal of the full day",
            [r.get("cpu_ms", {}).get("refused", {}) for r in runs],
            t("<= 2.5"),
        ),
        *_cpu_rows(f"{name}, every request", [r.get("cpu_ms", {}).get("all", {}) for r in runs]),
    ]


def _draw_rows(runs: list[dict]) -> list[str]:
    """The same day released by a draw: entering under the rush, then the draw."""
    name = "Draw, the 400-place day: 20,000 requests"
    rows = [
        _row(f"{name} entering: requests/s", [r["requests_per_s"] for r in runs]),
        _row(f"{name} entering: p50 latency", [r["latency_ms"]["p50"] for r in runs], " ms"),
        _row(f"{name} entering: p99 latency", [r["latency_ms"]["p99"] for r in runs], " ms"),
        _row(f"{name} entering: CPU stolen by the hypervisor", [r["cpu_steal"] for r in runs]),
        *_cpu_rows(f"{name}, one entry", [r.get("cpu_ms", {}).get("entry", {}) for r in runs]),
        _row(
            f"{name}: the draw (order, bookings, waiting list, results queued)",
            [r["draw_s"] for r in runs],
            " s",
            "seconds",
        ),
        _row(
            f"{name}: the draw's CPU, this process",
            [r["draw_cpu_s"].get("generator", 0) for r in runs],
            " s",
        ),
        _row(
            f"{name}: the draw's CPU, PostgreSQL",
            [r["draw_cpu_s"].get("postgres", 0) for r in runs],
            " s",
        ),
        _row(
            f"{name}: every result sent by the worker after",
            [r["results_sent_after_s"] or 0 for r in runs],
            " s",
        ),
        _row(
            f"{name}: people placed (places {runs[0]['places']})",
            [r["won_people"] for r in runs],
            "",
            "<= places",
        ),
        _row(f"{name}: families split", [r["families_split"] for r in runs], "", "0"),
        _row(
            f"{name}: recomputed from the page's JSON", [int(r["verified"]) for r in runs], "", "1"
        ),
    ]
    return rows


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"Antrean bench at {m['commit']} on {m['host']}: {m['cores']} cores, gunicorn "
        f"{m['gunicorn_workers']} workers x {m['gunicorn_threads']} threads, "
        f"{m['runs']} runs per figure (median, min, max).",
        "",
        "| Figure | Median | Min | Max | Target |",
        "|---|---|---|---|---|",
    ]
    if "rush_day" in results:
        lines += _rush_rows("Rush, one 400-place day", results["rush_day"], True)
    if "rush_verified" in results:
        lines += _rush_rows(
            "Rush, one day, gateway-verified (confirmed, notice sent)",
            results["rush_verified"],
            True,
        )
    if "draw" in results:
        lines += _draw_rows(results["draw"])
    if "rush_month" in results:
        lines += _rush_rows("Rush, 400 places over a month", results["rush_month"], False)
    for slots in (1, 20):
        if f"ceiling_{slots}" in results:
            label = "one hot slot" if slots == 1 else "20 slots"
            lines.append(_row(f"pgbench ceiling, {label}: tx/s", results[f"ceiling_{slots}"]))
            cpus = [c for c in results.get(f"ceiling_cpu_{slots}", []) if c]
            if cpus:
                lines.append(
                    _row(
                        f"pgbench ceiling, {label}: CPU ms/tx, postgres",
                        [c["postgres"] for c in cpus],
                    )
                )
                lines.append(
                    _row(
                        f"pgbench ceiling, {label}: CPU ms/tx, pgbench client",
                        [c["pgbench"] for c in cpus],
                    )
                )
    if "rush_day" in results and "ceiling_20" in results:
        ceiling = statistics.median(results["ceiling_20"])
        accepted = [r["accepted_per_s"] / ceiling * 100 for r in results["rush_day"]]
        requests = [r["requests_per_s"] / ceiling * 100 for r in results["rush_day"]]
        lines.append(
            _row("Rush accepted bookings/s as % of ceiling (20 slots)", accepted, "%", ">= 10%")
        )
        lines.append(_row("Rush requests/s as % of ceiling (20 slots)", requests, "%"))
    for key, label, target in (
        ("reads_calendar", "Calendar, 31 days (API)", ">= 1000"),
        ("reads_booking_page", "Booking page with a day chosen", ""),
    ):
        if key in results:
            runs = results[key]
            lines.append(
                _row(f"{label}: requests/s", [r["requests_per_s"] for r in runs], "", target)
            )
            lines.append(_row(f"{label}: p99", [r["latency_ms"]["p99"] for r in runs], " ms"))
            lines.append(
                _row(f"{label}: CPU stolen by the hypervisor", [r["cpu_steal"] for r in runs])
            )
            if all(r.get("web_cores") is not None for r in runs):
                lines.append(_row(f"{label}: cores gunicorn used", [r["web_cores"] for r in runs]))
            lines += _cpu_rows(
                label,
                [r.get("cpu_ms", {}) for r in runs],
                "" if target else "<= 4",
            )
            for case in ("miss", "hit"):
                lines.append(
                    _row(
                        f"{label}: queries/request (cache {case})",
                        [r["queries_per_request"][case] for r in runs],
                        "",
                        "<= 5" if target else ("<= 6" if case == "miss" else "<= 2"),
                    )
                )
    if "inbound" in results:
        runs = results["inbound"]
        lines.append(
            _row(
                "WhatsApp inbound (5,000: 4,000 bookings): msg/s",
                [r["messages_per_s"] for r in runs],
            )
        )
        lines.append(_row("WhatsApp inbound: p99", [r["latency_ms"]["p99"] for r in runs], " ms"))
        lines.append(
            _row("WhatsApp inbound: CPU stolen by the hypervisor", [r["cpu_steal"] for r in runs])
        )
        lines.append(
            _row("WhatsApp inbound: bookings made", [r["bookings_in_db"] for r in runs], "", "4000")
        )
    for key, label in (("inbound", "WhatsApp inbound"), ("webhook", "WhatsApp webhook")):
        if key in results and "cpu_ms_per_message" in results[key][0]:
            runs = results[key]
            for kind in runs[0]["cpu_ms_per_message"]:
                lines.append(
                    _row(
                        f"{label}: CPU ms per message, {kind}",
                        [r["cpu_ms_per_message"][kind] for r in runs],
                        " ms",
                        "<= 15 ms" if kind == "total" else "",
                    )
                )
    if "webhook" in results:
        runs = results["webhook"]
        lines.append(
            _row(
                "WhatsApp webhook (5,000 signed deliveries): deliveries/s",
                [r["deliveries_per_s"] for r in runs],
            )
        )
        lines.append(
            _row(
                "WhatsApp webhook: p99", [r["latency_ms"]["p99"] for r in runs], " ms", "<= 250 ms"
            )
        )
        lines.append(
            _row(
                "WhatsApp webhook: end to end (all replies sent): msg/s",
                [r["messages_per_s"] for r in runs],
            )
        )
        lines.append(
            _row("WhatsApp webhook: bookings made", [r["bookings_in_db"] for r in runs], "", "4000")
        )
    if "outbox" in results:
        lines.append(
            _row("Outbox, 10,000 notices: msg/s", [r["messages_per_s"] for r in results["outbox"]])
        )
    if "expiry" in results:
        runs = results["expiry"]
        lines.append(
            _row(
                "Expiry of 100,000 no-shows: seconds", [r["seconds"] for r in runs], " s", "<= 20 s"
            )
        )
        lines.append(_row("Expiry: batches", [r["batches"] for r in runs]))
        for kind in ("python", "postgres"):
            key = f"cpu_ms_per_booking_{kind}"
            cpu = [r[key] * 1000 for r in runs if key in r]  # in µs: the ms round to 0.0
            if cpu:
                lines.append(_row(f"Expiry: CPU µs per expired booking, {kind}", cpu, " µs"))
        if all("notices" in r for r in runs):
            lines.append(
                _row("Expiry: notices queued (each no-show once)", [r["notices"] for r in runs])
            )
        lines.append(
            _row(
                "Expiry: memory, peak in first third",
                [r["rss_first_third_peak_mb"] for r in runs],
                " MB",
            )
        )
        lines.append(
            _row(
                "Expiry: memory, peak in last third",
                [r["rss_last_third_peak_mb"] for r in runs],
                " MB",
                "flat",
            )
        )
    return "\n".join(lines)


def incorrect(results: dict) -> list[str]:
    wrong = []
    for key, runs in results.items():
        if isinstance(runs, list):
            for i, run in enumerate(runs):
                if isinstance(run, dict) and run.get("correct") is False:
                    wrong.append(f"{key} run {i + 1}: {brief(run)}")
    return wrong
