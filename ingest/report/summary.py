"""A short text summary of the attendance mart for a date range (shown by `sitepass run`)."""

from __future__ import annotations

from datetime import date

from ingest.config import Settings
from ingest.warehouse.db import connect

DAILY_LINES_UP_TO = 14  # days; longer ranges are summarised per month


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
