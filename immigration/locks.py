"""Transaction-scoped advisory locks, for invariants no single row can carry.

"One person may not hold bookings at two offices on the same day" spans rows that do
not exist yet, so no row lock can guard it; an advisory lock on the person's key
serialises the bookings of one person (and of one phone) without blocking anyone
else. The locks are released at commit or rollback. SQLite (`make run`) serialises
all writes anyway, so there they are no-ops.
"""

import hashlib

from django.db import connection


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def advisory_xact_lock(*keys: str, shared: bool = False) -> None:
    """Take the locks of `keys` in a fixed (sorted) order, so two transactions locking
    overlapping sets cannot deadlock. Must be called inside a transaction.

    Shared locks do not block each other, only an exclusive lock on the same key: many
    bookings of one office-day proceed together while a closure of that day waits for
    them (and they for it)."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        for lock_id in sorted({_lock_id(key) for key in keys}):
            cursor.execute(f"SELECT {function}(%s)", [lock_id])


def office_day_key(office_id: int, day) -> str:
    """The lock that orders bookings (shared) against changes to a day's plan (exclusive)."""
    return f"office-day:{office_id}:{day.isoformat()}"
