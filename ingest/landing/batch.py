"""Columnar parsing of a batch of punch objects (both gate-device vendors).

The row parsers (:mod:`ingest.landing.zkteco`, :mod:`ingest.landing.hikvision`) define
what every record means. This module does the same work on a whole batch at once with
column operations (polars), which is what makes a city-day of punches load near the speed
of a plain ``COPY`` (``docs/ingest-columnar.md``):

- a vendor module turns the bytes of every object it can read *strictly* (the shape a
  healthy device writes: UTF-8, no padding, well-formed fields) into one frame of
  candidate records; every other object goes through the row parser unchanged, so
  odd files (GBK text, BOMs are fine, padded PINs, broken lines…) get exactly the
  row parser's answer;
- :func:`checks` applies the punch checks of :mod:`ingest.landing._punch` as vectorised
  masks giving the same reason codes in the same order, and the same flags and
  direction;
- the result is one :class:`BatchParse`: a COPY-ready frame of loaded rows for all
  objects plus one :class:`~ingest.landing.model.ParseResult` per object carrying its
  accounting and rejects (``loaded_rows`` set, ``rows`` empty).

``tests/unit/test_batch_parse.py`` holds the two paths equal on every fixture and on
every object of a planted city.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl

from ingest import feeds
from ingest.landing import codes
from ingest.landing import reasons as R
from ingest.landing.context import ParseContext
from ingest.landing.model import ParseResult, Reject
from ingest.schedule import SHANGHAI

__all__ = [
    "ROSTER_SCHEMA",
    "BatchInput",
    "BatchParse",
    "ObjectFacts",
    "RosterPeriods",
    "checks",
    "empty_frame",
    "reason_list",
    "rows_to_frame",
]

#: Roster periods the punches are checked against (``ops.roster_periods``).
ROSTER_SCHEMA = {
    "project_code": pl.String,
    "employee_no": pl.String,
    "entry_date": pl.Date,
    "exit_date": pl.Date,
}


class RosterPeriods:
    """``(project, employee_no, day) -> on the roster?`` over roster periods (rows of
    ``ops.roster_periods``): :attr:`frame` for the columnar path, callable for the row
    parsers (its index is built on first call)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        # sorted by project: the columnar checks slice it to a batch's projects (on_roster)
        self.frame = frame.select([pl.col(n).cast(t) for n, t in ROSTER_SCHEMA.items()]).sort(
            "project_code"
        )
        self.projects_with_roster = frozenset(self.frame["project_code"].unique().to_list())
        self._periods: dict[tuple[str, str], list[tuple[date | None, date | None]]] | None = None

    @classmethod
    def of(cls, rows: Iterable[tuple[str, str, date | None, date | None]]) -> RosterPeriods:
        return cls(pl.DataFrame(list(rows), schema=ROSTER_SCHEMA, orient="row"))

    def __call__(self, project: str, employee_no: str, day: date) -> bool:
        if self._periods is None:
            self._periods = {}
            for p, e, a, b in self.frame.iter_rows():
                self._periods.setdefault((p, e), []).append((a, b))
        for entry, exit_ in self._periods.get((project, employee_no), ()):
            if (entry is None or entry <= day) and (exit_ is None or day <= exit_):
                return True
        return False


@dataclass(frozen=True, slots=True)
class BatchInput:
    """One object of the batch: its key, bytes and the row parser's context."""

    key: str
    data: bytes
    ctx: ParseContext


@dataclass(frozen=True, slots=True)
class BatchParse:
    """Loaded rows of every object (column ``obj`` = index into ``results``) and one
    accounting result per object, in input order."""

    frame: pl.DataFrame
    results: tuple[ParseResult, ...]
    row_parsed: int = 0  # objects the fast path left to the row parser


_PG_TYPES: dict[str, Any] = {
    "text": pl.String,
    "integer": pl.Int64,
    "date": pl.Date,
    "timestamptz": pl.String,  # ISO text with its offset: COPY parses it
    "text[]": pl.String,  # a PostgreSQL array literal
    "boolean": pl.Boolean,
}


def frame_schema(feed: str) -> dict[str, Any]:
    """The loaded-rows frame of ``feed``: ``obj``, ``record_no`` and every stored parsed
    column (personal-data columns never reach the frame)."""
    ds = feeds.feed(feed).main
    out: dict[str, Any] = {"obj": pl.UInt32, "record_no": pl.Int64}
    for c in ds.parsed:
        if c.pg_type != feeds.PII:
            out[c.name] = _PG_TYPES[c.pg_type]
    return out


def empty_frame(feed: str) -> pl.DataFrame:
    return pl.DataFrame(schema=frame_schema(feed))


def _cell(value: Any, pg_type: str) -> Any:
    if value is None:
        return None
    if pg_type == "timestamptz":
        assert isinstance(value, datetime)
        return value.isoformat()
    if pg_type == "text[]":
        return "{" + ",".join(value) + "}"
    return value


