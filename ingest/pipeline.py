"""The steps the DAGs run, as plain functions keyed by the data interval.

Feeds load in the dependency order the feed registry declares (:data:`ingest.feeds.LOAD_ORDER`:
registry → roster → punches → payroll → inspections): each is staged, gated and published
before the feeds that depend on it are parsed, because punches are checked against the
published rosters and every file against the published registry. Every step returns a
frozen result (:mod:`ingest.results`); errors follow :mod:`ingest.errors`.
Tasks pass object keys and load ids between each other, never local files. Every step
is idempotent: running it again for the same interval and bucket content changes nothing.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import polars as pl
import psycopg2.extensions

from ingest import feeds
from ingest.config import Settings
from ingest.errors import DataError
from ingest.feeds import LOAD_ORDER, Window
from ingest.landing import layout
from ingest.landing.batch import ROSTER_SCHEMA, BatchInput, BatchParse, RosterPeriods
from ingest.landing.context import ParseContext
from ingest.landing.dispatch import parse_object
from ingest.landing.keys import LandingKey, parse_key, try_parse_key
from ingest.landing.model import ParseResult
from ingest.landing.roster import member_salt
from ingest.landing.text import decode_bytes
from ingest.quality import gate as gx_gate
from ingest.results import (
    BatchResult,
    DayResult,
    Discovery,
    FaceChunkResult,
    FoundObject,
    FraudResult,
)
from ingest.schedule import Interval
from ingest.storage import ObjectInfo, get_bytes, list_dirs, list_objects
from ingest.warehouse import ledger, loader
from ingest.warehouse.days import mark_day_loaded, marts_as_of
from ingest.warehouse.db import connect
from ingest.warehouse.ledger import ListingStatus, SeenObject
from ingest.warehouse.migrate import migrate
from ingest.warehouse.pii import PiiKeys
from ingest.warehouse.rosters import known_members

log = logging.getLogger(__name__)

__all__ = [  # re-exported for callers of the pipeline
    "LOAD_ORDER",
    "DataError",
    "Interval",
    "mark_day_loaded",
    "marts_as_of",
]
#: How far back a daily run looks for late or replaced files (days).
DEFAULT_LOOKBACK_DAYS = 7
#: A payroll batch whose payments all lie after the run's interval belongs to a later run
#: (a backfill over a bucket that already holds next month's payroll); it is deferred, not
#: rejected, unless its dates lie further ahead than this (then they are future_timestamp).
PAYROLL_DEFER_DAYS = 366


def prepare_warehouse(settings: Settings) -> None:
    """Create or migrate the warehouse schema: once per run (the DAG's first task, ``sitepass
    up``), never inside a data step."""
    migrate(settings.warehouse_dsn)


def _partition_day(k: LandingKey) -> date | None:
    """The day a key's partition starts: its ``dt=``, or the first day of its ``month=``."""
    if k.pay_month is not None:
        return date.fromisoformat(k.pay_month + "-01")
    return k.partition_date


def _window_start(kind: str, day: date, lookback: int) -> date:
    """The first partition day of ``kind``'s window for ``day``: ``lookback`` days back, or
    :data:`~ingest.feeds.PAY_MONTH_DAYS` for pay months (payroll arrives weeks late)."""
    if feeds.feed(kind).window is Window.PAY_MONTH:
        return day - timedelta(days=feeds.PAY_MONTH_DAYS)
    return day - timedelta(days=lookback)


