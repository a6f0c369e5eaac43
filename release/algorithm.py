"""The draw, as a pure function: who gets a place, on which day, and who waits.

Standard library only, and no database: the public page publishes exactly the inputs
this module takes (the seed, each entry's pseudonym, number of people and preferred
days, and the places each day had), so anyone can run the same steps and get the
same result. `scripts/verify-draw` is a stand-alone copy of these steps for the public;
a test holds the two equal.

The steps (format `antrean-draw-1`):

1. `commitment = SHA-256(seed)`, published before the window opens; the seed (32
   random bytes, written as hex) is revealed after it closes.
2. `digest = SHA-256(the entries' pseudonyms, sorted, joined by "\\n")`: the order
   depends on the whole list of entries, not on each entry alone.
3. Each entry's key is `SHA-256(seed || digest || pseudonym)` (bytes; the pseudonym
   in UTF-8). The draw order is by key (hex, ascending), then by pseudonym.
4. In that order each entry is placed on its first preferred day with room for all
   its people, else its second, else its third; a family is placed together or not
   at all. The places of a day go down by the entry's people.
5. Entries not placed form the waiting list in draw order (positions 1, 2, ...).

The storage order of the entries never matters: step 3 sorts them.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

FORMAT = "antrean-draw-1"


@dataclass(frozen=True)
class Entry:
    """One request as the draw sees it: its public pseudonym, how many people it
    books together, and up to three acceptable days (ISO dates) in order."""

    pseudonym: str
    people: int
    preferences: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """One entry's result: its rank in the draw order (1 = drawn first), the day it
    won (None if none had room), else its waiting-list position."""

    pseudonym: str
    rank: int
    day: str | None
    waitlist_position: int | None


def commitment(seed_hex: str) -> str:
    """The SHA-256 of the seed's bytes, as hex: what is published before the window."""
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


def entries_digest(pseudonyms: Iterable[str]) -> bytes:
    return hashlib.sha256("\n".join(sorted(pseudonyms)).encode()).digest()


def draw_order(seed_hex: str, entries: Iterable[Entry]) -> list[Entry]:
    """The entries in draw order: a deterministic function of the seed and the set of
    pseudonyms (steps 2 and 3 above)."""
    entries = list(entries)
    seed = bytes.fromhex(seed_hex)
    digest = entries_digest(e.pseudonym for e in entries)

    def key(entry: Entry) -> tuple[str, str]:
        return (
            hashlib.sha256(seed + digest + entry.pseudonym.encode()).hexdigest(),
            entry.pseudonym,
        )

    return sorted(entries, key=key)


def allocate(
    seed_hex: str, entries: Iterable[Entry], capacities: Mapping[str, int]
) -> list[Outcome]:
    """Run the draw: one Outcome per entry, in draw order (steps 3 to 5). A day not in
    `capacities` has no places. Pseudonyms must be unique."""
    entries = list(entries)
    if len({e.pseudonym for e in entries}) != len(entries):
        raise ValueError("pseudonyms must be unique")
    left = dict(capacities)
    outcomes: list[Outcome] = []
    waiting = 0
    for rank, entry in enumerate(draw_order(seed_hex, entries), start=1):
        won = next((day for day in entry.preferences[:3] if left.get(day, 0) >= entry.people), None)
        if won is None:
            waiting += 1
            outcomes.append(Outcome(entry.pseudonym, rank, None, waiting))
        else:
            left[won] -= entry.people
            outcomes.append(Outcome(entry.pseudonym, rank, won, None))
    return outcomes
