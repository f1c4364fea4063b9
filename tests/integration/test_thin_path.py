"""The walking skeleton end to end on real parts: S3 → Airflow DAG → GX gate → Postgres → dbt.

That a second `sitepass run` over an unchanged bucket loads nothing new, quarantines nothing
new and leaves the marts identical is checked on the planted city, for a week and every
mart (``tests/dbt/test_marts_planted.py::test_rerun_of_a_middle_week_through_airflow_…``),
so this module runs the pipeline through Airflow once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from typing import Any

from tests.conftest import query

DAY = date(2026, 11, 2)


def _sitepass(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingest.cli", *args], capture_output=True, text=True, check=False
    )


def test_status_json_reports_the_running_stack(stack: dict[str, Any]) -> None:
    # WHEN an outside tool asks for the stack's coordinates
    proc = _sitepass("status", "--json")
    # THEN it gets DSNs, the S3 endpoint, bucket and credentials of a running stack
    assert proc.returncode == 0, proc.stderr
    st = json.loads(proc.stdout)
    assert st["running"] is True
    assert st["postgres"]["dsn"].startswith("postgresql://sitepass:")
    assert st["s3"]["endpoint_url"].startswith("http://127.0.0.1:")
    assert st["s3"]["bucket"] == "sitepass-landing"
    assert st["s3"]["access_key"] and st["s3"]["secret_key"]


def test_seeded_day_reaches_the_attendance_mart_through_airflow(clean: Any) -> None:
    settings = clean
    # GIVEN a tiny contract-conformant city in the bucket
    from ingest.seed.city import CitySpec, write_city

    report = write_city(settings.s3, CitySpec.preset("tiny", start=DAY, days=1, seed=7))
    present = report["present"][DAY.isoformat()]

    # WHEN the pipeline runs for that day through a real Airflow DAG run
    proc = _sitepass("run", "--start", DAY.isoformat(), "--end", DAY.isoformat())
    assert proc.returncode == 0, proc.stderr[-5000:]

    # THEN the daily attendance mart has exactly one row per present worker
    rows = query(
        settings,
        "select project_code, employee_no, punch_count, is_present "
        "from marts.fct_attendance_daily where work_date = %s "
        "order by 1, 2",
        (DAY,),
    )
    expected = sorted((p, e.lstrip("0")) for p, emps in present.items() for e in emps)
    assert [(r[0], r[1]) for r in rows] == expected
    assert all(r[2] == 2 and r[3] for r in rows)
    # AND every landed row is accounted for in the audit
    audit = query(
        settings,
        "select rows_read, rows_loaded, rows_quarantined, duplicates, ignored, "
        "status from ops.load_audit",
    )
    assert audit and all(r[0] == r[1] + r[2] + r[3] + r[4] and r[5] == "published" for r in audit)
