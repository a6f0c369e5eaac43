"""CPU time by kind of process (gunicorn, the Celery worker, PostgreSQL), from /proc.

Requests/s swings with whatever else the shared VM runs; the CPU a request costs does
not, so the scenarios print CPU ms per request summed over every process that served
it. `cpu_by_kind(roots)` takes a root process per kind (gunicorn's master, the Celery
worker's main process, the postmaster) and sums, over the root and all its
descendants, utime + stime + cutime + cstime: a living process counts its own time,
and one that exited meanwhile (a PostgreSQL backend of a closed connection, a recycled
worker child) was reaped by its parent, whose cutime/cstime now carries it. Each
CPU-second is counted once. Other benchmarks' servers on the same machine are not
counted: only the roots' trees are.

    before = cpu_by_kind(roots)
    ... the scenario ...
    per_request = cpu_ms_per(before, cpu_by_kind(roots), requests)
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, CPU ticks of the process and its reaped children)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after it.
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is state (field 3 of stat(5)); ppid is 4, utime..cstime 14..17.
    ppid = int(fields[1])
    ticks = sum(int(v) for v in fields[11:15])
    return ppid, ticks


def _processes() -> dict[int, tuple[int, int]]:
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                found[int(entry.name)] = stat
    return found


def cpu_by_kind(roots: dict[str, int | None]) -> dict[str, float]:
    """CPU seconds so far of each kind's process tree, e.g. {"gunicorn": 12.3, ...}.
    A root that is None or gone counts 0."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _ticks) in processes.items():
        children.setdefault(ppid, []).append(pid)
    out = {}
    for kind, root in roots.items():
        total, todo = 0, [root] if root in processes else []
        while todo:
            pid = todo.pop()
            total += processes[pid][1]
            todo.extend(children.get(pid, []))
        out[kind] = total / TICKS
    return out


def cpu_ms_per(before: dict[str, float], after: dict[str, float], count: int) -> dict[str, float]:
    """CPU ms per item by kind between two `cpu_by_kind` readings, with their "total"."""
    per = {kind: (after[kind] - before[kind]) * 1000 / max(count, 1) for kind in after}
    per["total"] = sum(per.values())
    return {kind: round(value, 2) for kind, value in per.items()}


def postmaster_pid() -> int | None:
    """The PostgreSQL server's main process: the parent of our own backend (the
    database is on this machine in every bench)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    stat = _stat(backend)
    return stat[0] if stat else None
