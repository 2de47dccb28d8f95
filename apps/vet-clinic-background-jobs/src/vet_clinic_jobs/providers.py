"""The external systems a worker process talks to, built once per process from settings.

Every base address comes from the environment (``SMTP_*``, ``TWILIO_*``, ``FCM_*``,
``STORAGE_*``), so tests and the benchmark point them at real servers on loopback.

A dispatcher lives as long as its process, and so does what its channels keep open on the
process's event loop (one SMTP connection, reused by every task and every batch); it is closed
when the worker process shuts down.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from vet_clinic_jobs.db import close_on_shutdown
from vet_services.notifications import Dispatcher, TemplateRenderer
from vet_services.notifications.channels import Channel, EmailChannel, PushChannel, SmsChannel
from vet_services.notifications.settings import FcmSettings, SmtpSettings, TwilioSettings
from vet_services.payments.gateway import StripeGateway
from vet_services.payments.settings import StripeSettings
from vet_services.storage import ObjectStorage, storage_from_settings

#: The messages only the worker sends (emergency alerts); the services' own templates
#: (reminders, follow-ups, digests, export links) are rendered by :func:`dispatcher`.
JOB_TEMPLATES = Path(__file__).parent / "templates"


def configured_channels() -> list[Channel]:
    """E-mail always; SMS and push only when their provider is configured."""
    channels: list[Channel] = [EmailChannel(SmtpSettings())]
    twilio = TwilioSettings()
    if twilio.account_sid:
        channels.append(SmsChannel(twilio))
    fcm = FcmSettings()
    if fcm.project_id:
        channels.append(PushChannel(fcm))
    return channels


def _closed_at_shutdown(made: Dispatcher) -> Dispatcher:
    close_on_shutdown(made.aclose)
    return made


@cache
def dispatcher() -> Dispatcher:
    """The dispatcher of the services' own templates (reminders)."""
    return _closed_at_shutdown(Dispatcher(configured_channels()))


@cache
def job_dispatcher() -> Dispatcher:
    """The dispatcher of the worker's templates (:data:`JOB_TEMPLATES`)."""
    return _closed_at_shutdown(Dispatcher(configured_channels(), TemplateRenderer(JOB_TEMPLATES)))


@cache
def storage() -> ObjectStorage:
    return storage_from_settings()


@cache
def gateway() -> StripeGateway:
    """Stripe (``STRIPE_*``), built on first use: only refunds need it.

    One per worker process, used on that process's one event loop (:mod:`vet_clinic_jobs.db`).
    """
    return StripeGateway(StripeSettings())


__all__ = [
    "JOB_TEMPLATES",
    "configured_channels",
    "dispatcher",
    "gateway",
    "job_dispatcher",
    "storage",
]
