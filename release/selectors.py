"""What the public page of a draw shows, as the JSON anyone can recompute the draw from
(`scripts/verify-draw`). Before the draw only the commitment and the window; after it
the seed, the places of each day, every entered request by its pseudonym (its number of
people and preferred days) and each pseudonym's result. No names, phones or
references: only pseudonyms."""

import json

from django.conf import settings
from django.core.cache import cache

from release import algorithm
from release.models import Draw, DrawEntry, EntryStatus

ALGORITHM_TEXT = (
    "commitment = SHA-256(seed bytes). digest = SHA-256(sorted pseudonyms joined by '\\n'). "
    "key = SHA-256(seed bytes || digest || pseudonym UTF-8), hex; entries in ascending "
    "(key, pseudonym) order. In that order each entry takes its first preferred day with "
    "room for all its people, else its second, else its third; a family together or not "
    "at all. The others form the waiting list in draw order."
)


def draw_public(*, draw: Draw) -> dict:
    """The public JSON of a draw. Reads the draw's entered requests (one query)."""
    data = {
        "format": algorithm.FORMAT,
        "office": draw.office.code,
        "office_name": draw.office.name,
        "release": draw.release,
        "days": [draw.first_day.isoformat(), draw.last_day.isoformat()],
        "opens_at": draw.opens_at.isoformat(),
        "closes_at": draw.closes_at.isoformat(),
        "committed_at": draw.committed_at.isoformat(),
        "commitment": draw.commitment,
        "state": draw.state,
        "algorithm": ALGORITHM_TEXT,
    }
    if not draw.revealed:
        return data
    rows = list(
        DrawEntry.objects.filter(draw=draw, status=EntryStatus.ENTERED)
        .order_by("rank")
        .values_list(
            "pseudonym", "people_count", "preferences", "rank", "won_day", "waitlist_position"
        )
    )
    data.update(
        {
            "seed": draw.seed,
            "capacities": draw.capacities,
            "entries": sorted(
                (
                    {"pseudonym": p, "people": count, "preferences": prefs}
                    for p, count, prefs, *_rest in rows
                ),
                key=lambda e: e["pseudonym"],
            ),
            "results": [
                {
                    "pseudonym": p,
                    "rank": rank,
                    "day": won.isoformat() if won else None,
                    "waitlist_position": position,
                }
                for p, _count, _prefs, rank, won, position in rows
            ],
        }
    )
    return data


def _cache_key(draw: Draw, what: str) -> str:
    """Per draw and state: the public data changes only when the state does (the seed,
    the places and every result are written with the move to `drawn`, and never after),
    so a change of state is a new key and the old one is never read again. The
    commitment (random) tells this draw from one of another database that reused the
    id (a test database, a restored backup)."""
    return f"draw-public:{what}:{draw.pk}:{draw.commitment[:16]}:{draw.state}"


def draw_public_cached(*, draw: Draw) -> dict:
    """`draw_public`, kept in the cache for DRAW_PAGE_CACHE_SECONDS: the page of a
    20,000-request draw reads and builds 20,000 rows, and everyone opens it at once
    when the result is out. `draw` must be freshly read (its state is the key)."""
    key = _cache_key(draw, "data")
    data = cache.get(key)
    if data is None:
        data = draw_public(draw=draw)
        cache.set(key, data, settings.DRAW_PAGE_CACHE_SECONDS)
    return data


def draw_public_json(*, draw: Draw) -> bytes:
    """The public JSON as the page serves it, encoded once per state and cached like
    `draw_public_cached` (encoding 20,000 entries costs as much as reading them)."""
    key = _cache_key(draw, "json")
    body = cache.get(key)
    if body is None:
        body = json.dumps(draw_public_cached(draw=draw), indent=1).encode()
        cache.set(key, body, settings.DRAW_PAGE_CACHE_SECONDS)
    return body
