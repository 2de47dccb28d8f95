"""Payments through Stripe: PaymentIntents, refunds, webhooks and invoices.

``settings`` (``STRIPE_*``), ``gateway`` (the only code that calls Stripe), ``service``
(payments and refunds over an ``AsyncSession``), ``webhooks`` (verified, applied once) and
``invoices`` (per-clinic numbering, printable HTML). Import from the modules themselves.
"""