def _classify(
    obj: ObjectInfo, day: date, lookback: int, wanted: tuple[str, ...], city: str | None
) -> SeenObject | None:
    """What a daily discovery makes of one listed object: in its feed's window (listed),
    an unrecognised key, a new object whose partition lies before the window (late), or
    nothing to record (a photo, another city, a partition after the day)."""
    try:
        k = parse_key(obj.key)
    except ValueError as exc:
        return SeenObject(
            obj.key, obj.etag, obj.size, ListingStatus.UNRECOGNISED_KEY, reason=str(exc)
        )
    if not k.is_parsed or k.kind not in wanted:
        return None
    if city and k.project_code is not None and not k.project_code.startswith(city):
        return None
    seen = SeenObject(
        obj.key,
        obj.etag,
        obj.size,
        ListingStatus.LISTED,
        feed=k.kind,
        partition_date=k.partition_date,
        partition_month=k.pay_month,
    )
    partition = _partition_day(k)
    first = _window_start(k.kind, day, lookback)
    if partition is None or partition > day:
        return None
    if partition >= first:
        return seen
    return dataclasses.replace(
        seen,
        status=ListingStatus.LATE_BEYOND_LOOKBACK,
        reason=f"partition {partition} before the window of {day} (from {first})",
    )


def _list_window(
    settings: Settings, day: date, lookback: int, kinds: tuple[str, ...]
) -> list[ObjectInfo]:
    """The objects of ``kinds`` from their window's first partition on, without listing
    history: each root's project and device folders found with delimiter listings, then
    every folder listed from that partition (``StartAfter``), all concurrently.

    Only the layout's folders are walked: a key outside them (a stray top-level name, a
    file beside the ``dt=`` folders) is not seen, where the whole-bucket listing reports it
    as an unrecognised key."""
    s3 = settings.s3
    out: list[ObjectInfo] = []
    with ThreadPoolExecutor(max_workers=s3.concurrency) as pool:
        for root, root_kinds in layout.listing_roots(kinds).items():
            folders = [root.prefix]
            for _ in range(root.levels):
                folders = [f for sub in pool.map(lambda f: list_dirs(s3, f), folders) for f in sub]
            first = min(_window_start(k, day, lookback) for k in root_kinds)
            after = [layout.start_after(f, root, first) for f in folders]
            for objs in pool.map(lambda f, a: list(list_objects(s3, f, a)), folders, after):
                out += objs
    log.info("listed %d objects from %s on, per folder", len(out), day - timedelta(days=lookback))
    return out


def discover(
    settings: Settings,
    day: date,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    feeds: tuple[str, ...] = LOAD_ORDER,  # shadows the module inside: not used here
    city: str | None = None,
) -> Discovery:
    """New or changed objects per feed whose partition falls in the run's window.

    Late files (a device that uploads days later into the partition of the punch day) are
    picked up by the next run whose window covers their partition; unchanged objects
    (same key and etag as published) are skipped without being downloaded. With ``city``
    (4 digits) only that city's projects are loaded (project codes start with the area code).
    Every object version seen is recorded in the object ledger (``ops.object_ledger``):
    listed for its feed, an unrecognised key, or late beyond the look-back window.
    """
    wanted = feeds
    listing = (
        _list_window(settings, day, lookback_days, wanted)
        if settings.s3.listing == "prefix"
        else list_objects(settings.s3, "")
    )
    seen = [
        c for obj in listing if (c := _classify(obj, day, lookback_days, wanted, city)) is not None
    ]
    listed = [o for o in seen if o.status is ListingStatus.LISTED]
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        new = ledger.record(cur, day, seen)
        published: set[tuple[str, str]] = set()
        if listed:
            cur.execute(
                "select object_key, object_etag from ops.load_audit "
                "where object_key = any(%s) and status = 'published'",
                ([o.key for o in listed],),
            )
            published = set(cur.fetchall())
    unknown = sum(1 for o in seen if o.status is ListingStatus.UNRECOGNISED_KEY)
    late = sum(1 for o in seen if o.status is ListingStatus.LATE_BEYOND_LOOKBACK)
    if unknown:
        log.warning(
            "%d objects in the bucket match no landing-zone key pattern (%d new; see "
            "ops.object_ledger, outcome unrecognised_key)",
            unknown,
            new[ListingStatus.UNRECOGNISED_KEY],
        )
    if new[ListingStatus.LATE_BEYOND_LOOKBACK]:
        log.warning(
            "%d new objects lie in partitions before the %d-day look-back of %s and are not "
            "loaded (ops.object_ledger, outcome late_beyond_lookback)",
            new[ListingStatus.LATE_BEYOND_LOOKBACK],
            lookback_days,
            day,
        )
    out: dict[str, tuple[FoundObject, ...]] = {}
    in_window: dict[str, int] = {}
    by_feed: dict[str | None, list[SeenObject]] = {}
    for o in listed:
        by_feed.setdefault(o.feed, []).append(o)
    for name in wanted:
        mine = by_feed.get(name, [])
        in_window[name] = len(mine)
        out[name] = tuple(
            sorted(
                (FoundObject(o.key, o.etag) for o in mine if (o.key, o.etag) not in published),
                key=lambda o: o.key,
            )
        )
        log.info(
            "discover %s for %s: %d in window, %d new or changed",
            name,
            day,
            in_window[name],
            len(out[name]),
        )
    return Discovery(
        day=day.isoformat(),
        objects=out,
        in_window=in_window,
        unknown_keys=unknown,
        late_keys=late,
    )


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


