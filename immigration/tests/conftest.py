"""Fixtures of the fault drills (the helpers are in drills.py)."""

import pytest

from immigration.tests.drills import Provider, Servers


@pytest.fixture
def servers() -> Servers:
    """The suite's own PostgreSQL and Redis, to stop and start (restored by each drill)."""
    return Servers.from_env()


@pytest.fixture
def provider():
    """A loopback WhatsApp Cloud API that drill workers send through."""
    stand_in = Provider()
    yield stand_in
    stand_in.close()
