"""Transaction-scoped advisory locks, for invariants no single row can carry.

"One person may not hold bookings at two offices on the same day" spans rows that do
not exist yet, so no row lock can guard it; an advisory lock on the person's key
serialises the bookings of one person (and of one phone) without blocking anyone
else. The locks are released at commit or rollback. SQLite (`make run`) serialises
all writes anyway, so there they are no-ops.
"""

import hashlib
from collections.abc import Iterable

from django.db import connection


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def advisory_xact_lock(*keys: str, shared: bool = False) -> None:
    """Take the locks of `keys` in a fixed (sorted) order, so two transactions locking
    overlapping sets cannot deadlock. Must be called inside a transaction.

    Shared locks do not block each other, only an exclusive lock on the same key: many
    bookings of one office-day proceed together while a closure of that day waits for
    them (and they for it)."""
    if shared:
        advisory_xact_locks(shared=keys)
    else:
        advisory_xact_locks(exclusive=keys)


def advisory_xact_locks(*, exclusive: Iterable[str] = (), shared: Iterable[str] = ()) -> None:
    """Exclusive locks (sorted), then shared ones (sorted), in one round trip: the rows
    of `unnest ... WITH ORDINALITY` are produced, and their locks taken, in array order.
    A booking takes its phone, person and office-day locks with this one statement."""
    if connection.vendor != "postgresql":
        return
    ids = sorted({_lock_id(key) for key in exclusive})
    shared_ids = sorted({_lock_id(key) for key in shared})
    if not ids and not shared_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN l.shared THEN pg_advisory_xact_lock_shared(l.id)::text "
            "ELSE pg_advisory_xact_lock(l.id)::text END "
            "FROM unnest(%s::bigint[], %s::boolean[]) WITH ORDINALITY AS l(id, shared, n) "
            "ORDER BY l.n",
            [ids + shared_ids, [False] * len(ids) + [True] * len(shared_ids)],
        )


def office_day_key(office_id: int, day) -> str:
    """The lock that orders bookings (shared) against changes to a day's plan (exclusive)."""
    return f"office-day:{office_id}:{day.isoformat()}"
