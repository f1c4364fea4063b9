"""
### marts_build

Builds the dbt marts (staging → intermediate → marts, with their tests) every time
`landing_daily` finishes a day, rendered with astronomer-cosmos from the pre-built manifest
`dbt/target/manifest.json` (no `dbt ls`, no `dbt deps` at run time). Every task runs
`dbt build` (models or seeds, then their tests), so a failing test fails its task and
stops everything downstream of it:

- `seeds`: every code table (`dbt build --select resource_type:seed`), one task;
- `staging`: every staging view (`dbt build --select path:models/staging`), one task:
  1:1 typed views of the raw tables, with no rule of their own;
- `dbt`: a task per intermediate and mart model and the snapshot, where the rules are, so
  the lineage between them stays visible in Airflow.

Each dbt start-up costs ~1.7 s on 2 cores whatever it builds: 25 dbt tasks instead of 65
(one per seed and staging view) save ~40 start-ups per run (the small city, back to back:
89 s instead of 155 s).
After the build, `docs` writes the static dbt docs page (local + S3).

`as_of` (the date every "as of" rule uses) is the day after the latest fully loaded day
(`ops.landing_days`), never the wall clock: re-running a past week rebuilds identical marts.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import chain, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior
from cosmos.operators.local import DbtBuildLocalOperator

from ingest import schedule
from ingest.tasks import step
from ingest.transform.cosmos_profile import SettingsProfileMapping

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"
LANDING_DAY_COMPLETE = schedule.asset(schedule.LANDING_DAY_COMPLETE)
MARTS = schedule.asset(schedule.MARTS)
#: Layers built as one task each (dbt selectors), in order; everything else is a task per
#: node in the ``dbt`` task group.
LAYERS = (("seeds", "resource_type:seed"), ("staging", "path:models/staging"))
NOT_IN_PRODUCTION = "resource_type:unit_test"  # unit tests run in `make test`
PROFILE = ProfileConfig(
    profile_name="sitepass",
    target_name="default",
    profile_mapping=SettingsProfileMapping(),  # rendered from Settings at run time
)
AS_OF_VARS = {"as_of": "{{ ti.xcom_pull(task_ids='resolve_as_of') }}"}
#: One quick retry covers a dropped connection; a failing test fails again at once.
DBT_RETRIES: dict[str, Any] = {
    "retries": 1,
    "retry_delay": timedelta(seconds=10),
    "retry_exponential_backoff": False,
}


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
    layers = [
        DbtBuildLocalOperator(
            task_id=name,
            project_dir=str(DBT_DIR),
            profile_config=PROFILE,
            select=selector,
            exclude=NOT_IN_PRODUCTION,
            install_deps=False,
            invocation_mode=InvocationMode.DBT_RUNNER,
            vars=AS_OF_VARS,
            **DBT_RETRIES,
        )
        for name, selector in LAYERS
    ]
    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=DBT_DIR,
            manifest_path=DBT_DIR / "target" / "manifest.json",
            install_dbt_deps=False,
        ),
        profile_config=PROFILE,
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,  # model + its tests in one task
            exclude=[NOT_IN_PRODUCTION, *(selector for _, selector in LAYERS)],
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
        ),
        operator_args={"install_deps": False, "vars": AS_OF_VARS},
        default_args=DBT_RETRIES,
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

    chain(as_of, *layers, dbt, [done(as_of), docs()])


marts_build()
