"""Which queue each task goes to, decided by its name.

Task names are the outbox topics services write (``reminders.vaccination_given``,
``files.process_image``…), so the route is read from the name's first segment; a few topics whose
domain differs from their queue are listed by full name. Separate queues let a slow report or a
burst of image uploads never delay a reminder or a payment follow-up.
"""

from __future__ import annotations

from typing import Any

NOTIFICATIONS = "notifications"
PAYMENTS = "payments"
MEDIA = "media"
REPORTS = "reports"
MAINTENANCE = "maintenance"
QUEUES = (NOTIFICATIONS, PAYMENTS, MEDIA, REPORTS, MAINTENANCE)
#: Where a task with no route goes: the housekeeping queue, seen by every worker by default.
DEFAULT_QUEUE = MAINTENANCE

QUEUE_BY_NAME = {
    "scheduling.deposit_paid": PAYMENTS,
}
QUEUE_BY_PREFIX = {
    "reminders": NOTIFICATIONS,
    "notifications": NOTIFICATIONS,
    "emergency": NOTIFICATIONS,
    "waitlist": NOTIFICATIONS,
    "messaging": NOTIFICATIONS,
    "scheduling": NOTIFICATIONS,
    "payments": PAYMENTS,
    "commerce": PAYMENTS,
    "files": MEDIA,
    "media": MEDIA,
    "reports": REPORTS,
    "maintenance": MAINTENANCE,
}


def queue_for(task_name: str) -> str:
    """The queue of ``task_name``: by full name, else by its first dotted segment."""
    if task_name in QUEUE_BY_NAME:
        return QUEUE_BY_NAME[task_name]
    return QUEUE_BY_PREFIX.get(task_name.partition(".")[0], DEFAULT_QUEUE)


def route_task(
    name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **_: Any
) -> dict[str, str]:
    """Celery router (``task_routes`` entry): send ``name`` to its queue."""
    return {"queue": queue_for(name)}


__all__ = ["DEFAULT_QUEUE", "QUEUES", "queue_for", "route_task"]
