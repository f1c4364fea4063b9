"""Write → audit → publish for one batch of landing objects of one feed.

``stage`` parses objects and ``COPY``s their rows into ``staging.<dataset>`` (rejects into
``ops.quarantine``) with one ``ops.load_audit`` row per object and one
``ops.load_audit_entity`` row per object and entity; the gate validates the staged batch;
``publish`` moves it into ``raw.<dataset>`` in one transaction. Each step is idempotent:
the same objects give the same ``load_id`` and the same rows.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl
import psycopg2.extensions

from ingest import feeds
from ingest.landing.batch import BatchParse, with_object_columns
from ingest.landing.model import Counts, ParseResult
from ingest.landing.redact import redact
from ingest.results import BatchResult
from ingest.warehouse.datasets import BOOKKEEPING, Dataset, feed_datasets
from ingest.warehouse.db import COPY_READ, copy_in, copy_rows, copy_text
from ingest.warehouse.pii import IdentitySink, PiiKeys, scrub

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LandingObject:
    key: str
    data: bytes
    partition_date: date | None = None
    partition_month: str | None = None
    etag: str | None = None
    # Values that come from the object key (project, device, partition): they win over
    # whatever the rows say, so every row is filed under the object it came from.
    context: dict[str, object] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def make_load_id(feed: str, day: date, fingerprints: Sequence[str]) -> str:
    joined = "\n".join(sorted(fingerprints)).encode()
    digest = hashlib.sha1(joined, usedforsecurity=False).hexdigest()[:12]
    return f"{feed}:{day:%Y%m%d}:{digest}"


def load_ids_of_day(day: date) -> str:
    """SQL ``LIKE`` pattern matching the load id of every batch of ``day``'s run, whatever
    its feed (:func:`make_load_id`)."""
    return f"%:{day:%Y%m%d}:%"


def published_versions(
    cur: psycopg2.extensions.cursor, keys: Sequence[str]
) -> set[tuple[str, str]]:
    cur.execute(
        "select object_key, object_sha256 from ops.load_audit "
        "where object_key = any(%s) and status = 'published'",
        (list(keys),),
    )
    return {(k, s) for k, s in cur.fetchall()}


def _clear(
    cur: psycopg2.extensions.cursor,
    datasets: Sequence[Dataset],
    load_id: str,
    versions: Sequence[tuple[str, str]],
) -> None:
    """Forget earlier, unpublished staging of this batch and of these object versions (a
    version that failed its gate comes back under another load id once it is fixed
    upstream or the gate changes)."""
    keys = [k for k, _ in versions]
    shas = [s for _, s in versions]
    match = (
        "(load_id = %s or (object_key, object_sha256) in "
        "(select * from unnest(%s::text[], %s::text[])))"
    )
    for ds in datasets:
        cur.execute(f"delete from staging.{ds.name} where {match}", (load_id, keys, shas))
    cur.execute("delete from staging.worker_identity where load_id = %s", (load_id,))
    cur.execute("delete from staging.bank_cards where load_id = %s", (load_id,))
    cur.execute(f"delete from ops.quarantine where {match}", (load_id, keys, shas))
    cur.execute(
        f"delete from ops.load_audit where status <> 'published' and {match}", (load_id, keys, shas)
    )


#: A batch of this many objects refreshes ``ops.load_audit``'s statistics (see _audit).
_ANALYZE_AFTER = 1000
#: Statistics target of a staging table's ANALYZE: a sample of 300 × this many rows. The
#: gate's plans need the batch's size and rough key cardinalities, not fine histograms:
#: 10 samples 3,000 rows (0.02 s on a city-day's punches) where the default 100 samples
#: 30,000 (0.3-0.45 s per feed, most of the table's pages read).
_STAGING_STATISTICS = 10


def analyze_sample(cur: psycopg2.extensions.cursor, table: str) -> None:
    """ANALYZE ``table`` from a small sample (:data:`_STAGING_STATISTICS`); the session's
    statistics target is restored for whatever the transaction analyses next."""
    cur.execute("select current_setting('default_statistics_target')")
    row = cur.fetchone()
    cur.execute("set local default_statistics_target = %s", (_STAGING_STATISTICS,))
    cur.execute(f"analyze {table}")
    cur.execute(
        "select set_config('default_statistics_target', %s, true)", (row[0] if row else "100",)
    )


_QUARANTINE_COLUMNS = (
    "load_id",
    "object_key",
    "object_sha256",
    "reject_no",
    "feed",
    "entity",
    "record_no",
    "child_no",
    "record_key",
    "reasons",
    "raw_text",
    "raw_enc",
)


def _reject_rows(
    feed: str,
    load_id: str,
    parsed: Sequence[tuple[LandingObject, str, ParseResult]],
    keys: PiiKeys,
) -> Iterator[list[object]]:
    """``ops.quarantine`` rows of every reject of ``parsed``: redacted, with the exact text
    encrypted."""
    for obj, sha, result in parsed:
        for n, r in enumerate(result.rejects, start=1):
            yield [
                load_id,
                obj.key,
                sha,
                n,
                feed,
                r.entity or result.kind,
                r.record_no,
                r.child_no,
                r.key,
                list(r.reasons),
                redact(r.raw),
                keys.encrypt(r.raw),
            ]


_AUDIT_COLUMNS = (
    "object_key",
    "object_sha256",
    "object_size",
    "object_etag",
    "feed",
    "partition_date",
    "partition_month",
    "load_id",
    "rows_read",
    "rows_quarantined",
    "duplicates",
    "ignored",
    "ignored_by",
    "encoding",
)
_AUDIT_ENTITY_COLUMNS = (
    "object_key",
    "object_sha256",
    "entity",
    "dataset",
    "load_id",
    "rows_read",
    "rows_quarantined",
    "duplicates",
    "ignored",
)


@dataclass(frozen=True, slots=True)
class _AuditText:
    """Audit rows of some objects in COPY text format (``ops.load_audit`` and
    ``ops.load_audit_entity``), with the objects' totals."""

    audit: str
    entities: str
    totals: list[Counts]

    @classmethod
    def of(
        cls,
        feed: str,
        load_id: str,
        parsed: Sequence[tuple[LandingObject, str, ParseResult]],
        datasets: Sequence[Dataset],
        per_entity: Sequence[dict[str, Counts]],
    ) -> _AuditText:
        totals = [Counts.sum(c.values()) for c in per_entity]
        audit, _ = copy_text(
            (
                obj.key,
                sha,
                len(obj.data),
                obj.etag,
                feed,
                obj.partition_date,
                obj.partition_month,
                load_id,
                t.read,
                t.quarantined,
                t.duplicates,
                t.ignored,
                json.dumps(result.ignored_by),
                result.encoding,
            )
            for (obj, sha, result), t in zip(parsed, totals, strict=True)
        )
        by_entity = accounting_datasets(datasets)
        entities, _ = copy_text(
            (
                obj.key,
                sha,
                entity,
                by_entity.get(entity, entity),
                load_id,
                c.read,
                c.quarantined,
                c.duplicates,
                c.ignored,
            )
            for (obj, sha, _), entities in zip(parsed, per_entity, strict=True)
            for entity, c in entities.items()
        )
        return cls(audit, entities, totals)


