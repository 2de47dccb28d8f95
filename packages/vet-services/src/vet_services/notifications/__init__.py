"""Notifications: one dispatcher over e-mail, SMS, push and in-app channels.

Who may be reached where and when lives in :mod:`.preferences`; what is said in
:mod:`.templates`; :mod:`.dispatcher` is the single path that claims a
delivery row (so nothing is ever sent twice), sends it and records the provider's answer.
"""

from vet_services.notifications.dispatcher import (
    ChannelOutcome,
    Dispatcher,
    DispatchOutcome,
    DispatchStatus,
    Notice,
)
from vet_services.notifications.preferences import (
    SmsReplyOutcome,
    allowed_channels,
    next_allowed_send_time,
    record_sms_reply,
)
from vet_services.notifications.templates import TemplateRenderer

__all__ = [
    "ChannelOutcome",
    "DispatchOutcome",
    "DispatchStatus",
    "Dispatcher",
    "Notice",
    "SmsReplyOutcome",
    "TemplateRenderer",
    "allowed_channels",
    "next_allowed_send_time",
    "record_sms_reply",
]
