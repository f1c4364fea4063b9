"""The planted city the session builds once and several modules share (read the order in
``tests/conftest.py``'s ``pytest_collection_modifyitems``).

The small seeded city of ``ingest.seed.city`` (12 projects in 6 districts, seed 7, 92 days
from 2026-08-01, every bad-input kind and every planted case): August and September loaded
day by day through the pipeline functions each ``landing_daily`` task calls, then October
through Airflow (``sitepass run``: ``landing_daily`` per day with every feed, faces
verified, identity fraud searched; then ``marts_build`` as of 2026-11-01).
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date, timedelta
from typing import Any

START = date(2026, 8, 1)
DAYS = 92
SEED = 7
AS_OF = START + timedelta(days=DAYS)  # 2026-11-01: September is due in October, final
AIRFLOW_MONTH_START = date(2026, 10, 1)  # the seeded month loaded by `sitepass run`


def sitepass_run(start: date, end: date) -> subprocess.CompletedProcess[str]:
    """`sitepass run` for a range of days (a real DAG run per day, then marts_build)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ingest.cli",
            "run",
            "--start",
            start.isoformat(),
            "--end",
            end.isoformat(),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def build_planted_city() -> dict[str, Any]:
    """Empty the stack, seed the city and load it; return settings, the seed report and
    how long the Airflow month took."""
    from ingest.config import Settings
    from ingest.pipeline import ingest_day
    from ingest.seed.city import CitySpec, write_city
    from tests.conftest import empty_stack

    settings = Settings.from_env()
    empty_stack(settings)
    # GIVEN the small seeded city (12 projects, 92 days from 2026-08-01) with planted cases
    spec = CitySpec.preset("small", start=START, days=DAYS, seed=SEED)
    report = write_city(settings.s3, spec)
    # WHEN August and September are loaded day by day through the pipeline's functions
    # (what each landing_daily task calls) …
    day = START
    while day < AIRFLOW_MONTH_START:
        ingest_day(settings, day)
        day += timedelta(days=1)
    # … and October through Airflow: `sitepass run` runs landing_daily for each day (feeds,
    # gate, faces verified, identity fraud searched), then marts_build as of the day after
    # the last loaded day (2026-11-01)
    t0 = time.monotonic()
    proc = sitepass_run(AIRFLOW_MONTH_START, AS_OF - timedelta(days=1))
    assert proc.returncode == 0, proc.stderr[-5000:]
    return {"settings": settings, "report": report, "run_seconds": time.monotonic() - t0}
