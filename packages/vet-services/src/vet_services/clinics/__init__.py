"""Clinic administration: the clinic itself, its hours and closures, its staff, its veterinarians."""
