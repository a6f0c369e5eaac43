"""The one place that starts and stops the project's server processes: gunicorn, a
Celery worker and Celery beat.

Used by `scripts/stack` (`python -m immigration.launcher stack`, the deployment shape
without Docker), the benchmark (bench/servers.py), the fault drills
(immigration/tests/drills.py) and the tests that need a real worker or gunicorn.
Docker runs the same commands from docker-compose.yml.

Every process:

- runs this interpreter (`python -m gunicorn`, `python -m celery`) from the repository
  root, where gunicorn finds gunicorn.conf.py and Celery the `immigration` app;
- gets our environment plus the overrides its caller gives (a drill's own database,
  a benchmark's rates), so a caller states only what differs;
- runs in a session of its own, so a Ctrl-C meant for the caller does not hit it
  half-way (the caller stops it), and with the parent-death signal set (`setpriv
  --pdeathsig`): if the caller dies without stopping it (SIGKILL, a timed-out CI job),
  it is sent SIGTERM instead of living on against servers that are gone;
- is stopped with SIGTERM to its whole process group (gunicorn's and Celery's own
  children included), then SIGKILL after a grace period.

Nothing here imports Django at module level: the benchmark imports this module before
it has configured the environment the settings read.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
# util-linux's setpriv sets the parent-death signal and execs the server; where it is
# missing the servers are still stopped by their caller, only not after a SIGKILL.
_SETPRIV = shutil.which("setpriv")


class LaunchError(RuntimeError):
    """A server did not start, or stopped answering, within its time."""


def free_port() -> int:
    """A loopback TCP port nothing listens on (bound, read, released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One server process: its command, environment overrides and log.

    `log` is a path (appended to), or None for our own stdout and stderr. Usable as a
    context manager: started on entry, stopped on exit.
    """

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        env: Mapping[str, str] | None = None,
        log: Path | None = None,
    ):
        self.name = name
        self.argv = argv
        self.env = dict(env or {})
        self.log = log
        self.process: subprocess.Popen | None = None
        self._log_file: IO[bytes] | None = None

    def __repr__(self) -> str:
        return f"<Server {self.name} pid={self.pid}>"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> Server:
        if self.log is not None:
            self._log_file = open(self.log, "ab")  # noqa: SIM115 (closed in stop())
        prefix = [_SETPRIV, "--pdeathsig", "TERM", "--"] if _SETPRIV else []
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and modules)
            [*prefix, *self.argv],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self._log_file,
            stderr=subprocess.STDOUT if self._log_file else None,
            start_new_session=True,
        )
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check_running(self) -> None:
        """Raise LaunchError (with the end of its log) when the process has exited."""
        if self.process is None:
            raise LaunchError(f"{self.name} was never started")
        if self.process.poll() is not None:
            raise LaunchError(f"{self.name} exited with {self.process.returncode}{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        if self.log is None or not self.log.exists():
            return ""
        tail = self.log.read_text(errors="replace").splitlines()[-lines:]
        return "\n" + "\n".join(f"  {self.name}| {line}" for line in tail)

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL to the whole group: no clean-up, no acknowledgement, connections
        dropped mid-transaction (what the fault drills want)."""
        if self.process is None:
            return
        self.signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._close_log()

    def stop(self, grace: float = 20) -> None:
        """SIGTERM to the group (gunicorn and Celery shut down warm), SIGKILL after
        `grace` seconds. Does nothing to a process that has already exited, except
        reaping what it left in its group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.process.wait(timeout=10)
        # A group leader gone may leave children (a worker process of a pool).
        self.signal_group(signal.SIGKILL)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> Server:
        return self if self.running() else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- The three kinds of server -----------------------------------------------------


def gunicorn(
    *,
    port: int,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    workers: int | None = None,
    threads: int | None = None,
) -> Server:
    """gunicorn as deployed (gunicorn.conf.py) on 127.0.0.1:`port`; `workers` and
    `threads` override WEB_CONCURRENCY and GUNICORN_THREADS."""
    shape = {"GUNICORN_BIND": f"127.0.0.1:{port}", "PORT": str(port)}
    if workers is not None:
        shape["WEB_CONCURRENCY"] = str(workers)
    if threads is not None:
        shape["GUNICORN_THREADS"] = str(threads)
    return Server(
        "gunicorn",
        [sys.executable, "-m", "gunicorn", "immigration.wsgi"],
        env={**(env or {}), **shape},
        log=log,
    )


def celery_worker(
    *,
    hostname: str,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    concurrency: int | None = None,
    solo: bool = False,
    loglevel: str = "INFO",
    quiet: bool = False,
) -> Server:
    """A Celery worker named `hostname` (`name@host`; `%h` is the machine's name).

    `solo` runs tasks in the worker process itself (a test can SIGKILL it mid-task);
    `quiet` leaves out gossip, mingle and heartbeats, which a lone test worker does not
    need and which cost it seconds at start.
    """
    argv = [sys.executable, "-m", "celery", "-A", "immigration", "worker"]
    argv += [f"--loglevel={loglevel}", "-n", hostname]
    if solo:
        argv.append("--pool=solo")
    elif concurrency is not None:
        argv.append(f"--concurrency={concurrency}")
    if quiet:
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return Server(f"worker {hostname}", argv, env=env, log=log)


def celery_beat(
    *,
    schedule: Path,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    loglevel: str = "INFO",
) -> Server:
    """Celery beat, keeping its schedule state in the file `schedule`."""
    argv = [sys.executable, "-m", "celery", "-A", "immigration", "beat"]
    argv += [f"--loglevel={loglevel}", f"--schedule={schedule}"]
    return Server("beat", argv, env=env, log=log)


# --- Waiting until they answer -------------------------------------------------------


def wait_until(
    condition: Callable[[], bool],
    what: str,
    *,
    seconds: float,
    servers: Iterable[Server] = (),
    interval: float = 0.1,
) -> None:
    """Poll `condition` until it holds; LaunchError after `seconds`, or at once when
    one of `servers` has exited (with the end of its log)."""
    servers = list(servers)
    deadline = time.monotonic() + seconds
    while True:
        for server in servers:
            server.check_running()
        if condition():
            return
        if time.monotonic() > deadline:
            tails = "".join(server.log_tail() for server in servers)
            raise LaunchError(f"timed out after {seconds:g} s waiting until {what}{tails}")
        time.sleep(interval)


def http_status(url: str, timeout: float = 5) -> int | None:
    """The status of a GET of `url`, None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_serving(server: Server, base: str, *, seconds: float = 60, path="/healthz") -> None:
    """Until gunicorn at `base` answers `path` with 200."""
    wait_until(
        lambda: http_status(base + path) == 200,
        f"{server.name} serves {path}",
        seconds=seconds,
        servers=[server],
        interval=0.2,
    )


def worker_answers(worker: Server, hostname: str) -> bool:
    """Whether the worker named `hostname` answers a control ping on the broker this
    process's Celery app points at (no task, no result backend needed)."""
    from immigration.celery import app

    worker.check_running()
    try:
        return bool(app.control.ping(destination=[hostname], timeout=0.5))
    except Exception:  # a broker connection a restart of Redis left stale: ask again
        return False


# --- scripts/stack -----------------------------------------------------------------


class Stack:
    """Servers started together and stopped together (last started, first stopped)."""

    def __init__(self, servers: Iterable[Server] = ()):
        self.servers = list(servers)

    def add(self, server: Server) -> Server:
        self.servers.append(server)
        return server

    def start(self) -> Stack:
        for server in self.servers:
            if not server.running():
                server.start()
        return self

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()

    def wait_any_exit(self) -> Server:
        """Block until one server exits; return it."""
        while True:
            for server in self.servers:
                if not server.running():
                    return server
            time.sleep(0.5)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _say(text: str) -> None:
    print(f"stack: {text}", file=sys.stderr, flush=True)


def _check_stack(base: str, stack: Stack) -> None:
    """Every part answers: gunicorn /healthz (database and Redis), pages, static files
    and the schema; the worker runs a task; beat drives the heartbeat."""
    import json

    import django

    django.setup()
    from django.core.cache import cache

    from immigration.tasks import HEARTBEAT_CACHE_KEY, ping

    web = stack.servers[0]
    wait_serving(web, base, seconds=60)
    # Each part's state is shown only to a probe holding the token (immigration/health.py).
    probe = urllib.request.Request(  # noqa: S310 (loopback)
        base + "/healthz", headers={"Authorization": f"Bearer {os.environ['HEALTHZ_TOKEN']}"}
    )
    with urllib.request.urlopen(probe, timeout=10) as response:  # noqa: S310 (loopback)
        health = json.loads(response.read())
    if health["checks"] != {"database": "ok", "redis": "ok"}:
        raise LaunchError(f"/healthz: {health}")
    for path in ("/", "/static/css/site.css", "/api/v1/schema/"):
        if http_status(base + path, timeout=10) != 200:
            raise LaunchError(f"{path} did not answer 200")
    _say(f"gunicorn answered /healthz {health}")

    if ping.delay().get(timeout=60) != "pong":
        raise LaunchError("the worker did not answer ping")
    wait_until(
        lambda: cache.get(HEARTBEAT_CACHE_KEY) is not None,
        "beat drives the heartbeat task",
        seconds=90,
        servers=stack.servers,
        interval=1,
    )
    _say("worker answered ping; beat ran heartbeat: ok")


def _exit_on_term(signum, frame) -> None:
    """SIGTERM unwinds like Ctrl-C, so the servers are stopped on the way out."""
    sys.exit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m immigration.launcher")
    commands = parser.add_subparsers(dest="command", required=True)
    stack_command = commands.add_parser(
        "stack", help="gunicorn, a Celery worker and beat; until Ctrl-C or one exits"
    )
    stack_command.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    stack_command.add_argument(
        "--check", action="store_true", help="start, probe every part, stop (logs to files)"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_term)

    run = Path(tempfile.mkdtemp(prefix="antrean-stack-"))
    # --check keeps the servers' output in files, shown only when a probe fails.
    logs = {name: run / f"{name}.log" if args.check else None for name in ("web", "worker", "beat")}
    stack = Stack(
        [
            gunicorn(port=args.port, log=logs["web"]),
            celery_worker(hostname="web@%h", concurrency=2, log=logs["worker"]),
            celery_beat(schedule=run / "celerybeat-schedule", log=logs["beat"]),
        ]
    )
    try:
        with stack:
            _say(f"http://127.0.0.1:{args.port} (gunicorn, Celery worker and beat; Ctrl-C stops)")
            if args.check:
                try:
                    _check_stack(f"http://127.0.0.1:{args.port}", stack)
                except Exception as error:  # any failed probe: say which, show the logs
                    _say(f"FAILED: {type(error).__name__}: {error}")
                    for server in stack.servers:
                        _say(f"== {server.name}{server.log_tail()}")
                    return 1
                return 0
            gone = stack.wait_any_exit()
            _say(f"{gone.name} exited with {gone.process.returncode}; stopping the rest")
            return 1
    except KeyboardInterrupt:
        return 130
    finally:
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
