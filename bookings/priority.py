"""Who may use an office-day's priority places (UU 25/2009 art. 29: people over 60,
disabled people, pregnant women, children under 5, and those accompanying them).

Age is known from the birth date, so the elderly and small children need no claim;
disability and pregnancy are claimed by the applicant and checked by the officer at
the door (the door page shows "priority booking: check at the door"). A family with
one priority person is a priority booking: the others are its companions.
"""

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bookings.applicant import Applicant, age_on
from bookings.models import PriorityClaim
from immigration.errors import DomainError

ELDERLY_AGE = 60
SMALL_CHILD_AGE = 5
# What an applicant may claim; age-based groups are read from the birth date.
CLAIMABLE = {PriorityClaim.DISABLED, PriorityClaim.PREGNANT}
# The choices every channel offers for a claim ("" = none): the web form and the API.
CLAIM_CHOICES = [
    ("", gettext_lazy("None")),
    (PriorityClaim.DISABLED.value, PriorityClaim.DISABLED.label),
    (PriorityClaim.PREGNANT.value, PriorityClaim.PREGNANT.label),
]
# The words a WhatsApp booking line may carry as its optional 4th field, in both
# languages (`#NAME#DDMMYYYY#DDMMYYYY#HAMIL#`).
CLAIM_WORDS = {
    "HAMIL": PriorityClaim.PREGNANT,
    "PREGNANT": PriorityClaim.PREGNANT,
    "DISABILITAS": PriorityClaim.DISABLED,
    "DISABLED": PriorityClaim.DISABLED,
}


def claim_from_word(word: str) -> str | None:
    """The claim a WhatsApp line's 4th field names ("" for an empty field), or None
    for a word that is not one (the parser refuses the line)."""
    word = word.strip().upper()
    if not word:
        return ""
    return CLAIM_WORDS.get(word)


def priority_claims(
    people: list[Applicant], day: dt.date, claimed: list[str] | None = None
) -> list[str]:
    """One claim per person ("" for none): the person's own group (age on `day`, or the
    claim given for them), else `companion` when someone else in the request has one.
    All "" when nobody is a priority person. Refuses an unknown claim."""
    claimed = list(claimed or [])
    claimed += [""] * (len(people) - len(claimed))
    own = []
    for person, claim in zip(people, claimed, strict=False):
        claim = (claim or "").strip().lower()
        if claim and claim not in CLAIMABLE:
            raise DomainError(
                code="invalid_priority",
                message=_("Unknown priority group: choose disabled or pregnant."),
                fields={"priority": [_("Unknown.")]},
            )
        age = age_on(person.birth_date, day)
        if claim:
            own.append(claim)
        elif age >= ELDERLY_AGE:
            own.append(PriorityClaim.ELDERLY)
        elif age < SMALL_CHILD_AGE:
            own.append(PriorityClaim.CHILD)
        else:
            own.append("")
    if not any(own):
        return own
    return [claim or PriorityClaim.COMPANION for claim in own]


def is_priority(claims: list[str]) -> bool:
    return any(claims)
