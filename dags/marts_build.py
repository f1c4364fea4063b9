"""
### marts_build

Builds the dbt marts (staging → intermediate → marts, with their tests) every time
`landing_daily` finishes a day. Each model (and seed and snapshot) is its own task
(astronomer-cosmos task group rendered from the pre-built manifest
`dbt/target/manifest.json`: no `dbt ls`, no `dbt deps` at run time) that runs
`dbt build --select <model>`: the model, then its tests, so a failing test fails that task
and stops everything downstream of it. (One `dbt build` per model instead of a `run` and a
`test` task each halves the dbt start-ups: 67 tasks, ~110 s instead of ~230 s on 2 cores.)
After the build, `docs` writes the static dbt docs page (local + S3).

`as_of` (the date every "as of" rule uses) is the day after the latest fully loaded day
(`ops.landing_days`), never the wall clock: re-running a past week rebuilds identical marts.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from ingest import schedule
from ingest.tasks import step
from ingest.transform.cosmos_profile import SettingsProfileMapping

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"
LANDING_DAY_COMPLETE = schedule.asset(schedule.LANDING_DAY_COMPLETE)
MARTS = schedule.asset(schedule.MARTS)


@dag(
    dag_id="marts_build",
    schedule=[LANDING_DAY_COMPLETE],
    start_date=schedule.start_date(),
    catchup=False,
    max_active_runs=1,
    tags=["sitepass", "dbt", "marts"],
    doc_md=__doc__,
    default_args={
        "owner": "data-platform",
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
    },
)
def marts_build() -> None:
    @task
    @step
    def resolve_as_of() -> str:
        from ingest.config import Settings
        from ingest.pipeline import marts_as_of

        return marts_as_of(Settings.from_env()).isoformat()

    as_of = resolve_as_of()
    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=DBT_DIR,
            manifest_path=DBT_DIR / "target" / "manifest.json",
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(
            profile_name="sitepass",
            target_name="default",
            profile_mapping=SettingsProfileMapping(),  # rendered from Settings at run time
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,  # model + its tests in one task
            exclude=["resource_type:unit_test"],
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
        ),
        operator_args={
            "install_deps": False,
            "vars": {"as_of": "{{ ti.xcom_pull(task_ids='resolve_as_of') }}"},
        },
        # One quick retry covers a dropped connection; a failing test fails again at once.
        default_args={
            "retries": 1,
            "retry_delay": timedelta(seconds=10),
            "retry_exponential_backoff": False,
        },
    )

    @task(outlets=[MARTS])
    def done(as_of_value: Any) -> str:
        return str(as_of_value)

    @task
    @step
    def docs() -> dict[str, str]:
        from ingest.config import Settings
        from ingest.transform.docs import build_dbt_docs

        return build_dbt_docs(Settings.from_env())

    as_of >> dbt >> [done(as_of), docs()]


marts_build()
