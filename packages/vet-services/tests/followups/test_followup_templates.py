"""Every follow-up template renders all four parts in English and Spanish from the context its
service gives it (StrictUndefined: a missing value fails here, not in a worker)."""

from __future__ import annotations

from typing import Any

import pytest

from vet_services.notifications.templates import TemplateRenderer

ITEMS = [{"name": "Salmon Kibble 2kg", "quantity": 2, "total": "50.00 USD"}]
ORDER = {
    "clinic_name": "Riverside",
    "order_ref": "AB12CD34",
    "items": ITEMS,
    "subtotal": "50.00 USD",
    "tax": "4.00 USD",
    "total": "54.00 USD",
}
CONTEXTS: dict[str, dict[str, Any]] = {
    "payment_failed": {
        "amount": "54.00 USD",
        "kind": "deposit",
        "pet_name": "Rex",
        "clinic_name": "Riverside",
        "reason": "Your card was declined.",
    },
    "refund_issued": {
        "amount": "54.00 USD",
        "paid": "54.00 USD",
        "full": True,
        "kind": "order",
        "reference": "AB12CD34",
        "clinic_name": "Riverside",
        "reason": None,
    },
    "order_paid": {**ORDER, "paid": "54.00 USD", "paid_on": "Tuesday 4 March 2031 at 10:00 EST"},
    "order_approved": ORDER,
    "order_cancelled": ORDER,
    "order_approval_requested": {**ORDER, "customer_name": "Dana Rivera", "pet_name": "Rex"},
    "deposit_paid": {
        "pet_name": "Rex",
        "clinic_name": "Riverside",
        "amount": "25.00 USD",
        "status": "confirmed",
        "confirmed": True,
        "cancelled": False,
        "when": "Wednesday 5 March 2031 at 10:00 EST",
    },
    "new_message": {
        "sender_name": "Dana Rivera",
        "clinic_name": "Riverside",
        "subject": "Rex is limping",
        "preview": "He has been limping since this morning",
        "attachments": 1,
    },
    "daily_digest": {
        "clinic_name": "Riverside",
        "day": "Tuesday 4 March 2031",
        "total": 1,
        "first": "09:00",
        "last": "09:00",
        "by_status": [("confirmed", 1)],
        "appointments": [
            {
                "time": "09:00",
                "end": "09:30",
                "pet": "Rex",
                "species": "dog",
                "service": "wellness exam",
                "veterinarian": "Dr. Sam Rivera",
                "status": "confirmed",
            }
        ],
        "more": 0,
    },
    "export_ready": {
        "title": "clinic_report",
        "clinic_name": "Riverside",
        "first_day": "2031-03-01",
        "last_day": "2031-03-31",
        "filename": "report.csv",
        "link": "https://files.example/report.csv?signature=x",
        "link_hours": 24,
    },
}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_the_template_renders_every_part(name: str, language: str) -> None:
    rendered = TemplateRenderer().render(
        name, language, {**CONTEXTS[name], "recipient_name": "Dana"}
    )
    assert rendered.language == language
    for part in (rendered.subject, rendered.text, rendered.html, rendered.short):
        assert part.strip()
    assert "Dana" in rendered.text
    assert rendered.html.startswith("<!doctype html>")
    assert f'lang="{language}"' in rendered.html
