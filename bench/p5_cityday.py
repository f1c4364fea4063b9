"""P5: a large city's second day end to end (`sitepass run`: landing + gate + marts).

A stack of its own, durable like a deployment (fsync on, unlike the throwaway stacks of
the other rows), Airflow's metadata migrated: ``sitepass seed --size large`` for two days
(D0, D1), ``sitepass run`` for D0 (not timed: the first day also loads the first
450k-member roster snapshot), then ``sitepass run`` for D1, timed from a fresh child
process whose peak RSS is the largest of the processes it waited for (what
``/usr/bin/time`` reports). Face re-verification is excluded as the issue asks: the span of
the ``faces`` task group of D1's ``landing_daily`` run (Airflow's task instances) is
subtracted from the wall time and reported beside it. One repetition: a repetition is a
fresh stack, a seed and two days (~10 minutes).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2

from ingest import schedule
from ingest.config import Settings
from ingest.stack.manager import down, up

log = logging.getLogger(__name__)

D0 = date(2026, 11, 2)
D1 = D0 + timedelta(days=1)
#: Seconds and RSS target of the issue (city-day end to end, faces excluded).
TARGET_SECONDS = 120.0
TARGET_RSS_MB = 1536.0
#: Runs ``argv`` as a child and prints its wall seconds and peak RSS (KiB) as JSON: the
#: RSS of this wrapper's children only, not of the bench process.
_TIMED = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.run(sys.argv[1:]).returncode
seconds = time.perf_counter() - t0
kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": rc, "seconds": seconds, "maxrss_kib": kib}))
"""


def _sitepass(*args: str) -> list[str]:
    return [sys.executable, "-m", "ingest.cli", *args]


def _timed(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _TIMED, *argv],
        env=env,
        stdout=subprocess.PIPE,
        check=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        raise RuntimeError(f"{' '.join(argv)} failed with exit status {result['rc']}")
    return result


def _faces_seconds(settings: Settings, day: date) -> float:
    """Wall span of the ``faces`` task group of ``day``'s ``landing_daily`` run."""
    dsn = settings.airflow_dsn.replace("postgresql+psycopg2://", "postgresql://")
    logical = schedule.run_after_day(day)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            """select extract(epoch from max(ti.end_date) - min(ti.start_date))
                 from task_instance ti
                 join dag_run dr on dr.dag_id = ti.dag_id and dr.run_id = ti.run_id
                where ti.dag_id = %s and ti.task_id like 'faces.%%'
                  and dr.logical_date = %s""",
            (schedule.LANDING_DAILY.dag_id, logical),
        )
        row = cur.fetchone()
    return float(row[0]) if row and row[0] is not None else 0.0


def _task_seconds(settings: Settings, since: datetime) -> dict[str, float]:
    """Seconds of each task (``dag.task``) started at or after ``since``, and each DAG's
    span from its first task's start to its last task's end (``dag``; a ``dags test`` run
    records its logical date as its start): where the second day's time went."""
    dsn = settings.airflow_dsn.replace("postgresql+psycopg2://", "postgresql://")
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            """select dag_id || '.' || task_id, sum(extract(epoch from end_date - start_date))
                 from task_instance where start_date >= %(since)s group by 1
               union all
               select dag_id, extract(epoch from max(end_date) - min(start_date))
                 from task_instance where start_date >= %(since)s group by 1
               order by 2 desc""",
            {"since": since},
        )
        return {name: round(float(sec), 1) for name, sec in cur.fetchall() if sec is not None}


def p5(home: Path, size: str = "large") -> dict[str, Any]:
    """The P5 row (one repetition on a stack under ``home``, removed afterwards)."""
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "SITEPASS_HOME": str(home)}
    saved = os.environ.get("SITEPASS_HOME")
    os.environ["SITEPASS_HOME"] = str(home)
    up(home)
    try:
        settings = Settings.from_env()
        log.info("P5: seeding a %s city, %s and %s", size, D0, D1)
        subprocess.run(
            _sitepass("seed", "--size", size, "--start", D0.isoformat(), "--days", "2"),
            env=env,
            check=True,
        )
        log.info("P5: first day %s (not timed)", D0)
        first = _timed(_sitepass("run", "--start", D0.isoformat(), "--end", D0.isoformat()), env)
        log.info("P5: second day %s (timed)", D1)
        since = datetime.now(UTC)  # which task instances are the second day's
        second = _timed(_sitepass("run", "--start", D1.isoformat(), "--end", D1.isoformat()), env)
        faces = _faces_seconds(settings, D1)
        stages = _task_seconds(settings, since)
    finally:
        down(home)
        shutil.rmtree(home, ignore_errors=True)
        if saved is None:
            os.environ.pop("SITEPASS_HOME", None)
        else:
            os.environ["SITEPASS_HOME"] = saved
    seconds = second["seconds"] - faces
    rss_mb = second["maxrss_kib"] / 1024
    return {
        "id": "P5",
        "what": f"{size} city, second day end to end (sitepass run: landing + gate + marts, "
        "faces excluded), durable stack",
        "ours": round(seconds, 1),
        "reference": TARGET_SECONDS,
        "unit": "s",
        "ratio": round(seconds / TARGET_SECONDS, 3),
        "target": f"<= {TARGET_SECONDS:.0f} s and rss <= {TARGET_RSS_MB:.0f} MB",
        "met": seconds <= TARGET_SECONDS and rss_mb <= TARGET_RSS_MB,
        "rss_mb": round(rss_mb),
        "wall_seconds": round(second["seconds"], 1),
        "faces_seconds": round(faces, 1),
        "first_day_seconds": round(first["seconds"], 1),
        "first_day_rss_mb": round(first["maxrss_kib"] / 1024),
        "stage_seconds": stages,
    }
