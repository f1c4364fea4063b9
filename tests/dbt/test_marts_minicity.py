"""The marts on the hand-planted mini city (tests/dbt/minicity.py), end to end.

GIVEN the mini city loaded day by day through the real pipeline and a full `dbt build`
as of 2026-11-01 (module fixture ``minicity``), these tests check every planted case, the
regulator row-level security with real logins, and that daily incremental runs give the
same marts as a full rebuild while absorbing a corrected file.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest

from tests.dbt.conftest import build
from tests.dbt.planted import planted_failures

pytestmark = pytest.mark.slow

FACTS = (
    "int.int_punches__verified",
    "int.int_punches__directed",
    "int.int_punches__paired",
    "int.int_attendance__worker_days",
    "marts.fct_attendance_daily",
    "marts.fct_attendance_monthly",
    "marts.fct_wage_arrears",
    "marts.fct_project_wage_warning",
    "marts.fct_inspection_score",
    "marts.fct_alerts",
    "marts.rpt_random_inspection_sample",
)

#: The incremental models that rebuild their changed days (docs/rules.md).
INCREMENTAL = (
    "int_punches__verified",
    "int_punches__directed",
    "int_punches__paired",
    "int_punches__project_days",
    "int_attendance__worker_days",
    "fct_attendance_daily",
)


def _fingerprints(q: Any) -> dict[str, tuple[int, str]]:
    out = {}
    for t in FACTS:
        n, h = q(
            f"select count(*), md5(coalesce(string_agg(x, '|' order by x), '')) "
            f"from (select (t)::text as x from {t} t) s"
        )[0]
        out[t] = (n, h)
    return out


def test_every_planted_case_reaches_the_right_mart(minicity: dict[str, Any]) -> None:
    # WHEN the marts are read as of 2026-11-01
    failures = planted_failures(minicity["q"], minicity["city"].cases, minicity["as_of"])
    # THEN every planted case shows with its status, level or reason code
    assert not failures, "\n".join(failures)


def test_clean_project_scores_100_and_misc_project_is_red(minicity: dict[str, Any]) -> None:
    q = minicity["q"]
    clean = minicity["city"].cases["clean"]["project"]
    # THEN the clean project scores 100 in every month
    assert {
        r[0]
        for r in q(
            "select total_score from marts.fct_inspection_score where project_code = %s", (clean,)
        )
    } == {100}
    # AND a project that leaves a worker without contract unpaid is red for it
    misc = minicity["city"].cases["no_contract"]["project"]
    level, reasons = q(
        "select level, reasons from marts.fct_project_wage_warning "
        "where project_code = %s and pay_month = '2026-09'",
        (misc,),
    )[0]
    assert level == "red" and "missing_pay_lines" in reasons


def test_a_district_role_sees_only_its_district(minicity: dict[str, Any]) -> None:
    import psycopg2

    settings = minicity["settings"]
    # GIVEN the roles the dbt run created, with passwords set by an administrator
    from ingest.warehouse.db import connect

    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute("alter role regulator_district_440305 password 'district-pw'")
        cur.execute("alter role regulator_city_4403 password 'city-pw'")
    dsn = psycopg2.extensions.parse_dsn(settings.warehouse_dsn)

    def as_role(role: str, password: str, sql: str) -> list[tuple[Any, ...]]:
        conn = psycopg2.connect(
            host=dsn.get("host"),
            port=dsn.get("port"),
            dbname=dsn.get("dbname"),
            user=role,
            password=password,
        )
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return list(cur.fetchall())
        finally:
            conn.close()

    tables = (
        "dim_project",
        "dim_team",
        "fct_attendance_daily",
        "fct_attendance_monthly",
        "fct_wage_arrears",
        "fct_project_wage_warning",
        "fct_inspection_score",
        "fct_alerts",
        "rpt_random_inspection_sample",
    )
    for t in tables:
        # WHEN the district regulator logs in and reads a mart
        seen = as_role(
            "regulator_district_440305",
            "district-pw",
            f"select distinct district_code from marts.{t}",
        )
        # THEN only its district's rows come back
        assert {r[0] for r in seen} == {"440305"}, t
        # AND the city regulator sees every district of the city
        city = as_role(
            "regulator_city_4403", "city-pw", f"select distinct district_code from marts.{t}"
        )
        assert {r[0] for r in city} == {"440305", "440306"}, t
    workers = as_role(
        "regulator_district_440305",
        "district-pw",
        "select count(*) from marts.dim_worker where not ('440305' = any(district_codes))",
    )
    assert workers == [(0,)]
    # AND the district role cannot read the city-wide data-quality mart nor raw data
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        as_role(
            "regulator_district_440305",
            "district-pw",
            "select count(*) from marts.fct_data_quality_daily",
        )
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        as_role(
            "regulator_district_440305", "district-pw", "select count(*) from raw.payroll_lines"
        )
    assert as_role(
        "regulator_city_4403", "city-pw", "select count(*) > 0 from marts.fct_data_quality_daily"
    ) == [(True,)]


def test_daily_incremental_runs_match_a_full_rebuild(minicity: dict[str, Any]) -> None:
    settings, q, as_of = minicity["settings"], minicity["q"], minicity["as_of"]
    full = _fingerprints(q)
    # GIVEN the marts rebuilt as of three days earlier
    build(settings, as_of - timedelta(days=3), "--full-refresh")
    # WHEN the daily runs of the next three days run incrementally
    timings = []
    for back in (2, 1, 0):
        t0 = time.monotonic()
        build(settings, as_of - timedelta(days=back))
        timings.append(time.monotonic() - t0)
    # THEN the facts are exactly those of the full rebuild
    assert _fingerprints(q) == full
    # AND each incremental build rebuilt only the day it added (nothing was published
    # in between), not the fixed window
    for model in INCREMENTAL:
        recorded = q(
            "select as_of, days from ops.incremental_runs where model like %s "
            "order by run_no desc limit 4",
            (f"%.{model}",),
        )
        assert recorded == [
            (as_of, [as_of - timedelta(days=1)]),
            (as_of - timedelta(days=1), [as_of - timedelta(days=2)]),
            (as_of - timedelta(days=2), [as_of - timedelta(days=3)]),
            (as_of - timedelta(days=3), None),
        ], model
    print(
        f"full build {minicity['build_seconds']:.1f}s; daily incremental "
        + ", ".join(f"{t:.1f}s" for t in timings)
    )


def test_a_corrected_file_in_the_window_replaces_its_punches(minicity: dict[str, Any]) -> None:
    settings, q, as_of = minicity["settings"], minicity["q"], minicity["as_of"]
    project = minicity["city"].cases["clean"]["project"]
    day = as_of - timedelta(days=2)
    before = q(
        "select count(*) from marts.fct_attendance_daily "
        "where project_code = %s and work_date = %s",
        (project, day),
    )[0][0]
    assert before > 0
    # GIVEN a corrected attlog for a day inside the lookback window drops one worker
    # (published as a replacement is: its object's rows change and it is published anew)
    from ingest.warehouse.db import connect

    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "update ops.load_audit set published_at = clock_timestamp() where object_key in "
            "(select object_key from raw.zkteco_punches where project_code = %s "
            "and work_date = %s and employee_no = '1')",
            (project, day),
        )
        assert cur.rowcount > 0
        cur.execute(
            "delete from raw.zkteco_punches where project_code = %s and work_date = %s "
            "and employee_no = '1'",
            (project, day),
        )
    try:
        # WHEN the daily incremental run runs
        build(settings, as_of)
        # THEN the worker's day is gone from the fact, with no duplicate left behind
        after = q(
            "select count(*), count(*) filter (where employee_no = '1') "
            "from marts.fct_attendance_daily where project_code = %s and work_date = %s",
            (project, day),
        )[0]
        assert after == (before - 1, 0)
        dupes = q(
            "select count(*) from (select 1 from marts.fct_attendance_daily "
            "group by project_code, employee_no, work_date having count(*) > 1) d"
        )
        assert dupes == [(0,)]
    finally:
        build(settings, as_of, "--full-refresh")


def _republish(settings: Any, feed: str, first: date, last: date) -> date:
    """Publish the feed's latest object dated in [first, last] again (as a replacement
    is); return its day."""
    from ingest.warehouse.db import connect

    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "update ops.load_audit set published_at = clock_timestamp() "
            "where feed = %(feed)s and status = 'published' and partition_date = ("
            "  select max(partition_date) from ops.load_audit where feed = %(feed)s "
            "  and partition_date between %(first)s and %(last)s) returning partition_date",
            {"feed": feed, "first": first, "last": last},
        )
        (day,) = {r[0] for r in cur.fetchall()}
    return day


def _rebuilt_days(q: Any, model: str) -> list[date]:
    days: list[date] = q(
        "select days from ops.incremental_runs where model like %s order by run_no desc limit 1",
        (f"%.{model}",),
    )[0][0]
    return days


def test_snapshots_published_since_the_last_build_rebuild_the_days_they_change(
    minicity: dict[str, Any],
) -> None:
    from ingest.pipeline import ingest_day
    from ingest.storage import get_bytes, put_bytes

    settings, q, as_of = minicity["settings"], minicity["q"], minicity["as_of"]
    full = _fingerprints(q)
    window_start = as_of - timedelta(days=10)  # dbt_project.yml incremental_lookback_days
    window = [window_start + timedelta(days=i) for i in range(10)]
    # GIVEN the city's registry snapshot (of its first day, before the window) published
    # again
    _republish(settings, "registry", date(2000, 1, 1), window_start)
    # WHEN the daily incremental run runs
    build(settings, as_of)
    # THEN every fact rebuilds from that day on, clipped to the window
    for model in INCREMENTAL:
        assert _rebuilt_days(q, model) == window, model
    # GIVEN a project sends a roster snapshot inside the window (the same workers as its
    # latest one), loaded through the pipeline
    project = minicity["city"].cases["clean"]["project"]
    (latest,) = q(
        "select object_key from ops.load_audit where feed = 'roster' and status = 'published' "
        "and object_key like %s order by partition_date desc limit 1",
        (f"roster/{project}/%",),
    )[0]
    day = as_of - timedelta(days=4)
    put_bytes(
        settings.s3,
        f"roster/{project}/dt={day}/workers.jsonl",
        get_bytes(settings.s3, latest),
    )
    ingest_day(settings, as_of - timedelta(days=1), feeds=("roster",), faces=False)
    # WHEN the daily incremental run runs
    build(settings, as_of)
    # THEN the worker days are rebuilt from the day before the snapshot (or an earlier
    # entry or exit inside the window that it lists) through as_of - 1, every day between
    days = _rebuilt_days(q, "int_attendance__worker_days")
    assert window_start <= days[0] <= day - timedelta(days=1)
    assert days == [days[0] + timedelta(days=i) for i in range((as_of - days[0]).days)]
    # AND the facts are still exactly those of a full rebuild (the same workers, the
    # same periods)
    assert _fingerprints(q) == full
