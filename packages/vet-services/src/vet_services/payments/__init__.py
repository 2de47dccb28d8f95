"""Payments through Stripe: PaymentIntents, refunds, webhooks and invoices.

``settings`` (``STRIPE_*``), ``gateway`` (the only code that calls Stripe), ``service``
(payments and refunds over an ``AsyncSession``), ``webhooks`` (verified, applied once),
``invoices`` (per-clinic numbering, printable HTML) and ``queries`` (who reads which payments
and invoices). Import from the modules themselves; the read functions of ``queries``, which
need no Stripe, are also exported here.
"""

from vet_services.payments.queries import get_invoice, get_payment, list_payments

__all__ = ["get_invoice", "get_payment", "list_payments"]