def rows_to_frame(feed: str, obj: int, rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """The row parser's rows of one object as a frame of :func:`frame_schema`."""
    schema = frame_schema(feed)
    types = {c.name: c.pg_type for c in feeds.feed(feed).main.parsed}
    data: dict[str, list[Any]] = {name: [] for name in schema}
    for row in rows:
        data["obj"].append(obj)
        data["record_no"].append(row["record_no"])
        for name in list(schema)[2:]:
            data[name].append(_cell(row.get(name), types[name]))
    return pl.DataFrame(data, schema=schema)


@dataclass(frozen=True, slots=True)
class ObjectFacts:
    """Per-object inputs of the punch checks, derived once from each object's context."""

    frame: pl.DataFrame

    @classmethod
    def of(cls, contexts: Sequence[ParseContext]) -> ObjectFacts:
        rows: dict[str, list[Any]] = {
            "obj": [],
            "project_code": [],
            "partition_date": [],
            "interval_end": [],
            "known_project": [],
            "roster_checked": [],
            "unknown_device": [],
            "channel_direction": [],
        }
        for i, ctx in enumerate(contexts):
            end = ctx.interval_end
            rows["obj"].append(i)
            rows["project_code"].append(ctx.project_code)
            rows["partition_date"].append(ctx.partition_date)
            # Local wall-clock time: the zone has no DST, comparisons stay exact.
            rows["interval_end"].append(
                None if end is None else end.astimezone(SHANGHAI).replace(tzinfo=None)
            )
            rows["known_project"].append(
                ctx.known_projects is None
                or ctx.project_code is None
                or ctx.project_code in ctx.known_projects
            )
            rows["roster_checked"].append(
                ctx.roster_lookup is not None and ctx.project_code is not None
            )
            roles = ctx.device_roles
            rows["unknown_device"].append(roles is not None and ctx.device_sn not in roles)
            role = roles.get(ctx.device_sn) if roles is not None and ctx.device_sn else None
            rows["channel_direction"].append(
                None if role is None else codes.direction_of(codes.DEVICE_ROLE, role)
            )
        schema: dict[str, Any] = {
            "obj": pl.UInt32,
            "project_code": pl.String,
            "partition_date": pl.Date,
            "interval_end": pl.Datetime("us"),
            "known_project": pl.Boolean,
            "roster_checked": pl.Boolean,
            "unknown_device": pl.Boolean,
            "channel_direction": pl.String,
        }
        return cls(pl.DataFrame(rows, schema=schema))


def with_object_columns(frame: pl.DataFrame, per_object: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the other columns of ``per_object`` (row *i* describes object *i*,
    column ``obj``) picked by each row's ``obj``: a direct gather, not a hash join of a
    million rows against a few thousand (the same rows in the same order)."""
    picked = per_object.drop("obj").select(pl.all().gather(frame["obj"]))
    return frame.hstack(picked)


def reason_list(*pairs: tuple[pl.Expr, str]) -> pl.Expr:
    """A list column of the codes whose condition holds, in the given order."""
    return pl.concat_list(
        [
            pl.when(cond).then(pl.lit(code)).otherwise(pl.lit(None, pl.String))
            for cond, code in pairs
        ]
    ).list.drop_nulls()


def on_roster(candidates: pl.DataFrame, roster: pl.DataFrame | None) -> pl.Series:
    """Per candidate: is (project, employee_no) on the roster on the punch's local day?"""
    keys = ["project_code", "employee_no", "work_date"]
    if roster is None or roster.is_empty():
        return pl.Series("on_roster", [False] * candidates.height, pl.Boolean)
    wanted = candidates.select(keys).unique()
    projects = wanted["project_code"].drop_nulls()
    if roster["project_code"].flags["SORTED_ASC"] and not projects.is_empty():
        # Only the batch's projects: a slice of the sorted roster (a chunk of a city-day
        # names a few hundred of its thousands of sites), not a join of all of it.
        column = roster["project_code"]
        first, last = str(projects.min()), str(projects.max())
        lo = int(column.search_sorted(first, side="left"))
        hi = int(column.search_sorted(last, side="right"))
        roster = roster.slice(lo, hi - lo)
    hits = (
        wanted.join(roster, on=["project_code", "employee_no"], how="inner")
        .filter(
            (pl.col("entry_date").is_null() | (pl.col("entry_date") <= pl.col("work_date")))
            & (pl.col("exit_date").is_null() | (pl.col("work_date") <= pl.col("exit_date")))
        )
        .select(keys)
        .unique()
        .with_columns(on_roster=pl.lit(True))
    )
    joined = candidates.select(keys).join(hits, on=keys, how="left", maintain_order="left")
    return joined["on_roster"].fill_null(False)


def flag_text(*pairs: tuple[pl.Expr, str]) -> pl.Expr:
    """A PostgreSQL ``text[]`` literal of the codes whose condition holds, in order."""
    codes_ = [pl.when(cond).then(pl.lit(code)) for cond, code in pairs]
    return pl.concat_str(
        [pl.lit("{"), pl.concat_str(codes_, separator=",", ignore_nulls=True), pl.lit("}")]
    )


def checks(
    candidates: pl.DataFrame,
    facts: ObjectFacts,
    roster: pl.DataFrame | None,
    status_table: str,
    extra_flags: Callable[[], list[tuple[pl.Expr, str]]] = list,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply the punch checks to ``candidates`` (columns ``obj``, ``record_no``,
    ``employee_no``, ``local`` (naive local datetime), ``punch_at`` (its ISO text with
    ``+08:00``), ``status_code`` (text or null) and the vendor's own): return ``(loaded,
    rejected)``; ``loaded`` gains ``work_date``, ``direction``, ``direction_source`` and
    ``flags``, ``rejected`` gains ``reasons``. Same order of codes as
    :func:`ingest.landing._punch.punch_checks`."""
    f = with_object_columns(
        candidates.with_columns(work_date=pl.col("local").dt.date()), facts.frame
    )
    f = f.with_columns(on_roster=on_roster(f, roster))
    rules = (
        (
            pl.col("interval_end").is_not_null() & (pl.col("local") > pl.col("interval_end")),
            R.FUTURE_TIMESTAMP,
        ),
        (
            pl.col("partition_date").is_not_null()
            & ((pl.col("work_date") - pl.col("partition_date")).dt.total_days().abs() > 1),
            R.TIMESTAMP_OUTSIDE_PARTITION,
        ),
        (~pl.col("known_project"), R.UNKNOWN_PROJECT),
        (pl.col("roster_checked") & ~pl.col("on_roster"), R.UNKNOWN_EMPLOYEE),
    )
    f = f.with_columns(bad=pl.any_horizontal([cond for cond, _ in rules]))
    rejected = f.filter("bad").with_columns(reasons=reason_list(*rules))
    loaded = f.filter(~pl.col("bad"))

    table = codes.table(status_table)
    known = list(table)
    by_status = {c: d for c in known if (d := codes.direction_of(status_table, c)) is not None}
    status = pl.col("status_code")
    status_dir = status.replace_strict(by_status, default=None, return_dtype=pl.String)
    channel = pl.col("channel_direction")
    loaded = loaded.with_columns(
        direction=pl.coalesce(status_dir, channel),
        direction_source=pl.when(status_dir.is_not_null())
        .then(pl.lit("status"))
        .when(channel.is_not_null())
        .then(pl.lit("channel"))
        .otherwise(pl.lit(None, pl.String)),
        flags=flag_text(
            (pl.col("unknown_device"), R.UNKNOWN_DEVICE),
            *extra_flags(),
            (status.is_not_null() & ~status.is_in(known), R.UNKNOWN_PUNCH_STATUS),
        ),
    )
    return loaded, rejected


def add_rejects(results: Sequence[ParseResult], rejected: pl.DataFrame, key: str | None) -> None:
    """Append the rejected candidates to their objects' results (in record order)."""
    cols = ["obj", "record_no", "raw", "reasons"] + ([key] if key else [])
    for row in rejected.select(cols).sort("obj", "record_no").iter_rows():
        k = row[4] if key else None
        results[row[0]].rejects.append(
            Reject(row[1], row[2], tuple(row[3]), key=None if k is None else str(k))
        )


def finish(
    feed: str,
    loaded_parts: list[pl.DataFrame],
    results: list[ParseResult],
    row_parsed: int,
) -> BatchParse:
    """Concatenate the loaded rows (fast path and row-parser objects) and set each
    object's ``loaded_rows``; check every object's accounting."""
    schema = frame_schema(feed)
    parts = [p.select([pl.col(n).cast(t) for n, t in schema.items()]) for p in loaded_parts]
    frame = pl.concat(parts) if parts else empty_frame(feed)
    counts = dict(frame.group_by("obj").len().iter_rows()) if frame.height else {}
    for i, r in enumerate(results):
        r.loaded_rows = int(counts.get(i, 0))
        r.check_accounting()
    return BatchParse(frame, tuple(results), row_parsed)


def complete(
    feed: str,
    inputs: Sequence[BatchInput],
    results: list[ParseResult],
    loaded: pl.DataFrame,
    fast_objs: set[int],
    parse: Callable[[bytes, ParseContext], ParseResult],
) -> BatchParse:
    """The fast path's loaded rows plus every other object through the row parser."""
    parts = [loaded]
    for i, inp in enumerate(inputs):
        if i not in fast_objs:
            results[i], frame = row_parsed(feed, i, inp, parse)
            parts.append(frame)
    return finish(feed, parts, results, len(parts) - 1)


def row_parsed(
    feed: str, obj: int, inp: BatchInput, parse: Callable[[bytes, ParseContext], ParseResult]
) -> tuple[ParseResult, pl.DataFrame]:
    """An object the fast path does not take: the row parser's answer, as a frame."""
    result = parse(inp.data, inp.ctx)
    frame = rows_to_frame(feed, obj, result.rows)
    result.rows = []
    return result, frame
