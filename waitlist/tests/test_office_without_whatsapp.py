"""An office without a published WhatsApp number takes no waiting-list request from the
web: the `YA <ref>` that puts it on the list could never arrive."""

import pytest

from bookings.tests.factories import office
from immigration.errors import DomainError
from waitlist.models import RequestState, WaitlistRequest
from waitlist.tests.helpers import fill, join

pytestmark = pytest.mark.django_db


def test_a_web_request_at_an_office_without_a_published_number_is_refused():
    place = office(whatsapp_number_is_placeholder=True, hours__daily_capacity=14)
    fill(place)
    with pytest.raises(DomainError) as refused:
        join(place, phone_verified=False)
    assert refused.value.code == "office_without_whatsapp"
    assert not WaitlistRequest.objects.exists()
    assert join(place).state == RequestState.WAITING  # by WhatsApp: the phone is proven
