"""The jobs an appointment change asks for, written to the outbox in the change's transaction.

A booking asks for its confirmation and reminders (``scheduling.appointment_booked``); an
appointment that frees its slot (cancelled, moved, no-show) asks for the slot to be offered to the
waitlist (``waitlist.offer_freed_slot``). Each is keyed by the appointment, so a retried request
that reaches the same row enqueues nothing more, and a rolled-back change enqueues nothing.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import Appointment
from vet_services.outbox import enqueue

APPOINTMENT_BOOKED_TOPIC = "scheduling.appointment_booked"
SLOT_FREED_TOPIC = "waitlist.offer_freed_slot"


async def _ask(session: AsyncSession, topic: str, appointment: Appointment) -> bool:
    """Enqueue ``topic`` for ``appointment`` once (keyed by both); False if already asked."""
    return await enqueue(
        session,
        topic,
        {"appointment_id": str(appointment.id)},
        dedup_key=f"{topic}:{appointment.id}",
    )


async def appointment_booked(session: AsyncSession, appointment: Appointment) -> bool:
    """Ask for the booking confirmation and the appointment's reminders; False if already asked."""
    return await _ask(session, APPOINTMENT_BOOKED_TOPIC, appointment)


async def slot_freed(session: AsyncSession, appointment: Appointment) -> bool:
    """Ask for ``appointment``'s slot to be offered to the waitlist; False if already asked."""
    return await _ask(session, SLOT_FREED_TOPIC, appointment)


__all__ = ["APPOINTMENT_BOOKED_TOPIC", "SLOT_FREED_TOPIC", "appointment_booked", "slot_freed"]
