"""PgBouncer in transaction mode between the bench's servers and PostgreSQL
(BENCH_PGBOUNCER=N, N server connections), to measure whether a pooler is worth its hop
(docs/scaling.md). Debian's `pgbouncer` package; the bench process itself (set-up,
checks, pgbench's ceiling) still talks to PostgreSQL directly.

`scripts/with-services .venv/bin/python -m bench.pooler` compares the minimal booking
transaction (bench/ceiling.py) directly and through PgBouncer, with few clients and with
many (more clients than a database likes backends): tx/s and CPU per transaction.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg

from immigration import launcher

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def start(logdir: Path, pool_size: int) -> tuple[launcher.Server, str]:
    """A running PgBouncer and the DATABASE_URL that reaches PostgreSQL through it."""
    url = urlparse(os.environ["DATABASE_URL"])
    port = launcher.free_port()
    database = url.path.lstrip("/")
    ini = logdir / "pgbouncer.ini"
    ini.write_text(
        f"""[databases]
{database} = host={url.hostname} port={url.port} dbname={database} user={url.username}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 2000
max_db_connections = {pool_size}
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
log_connections = 0
log_disconnections = 0
"""
    )
    ini.chmod(0o644)
    # PgBouncer refuses to run as root; -u drops to PostgreSQL's own system user.
    user = ["-u", os.environ.get("SERVICES_PG_USER") or "postgres"] if os.getuid() == 0 else []
    server = launcher.Server(
        "pgbouncer", [PGBOUNCER, *user, str(ini)], log=logdir / "pgbouncer.log"
    ).start()
    pooled = f"postgres://{url.username}@127.0.0.1:{port}/{database}"
    deadline = time.monotonic() + 30
    while True:
        server.check_running()
        try:
            with psycopg.connect(pooled, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return server, pooled
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> None:
    import tempfile

    from bench import ceiling
    from bench.cpu import Meter, service_roots

    logdir = Path(tempfile.mkdtemp(prefix="antrean-pooler-"))
    pool = int(os.environ.get("BENCH_PGBOUNCER") or 8)
    server, pooled = start(logdir, pool)
    roots = {**service_roots(), "pgbouncer": [server.pid]}
    print("| clients | way in | slots | tx/s | CPU ms/tx PostgreSQL | CPU ms/tx PgBouncer |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    try:
        for clients in (8, 150):
            for way, url in (("direct", None), (f"PgBouncer ({pool})", pooled)):
                for slots in (1, 20):
                    tps, cpu = ceiling.run_measured(
                        slots, Meter(roots), clients=clients, database_url=url
                    )
                    print(
                        f"| {clients} | {way} | {slots} | {tps:.0f} | "
                        f"{cpu.get('postgres', 0):.3f} | {cpu.get('pgbouncer', 0):.3f} |",
                        flush=True,
                    )
        ceiling.cleanup()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
