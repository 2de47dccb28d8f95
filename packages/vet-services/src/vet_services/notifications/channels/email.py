"""E-mail over SMTP: one multipart message with a plain-text and an HTML alternative.

aiosmtplib keeps the event loop free while the relay answers. The Message-ID is generated here
and recorded as the provider id, so a bounce or a complaint can be traced back to the delivery.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import aiosmtplib

from vet_core.models.enums import NotificationChannel
from vet_services.notifications.channels.base import DeliveryResult, OutgoingMessage
from vet_services.notifications.settings import SmtpSettings

PROVIDER = "smtp"


def build_email(message: OutgoingMessage, settings: SmtpSettings) -> EmailMessage:
    """The MIME message: text/plain first, text/html as the preferred alternative."""
    email = EmailMessage()
    email["From"] = formataddr((settings.from_name, settings.from_address))
    email["To"] = message.to[0]
    email["Subject"] = message.subject
    domain = settings.from_address.rpartition("@")[2] or None
    email["Message-ID"] = make_msgid(domain=domain)
    if message.dedup_key:
        # Lets support staff find the delivery row from a forwarded e-mail.
        email["X-Vet-Delivery"] = message.dedup_key
    email.set_content(message.text)
    if message.html is not None:
        email.add_alternative(message.html, subtype="html")
    return email


class EmailChannel:
    """Sends through the SMTP relay of :class:`SmtpSettings`."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    @property
    def channel(self) -> NotificationChannel:
        return NotificationChannel.EMAIL

    @property
    def provider(self) -> str:
        return PROVIDER

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        if not message.to:
            return DeliveryResult.failed(PROVIDER, "no e-mail address", retryable=False)
        email = build_email(message, self.settings)
        password = self.settings.password.get_secret_value() if self.settings.password else None
        try:
            await aiosmtplib.send(
                email,
                hostname=self.settings.host,
                port=self.settings.port,
                username=self.settings.username,
                password=password,
                use_tls=self.settings.use_tls,
                start_tls=self.settings.start_tls,
                timeout=self.settings.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusals = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            return DeliveryResult.failed(
                PROVIDER, f"recipient refused: {refusals}", retryable=False
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx is "try again later" in SMTP; 5xx is final.
            return DeliveryResult.failed(
                PROVIDER, f"{exc.code} {exc.message}", retryable=exc.code < 500, code=exc.code
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Connection refused, timeout, disconnect: the relay may be back soon.
            return DeliveryResult.failed(PROVIDER, f"{type(exc).__name__}: {exc}", retryable=True)
        return DeliveryResult.sent(PROVIDER, str(email["Message-ID"]))


__all__ = ["EmailChannel", "build_email"]
