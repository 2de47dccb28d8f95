"""Two workers running the pass at the same moment: every owner still gets exactly one message.

These tests commit for real (``committed_session_factory``), so the two passes are two
transactions on two connections, as two workers would be.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime

from notifications.builders import NOW, Make
from notifications.loopback import SmtpSink

from vet_core.database.session import SessionFactory
from vet_core.models import User
from vet_services.notifications.dispatcher import Dispatcher, Notice
from vet_services.reminders.planner import PassReport, plan_for_pet, run_reminder_pass

FIRST_DUE = datetime(2031, 3, 3, 15, 0, tzinfo=UTC)
HOUSEHOLDS = 6


async def households(factory: SessionFactory) -> list[User]:
    """Six owners with two pets each, every pet's vaccination reminder due at ``FIRST_DUE``."""
    owners = []
    async with factory() as session, session.begin():
        make = Make(session)
        clinic = await make.clinic()
        for number in range(HOUSEHOLDS):
            owner = await make.owner(first_name=f"Owner{number}")
            for name in ("Rex", "Bella"):
                pet = await make.pet(owner, name)
                await make.vaccination(pet, clinic, next_due_on=date(2031, 3, 17))
                await plan_for_pet(session, pet.id, NOW)
            owners.append(owner)
    return owners


async def test_two_concurrent_passes_send_each_owner_exactly_one_message(
    committed_session_factory: SessionFactory, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    owners = await households(committed_session_factory)
    # A slow relay keeps each pass inside its transaction long enough for the other to run.
    smtp.delay = 0.2

    async def one_pass() -> PassReport:
        async with committed_session_factory() as session, session.begin():
            return await run_reminder_pass(session, FIRST_DUE, dispatcher)

    first, second = await asyncio.gather(one_pass(), one_pass())

    received = Counter(recipient for mail in smtp.mails for recipient in mail.recipients)
    assert received == Counter({owner.email: 1 for owner in owners})
    for owner in owners:
        [mail] = smtp.to(owner.email)
        assert mail.message["Subject"] == "Care reminders for Bella and Rex"
    assert not set(first.sent) & set(second.sent)
    assert len(first.sent) + len(second.sent) == 2 * HOUSEHOLDS
    assert first.messages + second.messages == HOUSEHOLDS
    # Both passes really ran at once and shared the work, household by household.
    assert first.messages > 0
    assert second.messages > 0

    # A third pass afterwards finds nothing left to send.
    assert (await one_pass()).sent == []
    assert len(smtp.mails) == HOUSEHOLDS


async def test_two_workers_dispatching_the_same_key_at_once_send_once(
    committed_session_factory: SessionFactory, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    async with committed_session_factory() as session, session.begin():
        owner = await Make(session).owner()
    notice = Notice(
        template="reminder",
        context={
            "recipient_name": "Dana",
            "items": [
                {
                    "pet": "Rex",
                    "title": "Rabies vaccination due",
                    "when": "Monday 17 March 2031",
                    "clinic": "Riverside Animal Hospital",
                    "notes": None,
                }
            ],
            "pet_names": "Rex",
            "clinic_names": "Riverside Animal Hospital",
        },
    )

    async def worker() -> bool:
        async with committed_session_factory() as session, session.begin():
            recipient = await session.get_one(User, owner.id)
            outcome = await dispatcher.dispatch(
                session,
                recipient=recipient,
                notice=notice,
                dedup_key="reminder:race",
                due_at=FIRST_DUE,
                now=FIRST_DUE,
            )
            return outcome.sent

    results = await asyncio.gather(*(worker() for _ in range(4)))

    assert sorted(results) == [False, False, False, True]
    assert len(smtp.to(owner.email)) == 1
