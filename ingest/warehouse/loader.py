"""Write → audit → publish for one batch of landing objects of one dataset.

``stage`` parses objects and ``COPY``s their rows into ``staging.<dataset>`` (and rejects
into ``ops.quarantine``) with one ``ops.load_audit`` row per object; the gate validates the
staged batch; ``publish`` moves it into ``raw.<dataset>`` in one transaction. Each step is
idempotent: the same objects give the same ``load_id`` and the same rows.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import psycopg2.extensions

from ingest.landing.model import ParseResult
from ingest.warehouse.datasets import BOOKKEEPING, Dataset
from ingest.warehouse.db import copy_rows

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LandingObject:
    key: str
    data: bytes
    partition_date: date | None
    etag: str | None = None
    # Values that come from the object key (project, device, partition): they win over
    # whatever the rows say, so every row is filed under the object it came from.
    context: dict[str, object] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(slots=True)
class BatchSummary:
    dataset: str
    load_id: str
    objects: int = 0
    skipped_unchanged: int = 0
    rows_read: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    duplicates: int = 0
    ignored: int = 0
    rows_loaded: int = 0

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}


def make_load_id(dataset: str, day: date, fingerprints: Sequence[str]) -> str:
    joined = "\n".join(sorted(fingerprints)).encode()
    digest = hashlib.sha1(joined, usedforsecurity=False).hexdigest()[:12]
    return f"{dataset}:{day:%Y%m%d}:{digest}"


def published_versions(
    cur: psycopg2.extensions.cursor, keys: Sequence[str]
) -> set[tuple[str, str]]:
    cur.execute(
        "select object_key, object_sha256 from ops.load_audit "
        "where object_key = any(%s) and status = 'published'",
        (list(keys),),
    )
    return {(k, s) for k, s in cur.fetchall()}


def stage(
    cur: psycopg2.extensions.cursor,
    dataset: Dataset,
    load_id: str,
    objects: Sequence[LandingObject],
    parse: Callable[[LandingObject], ParseResult],
) -> BatchSummary:
    """Parse and stage ``objects``; objects already published unchanged are skipped."""
    summary = BatchSummary(dataset.name, load_id)
    done = published_versions(cur, [o.key for o in objects])
    cur.execute(f"delete from staging.{dataset.name} where load_id = %s", (load_id,))
    cur.execute("delete from ops.quarantine where load_id = %s", (load_id,))
    cur.execute(
        "delete from ops.load_audit where load_id = %s and status <> 'published'", (load_id,)
    )
    columns = [c.name for c in BOOKKEEPING] + list(dataset.column_names)
    for obj in objects:
        sha = obj.sha256
        if (obj.key, sha) in done:
            summary.skipped_unchanged += 1
            continue
        result = parse(obj)
        result.check_accounting()
        rows = (
            [
                load_id,
                obj.key,
                sha,
                row["record_no"],
                *(obj.context[c] if c in obj.context else row.get(c) for c in dataset.column_names),
            ]
            for row in result.rows
        )
        staged = copy_rows(cur, f"staging.{dataset.name}", columns, rows)
        copy_rows(
            cur,
            "ops.quarantine",
            ["load_id", "object_key", "object_sha256", "record_no", "raw_text", "reasons"],
            ([load_id, obj.key, sha, r.record_no, r.raw, list(r.reasons)] for r in result.rejects),
        )
        cur.execute(
            """insert into ops.load_audit (object_key, object_sha256, object_size, object_etag,
                   kind, dataset, partition_date, load_id, rows_read, rows_loaded,
                   rows_quarantined, duplicates, ignored, encoding, status)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, %s, 'staged')
               on conflict (object_key, object_sha256) do update set
                   load_id = excluded.load_id, object_etag = excluded.object_etag,
                   rows_read = excluded.rows_read,
                   rows_quarantined = excluded.rows_quarantined,
                   duplicates = excluded.duplicates, ignored = excluded.ignored,
                   encoding = excluded.encoding, status = 'staged',
                   staged_at = clock_timestamp()""",
            (
                obj.key,
                sha,
                len(obj.data),
                obj.etag,
                result.kind,
                dataset.name,
                obj.partition_date,
                load_id,
                result.rows_read,
                len(result.rejects),
                result.duplicates,
                result.ignored,
                result.encoding,
            ),
        )
        summary.objects += 1
        summary.rows_read += result.rows_read
        summary.rows_staged += staged
        summary.rows_quarantined += len(result.rejects)
        summary.duplicates += result.duplicates
        summary.ignored += result.ignored
    log.info("staged %s", summary.as_dict())
    return summary


def publish(cur: psycopg2.extensions.cursor, dataset: Dataset, load_id: str) -> BatchSummary:
    """Move a gated batch from staging into raw in the caller's transaction.

    A replaced object (same key, new sha256) first loses its earlier version's rows; rows
    whose natural key is already in ``raw`` (resends across files) count as duplicates.
    """
    name = dataset.name
    summary = BatchSummary(name, load_id)
    cur.execute(
        "select object_key, object_sha256 from ops.load_audit "
        "where load_id = %s and status = 'staged' order by object_key",
        (load_id,),
    )
    staged = cur.fetchall()
    if not staged:
        return summary
    for key, sha in staged:
        cur.execute(
            f"delete from raw.{name} where object_key = %s and object_sha256 <> %s", (key, sha)
        )
        cur.execute(
            "update ops.load_audit set status = 'superseded' "
            "where object_key = %s and object_sha256 <> %s and status = 'published'",
            (key, sha),
        )
    cols = ", ".join([c.name for c in BOOKKEEPING] + list(dataset.column_names))
    cur.execute(
        f"""with ins as (
                insert into raw.{name} ({cols})
                select {cols} from staging.{name} where load_id = %s
                order by object_key, record_no
                on conflict ({", ".join(dataset.natural_key)}) do nothing
                returning object_key, object_sha256
            ), staged as (
                select object_key, object_sha256, count(*) as n
                from staging.{name} where load_id = %s group by 1, 2
            ), loaded as (
                select object_key, object_sha256, count(*) as n from ins group by 1, 2
            )
            update ops.load_audit a
               set rows_loaded = coalesce(l.n, 0),
                   duplicates = a.duplicates + coalesce(s.n, 0) - coalesce(l.n, 0),
                   status = 'published',
                   published_at = clock_timestamp()
              from ops.load_audit a2
              left join staged s using (object_key, object_sha256)
              left join loaded l using (object_key, object_sha256)
             where a.load_id = %s and a.status = 'staged'
               and a2.object_key = a.object_key and a2.object_sha256 = a.object_sha256
         returning a.rows_read, a.rows_loaded, a.rows_quarantined, a.duplicates, a.ignored""",
        (load_id, load_id, load_id),
    )
    for read, loaded, quarantined, dups, ignored in cur.fetchall():
        summary.objects += 1
        summary.rows_read += read
        summary.rows_loaded += loaded
        summary.rows_quarantined += quarantined
        summary.duplicates += dups
        summary.ignored += ignored
    cur.execute(f"delete from staging.{name} where load_id = %s", (load_id,))
    log.info("published %s", summary.as_dict())
    return summary


def mark_gate_failed(cur: psycopg2.extensions.cursor, load_id: str) -> None:
    cur.execute(
        "update ops.load_audit set status = 'gate_failed' where load_id = %s and status = 'staged'",
        (load_id,),
    )
