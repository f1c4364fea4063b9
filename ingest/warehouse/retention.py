"""Retention of the partitioned raw tables: whole months dropped, never rows deleted.

The datasets the feed registry declares with ``partition_by`` (the punch tables) keep
one partition per month of ``raw.<name>`` (migration 0007). :func:`drop_months_before`
detaches and drops every partition that lies wholly before a month: one catalogue
operation per month, no dead rows, no vacuum. The marts built from those rows keep them
until a ``--full-refresh``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import psycopg2.extensions

from ingest.warehouse.datasets import DATASETS

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DroppedPartition:
    table: str  # raw.<name>_YYYYMM
    upper: date  # exclusive upper bound of the partition's range
    rows: int


def partitions(cur: psycopg2.extensions.cursor, dataset: str) -> list[tuple[str, date, date]]:
    """The partitions of ``raw.<dataset>`` as (name, from, to), oldest first."""
    cur.execute(
        """select c.relnamespace::regnamespace || '.' || c.relname,
                  (regexp_match(pg_get_expr(c.relpartbound, c.oid),
                                'FROM \\(''([0-9-]+)''\\) TO \\(''([0-9-]+)''\\)'))[1]::date,
                  (regexp_match(pg_get_expr(c.relpartbound, c.oid),
                                'FROM \\(''([0-9-]+)''\\) TO \\(''([0-9-]+)''\\)'))[2]::date
             from pg_inherits i join pg_class c on c.oid = i.inhrelid
            where i.inhparent = %s::regclass
            order by 2""",
        (f"raw.{dataset}",),
    )
    return [(name, lo, hi) for name, lo, hi in cur.fetchall()]


def drop_months_before(cur: psycopg2.extensions.cursor, before: date) -> list[DroppedPartition]:
    """Drop every partition of every partitioned dataset whose range ends on or before
    ``before`` (the first day of a month); return what was dropped, in the caller's
    transaction."""
    if before.day != 1:
        raise ValueError(f"retention keeps whole months: {before} is not the first of a month")
    dropped: list[DroppedPartition] = []
    for ds in DATASETS.values():
        if ds.partition_by is None:
            continue
        for name, _, upper in partitions(cur, ds.name):
            if upper > before:
                continue
            cur.execute(f"select count(*) from {name}")
            row = cur.fetchone()
            cur.execute(f"alter table raw.{ds.name} detach partition {name}")
            cur.execute(f"drop table {name}")
            dropped.append(DroppedPartition(name, upper, int(row[0]) if row else 0))
    for d in dropped:
        log.info("retention: dropped %s (%d rows, before %s)", d.table, d.rows, d.upper)
    return dropped
