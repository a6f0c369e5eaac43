"""Who an applicant is: names, birth dates, phone numbers and NIK, as people type them.

A person is identified by their normalised name and birth date (and NIK when given);
the same rules are applied on every channel so "siti  nur'aini" on WhatsApp and
"SITI NUR'AINI" on the web are one person.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from immigration.errors import DomainError

NAME_MAX_LENGTH = 100
NAME_MIN_LETTERS = 2
MAX_AGE_YEARS = 120

_KTP_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u02bc": "'"})


def normalise_name(raw: str) -> str:
    """Trim, collapse spaces, uppercase; keep apostrophes, dots and hyphens."""
    text = unicodedata.normalize("NFC", raw or "").translate(_APOSTROPHES)
    return re.sub(r"\s+", " ", text).strip().upper()


def _fold(name: str) -> str:
    """The letters as a KTP writes them: accents dropped ("SİTİ" -> "SITI"), full-width
    and other compatibility forms read as the plain letter."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def validate_name(raw: str) -> str:
    """The name to store and compare, as on a KTP: upper-case Latin letters without
    accents, so that a look-alike letter cannot make one person two."""
    name = normalise_name(raw)
    if not name:
        raise DomainError(
            code="invalid_name",
            message=_("Enter the applicant's name."),
            fields={"name": [_("Type the full name as written on the KTP or birth certificate.")]},
        )
    # Folding can leave spaces of its own (a spacing accent is a space and a mark).
    folded = " ".join(_fold(name).split())
    if len(folded) > NAME_MAX_LENGTH:
        raise DomainError(
            code="invalid_name",
            message=_("The name is too long (at most %(max)d characters).")
            % {"max": NAME_MAX_LENGTH},
            fields={"name": [_("Too long.")]},
        )
    # Latin letters (accented ones fold to their base letter), spaces, and the
    # punctuation Indonesian names carry. Other scripts, invisible characters and marks
    # that belong to no letter are refused: their look-alikes would let one person pass
    # as two under the one-booking-per-person rule.
    if (
        any(unicodedata.category(ch).startswith("M") for ch in name)
        or not all(ch in _KTP_LETTERS or ch in " '.-," for ch in folded)
        or not any(ch in _KTP_LETTERS for ch in folded)
    ):
        raise DomainError(
            code="invalid_name",
            message=_("A name may contain only letters, spaces, apostrophes, dots and hyphens."),
            fields={
                "name": [
                    _("Use letters only (apostrophes, dots and hyphens are fine), as on the KTP.")
                ]
            },
        )
    if sum(ch in _KTP_LETTERS for ch in folded) < NAME_MIN_LETTERS:
        # One letter is an initial, not a name a passport can carry; single names
        # ("SUKARNO") are fine.
        raise DomainError(
            code="invalid_name",
            message=_("A name needs at least %(min)d letters: write it in full, as on the KTP.")
            % {"min": NAME_MIN_LETTERS},
            fields={"name": [_("Write the name in full, as on the KTP or birth certificate.")]},
        )
    return folded


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def validate_birth_date(birth_date: dt.date, *, today: dt.date) -> dt.date:
    if birth_date > today:
        raise DomainError(
            code="invalid_birth_date",
            message=_("The birth date is in the future."),
            fields={"birth_date": [_("This date has not come yet: check the year.")]},
        )
    if age_on(birth_date, today) >= MAX_AGE_YEARS:
        raise DomainError(
            code="invalid_birth_date",
            message=_("The birth date is more than %(years)d years ago.")
            % {"years": MAX_AGE_YEARS},
            fields={"birth_date": [_("Check the year: this is over 120 years ago.")]},
        )
    return birth_date


def normalise_phone(raw: str) -> str:
    """A phone number as WhatsApp writes it: E.164 digits without "+" (62812...).

    People type 0812-3456-7890, +62 812 3456 7890 or 62812...; all become
    6281234567890. Numbers abroad must be typed with their "+" and country code.
    """
    text = (raw or "").strip()
    plus = text.startswith("+")
    digits = re.sub(r"[\s().-]", "", text.lstrip("+"))
    # ASCII digits only: other scripts' digits would make one number look like two.
    if not re.fullmatch(r"[0-9]+", digits):
        raise _bad_phone()
    if not plus and digits.startswith("0"):
        digits = "62" + digits[1:]
    if digits.startswith("62"):
        if not re.fullmatch(r"62[1-9][0-9]{7,11}", digits):
            raise _bad_phone()
    elif not (plus and re.fullmatch(r"[1-9][0-9]{7,14}", digits)):
        raise _bad_phone()
    return digits


