"""Lockouts for guessing a secret that belongs to someone (a birth date for a code).

A booking code may be seen by others (a photographed QR, a shoulder at the door); the
birth date is what proves the booking is yours. Wrong guesses are counted twice:

- per subject and client (the code from this address, API key or phone): a guesser is
  stopped after a few tries, and cannot lock the owner, who asks from elsewhere;
- per subject overall, with a higher cap: a guesser with many addresses is stopped too,
  at a cost far above what the few wrong tries of the owner's family ever reach.

Unlike the throttles (immigration/throttling.py), a lockout fails closed: while the
cache is unreachable no guess is checked at all and the caller gets a 503
`lockout_unavailable`, because a lockout that lets everything through during an
outage is one an attacker can wait for (or cause). Counters are keyed by a hash of
the subject, so no code sits in the cache in the clear.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

from immigration.errors import DomainError, TooManyAttemptsError
from immigration.ratelimit import count_hit

logger = logging.getLogger(__name__)


class LockoutUnavailableError(DomainError):
    """The lockout's counters cannot be read, so no guess is checked (HTTP 503)."""

    http_status = 503


@dataclass(frozen=True)
class GuessLimit:
    """`per_client` wrong guesses on one subject from one client, `per_subject` from
    everyone, each in a window of `window_seconds` from the first wrong guess."""

    name: str
    per_client: int
    per_subject: int
    window_seconds: int


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _keys(limit: GuessLimit, subject: str, client: str | None) -> tuple[str, str]:
    subject_key = f"guesses:{limit.name}:{_digest(subject)}"
    return f"{subject_key}:{_digest(client or 'unknown')}", subject_key


def _unavailable(limit: GuessLimit, exc: Exception) -> LockoutUnavailableError:
    logger.warning(
        "lockout %s refused the request: the cache is unavailable (%s)",
        limit.name,
        type(exc).__name__,
    )
    return LockoutUnavailableError(
        code="lockout_unavailable",
        message=_("Checking bookings is briefly unavailable. Please try again in a few minutes."),
    )


def guesses_check(limit: GuessLimit, *, subject: str, client: str | None) -> None:
    """Raise TooManyAttemptsError when `subject` is locked for `client` (or for all),
    LockoutUnavailableError when that cannot be known. Call before looking."""
    client_key, subject_key = _keys(limit, subject, client)
    try:
        counts = cache.get_many([client_key, subject_key])
    except RedisError as exc:
        raise _unavailable(limit, exc) from None
    if (
        counts.get(client_key, 0) >= limit.per_client
        or counts.get(subject_key, 0) >= limit.per_subject
    ):
        raise TooManyAttemptsError(
            retry_after=limit.window_seconds,
            code="too_many_attempts",
            message=_("Too many wrong birth dates for this code; try again in an hour."),
        )


def guesses_record_failure(limit: GuessLimit, *, subject: str, client: str | None) -> None:
    """Count one wrong guess on `subject` by `client`; LockoutUnavailableError when it
    cannot be counted (the guess is then not answered either)."""
    client_key, subject_key = _keys(limit, subject, client)
    try:
        count_hit(client_key, window_seconds=limit.window_seconds)
        count_hit(subject_key, window_seconds=limit.window_seconds)
    except RedisError as exc:
        raise _unavailable(limit, exc) from None
