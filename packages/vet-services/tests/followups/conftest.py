"""Fixtures of the follow-up tests: a dispatcher whose e-mail goes to the loopback SMTP server."""

from __future__ import annotations

import pytest
from notifications.loopback import SmtpSink

from vet_services.notifications.channels import EmailChannel
from vet_services.notifications.dispatcher import Dispatcher
from vet_services.notifications.settings import SmtpSettings


@pytest.fixture
def mailer(smtp: SmtpSink) -> Dispatcher:
    """E-mail (to ``smtp``) and in-app, the channels every user has by default."""
    return Dispatcher(
        [
            EmailChannel(
                SmtpSettings(
                    host="127.0.0.1",
                    port=smtp.port,
                    start_tls=False,
                    from_address="hello@clinic.example",
                    timeout=5,
                )
            )
        ]
    )
