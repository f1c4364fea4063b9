"""The steps the DAGs run, as plain functions keyed by the data interval.

Feeds load in dependency order (registry → roster → punches → payroll → inspections):
each is staged, gated and published before the next is parsed, because punches are
checked against the published rosters and every file against the published registry.
Tasks pass object keys and load ids between each other, never local files. Every step
is idempotent: running it again for the same interval and bucket content changes nothing.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any

import psycopg2.extensions

from ingest.config import Settings
from ingest.landing.context import ParseContext
from ingest.landing.dispatch import parse_object
from ingest.landing.keys import LandingKey, try_parse_key
from ingest.landing.model import ParseResult
from ingest.landing.text import decode_bytes
from ingest.quality import gate as gx_gate
from ingest.schedule import SHANGHAI
from ingest.storage import get_bytes, list_objects
from ingest.warehouse import loader
from ingest.warehouse.datasets import FEEDS
from ingest.warehouse.db import connect
from ingest.warehouse.pii import PiiKeys
from ingest.warehouse.schema import ensure_schema

log = logging.getLogger(__name__)

#: Feeds in load order; the DAG runs one stage → gate → publish chain per entry.
LOAD_ORDER: tuple[str, ...] = FEEDS
#: How far back a daily run looks for late or replaced files (days).
DEFAULT_LOOKBACK_DAYS = 7
#: Payroll files are filed under the month worked and arrive weeks later.
PAYROLL_LOOKBACK_DAYS = 100
#: A payroll batch whose payments all lie after the run's interval belongs to a later run
#: (a backfill over a bucket that already holds next month's payroll); it is deferred, not
#: rejected, unless its dates lie further ahead than this (then they are future_timestamp).
PAYROLL_DEFER_DAYS = 366


class DataError(RuntimeError):
    """Bad data (not a transient failure): retrying the task cannot help."""


@dataclass(frozen=True, slots=True)
class Interval:
    """A run's data interval as local (Asia/Shanghai) days: ``[day, day + 1)``."""

    day: date

    @property
    def end(self) -> datetime:
        return datetime.combine(self.day + timedelta(days=1), dtime(0), tzinfo=SHANGHAI)


def prepare_warehouse(settings: Settings) -> None:
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        ensure_schema(cur)


def _in_window(k: LandingKey, day: date, lookback: int) -> bool:
    if k.kind == "payroll":
        if k.pay_month is None:
            return False
        first = date.fromisoformat(k.pay_month + "-01")
        return day - timedelta(days=PAYROLL_LOOKBACK_DAYS) <= first <= day
    if k.partition_date is None:
        return False
    return day - timedelta(days=lookback) <= k.partition_date <= day


def discover(
    settings: Settings,
    day: date,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    feeds: tuple[str, ...] = LOAD_ORDER,
    city: str | None = None,
) -> dict[str, list[dict[str, str]]]:
    """New or changed objects per feed whose partition falls in the run's window.

    Late files (a device that uploads days later into the partition of the punch day) are
    picked up by the next run whose window covers their partition; unchanged objects
    (same key and etag as published) are skipped without being downloaded. With ``city``
    (4 digits) only that city's projects are loaded (project codes start with the area code).
    """
    found: dict[str, list[tuple[LandingKey, str]]] = defaultdict(list)
    unknown = 0
    for obj in list_objects(settings.s3, ""):
        k = try_parse_key(obj.key)
        if k is None:
            unknown += 1
            continue
        if city and k.project_code is not None and not k.project_code.startswith(city):
            continue
        if k.kind in feeds and _in_window(k, day, lookback_days):
            found[k.kind].append((k, obj.etag))
    if unknown:
        log.warning("%d objects in the bucket match no landing-zone key pattern", unknown)
    keys = [k.key for items in found.values() for k, _ in items]
    published: set[tuple[str, str]] = set()
    if keys:
        with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
            ensure_schema(cur)
            cur.execute(
                "select object_key, object_etag from ops.load_audit "
                "where object_key = any(%s) and status = 'published'",
                (keys,),
            )
            published = set(cur.fetchall())
    out: dict[str, list[dict[str, str]]] = {}
    for feed in feeds:
        fresh = sorted(
            (
                {"key": k.key, "etag": etag}
                for k, etag in found.get(feed, [])
                if (k.key, etag) not in published
            ),
            key=lambda d: d["key"],
        )
        out[feed] = fresh
        log.info(
            "discover %s for %s: %d in window, %d new or changed",
            feed,
            day,
            len(found.get(feed, [])),
            len(fresh),
        )
    return out


