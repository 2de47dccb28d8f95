"""Loopback provider servers (SMTP, Twilio, FCM), the channels pointed at them, and builders."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.builders import Make
from notifications.loopback import ProviderServer, SmtpSink
from vet_services.notifications.channels import EmailChannel, PushChannel, SmsChannel
from vet_services.notifications.dispatcher import Dispatcher
from vet_services.notifications.settings import FcmSettings, SmtpSettings, TwilioSettings

TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "loopback-auth-token"
FCM_PROJECT = "vet-platform-test"
FCM_TOKEN = "ya29.loopback-access-token"


@pytest.fixture
def smtp_settings(smtp: SmtpSink) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=smtp.port,
        start_tls=False,
        from_address="reminders@clinic.example",
        from_name="Riverside Reminders",
        timeout=5,
    )


@pytest.fixture
def twilio_settings(twilio: ProviderServer) -> TwilioSettings:
    return TwilioSettings(
        base_url=twilio.base_url,
        account_sid=TWILIO_SID,
        auth_token=SecretStr(TWILIO_TOKEN),
        from_number="+15005550006",
    )


@pytest.fixture
def fcm_settings(fcm: ProviderServer) -> FcmSettings:
    return FcmSettings(
        base_url=fcm.base_url, project_id=FCM_PROJECT, access_token=SecretStr(FCM_TOKEN)
    )


@pytest.fixture
def dispatcher(
    smtp_settings: SmtpSettings, twilio_settings: TwilioSettings, fcm_settings: FcmSettings
) -> Dispatcher:
    """Every channel, each against its loopback server."""
    return Dispatcher(
        [EmailChannel(smtp_settings), SmsChannel(twilio_settings), PushChannel(fcm_settings)]
    )


@pytest.fixture
def make(db_session: AsyncSession) -> Make:
    return Make(db_session)
