"""Places that free up (a cancellation, a reschedule, a lapsed or released hold, a
no-show, unused priority places) are handed, after the transaction that freed them
commits, to the function PLACES_FREED_HANDLER names (the waiting list's, which offers
them to the next request that fits). Named in settings, as WHATSAPP_INBOUND_HANDLER
is, so bookings imports nothing of the app above it.

After commit, never inside: the handler takes the day's list lock and then person
locks, while the freeing path may hold slot and booking rows; running it inside would
invert that order. The places are free for a moment in between; the handler (and its
beat sweep) offers whatever is free when it runs.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string


def places_freed_on_commit(office_id: int, day: dt.date) -> None:
    """Hand (office, day) to the handler once the current transaction commits (at once
    outside one). A failing handler never undoes or fails the change that freed the
    places (robust): the sweep offers them later."""
    handler = getattr(settings, "PLACES_FREED_HANDLER", "")
    if not handler:
        return
    transaction.on_commit(lambda: import_string(handler)(office_id=office_id, day=day), robust=True)
