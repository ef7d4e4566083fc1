"""Integration tests: the store, read models, outbox and migrations on real SQLite and
PostgreSQL databases."""
