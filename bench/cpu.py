"""CPU time by process kind, read from /proc: what a request costs the whole machine.

Requests per second swing with the VM's neighbours; the CPU a request costs does
not, so the benchmark's targets are CPU milliseconds per request summed over every
process that serves it: gunicorn (master and workers), the Celery worker (its main
process and pool), PostgreSQL (postmaster, every backend, the background writers) and
Redis. Each kind is a process tree, found from a root pid: the launcher's children
for gunicorn and Celery, `postmaster.pid` and `redis.pid` in the directory
`scripts/with-services` made for PostgreSQL and Redis.

A tree's CPU so far is, for every live process in it, its own user + system time plus
that of the children it has waited for (`cutime`, `cstime`): a PostgreSQL backend
that exits mid-measurement is reaped by the postmaster and its time moves into the
postmaster's `cutime`, so nothing is lost or counted twice. The load generator (this
process) is reported beside the server's kinds, not in their sum.

Resolution is the kernel's clock tick (10 ms per process on Linux): divide by
hundreds of requests, never by one.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children) or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone meanwhile
        return None
    # The command name is in parentheses and may hold spaces: split after the last ")".
    rest = raw[raw.rindex(")") + 2 :].split()
    ppid = int(rest[1])
    utime, stime, cutime, cstime = (int(v) for v in rest[11:15])
    return ppid, (utime + stime + cutime + cstime) / TICK


def _processes() -> dict[int, tuple[int, float]]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                out[int(entry)] = stat
    return out


def cpu_by_kind(kinds: Mapping[str, Iterable[int]]) -> dict[str, float]:
    """CPU seconds used so far by each kind's process trees (`kind -> root pids`).

    Two calls around a piece of work give what it cost each kind (`Meter` does the
    subtraction). A root that is not running counts 0."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in processes.items():
        children.setdefault(ppid, []).append(pid)
    out = {}
    for kind, roots in kinds.items():
        total, todo, seen = 0.0, [r for r in roots if r in processes], set()
        while todo:
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            total += processes[pid][1]
            todo.extend(children.get(pid, ()))
        out[kind] = total
    return out


def _pidfile(path: Path) -> list[int]:
    try:
        return [int(path.read_text().split()[0])]
    except (OSError, ValueError, IndexError):
        return []


def service_roots() -> dict[str, list[int]]:
    """PostgreSQL's postmaster and the Redis server that `scripts/with-services`
    started (their directories are in its environment)."""
    roots: dict[str, list[int]] = {}
    if pgdata := os.environ.get("SERVICES_PGDATA"):
        roots["postgres"] = _pidfile(Path(pgdata) / "postmaster.pid")
    if redis_conf := os.environ.get("SERVICES_REDIS_CONF"):
        roots["redis"] = _pidfile(Path(redis_conf).parent / "redis.pid")
    return roots


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Meter:
    """CPU by kind between `start()` and `stop()`; `per(n)` in ms per request.

    `kinds` maps a kind's name to its root pids (see `service_roots()`); the load
    generator's own CPU (this process) is measured beside them as `generator`."""

    kinds: Mapping[str, Iterable[int]]
    spent: dict[str, float] = field(default_factory=dict)

    def start(self) -> Meter:
        self._before = cpu_by_kind(self.kinds)
        self._own = _own_cpu()
        return self

    def stop(self) -> dict[str, float]:
        after = cpu_by_kind(self.kinds)
        self.spent = {k: after[k] - self._before.get(k, 0.0) for k in after}
        self.spent["generator"] = _own_cpu() - self._own
        return self.spent

    def __enter__(self) -> Meter:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def per(self, requests: int) -> dict[str, float]:
        """ms of CPU per request for each kind, `server` their sum without the
        generator (the benchmark's target figure)."""
        if requests <= 0:
            return {}
        out = {k: round(v * 1000 / requests, 2) for k, v in self.spent.items()}
        out["server"] = round(
            sum(v for k, v in self.spent.items() if k != "generator") * 1000 / requests, 2
        )
        return out


def format_per(per: Mapping[str, float]) -> str:
    """`server 12.3 ms (gunicorn 8.1, worker 2.0, postgres 2.0, redis 0.2; generator 1.0)`."""
    if not per:
        return "no requests"
    parts = [f"{k} {v}" for k, v in per.items() if k not in ("server", "generator")]
    gen = f"; generator {per['generator']}" if "generator" in per else ""
    return f"server {per.get('server', 0)} ms ({', '.join(parts)}{gen})"


def cpu_ms_per(before: Mapping[str, float], after: Mapping[str, float], count: int) -> dict:
    """CPU ms per item by kind between two `cpu_by_kind` readings, with their "total"."""
    per = {kind: (after[kind] - before.get(kind, 0.0)) * 1000 / max(count, 1) for kind in after}
    per["total"] = sum(per.values())
    return {kind: round(value, 2) for kind, value in per.items()}
