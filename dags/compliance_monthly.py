"""
### compliance_monthly

The monthly city-wide compliance pass, for the month that just ended (the data interval)
and one city (`city` param; default Shenzhen 4403): freeze the month's marts into
`archive.*` (a dated snapshot regulators' decisions refer to), keep the 双随机 draw with
them, render the regulator's HTML report (local + S3), and export the month in the
national platform's OpenAPI shapes (WorkerAttendance, Payroll; ID and bank numbers
AES-encrypted) to S3.

It runs on the 20th of the following month, after every project's pay day of the month
before (pay days are ≤ the last day of the month) plus a grace period, so the wage
warnings it freezes are final.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from ingest import schedule
from ingest.tasks import step


def _month(data_interval_start: Any, params: Any) -> str:
    return schedule.month_of_run(data_interval_start, (params or {}).get("month"))


@dag(
    dag_id=schedule.COMPLIANCE_MONTHLY.dag_id,
    schedule=schedule.timetable(schedule.COMPLIANCE_MONTHLY),
    start_date=schedule.start_date(),
    catchup=False,
    max_active_runs=1,
    tags=["sitepass", "compliance", "monthly", "regulator"],
    doc_md=__doc__,
    params={
        "city": Param(
            "4403",
            type="string",
            pattern=r"^\d{4}$",
            description="City code: the first 4 digits of areaCode.",
        ),
        "month": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-\d{2}$",
            description="Report month YYYY-MM (default: the data interval's).",
        ),
    },
    default_args={
        "owner": "data-platform",
        "retries": 3,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
    },
)
def compliance_monthly() -> None:
    @task
    @step
    def freeze(data_interval_start: Any = None, params: Any = None) -> dict[str, Any]:
        from ingest.compliance import freeze_month
        from ingest.config import Settings

        month = _month(data_interval_start, params)
        return freeze_month(Settings.from_env(), params["city"], month).to_xcom()

    @task
    @step
    def report(frozen: Any, data_interval_start: Any = None, params: Any = None) -> dict[str, Any]:
        from ingest.config import Settings
        from ingest.report.html import write_report

        month = _month(data_interval_start, params)
        return write_report(Settings.from_env(), params["city"], month).to_xcom()

    @task
    @step
    def export(
        frozen: Any,
        data_interval_start: Any = None,
        data_interval_end: Any = None,
        params: Any = None,
    ) -> dict[str, Any]:
        from ingest.config import Settings
        from ingest.export.monthly import export_month

        manifest = export_month(
            Settings.from_env(),
            params["city"],
            _month(data_interval_start, params),
            as_of=pendulum.instance(data_interval_end),
        )
        return {k: v for k, v in manifest.to_xcom().items() if k != "files"}

    frozen = freeze()
    report(frozen)
    export(frozen)


compliance_monthly()
