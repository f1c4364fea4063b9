"""Typed step results survive XCom (JSON) unchanged; the calendar's rules in one module."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from ingest import schedule
from ingest.results import BatchResult, Discovery, FaceChunkResult, FoundObject, FraudResult


def _through_xcom(data: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = json.loads(json.dumps(data))
    return out


def test_step_results_round_trip_through_json() -> None:
    # GIVEN results of discover, stage and a face chunk
    found = Discovery(
        day="2026-11-02",
        objects={"roster": (FoundObject("roster/P/dt=2026-11-02/workers.jsonl", "e1"),)},
        in_window={"roster": 3},
        unknown_keys=2,
    )
    batch = BatchResult(feed="roster", load_id="roster:20261102:abc", objects=1, rows_read=9)
    chunk = FaceChunkResult(batch=batch, decisions={"match": 3})
    # WHEN they pass through XCom's JSON
    # THEN they come back equal (tuples stay tuples, nested results stay typed)
    assert Discovery.from_xcom(_through_xcom(found.to_xcom())) == found
    assert BatchResult.from_xcom(_through_xcom(batch.to_xcom())) == batch
    assert _through_xcom(chunk.to_xcom())["batch"] == batch.to_xcom()
    assert FraudResult.from_xcom({"face": 1, "multi_site": 2}) == FraudResult(1, 2)
    # AND a feed with nothing new is an empty batch
    assert BatchResult(feed="payroll", load_id=None).empty


def test_a_day_and_the_run_that_loads_it() -> None:
    # GIVEN a local day
    day = date(2026, 10, 31)
    # WHEN its landing_daily run is derived
    run_after = schedule.run_after_day(day)
    # THEN the run is due at the next local midnight and maps back to the day
    assert run_after.isoformat() == "2026-11-01T00:00:00+08:00"
    assert schedule.day_of_run_after(run_after) == day
    # AND an interval start in UTC (as Airflow passes it) is the local day
    start_utc = datetime(2026, 10, 30, 16, 0, tzinfo=UTC)
    assert schedule.day_of_run(start_utc) == day
    # AND a manual run's day param wins; a naive instant is refused
    assert schedule.day_of_run(start_utc, "2026-09-01") == date(2026, 9, 1)
    with pytest.raises(ValueError, match="naive"):
        schedule.local_date(datetime(2026, 10, 31))


def test_months() -> None:
    # THEN month arithmetic crosses year ends
    assert schedule.previous_month("2027-01") == "2026-12"
    assert schedule.next_month("2026-12") == "2027-01"
    # AND a monthly run's month is the month its interval starts in (local time)
    start = datetime(2026, 10, 19, 22, 0, tzinfo=UTC)  # 2026-10-20 06:00 +08:00
    assert schedule.month_of_run(start) == "2026-10"
    assert schedule.month_of_run(start, "2026-08") == "2026-08"
    # AND the due run of a month is after its interval ends, in the next month
    assert schedule.monthly_due("2026-10") - schedule.Interval(date(2026, 10, 31)).end > (
        timedelta(days=19)
    )


def test_a_dag_run_outcome_survives_its_marker_line() -> None:
    from ingest.stack.dagtest import MARKER, DagRunOutcome

    # GIVEN the outcome line the DAG runner writes for a finished run
    run = DagRunOutcome("landing_daily", "2026-11-01T00:00:00+08:00", "r1", "success", 5.5)
    line = MARKER + run.to_json()
    # WHEN the parent reads it back
    # THEN it is the same outcome
    assert DagRunOutcome.from_json(line[len(MARKER) :]) == run
    assert run.ok and not DagRunOutcome("d", "x", None, "failed", 1.0).ok
