"""Run a dataset's checkpoint on one staged batch, inside PostgreSQL.

The GX project is a file context under ``expectations/``; the datasource's connection
string is the ``${SITEPASS_GX_PG_URL}`` variable, so no credential is written to disk.
The batch is the staging table's rows with ``load_id`` = the batch's load id.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.config import REPO_ROOT
from ingest.quality.suites import CRITICAL, SUITES

log = logging.getLogger(__name__)

GX_PROJECT_DIR = REPO_ROOT / "expectations"
DATASOURCE = "warehouse"
PG_URL_VAR = "SITEPASS_GX_PG_URL"


class GateFailed(RuntimeError):
    """A critical expectation failed: the batch must not be published."""

    def __init__(self, result: GateResult) -> None:
        self.result = result
        lines = [f"gate failed for {result.dataset} batch {result.load_id}:"]
        for f in result.failures:
            if f["severity"] == CRITICAL:
                lines.append(
                    f"  - {f['expectation']} {f['kwargs']}: {f['unexpected_count']} unexpected "
                    f"of {f['element_count']}, e.g. {f['sample']}"
                )
        super().__init__("\n".join(lines))


@dataclass(slots=True)
class GateResult:
    dataset: str
    load_id: str
    suite: str
    success: bool  # no critical failure
    evaluated: int
    failures: list[dict[str, Any]] = field(default_factory=list)
    row_count: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "load_id": self.load_id,
            "suite": self.suite,
            "success": self.success,
            "evaluated": self.evaluated,
            "failed": len(self.failures),
            "row_count": self.row_count,
            "failures": self.failures,
        }


def _quiet_gx() -> None:
    for name in (
        "great_expectations",
        "great_expectations.core",
        "great_expectations._docs_decorators",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)


def _sqlalchemy_url(dsn: str) -> str:
    return "postgresql+psycopg2://" + dsn.split("://", 1)[1]


def get_context(project_dir: Path = GX_PROJECT_DIR) -> Any:
    _quiet_gx()
    import great_expectations as gx

    return gx.get_context(mode="file", project_root_dir=str(project_dir))


def register(context: Any, dataset: str) -> Any:
    """Create or update the datasource, asset, batch definition, suite and checkpoint."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.core.partitioners import PartitionerColumnValue

    try:  # keep the datasource (and its assets' ids) stable across runs
        ds = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError, LookupError):
        ds = context.data_sources.add_postgres(
            name=DATASOURCE, connection_string="${" + PG_URL_VAR + "}"
        )
    try:
        asset = ds.get_asset(dataset)
    except LookupError:
        asset = ds.add_table_asset(name=dataset, table_name=dataset, schema_name="staging")
    try:
        batch_def = asset.get_batch_definition("by_load_id")
    except KeyError:
        batch_def = asset.add_batch_definition(
            "by_load_id",
            partitioner=PartitionerColumnValue(column_name="load_id"),
            validate_partitioner=False,
        )
    suite = gx.ExpectationSuite(name=f"{dataset}_suite")
    for cls_name, kwargs, severity in SUITES[dataset]():
        exp = getattr(gxe, cls_name)(**kwargs, severity=severity)
        suite.add_expectation(exp)
    suite = context.suites.add_or_update(suite)
    vd = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{dataset}_by_load_id", data=batch_def, suite=suite)
    )
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"{dataset}_gate",
            validation_definitions=[vd],
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5},
        )
    )


def run_gate(warehouse_dsn: str, dataset: str, load_id: str) -> GateResult:
    """Validate the staged batch; return the result (the caller decides on publish)."""
    os.environ[PG_URL_VAR] = _sqlalchemy_url(warehouse_dsn)
    context = get_context()
    checkpoint = register(context, dataset)
    from great_expectations.exceptions.exceptions import NoAvailableBatchesError

    try:
        run = checkpoint.run(batch_parameters={"load_id": load_id})
    except NoAvailableBatchesError:
        # Nothing staged under this load id (every row quarantined or a duplicate): there
        # is nothing to publish and nothing to validate; batch-level checks live upstream.
        log.info("gate: batch %s of %s has no staged rows", load_id, dataset)
        return GateResult(dataset, load_id, f"{dataset}_suite", True, 0, [], 0)
    failures: list[dict[str, Any]] = []
    evaluated = 0
    row_count: int | None = None
    for vr in run.run_results.values():
        for r in vr.results:
            evaluated += 1
            res = r.result or {}
            if res.get("element_count") is not None:
                row_count = int(res["element_count"])
            if r.success:
                continue
            cfg = r.expectation_config
            failures.append(
                {
                    "expectation": cfg.type,
                    "kwargs": {k: v for k, v in cfg.kwargs.items() if k != "batch_id"},
                    "severity": str(getattr(cfg, "severity", CRITICAL) or CRITICAL)
                    .lower()
                    .removeprefix("failureseverity."),
                    "unexpected_count": res.get("unexpected_count"),
                    "element_count": res.get("element_count"),
                    "sample": json.loads(
                        json.dumps(res.get("partial_unexpected_list", [])[:5], default=str)
                    ),
                }
            )
    success = not any(f["severity"] == CRITICAL for f in failures)
    return GateResult(dataset, load_id, f"{dataset}_suite", success, evaluated, failures, row_count)


def record(cur: Any, result: GateResult) -> None:
    cur.execute(
        """insert into ops.gate_results
               (load_id, dataset, suite, success, evaluated, failed, row_count, failures)
           values (%s, %s, %s, %s, %s, %s, %s, %s)
           on conflict (load_id, suite) do update set success = excluded.success,
               evaluated = excluded.evaluated, failed = excluded.failed,
               row_count = excluded.row_count, failures = excluded.failures,
               run_at = clock_timestamp()""",
        (
            result.load_id,
            result.dataset,
            result.suite,
            result.success,
            result.evaluated,
            len(result.failures),
            result.row_count,
            json.dumps(result.failures, default=str),
        ),
    )
