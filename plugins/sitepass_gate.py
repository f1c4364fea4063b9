"""Airflow wrapper around the sitepass quality gate (:func:`ingest.quality.gate.gate`).

Two ways to use it from a DAG (Airflow puts ``plugins/`` on ``sys.path``)::

    from sitepass_gate import GxGateOperator, run_gate_task

    # TaskFlow: inside a @task(retries=0) function
    return run_gate_task(batch["feed"], batch["load_id"], context=get_current_context())

    # classic operator (feed and load_id are templated)
    GxGateOperator(task_id="gate", feed="zkteco",
                   load_id="{{ ti.xcom_pull(task_ids='zkteco.stage')['load_id'] }}")

Both call the one gate entry point and return its outcome's ``to_xcom()`` (the task's XCom
``return_value``); nothing is summarised here. A failed gate raises
:class:`ingest.errors.GateFailed`, which :func:`ingest.tasks.airflow_errors` (the one
mapping of the error policy to Airflow) turns into ``AirflowFailException`` (no retry),
after the failed outcome is pushed as XCom ``gate_result`` when the context has a ``ti``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator


def run_gate_task(
    feed: str, load_id: str | None, *, context: Any = None, settings: Any = None
) -> dict[str, Any]:
    """Gate one staged batch; return ``GateOutcome.to_xcom()``; a failed gate raises
    ``AirflowFailException``. ``load_id`` None: the feed staged nothing, nothing to gate."""
    # ingest is imported here, not at parse time: the DAG processor never loads it
    from ingest.quality.gate import GateFailed, GateOutcome, gate
    from ingest.tasks import airflow_errors

    if not load_id:
        return GateOutcome.nothing_staged(feed).to_xcom()
    with airflow_errors():
        if settings is None:
            from ingest.config import Settings

            settings = Settings.from_env()
        try:
            return gate(settings, feed, load_id).to_xcom()
        except GateFailed as exc:
            ti = (context or {}).get("ti")
            if ti is not None and exc.outcome is not None:
                ti.xcom_push(key="gate_result", value=exc.outcome.to_xcom())
            raise


class GxGateOperator(BaseOperator):
    """Run the quality gate of a feed's staged batch (see module docstring)."""

    template_fields: Sequence[str] = ("feed", "load_id")
    ui_color = "#f5e1ff"

    def __init__(self, *, feed: str, load_id: str | None, **kwargs: Any) -> None:
        kwargs.setdefault("retries", 0)  # a failed gate is a data error
        super().__init__(**kwargs)
        self.feed = feed
        self.load_id = load_id

    def execute(self, context: Any) -> dict[str, Any]:
        return run_gate_task(self.feed, self.load_id, context=context)
