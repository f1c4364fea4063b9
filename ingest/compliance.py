"""The monthly city-wide compliance pass: freeze the month's marts, report, export.

``freeze_month`` copies the city-month's rows of the public marts into ``archive.<mart>``
with ``snapshot_month`` and ``city_code`` columns (delete + insert in one transaction, so
a re-run replaces the snapshot exactly): what regulators decided on stays reproducible
after later corrections change the live marts.
"""

from __future__ import annotations

import logging

from ingest.config import Settings
from ingest.results import FreezeResult
from ingest.schedule import previous_month
from ingest.warehouse.db import connect

log = logging.getLogger(__name__)

# mart -> (month column, how the mart's rows are tied to the city, months kept). Wage marts
# keep the report month and the pay month that fell due in it (the previous month).
FROZEN_MARTS: dict[str, tuple[str, str, str]] = {
    "fct_attendance_monthly": ("month", "project", "month"),
    "fct_wage_arrears": ("pay_month", "project", "month+due"),
    "fct_project_wage_warning": ("pay_month", "project", "month+due"),
    "fct_inspection_score": ("month", "city_code", "month"),
    "rpt_random_inspection_sample": ("month", "city_code", "month"),
}


def freeze_month(settings: Settings, city: str, month: str) -> FreezeResult:
    """Snapshot the city-month (and the pay month due in it) of every public mart."""
    counts: dict[str, int] = {}
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute("create schema if not exists archive")
        for mart, (month_col, scope, kept) in FROZEN_MARTS.items():
            months = [month, previous_month(month)] if kept == "month+due" else [month]
            city_filter = (
                "city_code = %(city)s"
                if scope == "city_code"
                else "project_code in (select project_code from marts.dim_project "
                "where city_code = %(city)s)"
            )
            cur.execute(
                f"""create table if not exists archive.{mart} as
                    select %(month)s::text as snapshot_month, %(city)s::text as snapshot_city, m.*
                      from marts.{mart} m with no data""",
                {"month": month, "city": city},
            )
            cur.execute(
                f"delete from archive.{mart} where snapshot_month = %(month)s "
                f"and snapshot_city = %(city)s",
                {"month": month, "city": city},
            )
            cur.execute(
                f"""insert into archive.{mart}
                    select %(month)s, %(city)s, m.* from marts.{mart} m
                     where {city_filter} and left({month_col}::text, 7) = any(%(months)s)""",
                {"month": month, "city": city, "months": months},
            )
            counts[mart] = cur.rowcount
    log.info("froze %s %s: %s", city, month, counts)
    return FreezeResult(city=city, month=month, rows=counts)
