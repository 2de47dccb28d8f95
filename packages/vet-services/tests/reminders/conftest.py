"""The reminder tests' fixtures: an SMTP server on loopback, a dispatcher sending through it, and
row builders (shared with the notification tests, which own the loopback servers)."""

from __future__ import annotations

import pytest
from notifications.builders import Make
from notifications.loopback import ProviderServer, SmtpSink
from sqlalchemy.ext.asyncio import AsyncSession

from vet_services.notifications.channels import EmailChannel, SmsChannel
from vet_services.notifications.dispatcher import Dispatcher
from vet_services.notifications.settings import SmtpSettings, TwilioSettings


@pytest.fixture
def dispatcher(smtp: SmtpSink, twilio: ProviderServer) -> Dispatcher:
    """E-mail and SMS against loopback servers (in-app is always there)."""
    return Dispatcher(
        [
            EmailChannel(SmtpSettings(host="127.0.0.1", port=smtp.port, start_tls=False)),
            SmsChannel(
                TwilioSettings(
                    base_url=twilio.base_url, account_sid="AC1", from_number="+15005550006"
                )
            ),
        ]
    )


@pytest.fixture
def make(db_session: AsyncSession) -> Make:
    return Make(db_session)