def _known_projects(cur: psycopg2.extensions.cursor) -> frozenset[str] | None:
    cur.execute("select distinct project_code from raw.registry_projects")
    projects = frozenset(r[0] for r in cur.fetchall())
    return projects or None  # no registry yet: the check cannot be made


def _device_roles(cur: psycopg2.extensions.cursor) -> dict[str, str]:
    cur.execute(
        """select distinct on (device_sn) device_sn, role from raw.registry_devices
           order by device_sn, partition_date desc"""
    )
    return {sn: role or "both" for sn, role in cur.fetchall()}


class RosterIndex:
    """``(project, employee_no, day) -> on the roster?`` from ``ops.roster_periods``."""

    def __init__(self, cur: psycopg2.extensions.cursor, projects: list[str]) -> None:
        cur.execute(
            "select project_code, employee_no, entry_date, exit_date from ops.roster_periods "
            "where project_code = any(%s)",
            (projects,),
        )
        self._periods: dict[tuple[str, str], list[tuple[date | None, date | None]]] = {}
        for project, emp, entry, exit_ in cur.fetchall():
            self._periods.setdefault((project, emp), []).append((entry, exit_))
        self.projects_with_roster = {p for p, _ in self._periods}

    def __call__(self, project: str, employee_no: str, day: date) -> bool:
        for entry, exit_ in self._periods.get((project, employee_no), ()):
            if (entry is None or entry <= day) and (exit_ is None or day <= exit_):
                return True
        return False


def stage_feed(
    settings: Settings, feed: str, day: date, objects: list[dict[str, str]]
) -> dict[str, Any]:
    """Download, parse, validate and stage one feed's new objects as one batch."""
    started = time.monotonic()
    load_id = loader.make_load_id(feed, day, [f"{o['key']}@{o['etag']}" for o in objects])
    interval = Interval(day)
    keys = PiiKeys(settings.pii_secret)
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        ensure_schema(cur)
        known = _known_projects(cur)
        roles = _device_roles(cur) if feed in {"zkteco", "hikvision"} else None
        projects = sorted(
            {k.project_code for o in objects if (k := try_parse_key(o["key"])) and k.project_code}
        )
        roster = RosterIndex(cur, projects) if feed in {"zkteco", "hikvision"} else None

        def parse(obj: loader.LandingObject) -> ParseResult:
            k = try_parse_key(obj.key)
            # Punches of a project with no published roster at all cannot be checked
            # against one: they are loaded, and dbt's referential tests flag them.
            lookup = (
                roster if roster and k and k.project_code in roster.projects_with_roster else None
            )
            ctx = ParseContext.from_key(
                obj.key,
                interval_end=interval.end,
                known_projects=known if feed != "registry" else None,
                roster_lookup=lookup,
                device_roles=roles,
            )
            return parse_object(obj.data, ctx)

        landing = []
        deferred = 0
        for o in objects:
            k = try_parse_key(o["key"])
            if k is None:
                raise DataError(f"not a landing key: {o['key']}")
            context: dict[str, object] = {}
            if k.project_code is not None and feed in {"roster", "zkteco", "hikvision"}:
                context["project_code"] = k.project_code
            if k.device_sn is not None:
                context["device_sn"] = k.device_sn
            if k.partition_date is not None:
                context["partition_date"] = k.partition_date
            if k.pay_month is not None:
                context["partition_month"] = k.pay_month
            data = get_bytes(settings.s3, o["key"])
            if feed == "payroll" and _payroll_not_yet(data, interval):
                deferred += 1
                continue
            landing.append(
                loader.LandingObject(
                    key=o["key"],
                    data=data,
                    partition_date=k.partition_date,
                    partition_month=k.pay_month,
                    etag=o["etag"],
                    context=context,
                )
            )
        summary = loader.stage(cur, feed, load_id, landing, parse, keys)
    if deferred:
        log.info("%s: %d payroll batches deferred (paid after %s)", load_id, deferred, interval.day)
    return {
        **summary.as_dict(),
        "deferred": deferred,
        "stage_seconds": round(time.monotonic() - started, 3),
    }


def _payroll_not_yet(data: bytes, interval: Interval) -> bool:
    """True when some balanceDate of the batch lies after the run's interval, none further
    than :data:`PAYROLL_DEFER_DAYS` ahead: the batch is loaded whole by the run that covers
    its last payment. Unreadable batches are not deferred (the parser quarantines them)."""
    try:
        doc = json.loads(decode_bytes(data)[0])
        dates = [date.fromisoformat(str(d["balanceDate"])[:10]) for d in doc["detailList"]]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return False
    if not dates:
        return False
    last_day = interval.day
    return last_day < max(dates) <= last_day + timedelta(days=PAYROLL_DEFER_DAYS)


