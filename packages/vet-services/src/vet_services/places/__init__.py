"""Finding clinics: nearest-first search with filters, and emergency routing."""
