"""P1: a city-day of punches (both vendors) parsed, validated and staged by sitepass,
against a plain ``COPY`` of the same rows; P1-pandas: the same objects through the loader
people write first (pandas ``read_csv`` / ``json_normalize`` + ``DataFrame.to_sql``).

*ours* is what a daily run does per punch feed once the bytes are in memory:
:func:`ingest.pipeline.stage_objects` (registry and roster lookups, decoding, every check
and reason code, de-duplication, COPY into staging, quarantine, audit rows). *reference*
is ``COPY … FROM STDIN (FORMAT csv)`` of exactly the rows ours staged (exported before,
not timed) into unindexed, unlogged tables of the same columns (created in the timed
transaction, dropped by its rollback): the floor for getting those rows into PostgreSQL
(faster than a temporary table, whose local buffers are small). Each repetition runs ours
then the reference, in one transaction each, rolled back; medians are reported. Before
each repetition the tables ours writes are vacuumed and the buffers checkpointed, and the
reference starts from a checkpoint too (not timed: :func:`bench.cityday.settle`),
as a daily run finds them; the reference's tables are new in every repetition.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy

from bench.cityday import PUNCH_FEEDS, CityDay, checkpoint, feeds_table, settle
from bench.measure import measure, median
from ingest import feeds
from ingest.feeds import BOOKKEEPING
from ingest.pipeline import stage_objects
from ingest.warehouse import loader
from ingest.warehouse.db import connect
from ingest.warehouse.pii import PiiKeys

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Staged:
    rows_read: int
    rows_staged: int
    csv: dict[str, bytes]  # the staged rows per dataset, as CSV (for the reference)


def _columns(feed: str) -> list[str]:
    ds = feeds.feed(feed).main
    return [c.name for c in BOOKKEEPING] + list(ds.column_names)


def stage_city(dsn: str, keys: PiiKeys, city: CityDay, *, export: bool = False) -> Staged:
    """Ours: every punch feed of the city-day staged, then rolled back."""
    read = staged = 0
    csv: dict[str, bytes] = {}
    with connect(dsn) as conn, conn.cursor() as cur:
        for feed in PUNCH_FEEDS:
            objs = city.objects[feed]
            load_id = loader.make_load_id(feed, city.day, [o.key for o in objs])
            result = stage_objects(cur, keys, feed, city.day, load_id, objs)
            read += result.rows_read
            staged += result.rows_staged
            if export:
                buf = io.BytesIO()
                cols = ", ".join(_columns(feed))
                cur.copy_expert(
                    f"copy (select {cols} from staging.{feeds_table(feed)} "
                    f"where load_id = '{load_id}') to stdout (format csv)",
                    buf,
                )
                csv[feed] = buf.getvalue()
        conn.rollback()
    return Staged(read, staged, csv)


def plain_copy(dsn: str, csv: dict[str, bytes]) -> None:
    """Reference: the same rows COPYed into unindexed tables of the same columns."""
    with connect(dsn) as conn, conn.cursor() as cur:
        for feed, data in csv.items():
            table = f"plain_{feed}"
            cur.execute(
                f"create unlogged table {table} as select {', '.join(_columns(feed))} "
                f"from staging.{feeds_table(feed)} with no data"
            )
            cur.copy_expert(f"copy {table} from stdin (format csv)", io.BytesIO(data))
        conn.rollback()


def pandas_load(dsn: str, city: CityDay) -> int:
    """The loader people write first: pandas reads each file, ``to_sql`` inserts; no
    checks, no accounting, no quarantine. Returns the rows inserted."""
    engine = sqlalchemy.create_engine(dsn.replace("postgresql://", "postgresql+psycopg2://", 1))
    frames: dict[str, list[pd.DataFrame]] = {f: [] for f in PUNCH_FEEDS}
    for o in city.objects["zkteco"]:
        df = pd.read_csv(
            io.BytesIO(o.data),
            sep="\t",
            header=None,
            names=["pin", "punch_at", "verified", "status", "verify_mode", "work_code"],
            usecols=range(6),
            dtype=str,
            on_bad_lines="skip",
            encoding_errors="replace",
        )
        frames["zkteco"].append(df.assign(object_key=o.key))
    for o in city.objects["hikvision"]:
        try:
            info = json.loads(o.data)["AcsEvent"]["InfoList"]
        except (ValueError, KeyError, TypeError):
            continue
        frames["hikvision"].append(pd.json_normalize(info).assign(object_key=o.key))
    n = 0
    with engine.begin() as conn:
        for feed, parts in frames.items():
            df = pd.concat(parts, ignore_index=True).astype(str)
            n += (
                df.to_sql(
                    f"pandas_{feed}",
                    conn,
                    if_exists="replace",
                    index=False,
                    method="multi",
                    chunksize=2000,
                )
                or 0
            )
        for feed in PUNCH_FEEDS:
            conn.execute(sqlalchemy.text(f"drop table if exists pandas_{feed}"))
    engine.dispose()
    return n


def p1(dsn: str, keys: PiiKeys, city: CityDay, repeat: int) -> dict[str, Any]:
    staged = stage_city(dsn, keys, city, export=True)  # warm-up + the reference's rows
    ours, ref = [], []
    peaks = []
    for _ in range(repeat):
        settle(dsn)
        _, s = measure(lambda: stage_city(dsn, keys, city))
        ours.append(s.seconds)
        peaks.append(s.peak_rss_mb)
        checkpoint(dsn)
        _, r = measure(lambda: plain_copy(dsn, staged.csv))
        ref.append(r.seconds)
    rows = staged.rows_staged
    ours_rate, ref_rate = rows / median(ours), rows / median(ref)
    log.info("P1: ours %.0f rows/s, COPY %.0f rows/s", ours_rate, ref_rate)
    return {
        "id": "P1",
        "what": "city-day of punches (both vendors): parse + validate + stage vs plain COPY",
        "ours": round(ours_rate),
        "reference": round(ref_rate),
        "unit": "rows/s",
        "ratio": round(ours_rate / ref_rate, 3),
        "target": ">= 0.5",
        "met": ours_rate / ref_rate >= 0.5,
        "rows_read": staged.rows_read,
        "rows_staged": rows,
        "files": city.files,
        "ours_seconds": [round(t, 3) for t in ours],
        "reference_seconds": [round(t, 3) for t in ref],
        "rss_mb": round(max(peaks)),
    }


def p1_pandas(dsn: str, keys: PiiKeys, city: CityDay, repeat: int) -> dict[str, Any]:
    ours, ref = [], []
    rows_ours = rows_pandas = 0
    for _ in range(repeat):
        staged, s = measure(lambda: stage_city(dsn, keys, city))
        ours.append(s.seconds)
        rows_ours = staged.rows_read
        rows_pandas, r = measure(lambda: pandas_load(dsn, city))
        ref.append(r.seconds)
    ours_rate, ref_rate = rows_ours / median(ours), rows_pandas / median(ref)
    log.info("P1-pandas: ours %.0f rows/s, pandas %.0f rows/s", ours_rate, ref_rate)
    return {
        "id": "P1-pandas",
        "what": "the same punches: sitepass vs a pandas read_csv/json_normalize + to_sql loader",
        "ours": round(ours_rate),
        "reference": round(ref_rate),
        "unit": "rows/s",
        "ratio": round(ours_rate / ref_rate, 3),
        "target": ">= 1",
        "met": ours_rate >= ref_rate,
        "rows": rows_ours,
        "files": city.files,
        "ours_seconds": [round(t, 3) for t in ours],
        "reference_seconds": [round(t, 3) for t in ref],
    }


def growth(dsn: str, keys: PiiKeys, city: CityDay, repeat: int) -> list[dict[str, Any]]:
    """P1-x4, P1-x16: seconds per row at 4× and 16× the size of a 1/16 city-day, as a
    ratio to the 1× size (1.0 = linear)."""
    per_row = {}
    for factor, every in ((1, 16), (4, 4), (16, 1)):
        part = city if every == 1 else city.subset(every)
        times, rows = [], 0
        for _ in range(repeat):
            settle(dsn)
            staged, s = measure(lambda p=part: stage_city(dsn, keys, p))  # type: ignore[misc]
            times.append(s.seconds)
            rows = staged.rows_read
        per_row[factor] = (median(times) / rows, rows)
    base = per_row[1][0]
    return [
        {
            "id": f"P1-x{f}",
            "what": f"P1 at {f}x the rows of a 1/16 city-day: seconds per row vs 1x",
            "ours": round(per_row[f][0] * 1e6, 3),
            "reference": round(base * 1e6, 3),
            "unit": "µs/row",
            "ratio": round(per_row[f][0] / base, 3),
            "target": "<= 1.2",
            "met": per_row[f][0] / base <= 1.2,
            "rows": per_row[f][1],
        }
        for f in (4, 16)
    ]
