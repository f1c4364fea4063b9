"""The loaded days of the warehouse and the marts' ``as_of`` (``ops.landing_days``).

A module of its own, importing only the database driver: ``marts_build``'s first task reads
``as_of`` without loading the landing pipeline (polars, pyarrow, Alembic, GX).
"""

from __future__ import annotations

from datetime import date

from ingest.config import Settings
from ingest.errors import DataError
from ingest.warehouse.db import connect


def mark_day_loaded(settings: Settings, day: date) -> date:
    """Record that ``day`` is fully loaded; return the marts' ``as_of`` (see below)."""
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute("insert into ops.landing_days (day) values (%s) on conflict do nothing", (day,))
    return marts_as_of(settings)


def marts_as_of(settings: Settings) -> date:
    """``as_of`` for the marts: the day after the latest fully loaded day (the warehouse's
    high-water mark). A re-run of a past week therefore rebuilds the marts as of the same
    date, and they come out identical; it never depends on the wall clock."""
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute("select max(day) from ops.landing_days")
        row = cur.fetchone()
    if not row or row[0] is None:
        raise DataError("no day has been loaded yet: run landing_daily first")
    return date.fromordinal(row[0].toordinal() + 1)
