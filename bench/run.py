"""`make bench`: start the stack, run every scenario BENCH_RUNS times (default 3), print
a Markdown table and write bench/results/<date>-<host>.json.

Run through scripts/with-services (it provides DATABASE_URL, REDIS_URL and PG_BIN).
BENCH_ONLY=rush,reads runs a subset while working on one figure, BENCH_RUSH_SHAPES=verified
one shape of the rush (day, verified, month). A benchmark, not a
test: it asserts only correctness (exit status 1 when a run was not exact), and the
targets of the benchmark issue are printed beside the figures, not enforced.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.servers import (
    BIN,
    ROOT,
    Stack,
    configure_environment,
    pgbouncer_pool,
    web_cpus,
    worker_nice,
)

RESULTS = ROOT / "bench" / "results"
SCENARIOS = ("rush", "draw", "ceiling", "reads", "inbound", "webhook", "outbox", "expiry")


def _manage(*args: str) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, check=True)


def _say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _exit_on_term(signum, frame) -> None:
    """A SIGTERM (timeout, kill, CI) unwinds like Ctrl-C, so the `finally` below stops
    gunicorn and the worker: they run in sessions of their own and would outlive us."""
    sys.exit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, _exit_on_term)
    configure_environment()
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    only = [s for s in os.environ.get("BENCH_ONLY", ",".join(SCENARIOS)).split(",") if s]
    _manage("migrate", "--noinput", "-v", "0")
    _manage("compilemessages", "--ignore=.venv", "-v", "0")
    _manage("collectstatic", "--noinput", "-v", "0")

    import django

    django.setup()
    from bench import ceiling, draw, inbound, reads, report, rush, sweeps
    from bench.load import cores

    machine = {
        "host": socket.gethostname(),
        "cores": cores(),
        "python": platform.python_version(),
        "commit": _commit(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "runs": runs,
    }
    logdir = Path(tempfile.mkdtemp(prefix="antrean-bench-"))
    stack = Stack(logdir, machine["cores"])
    machine.update(
        gunicorn_workers=stack.workers,
        gunicorn_threads=stack.threads,
        web_cpus=web_cpus() or "any",
        pgbouncer_pool=pgbouncer_pool(),
        worker_nice=worker_nice(),
    )
    _say(
        f"{machine['cores']} cores; gunicorn {stack.workers} workers x {stack.threads} "
        f"threads on CPUs {machine['web_cpus']}, Celery worker 2 processes "
        f"at nice {machine['worker_nice']}; "
        f"PgBouncer: {machine['pgbouncer_pool'] or 'no'}; {runs} runs each; logs in {logdir}"
    )
    results: dict = {"machine": machine}
    results_file = RESULTS / f"{dt.date.today().isoformat()}-{machine['host']}.json"

    def save() -> None:
        """After every scenario: a stopped run keeps what it measured."""
        RESULTS.mkdir(parents=True, exist_ok=True)
        results_file.write_text(json.dumps(results, indent=2, default=str) + "\n")

    stack.start()
    try:
        if "rush" in only:
            shapes = os.environ.get("BENCH_RUSH_SHAPES", "day,verified,month").split(",")
            for shape in [s for s in shapes if s]:
                runs_out = []
                for run in range(runs):
                    rush.vacuum()
                    runs_out.append(rush.run_once(stack.base, shape, run, stack.meter()))
                    _say(f"rush/{shape} run {run + 1}: {report.brief(runs_out[-1])}")
                results[f"rush_{shape}"] = runs_out
                save()
        if "draw" in only:
            runs_out = []
            for run in range(runs):
                rush.vacuum()
                runs_out.append(draw.run_once(stack.base, run, stack.meter()))
                _say(f"draw run {run + 1}: {report.brief(runs_out[-1])}")
                results["draw"] = runs_out
                save()
        if "ceiling" in only:
            for slots in (1, 20):
                measured = [ceiling.run_measured(slots, stack.meter()) for _ in range(runs)]
                tps = [m[0] for m in measured]
                results[f"ceiling_{slots}"] = tps
                results[f"ceiling_cpu_{slots}"] = [m[1] for m in measured]
                save()
                cpu = [c for c in results[f"ceiling_cpu_{slots}"] if c]
                per_tx = ", ".join(f"{k} {c.get(k)}" for c in cpu for k in ("postgres", "pgbench"))
                _say(f"pgbench, {slots} slot(s): {tps} tx/s; CPU ms per minimal tx: {per_tx}")
            ceiling.cleanup()
        if "reads" in only:
            for name, path in reads.targets().items():
                queries = reads.queries_per_request(path)
                runs_out = [
                    reads.run_once(stack.base, name, path, stack.meter()) for _ in range(runs)
                ]
                for out in runs_out:
                    out["queries_per_request"] = queries
                results[f"reads_{name}"] = runs_out
                save()
                _say(f"reads/{name}: {[r['requests_per_s'] for r in runs_out]} req/s")
        if "inbound" in only:
            runs_out = []
            for run in range(runs):
                runs_out.append(inbound.run_once(stack.base, run, stack.cpu_kinds()))
                _say(f"inbound run {run + 1}: {report.brief(runs_out[-1])}")
            results["inbound"] = runs_out
            save()
        if "webhook" in only:
            runs_out = []
            for run in range(runs):
                runs_out.append(inbound.run_webhook_once(stack.base, run, stack.cpu_kinds()))
                _say(f"webhook run {run + 1}: {report.brief(runs_out[-1])}")
            results["webhook"] = runs_out
            save()
        if "outbox" in only:
            results["outbox"] = [sweeps.run_outbox_once() for _ in range(runs)]
            _say(f"outbox: {[r['messages_per_s'] for r in results['outbox']]} msg/s")
            save()
        if "expiry" in only:
            results["expiry"] = []
            for run in range(runs):
                results["expiry"].append(sweeps.run_expiry_once())
                _say(f"expiry run {run + 1}: {report.brief(results['expiry'][-1])}")
                save()
    finally:
        stack.stop()

    table = report.markdown(results)
    print(table)
    results["markdown"] = table
    save()
    _say(f"results written to {results_file.relative_to(ROOT)}")
    wrong = report.incorrect(results)
    if wrong:
        _say("NOT EXACT: " + "; ".join(wrong))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
