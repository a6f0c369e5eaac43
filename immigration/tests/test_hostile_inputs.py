"""The catalogue of hostile inputs (immigration/tests/hostile.py) and its reach.

154 distinct inputs, each with a name and each its own test id on every surface that
takes it (26 texts, 11 wrong JSON types, 13 dates, 10 numbers, 18 raw bodies, 15
evidence files, 39 WhatsApp messages, 22 signed webhook deliveries):

- JSON API: 93 inputs, each in every field position of booking (with family), lookup,
  cancel, reschedule, availability and complaint filing (test_hostile_api.py);
- pages: 54 inputs, each in every field of /pesan/, /cek/, /lapor/ (with files) and
  /loket/pintu/ (test_hostile_pages.py);
- WhatsApp: 116 inputs through the conversation, the REST gateway and the signed
  webhook (test_hostile_whatsapp.py).
"""

import re

from immigration.tests import test_hostile_api, test_hostile_pages, test_hostile_whatsapp
from immigration.tests.hostile import every_input

SURFACES = {
    "JSON API": test_hostile_api,
    "pages": test_hostile_pages,
    "WhatsApp": test_hostile_whatsapp,
}


def _stated(label: str) -> int:
    match = re.search(rf"- {re.escape(label)}: (\d+) inputs", __doc__)
    assert match, f"the docstring states no count for {label}"
    return int(match.group(1))


def test_the_catalogue_holds_at_least_100_distinct_named_inputs():
    names = [name for group in every_input().values() for name in group]
    assert len(names) == len(set(names)), "two inputs share a name"
    assert len(names) >= 100
    assert f"{len(names)} distinct inputs" in " ".join(__doc__.split())


def test_the_counts_per_surface_in_the_docstring_are_the_real_ones():
    for label, module in SURFACES.items():
        inputs = {item.name for group in module.CATALOGUE for item in group}
        assert len(inputs) == _stated(label), label
