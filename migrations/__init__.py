"""The schema's Alembic migrations, their runner, and whether a database is ready for this
software (readiness.py). Imports `activities` for the table metadata and engines."""
