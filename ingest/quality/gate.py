"""The quality gate: one entry point, :func:`gate`, for every caller (pipeline, DAG, plugin).

:func:`gate` validates every dataset of a feed's staged batch (``staging.<dataset>`` where
``load_id`` = the batch's load id; GX batch parameter ``load_id``), records every result in
``ops.gate_results`` and returns a :class:`GateOutcome` (frozen; ``to_xcom()`` is what
Airflow gets). On a critical failure it marks the batch ``gate_failed`` and raises
:class:`GateFailed` (re-exported here: the very class :class:`ingest.errors.GateFailed`, a
:class:`~ingest.errors.DataError`: no retry) naming every failed expectation.

Every batch is validated with result format ``BOOLEAN_ONLY`` (one aggregate query for all
column checks, no sample queries); a batch with any failed expectation is validated again
with ``SUMMARY`` to collect counts and sample values for the error, the result table and
Data Docs. Volume parameters and the run day are computed first
(:mod:`ingest.quality.volume`). :func:`run_gate` is the checkpoint of one dataset (no
recording), used by :func:`gate`, tests and ``bench/``. Timing the gate against the load
is the benchmark's business (``bench/gate_vs_load.py``), not the gate's.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ingest.errors import GateFailed
from ingest.quality import project
from ingest.quality import volume as vol
from ingest.quality.results import record
from ingest.quality.suites import CRITICAL, SUITES, WARNING, Check, Suite

if TYPE_CHECKING:
    from ingest.config import Settings

__all__ = [
    "CRITICAL",
    "SUITES",
    "WARNING",
    "DatasetOutcome",
    "DocsLocation",
    "GateFailed",
    "GateOutcome",
    "GateResult",
    "failure_message",
    "gate",
    "record",
    "run_gate",
]

log = logging.getLogger(__name__)

SAMPLE_SIZE = 5
_BULKY_KWARGS = {"batch_id", "unexpected_rows_query", "value_set", "column_list", "column_set"}


@dataclass(frozen=True, slots=True)
class GateResult:
    """One checkpoint run of one dataset: the evidence recorded in ``ops.gate_results``.

    ``failures`` are the JSON records stored in ``ops.gate_results.failures`` (check id, GX
    expectation, severity, counts, observed value, sample values, error)."""

    dataset: str
    load_id: str
    suite: str
    success: bool  # no critical failure
    evaluated: int
    failures: tuple[dict[str, Any], ...] = ()  # critical and warning
    row_count: int | None = None
    seconds: float | None = None  # checkpoint time (both passes), excluding Data Docs
    statistics: dict[str, Any] = field(default_factory=dict)
    volume: dict[str, Any] = field(default_factory=dict)
    result_ids: tuple[Any, ...] = field(default=(), repr=False)  # GX validation results

    @property
    def critical(self) -> list[dict[str, Any]]:
        return [f for f in self.failures if f["severity"] == CRITICAL]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return [f for f in self.failures if f["severity"] != CRITICAL]

    def summary(self) -> str:
        timing = "" if self.seconds is None else f", gate {self.seconds:.3f} s"
        head = (
            f"{self.dataset} batch {self.load_id}: {self.row_count} rows, "
            f"{self.evaluated} expectations, {len(self.critical)} critical and "
            f"{len(self.warnings)} warning failures{timing}"
        )
        return "\n".join([head, *(f"  - {_describe(f)}" for f in self.failures)])


@dataclass(frozen=True, slots=True)
class DatasetOutcome:
    """What the gate concluded for one dataset of the batch."""

    dataset: str
    suite: str
    success: bool
    rows: int | None
    evaluated: int
    critical: tuple[str, ...]  # check ids of failed critical expectations
    warnings: tuple[str, ...]  # check ids of failed warning expectations
    gate_seconds: float | None  # checkpoint time (both passes), excluding Data Docs

    @classmethod
    def of(cls, result: GateResult) -> DatasetOutcome:
        return cls(
            dataset=result.dataset,
            suite=result.suite,
            success=result.success,
            rows=result.row_count,
            evaluated=result.evaluated,
            critical=tuple(f["check"] for f in result.critical),
            warnings=tuple(f["check"] for f in result.warnings),
            gate_seconds=None if result.seconds is None else round(result.seconds, 3),
        )

    def to_xcom(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "suite": self.suite,
            "success": self.success,
            "rows": self.rows,
            "evaluated": self.evaluated,
            "critical": list(self.critical),
            "warnings": list(self.warnings),
            "gate_seconds": self.gate_seconds,
        }

    @classmethod
    def from_xcom(cls, data: dict[str, Any]) -> DatasetOutcome:
        return cls(
            dataset=str(data["dataset"]),
            suite=str(data["suite"]),
            success=bool(data["success"]),
            rows=data.get("rows"),
            evaluated=int(data["evaluated"]),
            critical=tuple(data.get("critical", ())),
            warnings=tuple(data.get("warnings", ())),
            gate_seconds=data.get("gate_seconds"),
        )


@dataclass(frozen=True, slots=True)
class DocsLocation:
    """Where the Data Docs of the batch were published (a failure to publish is not one of
    the gate's: it is reported here and logged)."""

    local: str | None = None  # file URL of the local site's page
    s3: str | None = None  # s3:// URL of the mirrored index
    error: str | None = None

    @classmethod
    def of(cls, published: dict[str, Any]) -> DocsLocation:
        s3 = published.get("s3")
        return cls(
            local=published.get("local"),
            s3=s3.get("url") if isinstance(s3, dict) else None,
            error=published.get("error"),
        )

    def to_xcom(self) -> dict[str, Any]:
        return {"local": self.local, "s3": self.s3, "error": self.error}


@dataclass(frozen=True, slots=True)
class GateOutcome:
    """The gate's verdict on one feed's staged batch (:func:`gate`'s return value).

    ``load_id`` is None only for :meth:`nothing_staged` (a feed with nothing new)."""

    feed: str
    load_id: str | None
    success: bool  # no critical failure in any dataset
    datasets: tuple[DatasetOutcome, ...] = ()
    docs: DocsLocation | None = None  # None when Data Docs were not built

    @classmethod
    def nothing_staged(cls, feed: str) -> GateOutcome:
        return cls(feed=feed, load_id=None, success=True)

    @property
    def gate_seconds(self) -> float:
        """Checkpoint time of every dataset of the batch (Data Docs excluded)."""
        return round(sum(d.gate_seconds or 0.0 for d in self.datasets), 3)

    @property
    def critical(self) -> tuple[str, ...]:
        return tuple(f"{d.dataset}:{c}" for d in self.datasets for c in d.critical)

    def to_xcom(self) -> dict[str, Any]:
        """JSON-safe: what Airflow stores as the gate task's XCom (and ``gate_result``)."""
        return {
            "feed": self.feed,
            "load_id": self.load_id,
            "success": self.success,
            "datasets": [d.to_xcom() for d in self.datasets],
            "gate_seconds": self.gate_seconds,
            "docs": None if self.docs is None else self.docs.to_xcom(),
        }

    @classmethod
    def from_xcom(cls, data: dict[str, Any]) -> GateOutcome:
        docs = data.get("docs")
        return cls(
            feed=str(data["feed"]),
            load_id=data.get("load_id"),
            success=bool(data["success"]),
            datasets=tuple(DatasetOutcome.from_xcom(d) for d in data.get("datasets", ())),
            docs=None if docs is None else DocsLocation(**docs),
        )


def _describe(f: dict[str, Any]) -> str:
    where = f.get("column") or ""
    count = f.get("unexpected_count")
    of = f.get("element_count")
    n = "" if count is None else f": {count} unexpected" + ("" if of is None else f" of {of}")
    obs = f.get("observed_value")
    seen = "" if obs is None or count is not None else f": observed {obs}"
    sample = (
        f" e.g. {json.dumps(f['sample'], ensure_ascii=False, default=str)}"
        if f.get("sample")
        else ""
    )
    err = f" (error: {f['error']})" if f.get("error") else ""
    return (
        f"[{f['severity']}] {f['check']} ({f['expectation']}"
        f"{' ' + where if where else ''}){n}{seen}{sample}{err}"
    )


def failure_message(results: Sequence[GateResult]) -> str:
    """The message of :class:`GateFailed`: every failed dataset of the batch with every
    failed expectation (critical, then warnings), its count and sample values."""
    lines = []
    for r in results:
        if r.success:
            continue
        lines.append(
            f"gate failed for {r.dataset} batch {r.load_id} ({r.row_count} rows): "
            f"{len(r.critical)} critical expectation(s) failed; the batch stays in "
            f"staging.{r.dataset} and is not published"
        )
        lines += [f"  - {_describe(f)}" for f in r.critical]
        lines += [f"  - {_describe(f)}" for f in r.warnings]
    return "\n".join(lines)


# --- running -----------------------------------------------------------------------------


def _failure(r: Any, checks: dict[str, Check]) -> dict[str, Any]:
    cfg = r.expectation_config
    meta = cfg.meta or {}
    check = checks.get(meta.get("check", ""))
    res = r.result or {}
    exc = r.exception_info or {}
    error = None
    if exc.get("raised_exception"):
        error = str(exc.get("exception_message") or "")[:500]
    kwargs = {k: v for k, v in cfg.kwargs.items() if k not in _BULKY_KWARGS}
    sample = res.get("partial_unexpected_list")
    if sample is None:
        sample = (res.get("details") or {}).get("sample")
    return {
        "check": meta.get("check", cfg.type),
        "expectation": cfg.type,
        "severity": check.severity if check else str(meta.get("severity", CRITICAL)),
        "column": cfg.kwargs.get("column"),
        "kwargs": json.loads(json.dumps(kwargs, default=str)),
        "unexpected_count": res.get(
            "unexpected_count", res.get("observed_value") if "unexpected_rows" in cfg.type else None
        ),
        "element_count": res.get("element_count"),
        "observed_value": json.loads(json.dumps(res.get("observed_value"), default=str)),
        "sample": json.loads(json.dumps((sample or [])[:SAMPLE_SIZE], default=str)),
        "error": error,
        "why": check.why if check else "",
    }


def _row_count(warehouse_dsn: str, dataset: str, load_id: str, *, from_audit: bool) -> int:
    """Rows of the batch: what the audit accounted as staged (``rows.reconcile`` checked it
    equals the staging rows, so no second scan of the batch), else ``count(*)``."""
    from ingest.warehouse.db import connect

    with connect(warehouse_dsn) as conn, conn.cursor() as cur:
        if from_audit:
            cur.execute(
                """select coalesce(sum(e.rows_read - e.rows_quarantined - e.duplicates
                                       - e.ignored), 0)
                     from ops.load_audit a join ops.load_audit_entity e
                       on e.object_key = a.object_key and e.object_sha256 = a.object_sha256
                    where a.load_id = %s and e.dataset = %s""",
                (load_id, dataset),
            )
        else:
            cur.execute(
                f"select count(*) from {project.SCHEMA}.{dataset} where load_id = %s", (load_id,)
            )
        row = cur.fetchone()
    return int(row[0]) if row else 0


def _parameters(warehouse_dsn: str, suite: Suite, load_id: str) -> vol.Baseline:
    from ingest.warehouse.db import connect

    with connect(warehouse_dsn) as conn, conn.cursor() as cur:
        return vol.parameters(cur, suite.dataset, load_id, suite.volume)


def _empty_batch(suite: Suite, load_id: str, base: vol.Baseline) -> GateResult:
    """No staged row: only the volume checks can be evaluated (GX needs a batch)."""
    from ingest.quality.suites import P_ROWS_MIN_CRITICAL, P_ROWS_MIN_WARNING

    failures: list[dict[str, Any]] = []
    evaluated = 0
    for c in suite.checks:
        if not c.id.startswith("volume."):
            continue
        evaluated += 1
        floor = base.params[
            P_ROWS_MIN_CRITICAL if c.id == "volume.collapse" else P_ROWS_MIN_WARNING
        ]
        if floor and floor > 0:
            failures.append(
                {
                    "check": c.id,
                    "expectation": "expect_table_row_count_to_be_between",
                    "severity": c.severity,
                    "column": None,
                    "kwargs": {"min_value": floor},
                    "unexpected_count": None,
                    "element_count": 0,
                    "observed_value": 0,
                    "sample": [],
                    "error": None,
                    "why": c.why,
                }
            )
    success = not any(f["severity"] == CRITICAL for f in failures)
    return GateResult(
        suite.dataset,
        load_id,
        suite.name,
        success,
        evaluated,
        tuple(failures),
        0,
        volume=base.as_dict(),
        statistics={
            "evaluated_expectations": evaluated,
            "unsuccessful_expectations": len(failures),
            "note": "no staged rows: only the volume checks ran",
        },
    )


def _run(cp: Any, load_id: str, params: dict[str, Any], run_name: str) -> Any:
    from great_expectations.core.run_identifier import RunIdentifier

    with project.lock(exclusive=False):
        return cp.run(
            batch_parameters={"load_id": load_id},
            expectation_parameters=params,
            run_id=RunIdentifier(run_name=run_name),
        )


def run_gate(warehouse_dsn: str, dataset: str, load_id: str, *, docs: bool = True) -> GateResult:
    """Validate the staged batch of one dataset; return the result (not recorded: the
    caller decides on recording and publishing; :func:`gate` does both).

    ``docs``: also build the Data Docs pages of this result (local site + S3 mirror;
    failures to publish docs are logged, never raised; locations in ``statistics["docs"]``).
    """
    started = time.perf_counter()
    suite = SUITES[dataset]()
    base = _parameters(warehouse_dsn, suite, load_id)
    context = project.get_context(warehouse_dsn)
    from great_expectations.exceptions import exceptions as gx_exc
    from great_expectations.exceptions import resource_freshness

    checks = {c.id: c for c in suite.checks}
    try:
        try:
            run = _run(project.checkpoint(context, suite), load_id, base.params, load_id)
        except resource_freshness.ResourceFreshnessAggregateError:
            project.forget(dataset)  # another process re-registered the suite meanwhile
            run = _run(project.checkpoint(context, suite), load_id, base.params, load_id)
    except gx_exc.NoAvailableBatchesError:
        log.info("gate: batch %s of %s has no staged rows", load_id, dataset)
        empty = _empty_batch(suite, load_id, base)
        return dataclasses.replace(empty, seconds=time.perf_counter() - started)
    vr = next(iter(run.run_results.values()))
    result_ids = list(run.run_results)
    stats = dict(vr.statistics)
    if not vr.success:  # second pass for counts and sample values
        run = _run(
            project.checkpoint(context, suite, project.DETAIL),
            load_id,
            base.params,
            f"{load_id}-detail",
        )
        vr = next(iter(run.run_results.values()))
        result_ids += list(run.run_results)
    failures = [_failure(r, checks) for r in vr.results if not r.success]
    for f in failures:
        if f["error"]:  # an expectation that cannot be evaluated is a failed one
            f["severity"] = CRITICAL
    reconciled = suite.reconcile and all(f["check"] != "rows.reconcile" for f in failures)
    rows = _row_count(warehouse_dsn, dataset, load_id, from_audit=reconciled)
    success = not any(f["severity"] == CRITICAL for f in failures)
    statistics: dict[str, Any] = {
        k: stats[k]
        for k in (
            "evaluated_expectations",
            "successful_expectations",
            "unsuccessful_expectations",
            "success_percent",
        )
        if k in stats
    }
    seconds = time.perf_counter() - started
    if docs:
        from ingest.quality import docs as gx_docs

        statistics["docs"] = gx_docs.publish(warehouse_dsn, result_ids)
    result = GateResult(
        dataset,
        load_id,
        suite.name,
        success,
        int(stats["evaluated_expectations"]),
        tuple(failures),
        rows,
        seconds=seconds,
        volume=base.as_dict(),
        statistics=statistics,
        result_ids=tuple(result_ids),
    )
    log.info("gate %s", result.summary())
    return result


def gate(settings: Settings, feed: str, load_id: str, *, docs: bool = True) -> GateOutcome:
    """The gate: validate every dataset of a feed's staged batch, record every result in
    ``ops.gate_results``, build the batch's Data Docs (unless ``docs`` is false) and return
    the :class:`GateOutcome`.

    All datasets are validated (and recorded) even after a failure, so the evidence is
    complete; then a failed batch is marked ``gate_failed`` and :class:`GateFailed` (that is
    :class:`ingest.errors.GateFailed`) names every failed expectation of every dataset,
    with counts and sample values.
    """
    from ingest.warehouse import loader
    from ingest.warehouse.datasets import feed_datasets
    from ingest.warehouse.db import connect

    dsn = settings.warehouse_dsn
    results = [
        run_gate(dsn, ds.name, load_id, docs=False)
        for ds in feed_datasets(feed)
        if ds.name in SUITES
    ]
    failed = any(not r.success for r in results)
    with connect(dsn) as conn, conn.cursor() as cur:
        for r in results:
            record(cur, r)
        if failed:
            loader.mark_gate_failed(cur, load_id)
    location = None
    ids = [i for r in results for i in r.result_ids]
    # A batch with nothing staged has no new results: building docs "for no result ids"
    # would re-render every stored validation (13-19 s a day in the planted city, growing).
    if docs and ids:
        from ingest.quality import docs as gx_docs

        location = DocsLocation.of(gx_docs.publish(dsn, ids))
    outcome = GateOutcome(
        feed=feed,
        load_id=load_id,
        success=not failed,
        datasets=tuple(DatasetOutcome.of(r) for r in results),
        docs=location,
    )
    if failed:
        raise GateFailed(failure_message(results), results=results, outcome=outcome)
    return outcome
