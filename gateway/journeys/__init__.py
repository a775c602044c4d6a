"""What callers do, written against the upstream contracts; no FastAPI here."""
