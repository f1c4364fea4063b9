"""P4: the daily marts run with 12 months of history vs the same run with 1 month.

Two warehouses in the bench's cluster hold the same city (preset ``medium`` by default:
60 sites × 60 workers, both vendors) loaded through the real pipeline for day D0; the
bench then bulk-generates history the way the issue allows: D0's published punches
(ZKTeco and Hikvision, with their ``ops.load_audit`` rows) copied to each of the
``HISTORY_DAYS`` days before D0, the roster periods opened from the first of them, and
those days marked loaded. Each warehouse gets a full build as of D0 + 1 (reported beside,
as "full rebuild"), then day D1 is loaded through the pipeline (not timed) and the daily
run is timed: ``dbt build`` of the whole project as of D1 + 1, unit tests excluded as in
``marts_build``. A repetition deletes that run's ``ops.incremental_runs`` rows first, so
every repetition rebuilds exactly the same days. The two warehouses alternate (1 month,
12 months, 1 month, …); the ratio is the median of 12 months over the median of 1 month.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlparse, urlunparse

import psycopg2

from bench.measure import measure, median
from ingest.config import Settings
from ingest.pipeline import ingest_day
from ingest.seed.city import CitySpec, write_city
from ingest.transform.dbt import NOT_IN_PRODUCTION, run_dbt
from ingest.warehouse.datasets import DATASETS
from ingest.warehouse.db import connect
from ingest.warehouse.loader import create_month_partitions
from ingest.warehouse.migrate import migrate

log = logging.getLogger(__name__)

#: History lengths compared (days before D0).
HISTORY_DAYS = {"1-month": 30, "12-month": 365}
#: The seeded days: D0 (history is copied from it) and D1 (the timed daily run's day).
D0 = date(2026, 11, 2)
D1 = D0 + timedelta(days=1)
#: Punch tables copied into history, with their columns that move with the day.
PUNCH_TABLES = ("zkteco_punches", "hikvision_events")


def _database(settings: Settings, name: str) -> Settings:
    """A fresh database ``name`` in the bench's cluster, migrated to head."""
    with connect(settings.warehouse_dsn) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
            cur.execute(f'create database "{name}"')
    url = urlparse(settings.warehouse_dsn)
    dsn = urlunparse(url._replace(path=f"/{name}"))
    migrate(dsn)
    return dataclasses.replace(settings, warehouse_dsn=dsn)


def _columns(cur: psycopg2.extensions.cursor, schema: str, table: str) -> list[str]:
    cur.execute(
        "select column_name from information_schema.columns "
        "where table_schema = %s and table_name = %s order by ordinal_position",
        (schema, table),
    )
    return [r[0] for r in cur.fetchall()]


def _shifted(col: str) -> str:
    """How a column of a copied row moves by ``k`` days (``k`` from generate_series)."""
    moves = {
        "object_key": "'history/' || k || '/' || object_key",
        "partition_date": "partition_date - k",
        "work_date": "work_date - k",
        "punch_at": "punch_at - k * interval '1 day'",
        "published_at": "published_at - k * interval '1 day'",
        "staged_at": "staged_at - k * interval '1 day'",
    }
    return moves.get(col, col)


def add_history(settings: Settings, days: int) -> int:
    """Copy D0's punches (and their audit rows) to each of the ``days`` days before D0;
    return the punch rows written."""
    written = 0
    months = [D0 - timedelta(days=k) for k in range(days + 1)]
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        for table in PUNCH_TABLES:
            create_month_partitions(cur, DATASETS[table], months)
            cols = _columns(cur, "raw", table)
            cur.execute(
                f"insert into raw.{table} ({', '.join(cols)}) "
                f"select {', '.join(_shifted(c) for c in cols)} "
                f"from raw.{table}, generate_series(1, %s) as k where partition_date = %s",
                (days, D0),
            )
            written += cur.rowcount
        cols = _columns(cur, "ops", "load_audit")
        cur.execute(
            f"insert into ops.load_audit ({', '.join(cols)}) "
            f"select {', '.join(_shifted(c) for c in cols)} "
            "from ops.load_audit, generate_series(1, %s) as k "
            "where partition_date = %s and feed in ('zkteco', 'hikvision')",
            (days, D0),
        )
        cur.execute(
            "update ops.roster_periods set entry_date = least(entry_date, %s)",
            (D0 - timedelta(days=days),),
        )
        cur.execute(
            "insert into ops.landing_days (day) select d::date "
            "from generate_series(%s::date, %s::date, interval '1 day') as d "
            "on conflict do nothing",
            (D0 - timedelta(days=days), D0),
        )
        cur.execute("analyze")
    return written


def _build(settings: Settings, as_of: date, *extra: str) -> None:
    run_dbt(settings, ["build", "--exclude", NOT_IN_PRODUCTION, *extra], as_of=as_of)


def _daily(settings: Settings) -> None:
    """The timed daily run: its recorded rebuild days are forgotten first, so every
    repetition rebuilds the same days."""
    as_of = D1 + timedelta(days=1)
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute("delete from ops.incremental_runs where as_of = %s", (as_of,))
    _build(settings, as_of)


def p4(settings: Settings, repeat: int, size: str = "medium") -> dict[str, Any]:
    spec = CitySpec.preset(size, start=D0, days=2, seed=20261102)
    write_city(settings.s3, spec)
    warehouses: dict[str, Settings] = {}
    full: dict[str, float] = {}
    punches: dict[str, int] = {}
    for label, days in HISTORY_DAYS.items():
        db = _database(settings, f"bench_p4_{days}")
        ingest_day(db, D0, faces=False)
        punches[label] = add_history(db, days)
        _, sample = measure(lambda d=db: _build(d, D0 + timedelta(days=1), "--full-refresh"))  # type: ignore[misc]
        full[label] = sample.seconds
        ingest_day(db, D1, faces=False)
        warehouses[label] = db
        log.info(
            "P4 %s: %d history punch rows, full build %.1fs", label, punches[label], full[label]
        )
    seconds: dict[str, list[float]] = {label: [] for label in HISTORY_DAYS}
    rss: dict[str, float] = {label: 0.0 for label in HISTORY_DAYS}
    for _ in range(repeat):
        for label, db in warehouses.items():
            _, sample = measure(lambda d=db: _daily(d))  # type: ignore[misc]
            seconds[label].append(sample.seconds)
            rss[label] = max(rss[label], sample.peak_rss_mb)
    short, long = HISTORY_DAYS
    ours, reference = median(seconds[long]), median(seconds[short])
    ratio = ours / reference
    log.info("P4: daily run %.1fs with 12 months, %.1fs with 1 month", ours, reference)
    return {
        "id": "P4",
        "what": f"daily marts run (dbt build, preset {size}) with 12 months of history vs "
        "with 1 month",
        "ours": round(ours, 2),
        "reference": round(reference, 2),
        "unit": "s",
        "ratio": round(ratio, 3),
        "target": "<= 1.5",
        "met": ratio <= 1.5,
        "seconds": {label: [round(t, 2) for t in ts] for label, ts in seconds.items()},
        "full_rebuild_seconds": {label: round(t, 1) for label, t in full.items()},
        "history_punch_rows": punches,
        "rss_mb": round(max(rss.values()), 1),
    }
