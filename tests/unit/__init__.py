"""Tests that run in one process, with no Temporal server and no PostgreSQL: the domain's rules,
the activities' pure parts and what the CLI shows."""