def roster_periods(cur: psycopg2.extensions.cursor, projects: list[str]) -> RosterPeriods:
    """The published roster periods of ``projects`` (``ops.roster_periods``), read with
    one COPY into a frame."""
    buf = io.BytesIO()
    sql = cur.mogrify(
        "select project_code, employee_no, entry_date, exit_date from ops.roster_periods "
        "where project_code = any(%s)",
        (projects,),
    ).decode()
    cur.copy_expert(f"copy ({sql}) to stdout (format csv)", buf)
    buf.seek(0)
    frame = (
        pl.read_csv(buf, has_header=False, new_columns=list(ROSTER_SCHEMA), schema=ROSTER_SCHEMA)
        if buf.getbuffer().nbytes
        else pl.DataFrame(schema=ROSTER_SCHEMA)
    )
    return RosterPeriods(frame)


def landing_object(feed: str, key: str, data: bytes, etag: str | None) -> loader.LandingObject:
    """An object of ``feed`` with the values its key stamps on every row."""
    spec = feeds.feed(feed)
    k = try_parse_key(key)
    if k is None or k.kind != feed:
        raise DataError(f"not a {feed} landing key: {key!r}")
    # Values the object key says win over the rows (every row is filed under the object
    # it came from): the feed registry names them per dataset.
    context: dict[str, object] = {
        name: value
        for name in spec.key_fields
        if (value := getattr(k, feeds.KEY_FIELDS[name])) is not None
    }
    return loader.LandingObject(
        key=key,
        data=data,
        partition_date=k.partition_date,
        partition_month=k.pay_month,
        etag=etag,
        context=context,
    )


