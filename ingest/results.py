"""Typed results of the pipeline's steps: frozen dataclasses, with ``to_xcom()`` (a
JSON-safe dict for Airflow's XCom) and ``from_xcom()`` where a later task reads them back.

No step returns ``dict[str, Any]``; the DAGs pass these dicts between tasks and rebuild the
dataclass on the receiving side.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Self


class _Xcom:
    """``to_xcom`` / ``from_xcom`` for flat dataclasses of JSON-safe fields."""

    def to_xcom(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload, no-any-return]

    @classmethod
    def from_xcom(cls, data: dict[str, Any]) -> Self:
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True, slots=True)
class FoundObject(_Xcom):
    """A new or changed landing object a run will load."""

    key: str
    etag: str


@dataclass(frozen=True, slots=True)
class Discovery:
    """What ``discover`` found for a day, per landing feed (every feed has an entry)."""

    day: str  # ISO date
    objects: dict[str, tuple[FoundObject, ...]]
    in_window: dict[str, int] = field(default_factory=dict)  # objects in the look-back window
    unknown_keys: int = 0
    late_keys: int = 0  # objects before the window, never loaded (ops.object_ledger)

    def for_feed(self, feed: str) -> tuple[FoundObject, ...]:
        return self.objects.get(feed, ())

    def to_xcom(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "objects": {f: [o.to_xcom() for o in objs] for f, objs in self.objects.items()},
            "in_window": dict(self.in_window),
            "unknown_keys": self.unknown_keys,
            "late_keys": self.late_keys,
        }

    @classmethod
    def from_xcom(cls, data: dict[str, Any]) -> Discovery:
        return cls(
            day=str(data["day"]),
            objects={
                f: tuple(FoundObject.from_xcom(o) for o in objs)
                for f, objs in data["objects"].items()
            },
            in_window={k: int(v) for k, v in data.get("in_window", {}).items()},
            unknown_keys=int(data.get("unknown_keys", 0)),
            late_keys=int(data.get("late_keys", 0)),
        )


@dataclass(frozen=True, slots=True)
class BatchResult(_Xcom):
    """Row accounting of one staged or published batch of one feed.

    ``load_id`` is None when the feed had nothing new (nothing was staged)."""

    feed: str
    load_id: str | None
    objects: int = 0
    skipped_unchanged: int = 0
    rows_read: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    duplicates: int = 0
    ignored: int = 0
    rows_loaded: int = 0
    deferred: int = 0  # payroll batches left for the run that covers their last payment
    datasets: dict[str, int] = field(default_factory=dict)  # rows per dataset

    @property
    def empty(self) -> bool:
        return self.load_id is None


@dataclass(frozen=True, slots=True)
class FaceChunkResult(_Xcom):
    """One verified, gated and published chunk of gate captures."""

    batch: BatchResult
    decisions: dict[str, int]  # decision -> captures

    def to_xcom(self) -> dict[str, Any]:
        return {"batch": self.batch.to_xcom(), "decisions": dict(self.decisions)}


@dataclass(frozen=True, slots=True)
class FraudResult(_Xcom):
    """Identity-fraud leads found by one run."""

    face: int  # one face under two ID numbers
    multi_site: int  # one ID at two sites on one day


@dataclass(frozen=True, slots=True)
class DayResult:
    """Everything ``ingest_day`` did for one day (tests, benchmarks, backfills)."""

    day: str
    feeds: dict[str, BatchResult]
    faces: tuple[FaceChunkResult, ...]
    fraud: FraudResult | None
    as_of: str  # the marts' as_of after this day

    def to_xcom(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "feeds": {f: b.to_xcom() for f, b in self.feeds.items()},
            "faces": [c.to_xcom() for c in self.faces],
            "fraud": None if self.fraud is None else self.fraud.to_xcom(),
            "as_of": self.as_of,
        }


@dataclass(frozen=True, slots=True)
class FreezeResult(_Xcom):
    """Rows of each public mart frozen into ``archive.*`` for one city-month."""

    city: str
    month: str
    rows: dict[str, int]


@dataclass(frozen=True, slots=True)
class ReportResult(_Xcom):
    """The regulator's HTML report of one city-month, written locally and to S3."""

    path: str
    s3_key: str
    bytes: int
    projects: int


@dataclass(frozen=True, slots=True)
class ExportManifest(_Xcom):
    """The national OpenAPI export of one city-month (also written as ``manifest.json``)."""

    city: str
    month: str
    timestamp: str  # the requests' timestamp, YYYYMMDDHHMMSS local
    files: tuple[str, ...]  # S3 keys of the signed, encrypted requests
    attendance_records: int = 0
    payroll_records: int = 0
    skipped_mismatch: int = 0  # attendance of a face mismatch (buddy punch) is not exported
    skipped_no_direction: int = 0
