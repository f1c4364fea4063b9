"""The marts on the seeded city of ``ingest.seed.city`` with its planted cases.

The generator's report lists what it planted (``report["cases"]``: a project that never
pays a month, one paying from a wrong account, a partial payer, a late payer, a worker low
three months in a row, buddy punches, an expired electrician certificate, an unrectified
major finding, …). Each must appear in the right mart with the right status, level or
reason code, and the clean project must be green with grade A.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest

from tests.dbt.conftest import build, empty_warehouse, querier
from tests.dbt.planted import planted_failures

pytestmark = pytest.mark.slow

START = date(2026, 8, 1)
DAYS = 92
AS_OF = START + timedelta(days=DAYS)  # 2026-11-01: September is due in October, final


def test_planted_cases_of_the_seeded_city_reach_the_marts(clean: Any) -> None:
    settings = clean
    empty_warehouse(settings)  # also the dbt snapshot schema
    # GIVEN the small seeded city (12 projects, 92 days from 2026-08-01) with planted cases
    from ingest.pipeline import ingest_day
    from ingest.seed.city import CitySpec, write_city

    report = write_city(settings.s3, CitySpec.preset("small", start=START, days=DAYS, seed=7))
    cases = report.get("cases")
    if not cases:
        pytest.skip("ingest.seed.city plants no cases yet (report has no 'cases')")

    # WHEN every day is loaded in order (faces verified, identity fraud searched) …
    day = START
    while day < AS_OF:
        ingest_day(settings, day)
        day += timedelta(days=1)
    # … and the marts are built as of 2026-11-01
    t0 = time.monotonic()
    build(settings, AS_OF, "--full-refresh")
    seconds = time.monotonic() - t0

    # THEN every planted case shows in the right mart with the right code
    failures = planted_failures(querier(settings), cases, AS_OF)
    assert not failures, "\n".join(failures)
    print(f"dbt build of the seeded city: {seconds:.1f}s")
