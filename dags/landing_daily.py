"""
### landing_daily

For one local day (the data interval, Asia/Shanghai): discover the new or changed landing
objects in the bucket (and late files of the previous week's partitions), then for each
feed in dependency order (registry → roster → ZKTeco → Hikvision → payroll → inspections)
parse and stage them in Postgres, gate the batch with its Great Expectations checkpoint,
and publish a passing batch to `raw` (each publish updates that raw table's Asset); then
re-verify the day's gate captures against the enrolment photos (mapped over chunks of
captures), search for identity fraud, mark the day loaded and emit
`sitepass.landing_day_complete`, on which `marts_build` is scheduled.

All logic lives in `ingest.pipeline`; this file only orchestrates. Tasks exchange object
keys and load ids, never local files. Data errors (a failed gate) fail without retry;
transient S3/Postgres errors are retried with exponential backoff.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, task, task_group

LOCAL_TZ = "Asia/Shanghai"
FEEDS = ("registry", "roster", "zkteco", "hikvision", "payroll", "inspections")
RAW_ASSETS = {
    feed: Asset(name=f"raw.{feed}", uri=f"postgres://warehouse:5432/sitepass/raw/{feed}")
    for feed in (*FEEDS, "face")
}
#: Emitted once a day is fully loaded (every feed published, captures verified).
LANDING_DAY_COMPLETE = Asset(
    name="sitepass.landing_day_complete", uri="sitepass://landing/day-complete"
)


def _local_day(moment: Any) -> Any:
    return pendulum.instance(moment).in_timezone(LOCAL_TZ).date()


def _run_day(data_interval_start: Any, params: Any) -> Any:
    """The local day this run loads: the data interval's, or the ``day`` param of a manual
    run (Airflow 3 gives manual runs the latest complete interval before *now*)."""
    if params and params.get("day"):
        return pendulum.parse(params["day"]).date()
    return _local_day(data_interval_start)


@dag(
    dag_id="landing_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone=LOCAL_TZ),
    start_date=pendulum.datetime(2026, 1, 1, tz=LOCAL_TZ),
    catchup=False,
    max_active_runs=1,
    tags=["sitepass", "landing", "daily"],
    params={
        "city": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}$",
            description="Load only this city's projects (first 4 digits of areaCode).",
        ),
        "day": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Load this local day instead of the data interval's "
            "(manual re-runs of a past day).",
        ),
    },
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
    def discover(
        data_interval_start: Any = None, params: Any = None
    ) -> dict[str, list[dict[str, str]]]:
        from ingest.config import Settings
        from ingest.pipeline import discover

        city = params.get("city") if params else None
        return discover(Settings.from_env(), _run_day(data_interval_start, params), city=city)

    @task
    def stage(
        feed: str, found: dict[str, Any], data_interval_start: Any = None, params: Any = None
    ) -> dict[str, Any]:
        from ingest.config import Settings
        from ingest.pipeline import stage_feed

        objects = found.get(feed, [])
        if not objects:
            return {"feed": feed, "load_id": None, "objects": 0}
        return stage_feed(Settings.from_env(), feed, _run_day(data_interval_start, params), objects)

    @task
    def gate(batch: dict[str, Any]) -> dict[str, Any]:
        """The feed's GX checkpoint on the staged batch. A failed expectation raises
        AirflowFailException (a data error: never retried); connection errors retry."""
        from sitepass_gate import run_gate_task  # plugins/ (on the path in every process)

        if not batch.get("load_id") or batch.get("objects", 0) == 0:
            return {"skipped": True}
        return run_gate_task(
            batch["feed"], batch["load_id"], load_seconds=batch.get("stage_seconds")
        )

    @task
    def publish(batch: dict[str, Any], gate_result: dict[str, Any]) -> dict[str, Any]:
        from ingest.config import Settings
        from ingest.pipeline import publish_feed

        if gate_result.get("skipped"):
            return {"feed": batch["feed"], "objects": 0}
        return publish_feed(Settings.from_env(), batch["feed"], batch["load_id"])

    @task
    def plan_faces(data_interval_start: Any = None, params: Any = None) -> list[list[str]]:
        from ingest.config import Settings
        from ingest.pipeline import plan_verification

        return plan_verification(Settings.from_env(), _run_day(data_interval_start, params))

    @task(max_active_tis_per_dagrun=2, outlets=[RAW_ASSETS["face"]])
    def verify_faces(
        chunk: list[str], data_interval_start: Any = None, params: Any = None
    ) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        from ingest.config import Settings
        from ingest.pipeline import verify_captures
        from ingest.quality.gate import GateFailed

        try:
            return verify_captures(
                Settings.from_env(), _run_day(data_interval_start, params), chunk
            )
        except GateFailed as exc:
            raise AirflowFailException(str(exc)) from exc

    @task(trigger_rule="none_failed")  # also when no capture needed verifying
    def identity_fraud(data_interval_start: Any = None, params: Any = None) -> dict[str, int]:
        from ingest.config import Settings
        from ingest.pipeline import detect_identity_fraud

        return detect_identity_fraud(Settings.from_env(), _run_day(data_interval_start, params))

    @task(outlets=[LANDING_DAY_COMPLETE], trigger_rule="none_failed")
    def mark_loaded(data_interval_start: Any = None, params: Any = None) -> str:
        """Record the loaded day; marts_build (scheduled on this asset) takes it from here."""
        from ingest.config import Settings
        from ingest.pipeline import mark_day_loaded

        day = _run_day(data_interval_start, params)
        return mark_day_loaded(Settings.from_env(), day).isoformat()

    found = discover()
    previous = found
    for feed in FEEDS:

        @task_group(group_id=feed)
        def load(feed: str = feed) -> None:
            # Returns nothing, so the group (not its last task) is chained: every task
            # of a feed waits for the previous feed to be published.
            batch = stage.override(task_id="stage")(feed, found)
            publish.override(task_id="publish", outlets=[RAW_ASSETS[feed]])(
                batch, gate.override(task_id="gate")(batch)
            )

        group = load()
        previous >> group
        previous = group

    @task_group(group_id="faces")
    def faces() -> None:
        """Re-verify the day's gate captures in chunks (dynamic mapping, not a task per
        photo), then search the city for identity fraud."""
        verify_faces.expand(chunk=plan_faces()) >> identity_fraud()

    face_group = faces()
    previous >> face_group >> mark_loaded()


landing_daily()