def _audit(
    cur: psycopg2.extensions.cursor,
    staged: Sequence[tuple[LandingObject, str]],
    texts: Sequence[_AuditText],
) -> None:
    """One ``ops.load_audit`` row per object and one ``ops.load_audit_entity`` row per
    object and entity, for the whole batch in a few statements."""
    cols = ", ".join(_AUDIT_COLUMNS)
    cur.execute(
        f"create temporary table if not exists _audit_in on commit drop as "
        f"select {cols} from ops.load_audit with no data"
    )
    cur.execute("truncate _audit_in")
    copy_in(cur, "_audit_in", _AUDIT_COLUMNS, "".join(t.audit for t in texts))
    cur.execute(
        f"""insert into ops.load_audit ({cols}, rows_loaded, status)
            select {cols}, 0, 'staged' from _audit_in
            on conflict (object_key, object_sha256) do update set
                load_id = excluded.load_id, object_etag = excluded.object_etag,
                rows_read = excluded.rows_read, rows_loaded = 0,
                rows_quarantined = excluded.rows_quarantined,
                duplicates = excluded.duplicates, ignored = excluded.ignored,
                ignored_by = excluded.ignored_by, encoding = excluded.encoding,
                status = 'staged', staged_at = clock_timestamp()"""
    )
    if len(staged) >= _ANALYZE_AFTER:
        # The per-row foreign-key checks of the entity rows below are planned from the
        # table's statistics: on a young warehouse they say "tiny" and each check scans
        # the table, quadratic in the batch (19 s for the 16k objects of a city-day).
        cur.execute("analyze ops.load_audit")
    cur.execute(
        "delete from ops.load_audit_entity where (object_key, object_sha256) in "
        "(select * from unnest(%s::text[], %s::text[]))",
        ([o.key for o, _ in staged], [sha for _, sha in staged]),
    )
    copy_in(cur, "ops.load_audit_entity", _AUDIT_ENTITY_COLUMNS, "".join(t.entities for t in texts))


