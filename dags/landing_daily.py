"""
### landing_daily

For one local day (the data interval, Asia/Shanghai): make sure the warehouse schema is
migrated, discover the new or changed landing objects in the bucket (and late files of the
previous week's partitions), then for each landing feed of the feed registry
(`ingest.feeds`), in its load order (registry → roster → ZKTeco → Hikvision → payroll →
inspections), parse and stage them in Postgres, gate the batch with its Great Expectations
checkpoint, and publish a passing batch to `raw` (each publish updates that feed's Asset);
then re-verify the day's gate captures against the enrolment photos (mapped over chunks of
captures), search for identity fraud, mark the day loaded and emit
`sitepass.landing_day_complete`, on which `marts_build` is scheduled.

All logic lives in `ingest`; this file only orchestrates. Tasks exchange object keys, load
ids and typed results (`ingest.results`, as XCom dicts), never local files. Every task body
runs under `ingest.tasks.step`: data errors (bad input, a failed gate) fail at once without
retry; transient S3/Postgres errors are retried with exponential backoff.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import Param, dag, task, task_group

from ingest import feeds, schedule
from ingest.tasks import step

RAW_ASSETS = {
    name: schedule.asset(schedule.raw_asset(name)) for name in (*feeds.LOAD_ORDER, "face")
}
LANDING_DAY_COMPLETE = schedule.asset(schedule.LANDING_DAY_COMPLETE)


def _day(data_interval_start: Any, params: Any) -> Any:
    return schedule.day_of_run(data_interval_start, (params or {}).get("day"))


@dag(
    dag_id=schedule.LANDING_DAILY.dag_id,
    schedule=schedule.timetable(schedule.LANDING_DAILY),
    start_date=schedule.start_date(),
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
    @step
    def prepare() -> None:
        """Create or migrate the warehouse schema (a no-op when it is at head)."""
        from ingest.config import Settings
        from ingest.pipeline import prepare_warehouse

        prepare_warehouse(Settings.from_env())

    @task
    @step
    def discover(data_interval_start: Any = None, params: Any = None) -> dict[str, Any]:
        from ingest.config import Settings
        from ingest.pipeline import discover

        city = (params or {}).get("city")
        found = discover(Settings.from_env(), _day(data_interval_start, params), city=city)
        return found.to_xcom()

    @task
    @step
    def stage(
        feed: str, found: dict[str, Any], data_interval_start: Any = None, params: Any = None
    ) -> dict[str, Any]:
        from ingest.config import Settings
        from ingest.pipeline import stage_feed
        from ingest.results import Discovery

        objects = Discovery.from_xcom(found).for_feed(feed)
        day = _day(data_interval_start, params)
        return stage_feed(Settings.from_env(), feed, day, objects).to_xcom()

    @task
    @step
    def gate(batch: dict[str, Any]) -> dict[str, Any]:
        """The feed's GX checkpoint on the staged batch (its outcome is the XCom). A failed
        critical expectation is a data error: the task fails without retry and nothing is
        published."""
        from ingest.config import Settings
        from ingest.pipeline import gate_feed
        from ingest.quality.gate import GateOutcome
        from ingest.results import BatchResult

        staged = BatchResult.from_xcom(batch)
        if staged.load_id is None:
            return GateOutcome.nothing_staged(staged.feed).to_xcom()
        return gate_feed(Settings.from_env(), staged.feed, staged.load_id).to_xcom()

    @task
    @step
    def publish(batch: dict[str, Any]) -> dict[str, Any]:
        from ingest.config import Settings
        from ingest.pipeline import publish_feed
        from ingest.results import BatchResult

        staged = BatchResult.from_xcom(batch)
        if staged.load_id is None:
            return staged.to_xcom()
        return publish_feed(Settings.from_env(), staged.feed, staged.load_id).to_xcom()

    @task
    @step
    def plan_faces(data_interval_start: Any = None, params: Any = None) -> list[list[str]]:
        from ingest.config import Settings
        from ingest.pipeline import plan_verification

        return plan_verification(Settings.from_env(), _day(data_interval_start, params))

    @task(max_active_tis_per_dagrun=2, outlets=[RAW_ASSETS["face"]])
    @step
    def verify_faces(
        chunk: list[str], data_interval_start: Any = None, params: Any = None
    ) -> dict[str, Any]:
        from ingest.config import Settings
        from ingest.pipeline import verify_captures

        day = _day(data_interval_start, params)
        return verify_captures(Settings.from_env(), day, chunk).to_xcom()

    @task(trigger_rule="none_failed")  # also when no capture needed verifying
    @step
    def identity_fraud(data_interval_start: Any = None, params: Any = None) -> dict[str, Any]:
        from ingest.config import Settings
        from ingest.pipeline import detect_identity_fraud

        day = _day(data_interval_start, params)
        return detect_identity_fraud(Settings.from_env(), day).to_xcom()

    @task(outlets=[LANDING_DAY_COMPLETE], trigger_rule="none_failed")
    @step
    def mark_loaded(data_interval_start: Any = None, params: Any = None) -> str:
        """Record the loaded day; marts_build (scheduled on this asset) takes it from here."""
        from ingest.config import Settings
        from ingest.warehouse.days import mark_day_loaded

        day = _day(data_interval_start, params)
        return mark_day_loaded(Settings.from_env(), day).isoformat()

    found = discover()
    prepare() >> found
    previous: Any = found
    for name in feeds.LOAD_ORDER:

        @task_group(group_id=name)
        def load(feed: str = name) -> None:
            # Returns nothing, so the group (not its last task) is chained: every task of
            # a feed waits for the feeds before it in the registry's load order.
            batch = stage.override(task_id="stage")(feed, found)
            checked = gate.override(task_id="gate")(batch)
            checked >> publish.override(task_id="publish", outlets=[RAW_ASSETS[feed]])(batch)

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
