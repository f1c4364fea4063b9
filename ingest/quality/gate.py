"""Run a dataset's checkpoint on one staged batch, inside PostgreSQL.

The batch is ``staging.<dataset>`` where ``load_id`` = the batch's load id (GX batch
parameter ``load_id``). Every batch is validated with result format ``BOOLEAN_ONLY`` (one
aggregate query for all column checks, no sample queries); a batch with any failed
expectation is validated again with ``SUMMARY`` to collect counts and sample values for
the error, the result table and Data Docs. Volume parameters and the run day are
computed first (:mod:`ingest.quality.volume`).

Public API (kept for ``ingest.pipeline``): :data:`SUITES`, :func:`run_gate`,
:func:`record`, :class:`GateResult`, :class:`GateFailed`. :func:`gate_batch` gates every
dataset of a feed's batch at once (what the Airflow helper in ``plugins/`` calls).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from ingest.quality import project
from ingest.quality import volume as vol
from ingest.quality.results import record
from ingest.quality.suites import CRITICAL, SUITES, WARNING, Check, Suite

__all__ = [
    "CRITICAL",
    "SUITES",
    "WARNING",
    "GateFailed",
    "GateResult",
    "gate_batch",
    "record",
    "run_gate",
]

log = logging.getLogger(__name__)

SAMPLE_SIZE = 5
_BULKY_KWARGS = {"batch_id", "unexpected_rows_query", "value_set", "column_list", "column_set"}


@dataclass(slots=True)
class GateResult:
    dataset: str
    load_id: str
    suite: str
    success: bool  # no critical failure
    evaluated: int
    failures: list[dict[str, Any]] = field(default_factory=list)  # critical and warning
    row_count: int | None = None
    seconds: float | None = None  # checkpoint time (both passes), excluding Data Docs
    load_seconds: float | None = None
    statistics: dict[str, Any] = field(default_factory=dict)
    volume: dict[str, Any] = field(default_factory=dict)
    result_ids: list[Any] = field(default_factory=list, repr=False)  # GX validation results

    @property
    def critical(self) -> list[dict[str, Any]]:
        return [f for f in self.failures if f["severity"] == CRITICAL]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return [f for f in self.failures if f["severity"] != CRITICAL]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "load_id": self.load_id,
            "suite": self.suite,
            "success": self.success,
            "evaluated": self.evaluated,
            "failed": len(self.failures),
            "critical": len(self.critical),
            "warnings": len(self.warnings),
            "row_count": self.row_count,
            "gate_seconds": None if self.seconds is None else round(self.seconds, 3),
            "load_seconds": None if self.load_seconds is None else round(self.load_seconds, 3),
            "statistics": self.statistics,
            "volume": self.volume,
            "failures": self.failures,
        }

    def summary(self) -> str:
        timing = (
            ""
            if self.seconds is None
            else f", gate {self.seconds:.3f} s"
            + ("" if self.load_seconds is None else f" vs load {self.load_seconds:.3f} s")
        )
        head = (
            f"{self.dataset} batch {self.load_id}: {self.row_count} rows, "
            f"{self.evaluated} expectations, {len(self.critical)} critical and "
            f"{len(self.warnings)} warning failures{timing}"
        )
        return "\n".join([head, *(f"  - {_describe(f)}" for f in self.failures)])


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


class GateFailed(RuntimeError):
    """A critical expectation failed: the batch must not be published."""

    def __init__(self, result: GateResult | list[GateResult]) -> None:
        results = result if isinstance(result, list) else [result]
        failed = [r for r in results if not r.success]
        self.result = failed[0] if failed else results[0]
        self.results = results
        lines = []
        for r in failed:
            lines.append(
                f"gate failed for {r.dataset} batch {r.load_id} ({r.row_count} rows): "
                f"{len(r.critical)} critical expectation(s) failed; the batch stays in "
                f"staging.{r.dataset} and is not published"
            )
            lines += [f"  - {_describe(f)}" for f in r.critical]
            lines += [f"  - {_describe(f)}" for f in r.warnings]
        super().__init__("\n".join(lines))


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
        failures,
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


def run_gate(
    warehouse_dsn: str,
    dataset: str,
    load_id: str,
    *,
    load_seconds: float | None = None,
    docs: bool = True,
) -> GateResult:
    """Validate the staged batch; return the result (the caller decides on publish).

    ``docs``: also build the Data Docs pages of this result (local site + S3 mirror;
    failures to publish docs are logged, never raised).
    """
    started = time.perf_counter()
    suite = SUITES[dataset]()
    load_source = "caller"
    if load_seconds is None:
        load_seconds, load_source = staged_seconds(warehouse_dsn, load_id), "audit_span"
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
        result = _empty_batch(suite, load_id, base)
        result.seconds = time.perf_counter() - started
        result.load_seconds = load_seconds
        result.statistics["load_seconds_source"] = load_source
        return result
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
    result = GateResult(
        dataset,
        load_id,
        suite.name,
        success,
        int(stats["evaluated_expectations"]),
        failures,
        rows,
        volume=base.as_dict(),
        load_seconds=load_seconds,
        statistics={
            k: stats[k]
            for k in (
                "evaluated_expectations",
                "successful_expectations",
                "unsuccessful_expectations",
                "success_percent",
            )
            if k in stats
        },
        result_ids=result_ids,
    )
    result.seconds = time.perf_counter() - started
    result.statistics["load_seconds_source"] = load_source
    log.info("gate %s", result.summary())
    if docs:
        from ingest.quality import docs as gx_docs

        result.statistics["docs"] = gx_docs.publish(warehouse_dsn, result_ids)
    return result


def gate_batch(
    settings: Any,
    feed: str,
    load_id: str,
    *,
    load_seconds: float | None = None,
    raise_on_failure: bool = True,
    docs: bool = True,
) -> list[GateResult]:
    """Gate every dataset of a feed's staged batch; record every result.

    All datasets are validated (and recorded) even after a failure, so the evidence is
    complete; then a failed batch is marked ``gate_failed`` and :class:`GateFailed` names
    every failed expectation of every dataset.
    """
    from ingest.warehouse import loader
    from ingest.warehouse.datasets import feed_datasets
    from ingest.warehouse.db import connect

    results = []
    for ds in feed_datasets(feed):
        if ds.name not in SUITES:
            continue
        results.append(
            run_gate(
                settings.warehouse_dsn, ds.name, load_id, load_seconds=load_seconds, docs=False
            )
        )
    failed = any(not r.success for r in results)
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        for r in results:
            record(cur, r)
        if failed:
            loader.mark_gate_failed(cur, load_id)
    if docs:
        from ingest.quality import docs as gx_docs

        ids = [i for r in results for i in r.result_ids]
        urls = gx_docs.publish(settings.warehouse_dsn, ids)
        for r in results:
            r.statistics["docs"] = urls
    if failed and raise_on_failure:
        raise GateFailed(results)
    return results


def staged_seconds(warehouse_dsn: str, load_id: str) -> float | None:
    """Estimated stage time of a batch when the caller did not measure it: the span of its
    objects' ``ops.load_audit.staged_at`` (each set after its object is parsed and copied),
    scaled by n/(n-1) for the first object; None for a single-object batch."""
    from ingest.warehouse.db import connect

    with connect(warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "select extract(epoch from max(staged_at) - min(staged_at)), count(*) "
            "from ops.load_audit where load_id = %s",
            (load_id,),
        )
        row = cur.fetchone()
    if not row or row[0] is None or not row[1] or row[1] < 2:
        return None
    n = int(row[1])
    return float(row[0]) * n / (n - 1)
