"""The walking skeleton's entry point: ``sitepass status`` of the running stack.

The skeleton itself (S3 → Airflow DAG → GX gate → Postgres → dbt) runs end to end in
three places that share their work instead of repeating it:

- a tiny seeded day through ``landing_daily`` and ``marts_build`` with exactly the compose
  deployment's environment, down to one attendance row per present worker and every
  landed row accounted for in a published audit row
  (``tests/integration/test_compose_env.py::test_compose_environment_runs_landing_and_marts``);
- a month of the planted city through ``sitepass run`` (``tests/shared_city.py``);
- a second ``sitepass run`` of a week over an unchanged bucket, which loads nothing new,
  quarantines nothing new and leaves every mart identical
  (``tests/dbt/test_marts_planted.py::test_rerun_of_a_middle_week_through_airflow_…``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.conftest import query


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


def test_the_running_server_reads_the_declared_settings(settings: Any) -> None:
    # GIVEN the session's throwaway stack (started with up(fast=True))
    # WHEN the server is asked where its settings come from
    rows = {
        name: (value, source or "")
        for name, value, source in query(
            settings,
            "select name, setting, sourcefile from pg_settings"
            " where name in ('max_wal_size', 'wal_compression', 'jit', 'fsync')",
        )
    }
    # THEN TUNING reached it through sitepass.conf, and the throwaway cluster skips fsync
    assert rows["max_wal_size"][0] == "4096"
    assert rows["max_wal_size"][1].endswith("/sitepass.conf")
    assert rows["wal_compression"][0] == "lz4"
    assert rows["jit"][0] == "off"
    assert rows["fsync"][0] == "off"
    assert rows["fsync"][1].endswith("/sitepass-throwaway.conf")