def _bad_phone() -> DomainError:
    return DomainError(
        code="invalid_phone",
        message=_("Enter a WhatsApp number such as 0812 3456 7890 or +62 812 3456 7890."),
        fields={"phone": [_("Type a mobile number such as 0812 3456 7890.")]},
    )


def normalise_booking_phone(raw: str) -> str:
    """The WhatsApp number a booking is sent to: an Indonesian mobile number only
    (08xx or +62 8xx), as WhatsApp writes it (628...).

    The notices go to this number by WhatsApp, and the one-booking-per-phone limits
    count it: a foreign or landline number would receive nothing here, and numbers from
    abroad are the cheapest way for a broker to multiply phones."""
    try:
        digits = normalise_phone(raw)
    except DomainError:
        digits = ""
    if not re.fullmatch(r"628[0-9]{8,11}", digits):
        raise DomainError(
            code="invalid_phone",
            message=_(
                "Bookings are confirmed by WhatsApp to an Indonesian mobile number: type one "
                "that starts with 08 or +62 8, such as 0812 3456 7890."
            ),
            fields={"phone": [_("Type an Indonesian mobile number starting with 08 or +62 8.")]},
        )
    return digits


def validate_nik(nik: str | None, *, birth_date: dt.date) -> str | None:
    """A 16-digit NIK whose birth-date digits (DDMMYY, +40 on the day for women) match
    the birth date given: a broker's made-up NIK usually does not."""
    if nik is None or not str(nik).strip():
        return None
    nik = re.sub(r"[\s.-]", "", str(nik))
    if not re.fullmatch(r"[0-9]{16}", nik):
        raise DomainError(
            code="invalid_nik",
            message=_("A NIK has 16 digits."),
            fields={"nik": [_("Type the 16 digits of the NIK, as on the KTP, or leave it empty.")]},
        )
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    if (day, month, year) != (birth_date.day, birth_date.month, birth_date.year % 100):
        raise DomainError(
            code="invalid_nik",
            message=_("The NIK does not match the birth date."),
            fields={
                "nik": [
                    _(
                        "Check the NIK and the birth date: digits 7 to 12 of a NIK are the "
                        "birth date (DDMMYY)."
                    )
                ]
            },
        )
    return nik


@dataclass(frozen=True)
class Applicant:
    """One person to book, as given; `validated` returns the normalised form."""

    name: str
    birth_date: dt.date
    nik: str | None = None

    def validated(self, *, today: dt.date) -> "Applicant":
        birth_date = validate_birth_date(self.birth_date, today=today)
        return Applicant(
            name=validate_name(self.name),
            birth_date=birth_date,
            nik=validate_nik(self.nik, birth_date=birth_date),
        )

    @property
    def lock_keys(self) -> list[str]:
        """The advisory-lock keys of this person: name + birth date, and NIK (never logged)."""
        keys = [f"person:{self.name}|{self.birth_date.isoformat()}"]
        if self.nik:
            keys.append(f"nik:{self.nik}")
        return keys


def first_repeat(people: list[Applicant]) -> int | None:
    """The index of the first person who already appeared earlier in the request (the
    same name and birth date, or the same NIK), else None."""
    seen: set[str] = set()
    for index, person in enumerate(people):
        keys = {person.lock_keys[0], *([f"nik:{person.nik}"] if person.nik else [])}
        if keys & seen:
            return index
        seen |= keys
    return None


def family_validated(applicants: list[Applicant], *, today: dt.date) -> list[Applicant]:
    """The people of one request (a booking, a waiting-list request, a draw entry),
    each validated, or the DomainError saying what is wrong: none, more than
    BOOKING_FAMILY_MAX, a person's name or birth date (`applicants` on the error says
    which person, so WhatsApp can name the line), or one person twice. The one
    implementation of these rules; every kind of request asks it. No query."""
    if not applicants:
        raise DomainError(code="no_applicants", message=_("Add at least one applicant."))
    if len(applicants) > settings.BOOKING_FAMILY_MAX:
        raise DomainError(
            code="family_too_large",
            message=_("One request books at most %(max)d people.")
            % {"max": settings.BOOKING_FAMILY_MAX},
            fields={"family": [_("Too many people.")]},
        )
    people = []
    for index, person in enumerate(applicants):
        try:
            people.append(person.validated(today=today))
        except DomainError as exc:
            exc.applicants = (index,)  # which person of the family: WhatsApp names the line
            raise
    repeated = first_repeat(people)
    if repeated is not None:
        raise DomainError(
            code="duplicate_applicant",
            message=_("The same person appears twice in this request."),
            applicants=(repeated,),
        )
    return people
