"""An office without a published WhatsApp number takes no draw entry from the web: the
`YA <reference>` that makes it count could never arrive. WhatsApp entries still do."""

import pytest

from immigration.errors import DomainError
from release.models import DrawEntry, EntryStatus
from release.tests.factories import committed, draw_office, enter

pytestmark = pytest.mark.django_db


def test_a_web_draw_entry_at_an_office_without_a_published_number_is_refused():
    office = draw_office(whatsapp_number_is_placeholder=True)
    committed(office)
    with pytest.raises(DomainError) as refused:
        enter(office, verified=False)
    assert refused.value.code == "office_without_whatsapp"
    assert not DrawEntry.objects.exists()
    assert enter(office).status == EntryStatus.ENTERED  # by WhatsApp: the phone is proven
