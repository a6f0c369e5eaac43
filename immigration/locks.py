"""Transaction-scoped advisory locks, for invariants no single row can carry.

"One person may not hold bookings at two offices on the same day" spans rows that do
not exist yet, so no row lock can guard it; an advisory lock on the person's key
serialises the bookings of one person (and of one phone) without blocking anyone
else. The locks are released at commit or rollback.

Every lock says how long it waits (as pretix's services/locking.py does): the
transaction's `lock_timeout` is set to LOCK_TIMEOUT_SECONDS before the first lock, and
it bounds the row locks (`select_for_update`) taken after it in the same transaction
too. A lock not granted in time is a `busy` answer (HTTP 503, "please try again"),
never a worker hung behind a stuck transaction: advisory locks raise BusyError here,
and a row lock's timeout met in the ORM (`is_lock_timeout`) gets the same answer from
immigration/db_outage.py.
"""

import hashlib
from collections.abc import Iterable

from django.conf import settings
from django.db import OperationalError, connection
from django.utils.translation import gettext_lazy as _
from psycopg import errors as pg_errors

from immigration.errors import DomainError


class BusyError(DomainError):
    """A lock was not granted within LOCK_TIMEOUT_SECONDS: someone else is changing the
    same thing. Nothing was changed (the transaction rolls back); trying again is safe."""

    http_status = 503


def busy_error() -> BusyError:
    return BusyError(
        code="busy",
        message=_("The service is busy with the same booking or day. Please try again."),
    )


def is_lock_timeout(exc: BaseException) -> bool:
    """Whether `exc` (Django's OperationalError wraps psycopg's) is a lock_timeout."""
    return isinstance(exc, pg_errors.LockNotAvailable) or (
        isinstance(exc, OperationalError) and isinstance(exc.__cause__, pg_errors.LockNotAvailable)
    )


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        # Outside a transaction an xact lock ends with its statement, and a SET LOCAL
        # with it: the lock would protect nothing. A programming error, said at once.
        raise RuntimeError("locks are taken inside a transaction (transaction.atomic)")


def _timeout() -> str:
    return f"{int(settings.LOCK_TIMEOUT_SECONDS * 1000)}ms"


def bound_lock_waits() -> None:
    """Set this transaction's lock_timeout before it takes row locks
    (`select_for_update`). Must be called inside a transaction; the setting ends with
    it. A timeout then surfaces as OperationalError (see `is_lock_timeout`)."""
    _require_transaction()
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [_timeout()])


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
    A booking takes its phone, person and office-day locks with this one statement.

    The same statement sets the transaction's lock_timeout (SET LOCAL, as
    `set_config(..., true)`): CASE evaluates its first branch's condition before the
    others, so each row sets it before taking its lock. Raises RuntimeError outside a
    transaction, BusyError when a lock is not granted in LOCK_TIMEOUT_SECONDS."""
    _require_transaction()
    ids = sorted({_lock_id(key) for key in exclusive})
    shared_ids = sorted({_lock_id(key) for key in shared})
    if not ids and not shared_ids:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN set_config('lock_timeout', %s, true) IS NULL THEN NULL "
                "WHEN l.shared THEN pg_advisory_xact_lock_shared(l.id)::text "
                "ELSE pg_advisory_xact_lock(l.id)::text END "
                "FROM unnest(%s::bigint[], %s::boolean[]) WITH ORDINALITY AS l(id, shared, n) "
                "ORDER BY l.n",
                [_timeout(), ids + shared_ids, [False] * len(ids) + [True] * len(shared_ids)],
            )
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise busy_error() from exc
        raise


def office_day_key(office_id: int, day) -> str:
    """The lock that orders bookings (shared) against changes to a day's plan (exclusive)."""
    return f"office-day:{office_id}:{day.isoformat()}"
