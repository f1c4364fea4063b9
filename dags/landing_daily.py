"""
### landing_daily

For one local day (the data interval, Asia/Shanghai): discover the day's new or changed
landing objects in the bucket (and late files of the previous week's partitions), parse
them, stage them in Postgres, gate each batch with its Great Expectations checkpoint,
publish passing batches to `raw`, and build the attendance marts with dbt.

All logic lives in `ingest.pipeline`; this file only orchestrates. Tasks exchange object
keys and load ids, never local files. Data errors (a failed gate) fail without retry;
transient S3/Postgres errors are retried with exponential backoff.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, dag, task

RAW_PUNCHES = Asset(
    name="raw.zkteco_punches", uri="postgres://warehouse:5432/sitepass/raw/zkteco_punches"
)
MART_ATTENDANCE = Asset(
    name="marts.fct_attendance_daily",
    uri="postgres://warehouse:5432/sitepass/marts/fct_attendance_daily",
)
LOCAL_TZ = "Asia/Shanghai"


def _local_day(data_interval_start: Any) -> Any:
    return pendulum.instance(data_interval_start).in_timezone(LOCAL_TZ).date()


@dag(
    dag_id="landing_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone=LOCAL_TZ),
    start_date=pendulum.datetime(2026, 1, 1, tz=LOCAL_TZ),
    catchup=False,
    max_active_runs=1,
    tags=["sitepass", "landing", "daily"],
    doc_md=__doc__,
    default_args={
        "owner": "data-platform",
        "retries": 3,
        "retry_delay": timedelta(seconds=20),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
    },
)
def landing_daily() -> None:
    @task
    def discover(data_interval_start: Any = None) -> list[dict[str, str]]:
        from ingest.config import Settings
        from ingest.pipeline import discover_attlogs

        return discover_attlogs(Settings.from_env(), _local_day(data_interval_start))

    @task
    def stage(objects: list[dict[str, str]], data_interval_start: Any = None) -> dict[str, Any]:
        from ingest.config import Settings
        from ingest.pipeline import stage_attlogs

        return stage_attlogs(Settings.from_env(), _local_day(data_interval_start), objects)

    @task(retries=0)
    def gate(batch: dict[str, Any]) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        from ingest.config import Settings
        from ingest.pipeline import gate_batch
        from ingest.quality.gate import GateFailed

        if batch["objects"] == 0:
            return {"load_id": batch["load_id"], "skipped": True}
        try:
            return gate_batch(Settings.from_env(), batch["dataset"], batch["load_id"])
        except GateFailed as exc:  # a data error: retrying cannot help
            raise AirflowFailException(str(exc)) from exc

    @task(outlets=[RAW_PUNCHES])
    def publish(batch: dict[str, Any], gate_result: dict[str, Any]) -> dict[str, Any]:
        from ingest.config import Settings
        from ingest.pipeline import publish_batch

        if gate_result.get("skipped"):
            return {"load_id": batch["load_id"], "objects": 0}
        return publish_batch(Settings.from_env(), batch["dataset"], batch["load_id"])

    @task(outlets=[MART_ATTENDANCE])
    def build_marts(published: dict[str, Any], data_interval_end: Any = None) -> int:
        from ingest.config import Settings
        from ingest.transform.dbt import run_dbt

        outcome = run_dbt(
            Settings.from_env(),
            ["build", "--select", "+fct_attendance_daily"],
            as_of=_local_day(data_interval_end),
        )
        return len(outcome.results)

    batch = stage(discover())
    build_marts(publish(batch, gate(batch)))


landing_daily()
