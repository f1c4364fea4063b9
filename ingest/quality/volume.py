"""Batch-level suite parameters: the run day and the volume band of a batch.

The baseline of a batch of day *D* is what the same dataset published in the batches of
days *D-7 … D-1* (``ops.load_audit`` + ``ops.load_audit_entity``, rows loaded per batch
day): the median of those days, capped by the same weekday a week ago (day *D-7*, 0 when
it had no batch) so a quiet Sunday is compared with last Sunday, not with the weekdays.

- ``volume.collapse`` (critical for event feeds) needs a known weekly pattern: it applies
  only once the dataset has a published batch on or before *D-7*;
- ``volume.change`` (warning) applies as soon as there is any history (a young dataset
  uses the plain median);
- no history: no bound (both pass; the baseline in the result says why);
- a batch with no file of its own run day (only late or corrected files of earlier
  partitions): no bound.

The batch day and feed come from the load id (``feed:YYYYMMDD:digest``, see
:func:`ingest.warehouse.loader.make_load_id`); a load id of another shape has no window
and no baseline.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import psycopg2.extensions

from ingest.quality.suites import (
    P_LATE_DAY,
    P_ROWS_MAX_WARNING,
    P_ROWS_MIN_CRITICAL,
    P_ROWS_MIN_WARNING,
    P_RUN_DAY,
    Volume,
)

LOOKBACK_DAYS = 7
#: Window bounds of a batch whose load id carries no day: no bound.
NO_DAY_MIN = date(1900, 1, 1)
NO_DAY_MAX = date(9999, 12, 31)
_LOAD_ID = re.compile(r"(?P<feed>[a-z_]+):(?P<day>\d{8}):.+")


def parse_load_id(load_id: str) -> tuple[str, date] | None:
    m = _LOAD_ID.fullmatch(load_id)
    if m is None:
        return None
    try:
        return m["feed"], datetime.strptime(m["day"], "%Y%m%d").date()
    except ValueError:
        return None


@dataclass(slots=True)
class Baseline:
    """What the volume band of one batch was computed from (kept with the result)."""

    history: dict[str, int] = field(default_factory=dict)  # batch day -> rows loaded
    same_weekday: int | None = None
    baseline: float | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "history": self.history,
            "same_weekday": self.same_weekday,
            "baseline": self.baseline,
            **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.params.items()},
        }


def _history(
    cur: psycopg2.extensions.cursor, feed: str, dataset: str, day: date
) -> tuple[dict[date, int], bool]:
    lo = f"{feed}:{day - timedelta(days=LOOKBACK_DAYS):%Y%m%d}"
    hi = f"{feed}:{day:%Y%m%d}"
    cur.execute(
        """select split_part(a.load_id, ':', 2), sum(e.rows_loaded)
             from ops.load_audit a
             join ops.load_audit_entity e
               on e.object_key = a.object_key and e.object_sha256 = a.object_sha256
            where a.load_id >= %s and a.load_id < %s and a.status = 'published'
              and e.dataset = %s
            group by 1""",
        (lo, hi, dataset),
    )
    hist = {datetime.strptime(d, "%Y%m%d").date(): int(n) for d, n in cur.fetchall()}
    cur.execute(  # a published batch on or before D-7: the weekly pattern is known
        "select exists (select 1 from ops.load_audit where load_id >= %s and load_id < %s "
        "and status = 'published')",
        (f"{feed}:", f"{feed}:{day - timedelta(days=LOOKBACK_DAYS - 1):%Y%m%d}"),
    )
    row = cur.fetchone()
    return hist, bool(row and row[0])


def parameters(
    cur: psycopg2.extensions.cursor, dataset: str, load_id: str, policy: Volume | None
) -> Baseline:
    """Suite parameters of one batch: run day, late-partition day and the volume band."""
    out = Baseline()
    parsed = parse_load_id(load_id)
    params: dict[str, Any] = {
        P_RUN_DAY: NO_DAY_MAX,
        P_LATE_DAY: NO_DAY_MIN,
        P_ROWS_MIN_CRITICAL: 0,
        P_ROWS_MIN_WARNING: 0,
        P_ROWS_MAX_WARNING: None,
    }
    out.params = params
    if parsed is None:
        return out
    feed, day = parsed
    params[P_RUN_DAY] = day
    params[P_LATE_DAY] = day - timedelta(days=LOOKBACK_DAYS)
    if policy is None:  # irregular feed: no volume bound
        return out
    cur.execute(
        "select exists (select 1 from ops.load_audit where load_id = %s and partition_date = %s)",
        (load_id, day),
    )
    own = cur.fetchone()
    if not (own and own[0]):
        # Only late or corrected files of earlier partitions: a batch of the day's
        # stragglers says nothing about the day's volume (no bound).
        out.params["volume_skipped"] = "no file of the run day in this batch"
        return out
    hist, covered = _history(cur, feed, dataset, day)
    out.history = {d.isoformat(): n for d, n in sorted(hist.items())}
    if not hist:
        return out
    median = float(statistics.median(hist.values()))
    baseline = median
    if covered:  # the weekly pattern is known: compare with the same weekday too
        out.same_weekday = hist.get(day - timedelta(days=LOOKBACK_DAYS), 0)
        baseline = min(median, float(out.same_weekday))
    out.baseline = baseline
    if policy.critical_drop is not None and covered:
        params[P_ROWS_MIN_CRITICAL] = math.ceil(round((1 - policy.critical_drop) * baseline, 6))
    params[P_ROWS_MIN_WARNING] = math.ceil(round((1 - policy.warning_drop) * baseline, 6))
    params[P_ROWS_MAX_WARNING] = math.floor(policy.warning_spike * max(hist.values())) or None
    return out
