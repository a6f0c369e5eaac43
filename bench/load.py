"""The load generator: an asyncio HTTP client with a fixed number of concurrent clients.

Each request is given in full (method, path, JSON body, headers), so every request of a
rush can be a different applicant. Clients pull the next request as soon as their
last one answered (a closed loop, like people pressing "book" again). Each answer is
recorded with its start and end on one monotonic clock, its status and, for 4xx, the
error code of our error shape, so the scenarios can tell `day_full` from a bug.

The generator's own CPU time is measured too: on a 2-core machine it shares the cores
with the server, and the report prints its share beside every figure.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import time
from dataclasses import dataclass, field

import aiohttp


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: dict | None = None
    headers: dict | None = None
    tag: str = ""
    # Bytes sent as they are (a signed body must arrive byte for byte), instead of `body`.
    raw: bytes | None = None


# Answer.error_code of a request the client stopped waiting for (status 0).
TIMEOUT = "client_timeout"


@dataclass
class Answer:
    started: float
    ended: float
    status: int  # 0: connection error or timeout (error_code TIMEOUT)
    error_code: str = ""
    body: dict | list | None = None
    tag: str = ""

    @property
    def latency(self) -> float:
        return self.ended - self.started


@dataclass
class LoadResult:
    answers: list[Answer]
    wall: float
    cpu: float  # the generator's own CPU seconds (user + system)
    concurrency: int
    extra: dict = field(default_factory=dict)
    steal: float = 0.0  # share of the machine's CPU time the hypervisor took meanwhile

    @property
    def cpu_share(self) -> float:
        """Cores the generator kept busy on average (1.0 = one whole core)."""
        return self.cpu / self.wall if self.wall else 0.0

    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for answer in self.answers:
            counts[answer.status] = counts.get(answer.status, 0) + 1
        return counts

    def latency_ms(self) -> dict[str, float]:
        return percentiles([a.latency for a in self.answers])


def percentiles(latencies: list[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds (nearest-rank, no interpolation)."""
    if not latencies:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(latencies)

    def rank(p: float) -> float:
        index = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))
        return round(ordered[index] * 1000, 1)

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "max": rank(100)}


def machine_cpu() -> tuple[int, int]:
    """(all, stolen) CPU time of the machine so far, in clock ticks (/proc/stat).

    On a virtual machine the hypervisor may run other guests on "our" cores: that
    time is "steal". It swung between 5% and 70% second by second during the rush on
    the 2-core VM these figures come from, so each figure is printed beside it."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return 0, 0
    # user nice system idle iowait irq softirq steal (guest time is inside user)
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0


def steal_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[0] - before[0]
    return (after[1] - before[1]) / total if total > 0 else 0.0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def address(n: int) -> str:
    """A client address of its own for request `n` (10.0.0.0/8 has 16 million)."""
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


async def _client(session, base, queue, answers, keep_body, clock):
    while True:
        try:
            n, request = queue.popleft()
        except IndexError:
            return
        headers = {**(request.headers or {}), "X-Forwarded-For": address(n)}
        started = clock()
        status, error_code, body = 0, "", None
        try:
            async with session.request(
                request.method,
                base + request.path,
                data=request.raw
                if request.raw is not None
                else None
                if request.body is None
                else json.dumps(request.body),
                headers=headers,
            ) as response:
                status = response.status
                raw = await response.read()
                if keep_body or 400 <= status < 500:
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        body = None
                    if isinstance(body, dict) and isinstance(body.get("error"), dict):
                        error_code = body["error"].get("code", "")
        except TimeoutError:  # the client gave up; the server may still finish it
            status, error_code = 0, TIMEOUT
        except (aiohttp.ClientError, OSError):
            status = 0
        answers.append(
            Answer(
                started,
                clock(),
                status,
                error_code,
                body if keep_body else None,
                request.tag,
            )
        )


async def _run(base, requests, concurrency, keep_body, timeout):
    from collections import deque

    queue = deque(enumerate(requests, start=1))
    answers: list[Answer] = []
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(
        connector=connector, headers=headers, timeout=client_timeout
    ) as session:
        clock = time.perf_counter
        begin_cpu, begin, begin_machine = _cpu_seconds(), clock(), machine_cpu()
        await asyncio.gather(
            *(_client(session, base, queue, answers, keep_body, clock) for _ in range(concurrency))
        )
        wall, cpu = clock() - begin, _cpu_seconds() - begin_cpu
        steal = steal_share(begin_machine, machine_cpu())
    for answer in answers:
        answer.started -= begin
        answer.ended -= begin
    return LoadResult(
        answers=answers, wall=wall, cpu=cpu, concurrency=concurrency, steal=round(steal, 2)
    )


def run_load(
    base: str,
    requests: list[Request],
    *,
    concurrency: int = 64,
    keep_body: bool = False,
    timeout: float = 30.0,
) -> LoadResult:
    """Send every request with `concurrency` clients; return what each got."""
    return asyncio.run(_run(base, requests, concurrency, keep_body, timeout))


def summary(values: list[float]) -> dict[str, float]:
    """The median of the runs with their min and max, as the report prints them."""
    return {
        "median": round(statistics.median(values), 1),
        "min": round(min(values), 1),
        "max": round(max(values), 1),
    }


def cores() -> int:
    return len(os.sched_getaffinity(0))