def gate_feed(
    settings: Settings,
    feed: str,
    load_id: str,
    load_seconds: float | None = None,
    *,
    docs: bool = True,
) -> dict[str, Any]:
    """Validate every dataset of a staged batch (all are recorded; Data Docs built once
    unless ``docs`` is false); raise :class:`GateFailed` naming every failed expectation."""
    results = gx_gate.gate_batch(settings, feed, load_id, load_seconds=load_seconds, docs=docs)
    return {
        "feed": feed,
        "load_id": load_id,
        "success": True,
        "suites": [r.as_dict() for r in results],
    }


def publish_feed(settings: Settings, feed: str, load_id: str) -> dict[str, Any]:
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "select count(*) filter (where not success) from ops.gate_results where load_id = %s",
            (load_id,),
        )
        row = cur.fetchone()
        if row and row[0]:
            raise DataError(f"batch {load_id} failed its gate: refusing to publish")
        summary = loader.publish(cur, feed, load_id)
    return summary.as_dict()


def plan_verification(
    settings: Settings, day: date, lookback_days: int = DEFAULT_LOOKBACK_DAYS
) -> list[list[str]]:
    """Chunks of capture keys to re-verify (their punches are published)."""
    from ingest.verification.captures import plan
    from ingest.verification.run import engine

    eng = engine()
    return plan(settings, day, eng.model_fingerprint, eng.config.threshold_version, lookback_days)


def verify_captures(
    settings: Settings, day: date, capture_keys: list[str], *, docs: bool = True
) -> dict[str, Any]:
    """Verify one chunk, then gate and publish it as a ``face`` batch."""
    from ingest.verification.run import verify_chunk

    staged = verify_chunk(settings, day, capture_keys)
    gate_feed(settings, "face", staged["load_id"], docs=docs)
    return {**publish_feed(settings, "face", staged["load_id"]), "decisions": staged["decisions"]}


def detect_identity_fraud(
    settings: Settings, day: date, lookback_days: int = DEFAULT_LOOKBACK_DAYS
) -> dict[str, int]:
    """City-wide: one face under two IDs; one ID at two sites on one day."""
    from ingest.verification import fraud

    at = Interval(day).end
    return {
        "face": fraud.face_duplicates(settings, at),
        "multi_site": fraud.multi_site(settings, at, day - timedelta(days=lookback_days)),
    }


def ingest_day(
    settings: Settings,
    day: date,
    feeds: tuple[str, ...] = LOAD_ORDER,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    *,
    faces: bool = True,
    docs: bool = False,
) -> dict[str, Any]:
    """All feeds for one day without Airflow (tests, benchmarks): stage → gate → publish,
    then face re-verification of the day's captures and the identity-fraud search."""
    out: dict[str, Any] = {}
    for feed in feeds:
        objects = discover(settings, day, lookback_days, feeds=(feed,))[feed]
        if not objects:
            out[feed] = {"objects": 0}
            continue
        staged = stage_feed(settings, feed, day, objects)
        # Data Docs re-render their index from every stored validation: the DAG builds them
        # per batch; bulk loads (tests, benchmarks, backfills) skip them unless asked.
        gate_feed(settings, feed, staged["load_id"], staged.get("stage_seconds"), docs=docs)
        out[feed] = publish_feed(settings, feed, staged["load_id"])
    if faces:
        chunks = plan_verification(settings, day, lookback_days)
        out["face"] = [verify_captures(settings, day, chunk, docs=docs) for chunk in chunks]
        out["fraud"] = detect_identity_fraud(settings, day, lookback_days)
    out["as_of"] = mark_day_loaded(settings, day).isoformat()
    return out


def mark_day_loaded(settings: Settings, day: date) -> date:
    """Record that ``day`` is fully loaded; return the marts' ``as_of`` (see below)."""
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        ensure_schema(cur)
        cur.execute("insert into ops.landing_days (day) values (%s) on conflict do nothing", (day,))
    return marts_as_of(settings)


def marts_as_of(settings: Settings) -> date:
    """``as_of`` for the marts: the day after the latest fully loaded day (the warehouse's
    high-water mark). A re-run of a past week therefore rebuilds the marts as of the same
    date, and they come out identical; it never depends on the wall clock."""
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        ensure_schema(cur)
        cur.execute("select max(day) from ops.landing_days")
        row = cur.fetchone()
    if not row or row[0] is None:
        raise DataError("no day has been loaded yet: run landing_daily first")
    return date.fromordinal(row[0].toordinal() + 1)
