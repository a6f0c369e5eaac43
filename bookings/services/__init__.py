"""The booking services, by lifecycle (see each module's docstring for what it owns
and which locks it takes):

- actor: Actor, the transition table, events, shared locks
- allocation: day checks, limits, taking places, booking_create(_family)
- queue_numbers: the day's queue sequence numbers
- holds: releasing and confirming holds
- changes: the applicant's lookup (birth-date lockout), cancel, reschedule
- desk: check-in, door refusal, counter queue, submission to collection, priority tickets
- fees: the fee in force
- sweeps: no-show expiry, reminders

Dependencies point one way: actor/queue_numbers/fees <- holds <- allocation <- changes;
desk -> actor, fees; sweeps -> actor; all may call bookings.soldout (a leaf).
This module re-exports the public names so `from bookings.services import X` works.
"""

from bookings.lookup import LOOKUP_LOCKOUT_SECONDS
from bookings.services.actor import (
    TRANSITIONS,
    Actor,
)
from bookings.services.allocation import (
    _insert,
    booking_create,
    booking_create_family,
    day_places_left,
    slot_room,
)
from bookings.services.changes import (
    booking_cancel,
    booking_for_applicant,
    booking_reschedule,
)
from bookings.services.desk import (
    booking_check_in,
    booking_confirm_payment,
    booking_mark_collected,
    booking_mark_ready,
    booking_record_submission,
    counter_latest_call,
    counter_service_in_turn,
    priority_ticket_issue,
    queue_call_next,
)
from bookings.services.fees import (
    fee_current,
    fees_in_force,
)
from bookings.services.holds import (
    booking_hold_confirm,
    holds_release,
    holds_release_expired,
)
from bookings.services.sweeps import (
    bookings_expire_no_shows,
    bookings_send_reminders,
)
from bookings.soldout import (
    day_full_error,
)

__all__ = [
    "LOOKUP_LOCKOUT_SECONDS",
    "TRANSITIONS",
    "Actor",
    "_insert",
    "booking_cancel",
    "booking_check_in",
    "booking_confirm_payment",
    "booking_create",
    "booking_create_family",
    "booking_for_applicant",
    "booking_hold_confirm",
    "booking_mark_collected",
    "booking_mark_ready",
    "booking_record_submission",
    "booking_reschedule",
    "bookings_expire_no_shows",
    "bookings_send_reminders",
    "counter_latest_call",
    "counter_service_in_turn",
    "day_full_error",
    "day_places_left",
    "fee_current",
    "fees_in_force",
    "holds_release",
    "holds_release_expired",
    "priority_ticket_issue",
    "queue_call_next",
    "slot_room",
]
