"""Pets and their owners: access (who is related to a pet), the pet service, co-ownership and
transfers, and weight history."""
