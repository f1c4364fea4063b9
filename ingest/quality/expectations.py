"""One custom expectation: :class:`ExpectNoUnexpectedRows`.

GX's ``UnexpectedRowsExpectation`` runs its SQL twice on every batch: once for the rows
(``unexpected_rows_query.table``) and once wrapped in ``COUNT(*)``
(``unexpected_rows_query.row_count``). On a city-day of punches the referential and window
queries dominate the gate, so this subclass asks only for the first metric and expects a
query that returns at most one *summary* row, built by
:func:`ingest.quality.suites.summary_query`::

    select count(*) as unexpected, (<first 5 violations as JSON>) as sample
      from (<violations>) v having count(*) > 0

A clean batch returns no row (the sample sub-select is never evaluated); a failing one
returns its violation count and a sample, which SUMMARY results and Data Docs show. It is a
``UnexpectedRowsExpectation`` in every other respect (in-database SQL, ``{batch}``
substitution, renderers). Importing this module registers it with GX; every code path of
the gate imports it before a suite is read (:mod:`ingest.quality.project`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.expectations.core.unexpected_rows_expectation import (
    UnexpectedRowsExpectation,
)

from ingest.quality.suites import summary_query

__all__ = ["ExpectNoUnexpectedRows", "summary_query"]


class ExpectNoUnexpectedRows(UnexpectedRowsExpectation):
    """The batch has no row violating a SQL rule (query built by ``summary_query``)."""

    metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.table",)

    class Config:
        title = "No violating rows (SQL)"

    def _validate(
        self,
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any] | None = None,
        execution_engine: Any = None,
    ) -> dict[str, Any]:
        rows = metrics["unexpected_rows_query.table"] or []
        count = int(rows[0]["unexpected"]) if rows else 0
        fmt = self._get_result_format(runtime_configuration=runtime_configuration)
        name = fmt.get("result_format") if isinstance(fmt, dict) else fmt
        if name == "BOOLEAN_ONLY":
            return {"success": count == 0}
        sample = (rows[0].get("sample") if rows else None) or []
        return {
            "success": count == 0,
            "result": {"observed_value": count, "details": {"sample": sample}},
        }
