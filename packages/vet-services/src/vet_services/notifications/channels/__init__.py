"""Delivery channels: e-mail (SMTP), SMS (Twilio), push (FCM) and in-app notifications."""

from vet_services.notifications.channels.base import Channel, DeliveryResult, OutgoingMessage
from vet_services.notifications.channels.email import EmailChannel
from vet_services.notifications.channels.in_app import InAppChannel
from vet_services.notifications.channels.push import PushChannel
from vet_services.notifications.channels.sms import SmsChannel

__all__ = [
    "Channel",
    "DeliveryResult",
    "EmailChannel",
    "InAppChannel",
    "OutgoingMessage",
    "PushChannel",
    "SmsChannel",
]
