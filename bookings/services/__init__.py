from bookings.services.allocation import *  # noqa: F403
from bookings.services.allocation import (  # noqa: F401
    LOOKUP_LOCKOUT_SECONDS,
    TRANSITIONS,
    _insert,
)
