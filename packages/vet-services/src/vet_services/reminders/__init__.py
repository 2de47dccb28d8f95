"""Care reminders: the rules that say when (:mod:`.rules`), and the planner and pass that create
them idempotently and deliver them once per household (:mod:`.planner`)."""

from vet_services.reminders.planner import (
    PassReport,
    complete_resolved,
    plan_for_pet,
    run_reminder_pass,
)
from vet_services.reminders.rules import PlannedReminder, ReminderPolicy

__all__ = [
    "PassReport",
    "PlannedReminder",
    "ReminderPolicy",
    "complete_resolved",
    "plan_for_pet",
    "run_reminder_pass",
]
