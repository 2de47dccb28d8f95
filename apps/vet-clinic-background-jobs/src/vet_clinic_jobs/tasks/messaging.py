"""New chat messages: the other participants are notified, by their preferences.

``messaging.new_message`` is written by the conversation service with the message; the notice
is keyed on the message id, so a redelivered task sends nothing new.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_jobs import providers
from vet_clinic_jobs.celery_app import app
from vet_clinic_jobs.db import run_in_session
from vet_services.messaging.conversations import NEW_MESSAGE_TOPIC
from vet_services.messaging.notices import notify_new_message


@app.task(name=NEW_MESSAGE_TOPIC)
def new_message(
    message_id: str, recipient_ids: list[str] | None = None, **_: Any
) -> dict[str, Any]:
    """Notify the recipients of a message who are not its sender, once each."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        report = await notify_new_message(
            session,
            providers.dispatcher(),
            uuid.UUID(message_id),
            recipient_ids=None
            if recipient_ids is None
            else [uuid.UUID(user_id) for user_id in recipient_ids],
        )
        return report.as_dict()

    return run_in_session(work)
