"""Scenario 2, the database's own ceiling: pgbench on the same PostgreSQL.

The minimal booking transaction, with nothing of ours around it: a conditional
increment of a slot's counter and the insert of a booking row, by 8 clients, once on
one hot slot (every transaction queues on one row lock) and once spread over 20
slots. The app's accepted bookings/s are reported as a share of these figures.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlparse

SCHEMA = """
DROP TABLE IF EXISTS bench_booking, bench_slot;
CREATE TABLE bench_slot (id int PRIMARY KEY, booked int NOT NULL DEFAULT 0,
                         capacity int NOT NULL, CHECK (booked <= capacity));
CREATE TABLE bench_booking (id bigserial PRIMARY KEY, slot_id int NOT NULL
                            REFERENCES bench_slot(id), name text NOT NULL,
                            created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO bench_slot (id, capacity) SELECT g, 2000000000 FROM generate_series(1, 20) g;
"""

TRANSACTION = """\\set id random(1, :slots)
BEGIN;
UPDATE bench_slot SET booked = booked + 1 WHERE id = :id AND booked < capacity;
INSERT INTO bench_booking (slot_id, name) VALUES (:id, 'pgbench');
END;
"""

CLIENTS = 8
SECONDS = 10


def _pg(database_url: str | None = None) -> tuple[Path, dict[str, str], list[str]]:
    url = urlparse(database_url or os.environ["DATABASE_URL"])
    bindir = Path(os.environ.get("PG_BIN", "/usr/bin"))
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    conn = ["-h", url.hostname, "-p", str(url.port), "-U", url.username]
    return bindir, env, [*conn, url.path.lstrip("/")]


def prepare() -> None:
    bindir, env, args = _pg()
    subprocess.run(
        [str(bindir / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-c", SCHEMA, *args],
        env=env,
        check=True,
        capture_output=True,
    )


def run_once(slots: int) -> float:
    """Transactions per second of the minimal booking over `slots` slots."""
    return run_measured(slots)[0]


def run_measured(
    slots: int, meter=None, *, clients: int = CLIENTS, database_url: str | None = None
) -> tuple[float, dict]:
    """(tx/s, CPU ms per transaction by kind): the floor a booking is measured
    against. `postgres` is the server's side; `pgbench` the client's (a child of this
    process, counted from RUSAGE_CHILDREN), beside it as the load generator is.
    `database_url`: another way in to the same database (PgBouncer, bench/pooler.py)."""
    import resource

    prepare()
    bindir, env, args = _pg(database_url)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(TRANSACTION)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    if meter is not None:
        meter.start()
    try:
        out = subprocess.run(
            [
                str(bindir / "pgbench"),
                "-n",  # our own tables: no vacuum of pgbench's
                "-c",
                str(clients),
                "-j",
                "2",
                "-T",
                str(SECONDS),
                "-D",
                f"slots={slots}",
                "-f",
                script.name,
                *args,
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(script.name)
    cpu: dict = {}
    done = re.search(r"number of transactions actually processed: ([0-9]+)", out)
    if meter is not None and done:
        meter.stop()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        tx = int(done.group(1))
        per = meter.per(tx)
        cpu = {
            **{kind: per[kind] for kind in ("postgres", "pgbouncer") if kind in per},
            "pgbench": round(spent * 1000 / tx, 3),
            "transactions": tx,
        }
    match = re.search(r"tps = ([0-9.]+)", out)
    if match is None:
        raise RuntimeError(f"pgbench printed no tps:\n{out}")
    return float(match.group(1)), cpu


def cleanup() -> None:
    bindir, env, args = _pg()
    subprocess.run(
        [str(bindir / "psql"), "-q", "-c", "DROP TABLE IF EXISTS bench_booking, bench_slot", *args],
        env=env,
        check=True,
        capture_output=True,
    )
