"""Shared fixtures of the service tests: a row builder bound to the test's session, and the
loopback servers that speak each notification provider's protocol (SMTP, Twilio, FCM)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from factories import Builder
from notifications.loopback import ProviderServer, SmtpSink, fcm_responder, twilio_responder
from sqlalchemy.ext.asyncio import AsyncSession


@pytest.fixture
def build(db_session: AsyncSession) -> Builder:
    """Rows flushed inside the test's rolled-back transaction."""
    return Builder(db_session)


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
