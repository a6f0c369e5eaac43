"""Booking codes: short, unguessable, easy to read aloud, type and scan.

Eight characters from the 31 upper-case letters and digits that have no look-alike
(no 0/O, 1/I/L), drawn with `secrets`: 31**8 is about 8.5e11 codes, 39.6 bits. That
is the most eight such characters can hold (a 32nd symbol would need a look-alike or
punctuation), and it is enough because a code alone reveals nothing: every lookup by
an applicant also needs the birth date, and lookups are throttled.
"""

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8

_CANONICAL = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")


def new_code() -> str:
    """A fresh code in canonical form (no dash)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def new_codes(count: int) -> list[str]:
    """`count` fresh codes (repeats possible, as with `new_code`), drawn from one
    `secrets.token_bytes` call: a byte below 248 (8 x 31) picks a symbol uniformly,
    the others are dropped. A draw's waiting list takes 20,000 references at once,
    where `secrets.choice` per character was a tenth of a second per 5,000."""
    out: list[str] = []
    while len(out) < count:
        raw = secrets.token_bytes(LENGTH * (count - len(out)) * 9 // 8 + 2 * LENGTH)
        symbols = [ALPHABET[byte % len(ALPHABET)] for byte in raw if byte < 248]
        out.extend(
            "".join(symbols[at : at + LENGTH]) for at in range(0, len(symbols) - LENGTH + 1, LENGTH)
        )
    return out[:count]


def canonical(text: str) -> str | None:
    """The canonical form of a code as a person or scanner gives it back: any case,
    with or without the dash or spaces. None when it cannot be a code."""
    cleaned = re.sub(r"[\s-]", "", text or "").upper()
    return cleaned if _CANONICAL.match(cleaned) else None


def display(code: str) -> str:
    """XXXX-XXXX, as printed and read aloud."""
    return f"{code[:4]}-{code[4:]}"