def stage_objects(
    cur: psycopg2.extensions.cursor,
    keys: PiiKeys,
    feed: str,
    day: date,
    load_id: str,
    landing: Sequence[loader.LandingObject],
) -> BatchResult:
    """Parse, validate and stage objects already in memory against the published
    registry and rosters: the columnar path when the feed has one, else object by
    object (benchmarks call this directly, without S3)."""
    spec = feeds.feed(feed)
    interval = Interval(day)
    known = _known_projects(cur) if spec.checks_registry else None
    roles = _device_roles(cur) if spec.checks_roster else None
    projects = sorted(
        {k.project_code for o in landing if (k := try_parse_key(o.key)) and k.project_code}
    )
    roster = roster_periods(cur, projects) if spec.checks_roster else None
    members = (
        known_members(cur, projects, day, member_salt(keys))
        if any(ds.versions is not None for ds in spec.datasets)
        else {}
    )

    def contexts(key: str) -> ParseContext:
        k = parse_key(key)
        # Punches of a project with no published roster at all cannot be checked against
        # one: they are loaded, and dbt's referential tests flag them.
        lookup = roster if roster and k.project_code in roster.projects_with_roster else None
        # A project no longer registered: every line is parsed (and quarantined) again.
        registered = known is None or k.project_code in known
        return ParseContext.of_key(
            k,
            interval_end=interval.end,
            known_projects=known,
            roster_lookup=lookup,
            device_roles=roles,
            roster_members=members.get(k.project_code or "") if registered else None,
        )

    def parse(obj: loader.LandingObject) -> ParseResult:
        return parse_object(obj.data, contexts(obj.key))

    batch_parser = spec.load_batch_parser()

    def parse_batch(objs: Sequence[loader.LandingObject]) -> BatchParse:
        assert batch_parser is not None
        inputs = [BatchInput(o.key, o.data, contexts(o.key)) for o in objs]
        parsed: BatchParse = batch_parser(inputs, roster.frame if roster else None)
        return parsed

    return loader.stage(
        cur,
        feed,
        load_id,
        landing,
        parse,
        keys,
        parse_batch=parse_batch if batch_parser is not None else None,
    )


def _download(settings: Settings, objects: Sequence[FoundObject]) -> list[bytes]:
    """The objects' bytes, fetched concurrently (S3 latency, not bandwidth, bounds a
    day of many small device files), in input order."""
    if len(objects) < 2:
        return [get_bytes(settings.s3, o.key) for o in objects]
    with ThreadPoolExecutor(max_workers=settings.s3.concurrency) as pool:
        return list(pool.map(lambda o: get_bytes(settings.s3, o.key), objects))


def stage_feed(
    settings: Settings, feed: str, day: date, objects: tuple[FoundObject, ...] | list[FoundObject]
) -> BatchResult:
    """Download, parse, validate and stage one feed's new objects as one batch."""
    spec = feeds.feed(feed)
    if not objects:
        return BatchResult(feed=feed, load_id=None)
    load_id = loader.make_load_id(feed, day, [f"{o.key}@{o.etag}" for o in objects])
    interval = Interval(day)
    for o in objects:
        landing_object(feed, o.key, b"", o.etag)  # a wrong key fails before any download
    landing = []
    deferred: list[SeenObject] = []
    for o, data in zip(objects, _download(settings, objects), strict=True):
        if spec.defer_future and _not_yet(data, interval, spec.defer_future):
            k = parse_key(o.key)
            deferred.append(
                SeenObject(
                    o.key,
                    o.etag,
                    len(data),
                    ListingStatus.DEFERRED,
                    feed=feed,
                    partition_date=k.partition_date,
                    partition_month=k.pay_month,
                    reason=spec.defer_future.reason(interval.day),
                )
            )
            continue
        landing.append(landing_object(feed, o.key, data, o.etag))
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        ledger.mark_deferred(cur, day, deferred)
        summary = stage_objects(cur, PiiKeys(settings.pii_secret), feed, day, load_id, landing)
    if deferred:
        log.info("%s: %d batches deferred (dated after %s)", load_id, len(deferred), interval.day)
    return dataclasses.replace(summary, deferred=len(deferred))


def _not_yet(data: bytes, interval: Interval, deferral: feeds.Deferral) -> bool:
    """True when some ``items[*].field`` date of the batch (a payroll line's balanceDate, a
    statement transaction's date) lies after the run's interval, none further than
    :data:`PAYROLL_DEFER_DAYS` ahead: the batch is loaded whole by the run that covers its
    last date. Unreadable batches are not deferred (the parser quarantines them)."""
    try:
        doc = json.loads(decode_bytes(data)[0])
        items = doc[deferral.items]
        dates = [date.fromisoformat(str(d[deferral.field])[:10]) for d in items]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return False
    if not dates:
        return False
    last_day = interval.day
    return last_day < max(dates) <= last_day + timedelta(days=PAYROLL_DEFER_DAYS)


