"""Airflow helper around the sitepass Great Expectations gate (``ingest.quality``).

Two ways to use it from a DAG (Airflow puts ``plugins/`` on ``sys.path``)::

    from sitepass_gate import GxGateOperator, run_gate_task

    # TaskFlow: inside a @task(retries=0) function
    return run_gate_task(batch["feed"], batch["load_id"],
                         load_seconds=batch.get("stage_seconds"))

    # classic operator (feed and load_id are templated)
    GxGateOperator(task_id="gate", feed="zkteco",
                   load_id="{{ ti.xcom_pull(task_ids='zkteco.stage')['load_id'] }}")

Either runs the checkpoint of every dataset of the feed's staged batch
(:func:`ingest.quality.gate.gate_batch`: results recorded in ``ops.gate_results``, Data Docs
built), imports GX lazily with its INFO logging silenced, returns a small summary (the
task's XCom ``return_value``) and, when a critical expectation failed, pushes the same
summary as XCom ``gate_result`` and raises ``AirflowFailException`` (a data error: no
retry) whose message names every failed expectation with counts and sample values.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

log = logging.getLogger(__name__)

GX_LOGGERS = (
    "great_expectations",
    "great_expectations.core",
    "great_expectations._docs_decorators",
    "great_expectations.data_context",
    "great_expectations.expectations.registry",
)


def quiet_gx() -> None:
    """Set GX's loggers to WARNING (before GX is imported: it logs ~200 INFO lines)."""
    for name in GX_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def summarize(feed: str, load_id: str, results: Sequence[Any]) -> dict[str, Any]:
    """What goes to XCom: per dataset the outcome, counts and failed check ids."""
    datasets = []
    for r in results:
        datasets.append(
            {
                "dataset": r.dataset,
                "success": r.success,
                "rows": r.row_count,
                "expectations": r.evaluated,
                "critical": [f["check"] for f in r.critical],
                "warnings": [f["check"] for f in r.warnings],
                "gate_seconds": None if r.seconds is None else round(r.seconds, 3),
            }
        )
    docs = next((r.statistics.get("docs") for r in results if r.statistics.get("docs")), None)
    load_s = next((r.load_seconds for r in results if r.load_seconds is not None), None)
    # the ratio is computed from the rounded figures it is reported next to
    gate_s = round(sum(r.seconds or 0.0 for r in results), 3)
    load_s = None if load_s is None else round(load_s, 3)
    return {
        "feed": feed,
        "load_id": load_id,
        "success": all(r.success for r in results),
        "datasets": datasets,
        "gate_seconds": gate_s,
        "load_seconds": load_s,
        "gate_to_load": round(gate_s / load_s, 3) if load_s else None,
        "docs": docs,
    }


def _fail(message: str) -> Exception:
    try:
        from airflow.sdk.exceptions import AirflowFailException
    except ImportError:  # pragma: no cover - Airflow is part of the stack
        return RuntimeError(message)
    return AirflowFailException(message)


def run_gate_task(
    feed: str,
    load_id: str | None,
    *,
    load_seconds: float | None = None,
    context: Any = None,
    settings: Any = None,
) -> dict[str, Any]:
    """Gate one staged batch; return the summary, raise ``AirflowFailException`` on failure."""
    if not load_id:
        return {"feed": feed, "load_id": None, "skipped": True, "success": True}
    quiet_gx()
    from ingest.config import Settings
    from ingest.quality.gate import GateFailed, gate_batch

    settings = settings or Settings.from_env()
    try:
        results = gate_batch(settings, feed, load_id, load_seconds=load_seconds)
    except GateFailed as exc:
        summary = summarize(feed, load_id, exc.results)
        ti = (context or {}).get("ti")
        if ti is not None:
            ti.xcom_push(key="gate_result", value=summary)
        log.error("%s", exc)
        raise _fail(str(exc)) from exc
    summary = summarize(feed, load_id, results)
    log.info("gate passed: %s", {k: summary[k] for k in ("feed", "load_id", "gate_seconds")})
    return summary


class GxGateOperator(BaseOperator):
    """Run the Great Expectations gate of a feed's staged batch (see module docstring)."""

    template_fields: Sequence[str] = ("feed", "load_id")
    ui_color = "#f5e1ff"

    def __init__(
        self, *, feed: str, load_id: str | None, load_seconds: float | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("retries", 0)  # a failed gate is a data error
        super().__init__(**kwargs)
        self.feed = feed
        self.load_id = load_id
        self.load_seconds = load_seconds

    def execute(self, context: Any) -> dict[str, Any]:
        return run_gate_task(
            self.feed, self.load_id, load_seconds=self.load_seconds, context=context
        )
