"""Versioned migrations of the warehouse (Alembic), run once per deploy, never per step.

- :func:`migrate` upgrades the warehouse to the newest revision (``head``). It runs at
  ``sitepass up``, ``sitepass migrate``, the compose deployment's ``airflow-init`` and a
  DAG's first task; concurrent calls are serialised by a Postgres advisory lock, and all
  pending revisions run in one transaction (all or nothing).
- :func:`check` is the cheap guard of everything else: one query of the version table;
  a warehouse behind (or ahead of) the code raises :class:`SchemaNotCurrent`, which names
  the command to run. Data steps assume the schema and never run DDL.

The revisions live in ``ingest/warehouse/migrations/versions``: frozen, literal SQL (see
``docs/migrations.md``). The version table is ``ops.alembic_version``.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool

from ingest.errors import ConfigError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "ops.alembic_version"
#: Advisory lock key (``hashtext`` of it): the same one the old ``ensure_schema`` took.
LOCK_KEY = "sitepass.schema"
COMMAND = "sitepass migrate"


class SchemaNotCurrent(ConfigError):
    """The warehouse is not at the revision this code expects: run ``sitepass migrate``."""


def config(connection: sa.Connection | None = None) -> Config:
    """The Alembic configuration, built in code (no ``alembic.ini``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def head() -> str:
    """The newest revision of the code (linear history: exactly one head)."""
    heads = ScriptDirectory.from_config(config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"warehouse migrations must have one head, found {heads}")
    return str(heads[0])


@cache
def _known() -> frozenset[str]:
    return frozenset(s.revision for s in ScriptDirectory.from_config(config()).walk_revisions())


def _engine(dsn: str) -> sa.Engine:
    # The DSN is libpq's (URI or key=value): psycopg2 parses it, SQLAlchemy only wraps it.
    def creator() -> Any:
        return psycopg2.connect(dsn, application_name="sitepass-migrate")

    return sa.create_engine("postgresql+psycopg2://", creator=creator, poolclass=NullPool)


def current_revision(cur: psycopg2.extensions.cursor) -> str | None:
    """The warehouse's revision (``None``: never migrated) through an open cursor."""
    cur.execute("select to_regclass(%s) is not null", (VERSION_TABLE,))
    row = cur.fetchone()
    if not (row and row[0]):
        return None
    cur.execute(f"select version_num from {VERSION_TABLE}")
    rows = cur.fetchall()
    if len(rows) > 1:
        raise SchemaNotCurrent(f"{VERSION_TABLE} has {len(rows)} rows: one expected")
    return str(rows[0][0]) if rows else None


def current(dsn: str) -> str | None:
    """The warehouse's revision, ``None`` when it was never migrated."""
    conn = psycopg2.connect(dsn, application_name="sitepass-migrate")
    try:
        with conn.cursor() as cur:
            return current_revision(cur)
    finally:
        conn.rollback()
        conn.close()


def require_current(cur: psycopg2.extensions.cursor) -> str:
    """Raise :class:`SchemaNotCurrent` unless the warehouse is at :func:`head`."""
    rev, want = current_revision(cur), head()
    if rev == want:
        return rev
    if rev is None:
        state = "has never been migrated"
    elif rev in _known():
        state = f"is at revision {rev}, behind {want}"
    else:
        state = f"is at revision {rev}, unknown to this code (newer code migrated it?)"
    raise SchemaNotCurrent(f"the warehouse schema {state}: run `{COMMAND}`")


def check(dsn: str) -> str:
    """Cheap guard: the revision when the warehouse is at head, else
    :class:`SchemaNotCurrent` naming the command to run."""
    conn = psycopg2.connect(dsn, application_name="sitepass-migrate")
    try:
        with conn.cursor() as cur:
            return require_current(cur)
    finally:
        conn.rollback()
        conn.close()


def migrate(dsn: str, target: str = "head") -> str:
    """Upgrade the warehouse to head (or to the revision ``target``: tests build older
    schemas that way); return its revision. Idempotent and safe to call from several
    processes at once (the second waits for the first, then finds nothing to do)."""
    want = head() if target == "head" else target
    engine = _engine(dsn)
    try:
        with engine.begin() as conn:
            # Held until commit: concurrent migrate() calls run one after the other, and
            # each reads the version table only once it holds the lock.
            conn.execute(sa.text("select pg_advisory_xact_lock(hashtext(:key))"), {"key": LOCK_KEY})
            before = _revision(conn)
            if before == want:
                return before
            # Alembic creates its version table before the first revision runs.
            conn.execute(sa.text("create schema if not exists ops"))
            command.upgrade(config(conn), want)
            after = _revision(conn)
        log.info("warehouse schema migrated: %s -> %s", before or "(empty)", after)
    finally:
        engine.dispose()
    if after != want:
        raise RuntimeError(f"migration ended at {after}, expected {want}")
    return after


def _revision(conn: sa.Connection) -> str | None:
    """:func:`current_revision` inside ``conn``'s transaction."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cur: psycopg2.extensions.cursor = dbapi.cursor()
    try:
        return current_revision(cur)
    finally:
        cur.close()
