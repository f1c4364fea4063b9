"""Text summaries shown by `sitepass run`: the rows each day's run read, and the
attendance mart for a date range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ingest.config import Settings
from ingest.warehouse.db import connect
from ingest.warehouse.loader import load_ids_of_day

DAILY_LINES_UP_TO = 14  # days; longer ranges are summarised per month


@dataclass(frozen=True, slots=True)
class DayRows:
    """What one day's landing run read and loaded (``ops.load_audit`` of its batches), and
    the warehouse's clock when that was counted (the next day's run starts after it)."""

    files: int
    read: int
    loaded: int
    quarantined: int
    counted_at: datetime

    def line(self, seconds: float) -> str:
        rate = self.read / seconds if seconds > 0 else 0.0
        return (
            f"{self.read:,} rows read from {self.files:,} files, {self.loaded:,} loaded, "
            f"{self.quarantined:,} quarantined, {rate:,.0f} rows/s"
        )


def warehouse_clock(settings: Settings) -> datetime:
    """The warehouse's clock (what ``ops.load_audit.staged_at`` is stamped with)."""
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute("select clock_timestamp()")
        (stamp,) = cur.fetchone() or (None,)
    if not isinstance(stamp, datetime):
        raise RuntimeError("the warehouse returned no clock_timestamp()")
    return stamp


def day_rows(settings: Settings, day: date, since: datetime) -> DayRows:
    """Files and rows of the batches ``day``'s run staged after ``since`` (the warehouse's
    clock before the run): a re-run that finds nothing new shows zeros."""
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), "
            "coalesce(sum(rows_quarantined), 0), clock_timestamp() from ops.load_audit "
            "where load_id like %s and staged_at > %s",
            (load_ids_of_day(day), since),
        )
        files, read, loaded, quarantined, now = cur.fetchone() or (0, 0, 0, 0, since)
    return DayRows(int(files), int(read), int(loaded), int(quarantined), now)


def attendance_summary(settings: Settings, start: date, end: date) -> list[str]:
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('marts.fct_attendance_daily') is not null")
        row = cur.fetchone()
        if not row or not row[0]:
            return ["marts.fct_attendance_daily does not exist yet (no data loaded)"]
        # a line per day for short ranges, per month for backfills
        period = (
            "work_date::text"
            if (end - start).days < DAILY_LINES_UP_TO
            else ("to_char(work_date, 'YYYY-MM')")
        )
        cur.execute(
            f"""select {period}, count(distinct project_code), count(*),
                      round(avg(hours_on_site), 2), count(*) filter (where is_full_day)
               from marts.fct_attendance_daily
               where work_date between %s and %s
               group by 1 order by 1""",
            (start, end),
        )
        days = cur.fetchall()
        cur.execute(
            """select status, count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined),
                      sum(duplicates), sum(ignored)
               from ops.load_audit group by status order by status"""
        )
        audit = cur.fetchall()
    lines = [
        "marts.fct_attendance_daily:",
        "  period      projects  worker-days  avg_hours  full_days",
    ]
    lines += [f"  {d:<10}  {p:8d}  {n:11d}  {h!s:>9}  {f:9d}" for d, p, n, h, f in days]
    if not days:
        lines.append("  (no rows in the range)")
    lines.append(
        "ops.load_audit (files by status): read = loaded + quarantined + duplicates + ignored"
    )
    lines += [
        f"  {s:<11} files={c} read={r} loaded={lo} quarantined={q} duplicates={du} ignored={ig}"
        for s, c, r, lo, q, du, ig in audit
    ]
    return lines
