"""The booking form as the page tests post it: one applicant at Belakang Padang on
Monday 7 December 2026, any field overridden by keyword (a family's fields as
`**{"family-0-name": ...}`)."""

BIRTH = "1978-06-17"


FORM = {
    "office": "belakang-padang",
    "date": "2026-12-07",
    "slot": "",
    "service": "new",
    "name": "Siti Nur'aini",
    "birth_date": BIRTH,
    "phone": "0812 3456 7890",
    "nik": "",
}


def post_booking(client, **overrides):
    """POST /pesan/ with the form's fields; returns the response (302 to the hold page
    when the booking was made)."""
    return client.post("/pesan/", {**FORM, **overrides})