def _row_values(
    ds: Dataset,
    load_id: str,
    obj: LandingObject,
    sha: str,
    result: ParseResult,
    keys: PiiKeys,
    sink: IdentitySink,
) -> Iterator[list[object]]:
    """One object's rows of one dataset as staging rows (row path); personal data scrubbed
    into ``sink``."""
    rows = result.rows if ds.entity == result.kind else result.children.get(ds.entity, [])
    if ds.versions is not None and ds.entity == result.kind:
        rows = [r for r in rows if not r.get("reused")]  # an earlier version's: not again
    names = ds.column_names  # a computed property: once per object, not per row
    for row in (scrub(ds, r, keys, sink) for r in rows):
        yield [
            load_id,
            obj.key,
            sha,
            row["record_no"],
            *(obj.context[c] if c in obj.context else row.get(c) for c in names),
        ]


def accounting_datasets(datasets: Sequence[Dataset]) -> dict[str, str]:
    """The dataset whose rows count an entity's loaded rows, by entity: the plain one
    where an entity has a plain and a versioned dataset (a roster's members, not the
    versions of their contents)."""
    out: dict[str, str] = {}
    for ds in sorted(datasets, key=lambda d: d.versions is None):
        out[ds.entity] = ds.name
    return out


def _staging_columns(ds: Dataset) -> list[str]:
    return [c.name for c in BOOKKEEPING] + list(ds.column_names)


@dataclass(frozen=True, slots=True)
class _FrameRows:
    """The columnar path's rows of one chunk as COPY input: CSV written by the frame
    library in the worker thread, so the main thread only streams it to the server."""

    csv: bytes
    columns: tuple[str, ...]
    rows: int


def _frame_rows(
    ds: Dataset,
    load_id: str,
    objects: Sequence[LandingObject],
    shas: Sequence[str],
    frame: pl.DataFrame,
) -> _FrameRows:
    """The columnar path's rows of a chunk as staging rows, in one CSV stream (no per-row
    Python). Key values stamp every row, as on the row path: the object's context wins
    over what the row says."""
    if ds.scrub is not None or ds.pii_columns & set(frame.columns):
        raise ValueError(f"{ds.name}: personal data cannot take the columnar path")
    columns = tuple(_staging_columns(ds))  # the bookkeeping columns, then the data
    if frame.is_empty():
        return _FrameRows(b"", columns, 0)
    stamped = {c for c in ds.column_names if all(c in o.context for o in objects)}
    per_object = pl.DataFrame(
        {
            "obj": pl.Series(range(len(objects)), dtype=pl.UInt32),
            "object_key": [o.key for o in objects],
            "object_sha256": list(shas),
            **{c: [o.context[c] for o in objects] for c in sorted(stamped)},
        }
    )
    body = frame.drop([c for c in stamped if c in frame.columns])
    out = with_object_columns(body, per_object).select(
        pl.lit(load_id).alias(c) if c == "load_id" else pl.col(c) for c in columns
    )
    buf = io.BytesIO()
    out.write_csv(buf, include_header=False, quote_style="necessary", null_value="")
    return _FrameRows(buf.getvalue(), columns, out.height)


