"""Review of #19's one-round-trip counters (h27-review): immigration/cache.py `hit`/`hits`.

The page rate limits (`book-page:<ip>`, `waitlist-page:<ip>`, the draw's and the
complaints' pages), the WhatsApp per-sender limit (`wa-sender:<phone>`) and the
lockout of wrong birth dates per booking code count in a window that starts with the
key's first hit: `SET key 0 EX window NX` then `INCR key`, pipelined. When the key
expires between the two (a hit arriving at the instant its window ends), INCR creates
the key again *without* an expiry: the counter then never resets, and once it passes
the limit that network (a carrier's NAT address shared by thousands of phones), that
phone or that booking code is refused for ever (until Redis is flushed). Real Redis.
"""

import random
import time
import uuid

import pytest
from django.core.cache import cache

from immigration.ratelimit import allow, count_hit

pytestmark = pytest.mark.skipif(
    not hasattr(cache, "hit"), reason="the one-round-trip counters are Redis's"
)


def _raw():
    return cache._cache.get_client(write=True)


def _full(key: str) -> str:
    return cache.make_and_validate_key(key)


def test_a_counter_that_lost_its_expiry_gets_one_back_at_its_next_hit():
    key = f"ratelimit:review-s12:{uuid.uuid4().hex}"
    # What INCR leaves when the key expired just before it: a count without expiry.
    _raw().set(_full(key), 5)
    count_hit(key, window_seconds=60)
    assert 0 < _raw().ttl(_full(key)) <= 60


def test_hits_at_the_instant_a_window_ends_never_leave_a_counter_for_ever():
    """The race itself, on the real server: each key is created with 2 ms to live and
    hit around the moment it expires (before, at and after, uniformly)."""
    raw = _raw()
    keys = [f"ratelimit:review-s12:{uuid.uuid4().hex}:{i}" for i in range(2500)]
    for key in keys:
        raw.set(_full(key), 0, px=2)
        until = time.perf_counter() + random.uniform(0.0012, 0.0028)  # noqa: S311 (timing)
        while time.perf_counter() < until:
            pass
        count_hit(key, window_seconds=60)
    pipe = raw.pipeline(transaction=False)
    for key in keys:
        pipe.ttl(_full(key))
    for_ever = [key for key, ttl in zip(keys, pipe.execute(), strict=True) if ttl == -1]
    assert for_ever == []


def test_a_limit_whose_window_ended_lets_the_next_request_through():
    """What an applicant sees: after the window, the page's limit has reset."""
    key = f"review-s12:{uuid.uuid4().hex}"
    _raw().set(_full(f"ratelimit:{key}"), 10)  # at the limit, and left without expiry
    assert not allow(key, limit=10, window_seconds=1)
    time.sleep(1.1)
    assert allow(key, limit=10, window_seconds=1)