def gate_feed(
    settings: Settings, feed: str, load_id: str, *, docs: bool = True
) -> gx_gate.GateOutcome:
    """Validate every dataset of a staged batch through the one gate entry point
    (:func:`ingest.quality.gate.gate`: all are recorded; Data Docs built once unless
    ``docs`` is false) and return its :class:`~ingest.quality.gate.GateOutcome`; raise
    :class:`~ingest.errors.GateFailed` naming every failed expectation."""
    return gx_gate.gate(settings, feed, load_id, docs=docs)


def publish_feed(settings: Settings, feed: str, load_id: str) -> BatchResult:
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "select count(*) filter (where not success) from ops.gate_results where load_id = %s",
            (load_id,),
        )
        row = cur.fetchone()
        if row and row[0]:
            raise DataError(f"batch {load_id} failed its gate: refusing to publish")
        return loader.publish(cur, feed, load_id)


def load_feed(
    settings: Settings,
    feed: str,
    day: date,
    objects: tuple[FoundObject, ...],
    *,
    docs: bool = False,
) -> BatchResult:
    """Stage → gate → publish one feed's objects (the DAG runs these as three tasks)."""
    staged = stage_feed(settings, feed, day, objects)
    if staged.load_id is None:
        return staged
    gate_feed(settings, feed, staged.load_id, docs=docs)
    published = publish_feed(settings, feed, staged.load_id)
    return dataclasses.replace(published, deferred=staged.deferred)


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
) -> FaceChunkResult:
    """Verify one chunk, then gate and publish it as a ``face`` batch."""
    from ingest.verification.run import verify_chunk

    staged = verify_chunk(settings, day, capture_keys)
    gate_feed(settings, "face", staged["load_id"], docs=docs)
    return FaceChunkResult(
        batch=publish_feed(settings, "face", staged["load_id"]),
        decisions=dict(staged["decisions"]),
    )


def detect_identity_fraud(
    settings: Settings, day: date, lookback_days: int = DEFAULT_LOOKBACK_DAYS
) -> FraudResult:
    """City-wide: one face under two IDs; one ID at two sites on one day."""
    from ingest.verification import fraud

    at = Interval(day).end
    return FraudResult(
        face=fraud.face_duplicates(settings, at),
        multi_site=fraud.multi_site(settings, at, day - timedelta(days=lookback_days)),
    )


def ingest_day(
    settings: Settings,
    day: date,
    feeds: tuple[str, ...] = LOAD_ORDER,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    *,
    faces: bool = True,
    docs: bool = False,
) -> DayResult:
    """All feeds for one day without Airflow (tests, benchmarks): stage → gate → publish,
    then face re-verification of the day's captures and the identity-fraud search.

    Data Docs re-render their index from every stored validation: the DAG builds them per
    batch; bulk loads (tests, benchmarks, backfills) skip them unless asked. Like the DAG's
    first task, the warehouse schema is migrated first (a no-op at head)."""
    prepare_warehouse(settings)
    out: dict[str, BatchResult] = {}
    # One listing for every feed, as the DAG's discover task does: loading one feed never
    # publishes another feed's objects, so what each feed finds is the same.
    found = discover(settings, day, lookback_days, feeds=feeds)
    for name in feeds:
        out[name] = load_feed(settings, name, day, found.for_feed(name), docs=docs)
    chunks: tuple[FaceChunkResult, ...] = ()
    fraud: FraudResult | None = None
    if faces:
        plan = plan_verification(settings, day, lookback_days)
        chunks = tuple(verify_captures(settings, day, chunk, docs=docs) for chunk in plan)
        fraud = detect_identity_fraud(settings, day, lookback_days)
    as_of = mark_day_loaded(settings, day)
    return DayResult(day.isoformat(), out, chunks, fraud, as_of.isoformat())