def _copy_frame_rows(cur: psycopg2.extensions.cursor, ds: Dataset, rows: _FrameRows) -> int:
    if rows.rows:
        cur.copy_expert(
            f"copy staging.{ds.name} ({', '.join(rows.columns)}) from stdin (format csv)",
            io.BytesIO(rows.csv),
            size=COPY_READ,
        )
    return rows.rows


#: A batch is parsed in up to this many chunks of about equal bytes, each at least
#: ``_CHUNK_MIN_BYTES``: chunk *n + 1* is parsed in a worker thread while chunk *n*'s rows
#: are COPYed (the server's work and the client's overlap on two cores). Nothing overlaps
#: the first chunk's parse, so a batch of several chunks starts with a head of
#: 1/``_HEAD_SHARE`` of an equal share (measured on a city-day: the wait before the first COPY
#: went from 0.35-0.6 s to about a quarter of that per feed).
_CHUNKS_MAX = 6
_CHUNK_MIN_BYTES = 4 << 20
_HEAD_SHARE = 4


def _chunks(objects: Sequence[LandingObject]) -> list[Sequence[LandingObject]]:
    total = sum(len(o.data) for o in objects)
    n = max(1, min(_CHUNKS_MAX, total // _CHUNK_MIN_BYTES))
    head = total / n / _HEAD_SHARE
    # cumulative byte bounds: the head, then n - 1 equal chunks of the rest
    bounds = [head + (total - head) * k / (n - 1) for k in range(n)] if n > 1 else [total]
    out: list[Sequence[LandingObject]] = []
    start = filled = 0
    for i, o in enumerate(objects):
        filled += len(o.data)
        if len(out) < len(bounds) - 1 and filled >= bounds[len(out)]:
            out.append(objects[start : i + 1])
            start = i + 1
    out.append(objects[start:])
    return [c for c in out if c]


@dataclass(frozen=True, slots=True)
class _ParsedChunk:
    """What the worker thread makes of one chunk: its objects with their digests (their
    results' accounting checked), its rows (COPY input per dataset: CSV on the columnar
    path, COPY text and a count on the row path), its rejects in COPY text, its audit
    rows."""

    objects: list[tuple[LandingObject, str]]  # the results are not kept: their rows
    # are in the texts or the CSV (a roster snapshot's parsed rows took gigabytes)
    frame: _FrameRows | None
    texts: dict[str, tuple[str, int]]
    rejects: str
    audit: _AuditText


def _parsed_chunks(
    objects: Sequence[LandingObject],
    shas: Sequence[str],
    work: Callable[[Sequence[LandingObject], Sequence[str]], _ParsedChunk],
) -> Iterator[_ParsedChunk]:
    """Each chunk's :class:`_ParsedChunk` in order, the next chunk's made in a worker
    thread while the caller COPYs the current one."""
    chunks = _chunks(objects)
    starts = [0]
    for c in chunks:
        starts.append(starts[-1] + len(c))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse") as pool:
        pending = pool.submit(work, chunks[0], shas[: starts[1]])
        for i in range(len(chunks)):
            done = pending.result()
            if i + 1 < len(chunks):
                pending = pool.submit(work, chunks[i + 1], shas[starts[i + 1] : starts[i + 2]])
            yield done


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a batch is parsed and COPYed: the
    batch allocates millions of small acyclic objects, each generation-2 pass walks every
    object of the process (the landing bytes, the parsed frames' Python side), measured at
    0.5 s of a city-day's 7 s of client CPU. Collection resumes afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def stage(
    cur: psycopg2.extensions.cursor,
    feed: str,
    load_id: str,
    objects: Sequence[LandingObject],
    parse: Callable[[LandingObject], ParseResult],
    keys: PiiKeys,
    parse_batch: Callable[[Sequence[LandingObject]], BatchParse] | None = None,
) -> BatchResult:
    """Parse and stage ``objects``; objects already published unchanged are skipped.

    With ``parse_batch`` (feeds the registry gives a columnar parser) each chunk of the
    batch is parsed in one pass and its rows COPYed in one stream; otherwise object by
    object, each chunk's rows COPYed per dataset. Either way a worker thread parses the
    next chunk while this one is COPYed (:func:`_parsed_chunks`)."""
    datasets = feed_datasets(feed)
    counts: Counter[str] = Counter()
    by_dataset: dict[str, int] = {}
    done = published_versions(cur, [o.key for o in objects])
    new = [(o, sha) for o in objects if (o.key, sha := o.sha256) not in done]  # hashed once
    todo = [o for o, _ in new]
    shas = [sha for _, sha in new]
    counts["skipped_unchanged"] = len(objects) - len(todo)
    _clear(cur, datasets, load_id, list(zip([o.key for o in todo], shas, strict=True)))
    sink = IdentitySink()
    staged: list[tuple[LandingObject, str]] = []
    audits: list[_AuditText] = []
    rejects: list[str] = []
    batch_parse = parse_batch

    def work(objs: Sequence[LandingObject], digests: Sequence[str]) -> _ParsedChunk:
        frame = None
        texts: dict[str, tuple[str, int]] = {}
        if batch_parse is not None:
            batch = batch_parse(objs)
            results = list(batch.results)
            (ds,) = datasets
            frame = _frame_rows(ds, load_id, objs, digests, batch.frame)
        else:
            results = [parse(o) for o in objs]
        chunk = list(zip(objs, digests, results, strict=True))
        for result in results:
            result.check_accounting()
        if batch_parse is None:
            for ds in datasets:
                texts[ds.name] = copy_text(
                    row
                    for obj, sha, result in chunk
                    for row in _row_values(ds, load_id, obj, sha, result, keys, sink)
                )
        rejects, _ = copy_text(_reject_rows(feed, load_id, chunk, keys))
        audit = _AuditText.of(feed, load_id, chunk, datasets, [r.counts() for r in results])
        return _ParsedChunk([(o, sha) for o, sha, _ in chunk], frame, texts, rejects, audit)

    if todo:
        with _collector_paused():
            for part in _parsed_chunks(todo, shas, work):
                if part.frame is not None:
                    (ds,) = datasets
                    n = _copy_frame_rows(cur, ds, part.frame)
                    by_dataset[ds.name] = by_dataset.get(ds.name, 0) + n
                for ds in datasets:
                    if ds.name in part.texts:
                        text, n = part.texts[ds.name]
                        copy_in(cur, f"staging.{ds.name}", _staging_columns(ds), text)
                        by_dataset[ds.name] = by_dataset.get(ds.name, 0) + n
                staged += part.objects
                rejects.append(part.rejects)
                audits.append(part.audit)
    counts["rows_staged"] = sum(by_dataset.values())
    for name, n in by_dataset.items():
        if n >= _ANALYZE_AFTER:
            # The gate's queries are planned from the staging table's statistics; a table
            # that was empty when last analysed gets nested loops over the whole batch
            # (one roster check ran for over 10 minutes on a city-day without this).
            analyze_sample(cur, f"staging.{name}")
    copy_in(cur, "ops.quarantine", _QUARANTINE_COLUMNS, "".join(rejects))
    totals = [t for a in audits for t in a.totals]
    if staged:
        _audit(cur, staged, audits)
    for t in totals:
        counts["objects"] += 1
        counts["rows_read"] += t.read
        counts["rows_quarantined"] += t.quarantined
        counts["duplicates"] += t.duplicates
        counts["ignored"] += t.ignored
    copy_rows(
        cur,
        "staging.worker_identity",
        [
            "load_id",
            "worker_key",
            "id_card_type",
            "id_card_number_enc",
            "worker_name_enc",
            "cell_phone_enc",
            "bank_card_number_enc",
        ],
        (
            [
                load_id,
                wk,
                v.get("id_card_type"),
                keys.encrypt(v.get("id_card_number")),
                keys.encrypt(v.get("worker_name")),
                keys.encrypt(v.get("cell_phone")),
                keys.encrypt(v.get("bank_card_number")),
            ]
            for wk, v in sorted(sink.rows.items())
        ),
    )
    copy_rows(
        cur,
        "staging.bank_cards",
        ["load_id", "bank_card_key", "bank_card_number_enc"],
        ([load_id, k, keys.encrypt(v)] for k, v in sorted(sink.cards.items())),
    )
    staged_batch = BatchResult(feed=feed, load_id=load_id, datasets=by_dataset, **counts)
    log.info("staged %s", staged_batch)
    return staged_batch


def partition_name(ds: Dataset, month: date) -> str:
    """``raw.<name>_YYYYMM``: the month's partition of a partitioned dataset."""
    return f"raw.{ds.name}_{month:%Y%m}"


def ensure_partitions(cur: psycopg2.extensions.cursor, ds: Dataset, load_id: str) -> list[str]:
    """Create the monthly partitions of ``raw.<name>`` that the staged batch needs (by its
    ``partition_by`` dates) and do not exist yet; return the ones created."""
    assert ds.partition_by is not None
    cur.execute(
        f"select distinct date_trunc('month', {ds.partition_by})::date "
        f"from staging.{ds.name} where load_id = %s",
        (load_id,),
    )
    return create_month_partitions(cur, ds, [month for (month,) in cur.fetchall()])


def create_month_partitions(
    cur: psycopg2.extensions.cursor, ds: Dataset, months: Iterable[date]
) -> list[str]:
    """Create the partitions of ``raw.<name>`` for ``months`` (any day of each) that do not
    exist yet; return the ones created."""
    created = []
    for month in sorted({m.replace(day=1) for m in months}):
        name = partition_name(ds, month)
        cur.execute("select to_regclass(%s) is null", (name,))
        row = cur.fetchone()
        if row and row[0]:
            upper = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
            cur.execute(
                f"create table if not exists {name} partition of raw.{ds.name} "
                "for values from (%s) to (%s)",
                (month, upper),
            )
            created.append(name)
    if created:
        log.info("created partitions %s", ", ".join(created))
    return created


def publish(cur: psycopg2.extensions.cursor, feed: str, load_id: str) -> BatchResult:
    """Move a gated batch from staging into raw in the caller's transaction.

    A replaced object (same key, new sha256) first loses its earlier version's rows; rows
    whose natural key is already in ``raw`` (resends across files) count as duplicates.
    """
    counts: Counter[str] = Counter()
    by_dataset: dict[str, int] = {}
    cur.execute(
        "select exists (select 1 from ops.load_audit where load_id = %s and status = 'staged')",
        (load_id,),
    )
    row = cur.fetchone()
    if not row or not row[0]:
        return BatchResult(feed=feed, load_id=load_id)
    datasets = feed_datasets(feed)
    plain = [ds for ds in datasets if ds.versions is None]
    # Replaced objects, set-based (one statement per table, not one per object: a city-day
    # has ~16k objects). Versions are content, not objects: they stay.
    replaced = """select a.object_key, a.object_sha256 from ops.load_audit a
                   where a.load_id = %(load)s and a.status = 'staged'"""
    for ds in plain:
        cur.execute(
            f"""delete from raw.{ds.name} r using ({replaced}) s
                 where r.object_key = s.object_key and r.object_sha256 <> s.object_sha256""",
            {"load": load_id},
        )
    cur.execute(
        f"""update ops.load_audit o set status = 'superseded' from ({replaced}) s
             where o.object_key = s.object_key and o.object_sha256 <> s.object_sha256
               and o.status = 'published'""",
        {"load": load_id},
    )
    cur.execute(
        "create temporary table if not exists _published (object_key text, "
        "object_sha256 text, dataset text, staged bigint, loaded bigint) on commit drop"
    )
    cur.execute("truncate _published")
    for ds in plain:
        cols = ", ".join(_staging_columns(ds))
        if ds.partition_by is not None:
            ensure_partitions(cur, ds, load_id)
        cur.execute(
            f"""with ins as (
                    insert into raw.{ds.name} ({cols})
                    select {cols} from staging.{ds.name} where load_id = %(load)s
                    order by object_key, record_no
                    on conflict ({", ".join(ds.raw_unique_key)}) do nothing
                    returning object_key, object_sha256
                ), st as (
                    select object_key, object_sha256, count(*) as n
                    from staging.{ds.name} where load_id = %(load)s group by 1, 2
                ), lo as (
                    select object_key, object_sha256, count(*) as n from ins group by 1, 2
                )
                insert into _published
                select st.object_key, st.object_sha256, %(ds)s, st.n, coalesce(lo.n, 0)
                from st left join lo using (object_key, object_sha256)""",
            {"load": load_id, "ds": ds.name},
        )
        _settle_entity(cur, ds.name)
    versioned = [ds for ds in datasets if ds.versions is not None]
    if versioned:
        publish_versions(cur, feed, versioned, load_id)
    for ds in datasets:
        cur.execute(f"delete from staging.{ds.name} where load_id = %s", (load_id,))
    # Objects with no staged row are not in _published: they keep their counts.
    cur.execute(
        """update ops.load_audit a
              set rows_loaded = coalesce(p.loaded, 0),
                  duplicates = a.duplicates + coalesce(p.staged, 0) - coalesce(p.loaded, 0),
                  status = 'published', published_at = clock_timestamp()
             from (select s.object_key, s.object_sha256, p.staged, p.loaded
                     from ops.load_audit s
                     left join (select object_key, object_sha256, sum(staged) as staged,
                                       sum(loaded) as loaded
                                  from _published group by 1, 2) p
                            using (object_key, object_sha256)
                    where s.load_id = %(load)s and s.status = 'staged') p
            where a.load_id = %(load)s and a.status = 'staged'
              and a.object_key = p.object_key and a.object_sha256 = p.object_sha256
        returning a.rows_read, a.rows_loaded, a.rows_quarantined, a.duplicates, a.ignored""",
        {"load": load_id},
    )
    for read, loaded, quarantined, dups, ignored in cur.fetchall():
        counts["objects"] += 1
        counts["rows_read"] += read
        counts["rows_loaded"] += loaded
        counts["rows_quarantined"] += quarantined
        counts["duplicates"] += dups
        counts["ignored"] += ignored
    cur.execute("select dataset, sum(loaded) from _published group by 1")
    by_dataset = {name: int(n) for name, n in cur.fetchall()}
    cur.execute(
        """insert into restricted.worker_identity as w (worker_key, id_card_type,
               id_card_number_enc, worker_name_enc, cell_phone_enc, bank_card_number_enc,
               first_load_id)
           select worker_key, id_card_type, id_card_number_enc, worker_name_enc,
                  cell_phone_enc, bank_card_number_enc, load_id
             from staging.worker_identity where load_id = %s
           on conflict (worker_key) do update set
               worker_name_enc = coalesce(excluded.worker_name_enc, w.worker_name_enc),
               cell_phone_enc = coalesce(excluded.cell_phone_enc, w.cell_phone_enc),
               bank_card_number_enc = coalesce(excluded.bank_card_number_enc,
                                               w.bank_card_number_enc),
               updated_at = clock_timestamp()
           where excluded.worker_name_enc is not null or excluded.cell_phone_enc is not null""",
        (load_id,),
    )
    cur.execute("delete from staging.worker_identity where load_id = %s", (load_id,))
    cur.execute(
        """insert into restricted.bank_cards (bank_card_key, bank_card_number_enc, first_load_id)
           select bank_card_key, bank_card_number_enc, load_id from staging.bank_cards
            where load_id = %s
           on conflict (bank_card_key) do nothing""",
        (load_id,),
    )
    cur.execute("delete from staging.bank_cards where load_id = %s", (load_id,))
    after = feeds.feed(feed).load_after_publish()
    if after is not None:
        after(cur, load_id)
    result = BatchResult(feed=feed, load_id=load_id, datasets=by_dataset, **counts)
    log.info("published %s", result)
    return result


def _settle_entity(cur: psycopg2.extensions.cursor, dataset: str) -> None:
    """``ops.load_audit_entity`` of ``dataset`` from ``_published``: loaded rows, and the
    staged rows that were not loaded as duplicates."""
    # A temporary table has no statistics until analysed (measured: without them the
    # planner nested-looped 14k objects against 14k, 35 s for a city-day of Hikvision).
    cur.execute("analyze _published")
    cur.execute(
        """update ops.load_audit_entity e
              set rows_loaded = p.loaded, duplicates = e.duplicates + p.staged - p.loaded
             from _published p
            where p.dataset = %s and e.dataset = p.dataset
              and e.object_key = p.object_key and e.object_sha256 = p.object_sha256""",
        (dataset,),
    )


def publish_versions(
    cur: psycopg2.extensions.cursor, feed: str, versioned: Sequence[Dataset], load_id: str
) -> None:
    """Publish a feed's versioned datasets (rosters), after its members: their staged rows
    are contents not seen before, added to ``raw.<versions>`` once per ``version_key``.
    Each object's loaded children (per child entity) are the children of the versions
    that its members just published point to, staged or reused alike; the children of a
    member that was not published (a duplicate) are duplicates too."""
    for ds in versioned:
        cols = ", ".join(_staging_columns(ds))
        cur.execute(
            f"""insert into {ds.raw_table} ({cols})
                select {cols} from staging.{ds.name} where load_id = %s
                on conflict ({", ".join(ds.version_key)}) do nothing""",
            (load_id,),
        )
    members, parent = _members_of(feed)
    accounting = set(accounting_datasets(feed_datasets(feed)).values())
    children = [ds for ds in versioned if ds.name in accounting]
    if not children:
        return
    # The members just published and the versions they name are counted by joins that
    # are planned from the tables' statistics: a day's rows are most of what the next
    # query reads (measured: 46 s per child entity on a city's snapshot without this).
    cur.execute(
        "select coalesce(sum(staged), 0) from _published where dataset = %s", (members.name,)
    )
    row = cur.fetchone()
    if row is not None and int(row[0]) >= _ANALYZE_AFTER:
        for table in (members.raw_table, *(ds.raw_table for ds in children)):
            cur.execute(f"analyze {table}")
    on = " and ".join(f"v.{c} = m.{c}" for c in parent.version_key)
    for ds in children:
        count = f"""select m.object_key, m.object_sha256, count(*) as n
                      from {{members}} m join {ds.raw_table} v on {on}
                     where m.load_id = %(load)s group by 1, 2"""
        cur.execute(
            # Materialised: with the 0004 three-column version key the joins were estimated
            # at a few rows and a nested loop re-running either side per object took
            # minutes; the one-column key (0005) estimates right, this keeps it that way.
            f"""with st as materialized ({count.format(members=f"staging.{members.name}")}),
                     lo as materialized ({count.format(members=members.raw_table)})
                insert into _published
                select st.object_key, st.object_sha256, %(ds)s, st.n, coalesce(lo.n, 0)
                from st left join lo using (object_key, object_sha256)""",
            {"load": load_id, "ds": ds.name},
        )
        _settle_entity(cur, ds.name)


def _members_of(feed: str) -> tuple[Dataset, Dataset]:
    """A versioned feed's members dataset (plain, the main entity) and the versioned
    dataset of the main entity, whose ``version_key`` the members carry."""
    datasets = feed_datasets(feed)
    main = [ds for ds in datasets if ds.entity == feed]
    members = next(ds for ds in main if ds.versions is None)
    parent = next(ds for ds in main if ds.versions is not None)
    return members, parent


def mark_gate_failed(cur: psycopg2.extensions.cursor, load_id: str) -> None:
    cur.execute(
        "update ops.load_audit set status = 'gate_failed' where load_id = %s and status = 'staged'",
        (load_id,),
    )
