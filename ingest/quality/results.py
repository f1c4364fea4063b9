"""Gate results in PostgreSQL: ``ops.gate_results``, one row per batch and suite.

``ops.gate_results`` (with the columns of the data-quality mart) is created by the warehouse
migrations (:mod:`ingest.warehouse.migrate`); the gate upserts one row per (load id,
suite) and runs no DDL. :data:`DATA_QUALITY_MART_SQL` is the data-quality mart
(pass rate per source per day, gate time); ``docs/quality-gate.md`` has it as the dbt
model ``marts/quality/fct_gate_daily``. The column ``load_seconds`` of ``ops.gate_results``
is no longer written (gate vs load time is measured by ``bench/gate_vs_load.py``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.quality.gate import GateResult


def record(cur: Any, result: GateResult) -> None:
    """Upsert the result of one checkpoint run (batch, suite, success, statistics)."""
    from ingest.quality.volume import parse_load_id
    from ingest.warehouse.datasets import DATASETS

    parsed = parse_load_id(result.load_id)
    ds = DATASETS.get(result.dataset)
    feed = ds.feed if ds else (parsed[0] if parsed else None)
    cur.execute(
        """insert into ops.gate_results
               (load_id, dataset, suite, success, evaluated, failed, row_count, failures,
                feed, run_day, critical, warnings, gate_seconds, statistics, volume)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           on conflict (load_id, suite) do update set success = excluded.success,
               evaluated = excluded.evaluated, failed = excluded.failed,
               row_count = excluded.row_count, failures = excluded.failures,
               feed = excluded.feed, run_day = excluded.run_day,
               critical = excluded.critical, warnings = excluded.warnings,
               gate_seconds = excluded.gate_seconds,
               statistics = excluded.statistics, volume = excluded.volume,
               run_at = clock_timestamp()""",
        (
            result.load_id,
            result.dataset,
            result.suite,
            result.success,
            result.evaluated,
            len(result.failures),
            result.row_count,
            json.dumps(result.failures, default=str, ensure_ascii=False),
            feed,
            parsed[1] if parsed else None,
            len(result.critical),
            len(result.warnings),
            result.seconds,
            json.dumps(result.statistics, default=str),
            json.dumps(result.volume, default=str),
        ),
    )


#: The data-quality mart: one row per source (feed) and run day.
DATA_QUALITY_MART_SQL = """
with batches as (
    select feed, run_day, load_id,
           bool_and(success) as passed,
           count(*) as suites,
           count(*) filter (where not success) as suites_failed,
           sum(evaluated) as expectations,
           sum(critical) as critical_failures,
           sum(warnings) as warnings,
           sum(row_count) as rows_gated,
           sum(gate_seconds) as gate_seconds
      from ops.gate_results
     where feed is not null
     group by 1, 2, 3
)
select feed as source,
       run_day,
       count(*) as batches,
       count(*) filter (where passed) as batches_passed,
       round(100.0 * count(*) filter (where passed) / count(*), 1) as pass_rate_pct,
       sum(suites) as suites,
       sum(suites_failed) as suites_failed,
       sum(expectations) as expectations,
       sum(critical_failures) as critical_failures,
       sum(warnings) as warnings,
       sum(rows_gated) as rows_gated,
       round(sum(gate_seconds), 3) as gate_seconds
  from batches
 group by 1, 2
"""
