"""
### marts_build

Builds the dbt marts (staging → intermediate → marts, with their tests) every time
`landing_daily` finishes a day, with astronomer-cosmos operators on the pre-built manifest
`dbt/target/manifest.json` (no `dbt ls`, no `dbt deps` at run time). A task per layer,
each one `dbt build` of the layer (models or seeds, then their tests, dbt's threads running
independent models side by side), in the order of the layers, so a failing test fails its
layer's task and stops every later layer:

- `seeds`: every code table;
- `staging`: every staging view, 1:1 typed views of the raw tables with no rule of their own;
- `intermediate`: the rules' building blocks (punches verified, directed and paired, worker
  days, roster versions, wage months);
- `marts` and `snapshots`, side by side: the marts regulators read, and the roster snapshot.

The lineage between models is the dbt docs page `docs` writes after the build (local + S3),
and every model's time is in the task's log (dbt's own per-node lines). Each dbt start-up
costs ~1.7 s on 2 cores whatever it builds: 5 dbt tasks instead of 25 (one per model) save
~20 start-ups and Airflow task round trips per run (`docs/orchestration.md`).

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
#: Layers built as one task each (dbt selectors), in order; the last ones side by side.
LAYERS = (
    ("seeds", "resource_type:seed"),
    ("staging", "path:models/staging"),
    ("intermediate", "path:models/intermediate"),
)
LEAVES = (("marts", "path:models/marts"), ("snapshots", "resource_type:snapshot"))
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


def _dbt_build(task_id: str, selector: str) -> DbtBuildLocalOperator:
    """``dbt build --select <selector>`` (its models or seeds, then their tests)."""
    return DbtBuildLocalOperator(
        task_id=task_id,
        project_dir=str(DBT_DIR),
        profile_config=PROFILE,
        select=selector,
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

    as_of = resolve_as_of()
    layers = [_dbt_build(name, selector) for name, selector in LAYERS]
    leaves = [_dbt_build(name, selector) for name, selector in LEAVES]

    @task(outlets=[MARTS])
    def done(as_of_value: Any) -> str:
        return str(as_of_value)

    @task
    @step
    def docs() -> dict[str, str]:
        from ingest.config import Settings
        from ingest.transform.docs import build_dbt_docs

        return build_dbt_docs(Settings.from_env())

    built = [done(as_of), docs()]
    chain(as_of, *layers)
    for leaf in leaves:
        layers[-1] >> leaf
        leaf >> built


marts_build()
