"""Alembic environment: runs on the connection :mod:`ingest.warehouse.migrate` hands over.

There is no ``alembic.ini`` and no URL here: ``migrate()`` opens the connection, takes the
advisory lock, begins the transaction and puts the connection in
``config.attributes["connection"]``; every pending revision then runs in that one
transaction (Postgres DDL is transactional: all or nothing).
"""

from __future__ import annotations

from alembic import context

VERSION_SCHEMA = "ops"
VERSION_TABLE = "alembic_version"

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run the warehouse migrations through ingest.warehouse.migrate (`sitepass migrate`)"
    )
context.configure(
    connection=connection,
    version_table=VERSION_TABLE,
    version_table_schema=VERSION_SCHEMA,
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
