"""Scheduling: availability, booking, holds, the appointment lifecycle, calendars and the waitlist.

Every function takes the caller's ``AsyncSession`` first and flushes, never commits. Functions
that touch someone's data take an :class:`~vet_services.auth.permissions.Actor` and authorize it.
The database's exclusion constraint, not any check in Python, is what keeps a veterinarian from
being booked twice.
"""

from vet_services.scheduling.availability import Slot, clinic_slots, veterinarian_slots
from vet_services.scheduling.booking import BookingRequest, book_appointment
from vet_services.scheduling.calendar import (
    Calendar,
    CalendarDay,
    CalendarEntry,
    day_view,
    week_view,
)
from vet_services.scheduling.events import appointment_booked, slot_freed
from vet_services.scheduling.holds import convert_hold, create_hold, expire_holds, release_hold
from vet_services.scheduling.lifecycle import (
    TRANSITIONS,
    cancel,
    confirm,
    reschedule,
    reschedule_history,
    transition,
)
from vet_services.scheduling.no_shows import NoShow, mark_no_shows
from vet_services.scheduling.notices import follow_up_booking, notify_waitlist_offers
from vet_services.scheduling.policy import SchedulingPolicy
from vet_services.scheduling.queries import (
    AppointmentFilters,
    get_appointment,
    list_appointments,
    my_waitlist_entries,
)
from vet_services.scheduling.updates import update_appointment
from vet_services.scheduling.waitlist import (
    claim_offer,
    expire_waitlist,
    join_waitlist,
    leave_waitlist,
    offer_freed_slot,
)

__all__ = [
    "TRANSITIONS",
    "AppointmentFilters",
    "BookingRequest",
    "Calendar",
    "CalendarDay",
    "CalendarEntry",
    "NoShow",
    "SchedulingPolicy",
    "Slot",
    "appointment_booked",
    "book_appointment",
    "cancel",
    "claim_offer",
    "clinic_slots",
    "confirm",
    "convert_hold",
    "create_hold",
    "day_view",
    "expire_holds",
    "expire_waitlist",
    "follow_up_booking",
    "get_appointment",
    "join_waitlist",
    "leave_waitlist",
    "list_appointments",
    "mark_no_shows",
    "my_waitlist_entries",
    "notify_waitlist_offers",
    "offer_freed_slot",
    "release_hold",
    "reschedule",
    "reschedule_history",
    "slot_freed",
    "transition",
    "update_appointment",
    "veterinarian_slots",
    "week_view",
]
