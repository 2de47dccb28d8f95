"""Loopback provider servers (SMTP, Twilio, FCM), the channels pointed at them, and builders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.builders import Make
from notifications.loopback import ProviderServer, SmtpSink, fcm_responder, twilio_responder
from vet_services.notifications.channels import EmailChannel, PushChannel, SmsChannel
from vet_services.notifications.dispatcher import Dispatcher
from vet_services.notifications.settings import FcmSettings, SmtpSettings, TwilioSettings

TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "loopback-auth-token"
FCM_PROJECT = "vet-platform-test"
FCM_TOKEN = "ya29.loopback-access-token"


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def twilio_server() -> Iterator[ProviderServer]:
    server = ProviderServer(twilio_responder)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fcm_server() -> Iterator[ProviderServer]:
    server = ProviderServer(fcm_responder)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_sink: SmtpSink) -> Iterator[SmtpSink]:
    """The SMTP server, emptied for this test."""
    smtp_sink.reset()
    yield smtp_sink
    smtp_sink.reset()


@pytest.fixture
def twilio(twilio_server: ProviderServer) -> Iterator[ProviderServer]:
    twilio_server.reset()
    yield twilio_server
    twilio_server.reset()


@pytest.fixture
def fcm(fcm_server: ProviderServer) -> Iterator[ProviderServer]:
    fcm_server.reset()
    yield fcm_server
    fcm_server.reset()


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
