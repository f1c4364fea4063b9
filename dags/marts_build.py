"""
### marts_build

Builds the dbt marts (staging → intermediate → marts, with their tests, and the roster
snapshot) every time `landing_daily` finishes a day, with an astronomer-cosmos operator on
the pre-built manifest `dbt/target/manifest.json` (no `dbt ls`, no `dbt deps` at run time):

- `resolve_as_of`: the date every "as of" rule uses;
- `seeds`: the code tables whose CSV changed since the warehouse loaded them (or whose
  table is missing), with their tests; usually none (`ops.dbt_seed_loads`);
- `build`: one `dbt build` of every model and snapshot: dbt orders them by their lineage,
  runs each model's tests right after it and skips whatever depends on a failing one, with
  its threads running independent models side by side; a failure fails the task;
- `docs`: the static dbt docs page (the lineage), rebuilt when the project changed.

One dbt process for the whole build, where there were five (one per layer) and before
that 25 (one per model): each dbt start-up costs ~2 s on 2 cores and each Airflow task
its own round trip, and the layers waited for each other's slowest model
(`docs/orchestration.md`). Every model's time is in the `build` task's log.

`as_of` (the date every "as of" rule uses) is the day after the latest fully loaded day
(`ops.landing_days`), never the wall clock: re-running a past week rebuilds identical marts.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import chain, dag, task
from cosmos import ProfileConfig
from cosmos.constants import InvocationMode
from cosmos.operators.local import DbtBuildLocalOperator

from ingest import schedule
from ingest.tasks import step
from ingest.transform.cosmos_profile import SettingsProfileMapping
from ingest.transform.dbt import NOT_IN_PRODUCTION

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"
LANDING_DAY_COMPLETE = schedule.asset(schedule.LANDING_DAY_COMPLETE)
MARTS = schedule.asset(schedule.MARTS)
#: What the `build` task selects (dbt selectors, a union): every model and snapshot. The
#: seeds are the `seeds` task's (loaded when they change).
BUILD = ("path:models", "resource_type:snapshot")
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


def _dbt_build(task_id: str, selectors: tuple[str, ...]) -> DbtBuildLocalOperator:
    """``dbt build --select <selectors>`` (the nodes, each followed by its tests)."""
    return DbtBuildLocalOperator(
        task_id=task_id,
        project_dir=str(DBT_DIR),
        profile_config=PROFILE,
        select=list(selectors),
        exclude=NOT_IN_PRODUCTION,
        install_deps=False,
        invocation_mode=InvocationMode.DBT_RUNNER,
        vars=AS_OF_VARS,
        **DBT_RETRIES,
    )


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
        from ingest.warehouse.days import marts_as_of

        return marts_as_of(Settings.from_env()).isoformat()

    @task
    @step
    def seeds(as_of_value: str) -> dict[str, object]:
        from datetime import date

        from ingest.config import Settings
        from ingest.transform.seeds import load_changed_seeds

        return load_changed_seeds(Settings.from_env(), date.fromisoformat(as_of_value)).to_xcom()

    as_of = resolve_as_of()
    build = _dbt_build("build", BUILD)

    @task(outlets=[MARTS])
    def done(as_of_value: Any) -> str:
        return str(as_of_value)

    @task
    @step
    def docs() -> dict[str, str]:
        from ingest.config import Settings
        from ingest.transform.docs import build_dbt_docs

        return build_dbt_docs(Settings.from_env())

    chain(seeds(as_of), build, [done(as_of), docs()])


marts_build()
