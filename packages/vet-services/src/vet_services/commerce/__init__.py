"""The clinic shop: ``catalog`` (products) and ``orders`` (cart → order, stock, approval).

Payment of an order goes through :mod:`vet_services.payments.service`.
"""
