"""Alembic migrations of the warehouse (run them with :mod:`ingest.warehouse.migrate`)."""
