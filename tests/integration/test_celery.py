"""Scale-out: landing_daily for a seeded city on the CeleryExecutor with two workers."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from typing import Any

from tests.conftest import query

DAY = date(2026, 11, 2)


def _airflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airflow", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_landing_daily_runs_on_two_celery_workers(clean: Any) -> None:
    settings = clean
    from ingest.seed.city import CitySpec, write_city
    from ingest.stack import celery, ui
    from ingest.stack.proc import free_port
    from ingest.warehouse.db import connect

    # GIVEN a seeded city in the bucket
    write_city(settings.s3, CitySpec.preset("small", start=DAY, days=1, seed=5))
    # AND a Redis broker, the API server, scheduler, DAG processor and two Celery workers
    broker = free_port()
    cenv = celery.celery_env(settings.airflow_dsn, broker)
    port = free_port()
    info = ui.start(settings.home, settings.airflow_dsn, port, extra_env=cenv)
    try:
        celery.start_redis(broker, settings.home, pgid=info["pgid"])
        env = {**ui.ui_env(settings.home, settings.airflow_dsn, port), **cenv}
        celery.start_workers(
            settings.home,
            settings.airflow_dsn,
            {
                **cenv,
                **{k: v for k, v in env.items() if k.startswith("AIRFLOW__") and k not in cenv},
            },
            ["w1", "w2"],
            info["pgid"],
        )
        # WHEN the day's run is triggered through the scheduler
        deadline = time.monotonic() + 120
        while _airflow(env, "dags", "unpause", "landing_daily").returncode != 0:
            assert time.monotonic() < deadline, "the DAG processor never parsed landing_daily"
            time.sleep(3)
        run_id = "celery_check"
        out = _airflow(
            env, "dags", "trigger", "landing_daily", "-r", run_id, "-c", f'{{"day": "{DAY}"}}'
        )
        assert out.returncode == 0, out.stderr[-3000:]
        state = None
        deadline = time.monotonic() + 600
        airflow_db = settings.airflow_dsn.replace("postgresql+psycopg2://", "postgresql://")
        while time.monotonic() < deadline:
            with connect(airflow_db) as conn, conn.cursor() as cur:
                cur.execute("select state from dag_run where run_id = %s", (run_id,))
                row = cur.fetchone()
            state = row[0] if row else None
            if state in {"success", "failed"}:
                break
            time.sleep(5)
        # THEN the run succeeds and both workers took tasks
        with connect(airflow_db) as conn, conn.cursor() as cur:
            cur.execute(
                "select hostname, count(*) from task_instance where run_id = %s "
                "and state = 'success' group by 1",
                (run_id,),
            )
            hosts = dict(cur.fetchall())
        assert state == "success", hosts
        assert {h.rsplit("-", 1)[-1] for h in hosts} == {"w1", "w2"}, hosts
        assert query(settings, "select count(*) from raw.zkteco_punches")[0][0] > 0
    finally:
        ui.stop(info["pgid"])
