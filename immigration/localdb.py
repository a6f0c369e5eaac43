"""Where `make run`'s own PostgreSQL lives, for the settings and the launcher alike.

`make run` (immigration/launcher.py, `local_postgres`) keeps one cluster per checkout in
the git-ignored folder `.postgres/` beside manage.py: `data/` is the cluster, and the
server listens only on a unix socket in the folder itself (no TCP port, so it cannot
collide with a developer's own PostgreSQL). The folder is 0700: the socket trusts its
superuser without a password, so only the checkout's owner may reach it.

Without DATABASE_URL the settings point here, so `manage.py shell` or `dbshell` in a
second terminal reaches the database `make run` serves. Nothing here imports Django.
"""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent.parent / ".postgres"
# The database and its superuser (initdb -U).
NAME = "antrean"
# A unix socket's path holds at most 107 bytes; PostgreSQL adds "/.s.PGSQL.5432". In a
# checkout whose path is longer the socket goes to a temporary folder instead.
SOCKET_DIR_MAX = 107 - len("/.s.PGSQL.5432")


def url(socket_dir: Path = FOLDER) -> str:
    """DATABASE_URL of the local database through the socket in `socket_dir`."""
    return f"postgres://{NAME}@/{NAME}?host={socket_dir}"
