"""The calendar: the local zone, what a run's data interval means, the DAGs' schedules and
the Assets that chain them. Declared once here; the CLI, the DAGs and the pipeline derive
from it.

- Every business date is a local date in Asia/Shanghai (China has had no DST since 1991,
  so a fixed +08:00 offset is exact).
- ``landing_daily`` loads one local day D: its data interval is ``[D 00:00, D+1 00:00)``
  local, the run is due at the interval's end (``run_after``), which is the logical date
  ``sitepass run`` passes to Airflow for D.
- ``compliance_monthly`` runs for a month M at the first firing of its cron after M ended
  (the 20th of M+1 at 06:00: every pay day of M has passed, plus a grace period).
- ``landing_daily`` emits :data:`LANDING_DAY_COMPLETE`; ``marts_build`` is scheduled on it
  and emits :data:`MARTS`.

Airflow objects (timetables, Assets) are built on demand by :func:`timetable` and
:func:`asset`, so importing this module loads nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.sdk import Asset, CronDataIntervalTimetable

ZONE_NAME = "Asia/Shanghai"
#: The local zone of every business date (fixed +08:00: no DST since 1991).
SHANGHAI = timezone(timedelta(hours=8), ZONE_NAME)
#: First logical date of every DAG (no catch-up before it).
START_DATE = date(2026, 1, 1)


@dataclass(frozen=True, slots=True)
class Schedule:
    dag_id: str
    cron: str  # evaluated in ZONE_NAME
    description: str


LANDING_DAILY = Schedule(
    "landing_daily", "0 0 * * *", "daily at local midnight, for the local day that just ended"
)
COMPLIANCE_MONTHLY = Schedule(
    "compliance_monthly",
    "0 6 20 * *",
    "the 20th of each month at 06:00 local, for the month before",
)


@dataclass(frozen=True, slots=True)
class AssetSpec:
    name: str
    uri: str


#: Emitted once a day is fully loaded (every feed published, captures verified).
LANDING_DAY_COMPLETE = AssetSpec("sitepass.landing_day_complete", "sitepass://landing/day-complete")
#: Emitted once the marts are built.
MARTS = AssetSpec("sitepass.marts", "sitepass://marts/built")


def raw_asset(dataset_group: str) -> AssetSpec:
    """The Asset a feed's publish task updates (``raw.<feed>``)."""
    return AssetSpec(
        f"raw.{dataset_group}", f"postgres://warehouse:5432/sitepass/raw/{dataset_group}"
    )


# -- the day <-> data interval rule -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Interval:
    """A run's data interval as one local day: ``[day 00:00, day + 1 00:00)`` +08:00."""

    day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.day, time(0), tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.day + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def local_date(moment: datetime) -> date:
    """The local (Asia/Shanghai) date of an aware instant."""
    if moment.utcoffset() is None:
        raise ValueError(f"{moment!r} is naive: business dates need an aware instant")
    return moment.astimezone(SHANGHAI).date()


def day_of_run(data_interval_start: datetime, day_param: str | None = None) -> date:
    """The local day a ``landing_daily`` run loads: the ``day`` param of a manual re-run
    (Airflow 3 gives manual runs the latest interval before *now*), else its interval's."""
    if day_param:
        return date.fromisoformat(str(day_param)[:10])
    return local_date(data_interval_start)


def run_after_day(day: date) -> datetime:
    """The logical date of the ``landing_daily`` run that loads ``day`` (its interval's end)."""
    return Interval(day).end


def day_of_run_after(run_after: datetime) -> date:
    """Inverse of :func:`run_after_day`."""
    return local_date(run_after) - timedelta(days=1)


# -- months -------------------------------------------------------------------------------


def month_start(month: str) -> date:
    """``YYYY-MM`` → its first day (raises ``ValueError`` for a non-month)."""
    first = date.fromisoformat(month + "-01")
    if len(month) != 7:
        raise ValueError(f"{month!r} is not YYYY-MM")
    return first


def next_month(month: str) -> str:
    first = month_start(month)
    return f"{first.year + (first.month == 12)}-{first.month % 12 + 1:02d}"


def previous_month(month: str) -> str:
    first = month_start(month)
    return f"{first.year - (first.month == 1)}-{(first.month - 2) % 12 + 1:02d}"


def month_of_run(data_interval_start: datetime, month_param: str | None = None) -> str:
    """The month a ``compliance_monthly`` run reports: the ``month`` param, else the month
    its data interval starts in (the run on the 20th of M+1 covers M)."""
    if month_param:
        return str(month_param)
    return local_date(data_interval_start).strftime("%Y-%m")


def monthly_due(month: str) -> datetime:
    """When ``compliance_monthly`` runs for ``month``: the first firing of its cron after
    the month ended (derived from :data:`COMPLIANCE_MONTHLY`, not restated)."""
    from croniter import croniter  # type: ignore[import-untyped]

    after = datetime.combine(month_start(next_month(month)), time(0), tzinfo=SHANGHAI)
    fire: datetime = croniter(COMPLIANCE_MONTHLY.cron, after - timedelta(seconds=1)).get_next(
        datetime
    )
    return fire.astimezone(SHANGHAI)


# -- Airflow objects, built on demand -----------------------------------------------------


def timetable(schedule: Schedule) -> CronDataIntervalTimetable:
    from airflow.sdk import CronDataIntervalTimetable

    return CronDataIntervalTimetable(schedule.cron, timezone=ZONE_NAME)


def start_date() -> Any:
    import pendulum

    return pendulum.datetime(START_DATE.year, START_DATE.month, START_DATE.day, tz=ZONE_NAME)


def asset(spec: AssetSpec) -> Asset:
    from airflow.sdk import Asset

    return Asset(name=spec.name, uri=spec.uri)
