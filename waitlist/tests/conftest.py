"""Fixtures of the waiting-list tests."""

import pytest


@pytest.fixture(autouse=True)
def _offers_at_once(settings):
    """Freed places are offered in the freeing thread after commit (no worker); only
    transactional tests commit, so the others never run it."""
    settings.PLACES_FREED_HANDLER = "waitlist.services.places_freed_by_id"
