"""One router module per resource, mounted under /api/v1 (health at the root)."""
