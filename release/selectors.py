"""What the public page of a draw shows, as the JSON anyone can recompute the draw from
(`scripts/verify-draw`). Before the draw only the commitment and the window; after it
the seed, the places of each day, every entered request by its pseudonym (its number of
people and preferred days) and each pseudonym's result. No names, phones or
references: only pseudonyms."""

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
