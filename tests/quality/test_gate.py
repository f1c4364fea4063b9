"""The Great Expectations gate: write → audit → publish on the real Postgres and S3 servers.

A clean batch publishes; each corrupted batch fails the gate with the right expectation
named (counts and sample values in the error), is kept in staging and reaches nothing in
``raw``; a warning-only failure is recorded and the batch publishes; a volume collapse on
a seeded city stops the day, and the data-quality mart shows it.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import empty_stack, query

DAY = date(2026, 11, 2)  # a Monday
REPO = Path(__file__).resolve().parents[2]


# --- the project and the suites (no stack) -----------------------------------------------


def test_gx_config_is_the_generated_one_and_holds_no_secret() -> None:
    from ingest.quality import project

    # GIVEN the committed great_expectations.yml
    text = (project.GX_ROOT / project.CONFIG_FILE).read_text(encoding="utf-8")
    # THEN it is exactly what the code generates (ids derived from names: no churn)
    assert text == project.render_config() == project.render_config()
    # AND every dataset of a suite has its asset; the connection is an env variable
    from ingest.quality.suites import SUITES

    for name in SUITES:
        assert f"      {name}:\n        type: table\n" in text
    assert "connection_string: ${SITEPASS_GX_PG_URL}" in text
    assert "postgresql://" not in text and "password" not in text.lower()
    assert "/tmp/" not in text and "/root" not in text
    # AND what is built at run time is ignored by git
    ignored = (project.GX_ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert {"uncommitted/", "expectations/", "checkpoints/", "validation_definitions/"} <= set(
        ignored
    )


def test_every_raw_dataset_has_a_suite_covering_the_basics() -> None:
    from ingest.quality.suites import CRITICAL, SUITES, WARNING
    from ingest.warehouse.datasets import DATASETS

    # THEN every raw dataset (face verifications included) has a suite
    assert set(DATASETS) <= set(SUITES)
    for name, build in SUITES.items():
        suite = build()
        ids = {c.id for c in suite.checks}
        assert len(ids) == len(suite.checks), name
        assert {
            "schema.columns",
            "type.load_id",
            "not_null.load_id",
            "natural_key.unique",
        } <= ids, name
        if name.startswith(("registry_", "zkteco", "hikvision", "face")):
            assert "volume.change" in ids, name
        assert {c.severity for c in suite.checks} <= {CRITICAL, WARNING}
    # AND an event feed's volume collapse is critical
    assert {c.id: c.severity for c in SUITES["zkteco_punches"]().checks}[
        "volume.collapse"
    ] == CRITICAL


def test_the_severity_table_in_the_docs_is_current() -> None:
    from ingest.quality.suites import severity_table

    doc = (REPO / "docs" / "quality-gate.md").read_text(encoding="utf-8")
    assert severity_table() in doc, (
        "regenerate: python -c 'from ingest.quality.suites "
        "import severity_table; print(severity_table())'"
    )


def test_gate_failed_names_every_failed_expectation_and_is_a_data_error() -> None:
    from ingest import errors
    from ingest.quality import gate as gx_gate
    from ingest.quality.gate import DatasetOutcome, GateOutcome, GateResult, failure_message

    # GIVEN the results of a batch with one critical and one warning failure
    def failure(check: str, severity: str, count: int, sample: list[Any]) -> dict[str, Any]:
        return {
            "check": check,
            "expectation": "expect_no_unexpected_rows",
            "severity": severity,
            "column": None,
            "unexpected_count": count,
            "element_count": 10,
            "observed_value": count,
            "sample": sample,
            "error": None,
        }

    bad = GateResult(
        "zkteco_punches",
        "zkteco:20261102:x",
        "zkteco_punches_gate",
        False,
        12,
        (
            failure("ref.roster", "critical", 2, ["99999"]),
            failure("code.status", "warning", 1, [9]),
        ),
        10,
        seconds=0.5,
    )
    outcome = GateOutcome("zkteco", bad.load_id, False, (DatasetOutcome.of(bad),))
    # WHEN the gate's error is built from them
    exc = gx_gate.GateFailed(failure_message([bad]), results=[bad], outcome=outcome)
    # THEN it is the error policy's GateFailed itself (a data error: no retry)
    assert gx_gate.GateFailed is errors.GateFailed
    assert type(exc) is errors.GateFailed and isinstance(exc, errors.DataError)
    assert exc.results == [bad] and exc.result is bad and exc.outcome is outcome
    # AND its message names every failed expectation with its count and sample values
    message = str(exc)
    assert "gate failed for zkteco_punches batch zkteco:20261102:x (10 rows)" in message
    assert (
        '[critical] ref.roster (expect_no_unexpected_rows): 2 unexpected of 10 e.g. ["99999"]'
        in (message)
    )
    assert "[warning] code.status (expect_no_unexpected_rows): 1 unexpected of 10 e.g. [9]" in (
        message
    )
    # AND the outcome goes to XCom as JSON and back unchanged
    xcom = outcome.to_xcom()
    assert xcom["datasets"][0]["critical"] == ["ref.roster"]
    assert xcom["datasets"][0]["warnings"] == ["code.status"]
    assert json.loads(json.dumps(xcom)) == xcom
    assert GateOutcome.from_xcom(xcom) == outcome


# --- a staged city-day ------------------------------------------------------------------


@pytest.fixture(scope="module")
def city(stack: dict[str, Any]) -> dict[str, Any]:
    """GIVEN a tiny seeded city whose registry and roster of DAY are published."""
    from ingest.config import Settings
    from ingest.pipeline import ingest_day, prepare_warehouse
    from ingest.seed.city import CitySpec, write_city

    settings = Settings.from_env()
    empty_stack(settings)
    prepare_warehouse(settings)  # the schema is created once per run, not by the steps
    report = write_city(
        settings.s3, CitySpec(projects=1, workers_per_project=6, start=DAY, days=1, seed=7)
    )
    ingest_day(settings, DAY, feeds=("registry", "roster"), faces=False)
    return {"settings": settings, "report": report}


def _stage(settings: Any, feed: str, day: date = DAY) -> str:
    from ingest.pipeline import discover, stage_feed

    objects = discover(settings, day, feeds=(feed,)).for_feed(feed)
    assert objects, f"nothing to stage for {feed}"
    return str(stage_feed(settings, feed, day, objects).load_id)


def _sql(settings: Any, sql: str, params: tuple[Any, ...] = ()) -> None:
    from ingest.warehouse.db import connect

    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)


def _first(settings: Any, table: str, load_id: str) -> tuple[Any, ...]:
    return query(
        settings,
        f"select object_key, record_no from staging.{table} "
        "where load_id = %s order by object_key, record_no limit 1",
        (load_id,),
    )[0]


def _wrong_type_value(s: Any, load_id: str) -> None:
    # a project code (text column holding an 18-digit code) that is not numeric
    _sql(
        s,
        "update staging.zkteco_punches set project_code = 'X' || substr(project_code, 2) "
        "where load_id = %s",
        (load_id,),
    )


def _wrong_type_column(s: Any, load_id: str) -> None:
    # schema drift: the staging column holds text where the dataset declares an integer
    _sql(s, "alter table staging.zkteco_punches alter column verified type text")
    _sql(s, "update staging.zkteco_punches set verified = 'yes' where load_id = %s", (load_id,))


def _duplicated_key(s: Any, load_id: str) -> None:
    key, _ = _first(s, "zkteco_punches", load_id)
    _sql(
        s,
        """update staging.zkteco_punches t set employee_no = f.employee_no,
                      punch_at = f.punch_at
                 from (select employee_no, punch_at from staging.zkteco_punches
                        where load_id = %s and object_key = %s and record_no = 1) f
                where t.load_id = %s and t.object_key = %s and t.record_no = 2""",
        (load_id, key, load_id, key),
    )


def _unknown_worker(s: Any, load_id: str) -> None:
    _sql(
        s,
        "update staging.zkteco_punches set employee_no = '99999' "
        "where load_id = %s and record_no = 1",
        (load_id,),
    )


CORRUPTIONS: dict[str, tuple[Callable[[Any, str], None], str, str]] = {
    "wrong type (value)": (
        _wrong_type_value,
        "format.project_code",
        "expect_column_values_to_match_regex",
    ),
    "wrong type (column)": (
        _wrong_type_column,
        "type.verified",
        "expect_column_values_to_be_of_type",
    ),
    "duplicated natural key": (_duplicated_key, "natural_key.unique", "expect_no_unexpected_rows"),
    "punch of an unknown worker": (_unknown_worker, "ref.roster", "expect_no_unexpected_rows"),
}


@pytest.fixture()
def punches(city: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    """GIVEN the day's ZKTeco punches staged as one batch (not yet gated)."""
    settings = city["settings"]
    _sql(settings, "delete from raw.zkteco_punches")  # a previous test may have published it
    _sql(settings, "delete from ops.load_audit where feed = 'zkteco'")
    load_id = _stage(settings, "zkteco")
    yield settings, load_id
    # the column-type corruption changes the staging table itself: put it back
    if query(
        settings,
        "select data_type from information_schema.columns where table_schema "
        "= 'staging' and table_name = 'zkteco_punches' and "
        "column_name = 'verified'",
    ) != [("integer",)]:
        _sql(settings, "delete from staging.zkteco_punches")
        _sql(
            settings,
            "alter table staging.zkteco_punches alter column verified type integer using null",
        )


def _assert_stopped(
    settings: Any, load_id: str, exc: Any, check: str, expectation: str, table: str
) -> None:
    from ingest.pipeline import DataError, publish_feed

    message = str(exc.value)
    # THEN the error names the failed expectation with its count (and a sample when rows)
    assert f"[critical] {check} ({expectation}" in message, message
    failed = [f for r in exc.value.results for f in r.critical if f["check"] == check]
    assert failed, message
    f = failed[0]
    assert f["unexpected_count"] or f["observed_value"] is not None
    if f["unexpected_count"] and expectation != "expect_column_values_to_be_of_type":
        assert f["sample"], f
    # AND the batch is marked gate_failed, its rows stay in staging for inspection
    assert {
        s
        for (s,) in query(
            settings, "select distinct status from ops.load_audit where load_id = %s", (load_id,)
        )
    } == {"gate_failed"}
    assert (
        query(settings, f"select count(*) from staging.{table} where load_id = %s", (load_id,))[0][
            0
        ]
        > 0
    )
    # AND the result is recorded, and publishing is refused: nothing reaches raw
    rows = query(
        settings,
        "select success, failures from ops.gate_results where load_id = %s and dataset = %s",
        (load_id, table),
    )
    assert rows and rows[0][0] is False
    assert check in {x["check"] for x in rows[0][1]}
    with pytest.raises(DataError):
        publish_feed(settings, load_id.split(":", maxsplit=1)[0], load_id)
    assert query(settings, f"select count(*) from raw.{table} where load_id = %s", (load_id,)) == [
        (0,)
    ]


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupted_punch_batch_fails_the_gate(punches: tuple[Any, str], case: str) -> None:
    from ingest.errors import GateFailed
    from ingest.quality.gate import gate

    settings, load_id = punches
    corrupt, check, expectation = CORRUPTIONS[case]
    # WHEN the staged batch is corrupted and gated
    corrupt(settings, load_id)
    with pytest.raises(GateFailed) as exc:
        gate(settings, "zkteco", load_id)
    _assert_stopped(settings, load_id, exc, check, expectation, "zkteco_punches")


def test_code_outside_its_table_fails_the_gate(city: dict[str, Any]) -> None:
    from ingest.errors import GateFailed
    from ingest.quality.gate import gate
    from ingest.storage import get_bytes, put_bytes

    settings = city["settings"]
    # GIVEN a new roster snapshot of the project staged (a copy of DAY's, one day later,
    # every line re-spaced so none is reused unparsed: each is staged as a version)
    project = city["report"]["projects"][0]
    src = f"roster/{project}/dt={DAY}/workers.jsonl"
    put_bytes(
        settings.s3,
        f"roster/{project}/dt={DAY + timedelta(days=1)}/workers.jsonl",
        get_bytes(settings.s3, src).replace(b"\n", b" \n"),
    )
    load_id = _stage(settings, "roster", DAY + timedelta(days=1))
    # WHEN one worker's 工种 is not a code of code_work_type and the batch is gated
    _sql(
        settings,
        "update staging.roster_workers set work_type = '999' where load_id = %s and record_no = 1",
        (load_id,),
    )
    with pytest.raises(GateFailed) as exc:
        gate(settings, "roster", load_id)
    _assert_stopped(
        settings,
        load_id,
        exc,
        "code.work_type",
        "expect_column_values_to_be_in_set",
        "roster_workers",
    )
    assert exc.value.result.critical[0]["sample"] == ["999"]


#: The day of the roster deltas the corruption cases stage (filtered on: a snapshot of
#: another day may be in the same batch).
DELTA_DAY = DAY + timedelta(days=2)
DELTA_KEYS = f"%/dt={DELTA_DAY}/%"


def _lose_a_version(s: Any, load_id: str) -> None:
    _sql(
        s,
        "delete from staging.roster_workers where load_id = %s and object_key like %s "
        "and record_no = 2",
        (load_id, DELTA_KEYS),
    )


def _member_of_no_version(s: Any, load_id: str) -> None:
    _sql(
        s,
        "update staging.roster_members set member_hash = 'f' || substr(member_hash, 2) "
        "where load_id = %s and object_key like %s and record_no = 1",
        (load_id, DELTA_KEYS),
    )


def _lose_a_reused_training(s: Any, load_id: str) -> None:
    # the trainings of the version a reused member points to go missing (moved aside
    # under another hash; the test puts them back)
    _sql(
        s,
        """update raw.roster_training_versions v set member_hash = v.member_hash || '-lost'
             from staging.roster_members m
            where m.load_id = %s and m.object_key like %s and m.record_no = 1
              and v.project_code = m.project_code and v.employee_no = m.employee_no
              and v.member_hash = m.member_hash""",
        (load_id, DELTA_KEYS),
    )


ROSTER_CORRUPTIONS: dict[str, tuple[Callable[[Any, str], None], str, str]] = {
    "a changed member's version lost": (_lose_a_version, "ref.version", "roster_members"),
    "a member naming no version": (_member_of_no_version, "ref.version", "roster_members"),
    "a reused member's training lost": (
        _lose_a_reused_training,
        "rows.reconcile",
        "roster_trainings",
    ),
}


@pytest.mark.parametrize("case", list(ROSTER_CORRUPTIONS))
def test_corrupted_roster_delta_fails_the_gate(city: dict[str, Any], case: str) -> None:
    from ingest.errors import GateFailed
    from ingest.quality.gate import gate
    from ingest.storage import get_bytes, put_bytes

    settings = city["settings"]
    # GIVEN the next day's snapshot of the project with its first worker unchanged (reused,
    # not parsed) and every other line changed (staged as new versions)
    project = city["report"]["projects"][0]
    day = DELTA_DAY
    first, *rest = get_bytes(settings.s3, f"roster/{project}/dt={DAY}/workers.jsonl").split(b"\n")
    changed = [line.replace(b'"workerName": "', b'"workerName": "x', 1) for line in rest]
    put_bytes(
        settings.s3, f"roster/{project}/dt={day}/workers.jsonl", b"\n".join([first, *changed])
    )
    load_id = _stage(settings, "roster", day)
    assert query(
        settings,
        "select count(*) from staging.roster_workers where load_id = %s and object_key like %s "
        "and record_no = 1",
        (load_id, DELTA_KEYS),
    ) == [(0,)]
    # WHEN the staged deltas are corrupted and gated
    corrupt, check, dataset = ROSTER_CORRUPTIONS[case]
    try:
        corrupt(settings, load_id)
        with pytest.raises(GateFailed) as exc:
            gate(settings, "roster", load_id)
        # THEN the gate names the check, on the dataset that shows the loss
        failed = {(r.dataset, f["check"]) for r in exc.value.results for f in r.critical}
        assert (dataset, check) in failed, failed
    finally:
        from ingest.storage import client

        _sql(
            settings,
            "update raw.roster_training_versions set member_hash = "
            "replace(member_hash, '-lost', '') where member_hash like '%%-lost'",
        )
        client(settings.s3).remove_object(
            settings.s3.bucket, f"roster/{project}/dt={day}/workers.jsonl"
        )


def test_clean_batch_publishes_and_a_warning_does_not_stop_it(punches: tuple[Any, str]) -> None:
    from ingest.pipeline import publish_feed
    from ingest.quality.gate import gate

    settings, load_id = punches
    # GIVEN a punch whose ZKTeco status is not in code_zkteco_status (the parser only flags it)
    _sql(
        settings,
        "update staging.zkteco_punches set status = 9 where load_id = %s and record_no = 1",
        (load_id,),
    )
    # WHEN the batch is gated
    out = gate(settings, "zkteco", load_id)
    # THEN it passes, with the warning recorded
    assert out.success
    assert [(d.dataset, d.critical, d.warnings) for d in out.datasets] == [
        ("zkteco_punches", (), ("code.status",))
    ]
    (row,) = query(
        settings,
        "select success, critical, warnings, failures, gate_seconds, "
        "feed, run_day, row_count from ops.gate_results "
        "where load_id = %s",
        (load_id,),
    )
    success, critical, warnings, failures, seconds, feed, run_day, rows = row
    assert success and critical == 0 and warnings == 1
    assert [f["check"] for f in failures] == ["code.status"]
    assert failures[0]["severity"] == "warning" and failures[0]["sample"] == [9]
    assert seconds > 0 and feed == "zkteco" and run_day == DAY and rows > 0
    # AND the batch publishes: every staged row reaches raw
    published = publish_feed(settings, "zkteco", load_id)
    assert published.rows_loaded == rows
    assert query(
        settings, "select count(*) from raw.zkteco_punches where load_id = %s", (load_id,)
    ) == [(rows,)]


def test_face_verifications_suite_validates_its_table(city: dict[str, Any]) -> None:
    from ingest.quality.gate import run_gate

    settings = city["settings"]
    project = city["report"]["projects"][0]
    load_id = f"face:{DAY:%Y%m%d}:test"
    # GIVEN two staged verifications (with their audit rows), one with a similarity of 1.5
    _sql(settings, "delete from staging.face_verifications")
    for n, similarity in enumerate((0.71, 1.5), start=1):
        key = f"photos/capture/{project}/ZK-0001A/dt={DAY}/20261102080000-{n}.jpg"
        _sql(
            settings,
            "insert into ops.load_audit (object_key, object_sha256, object_size, "
            "feed, partition_date, load_id, rows_read, status) values "
            "(%s, 'x', 1, 'face', %s, %s, 1, 'staged') on conflict do nothing",
            (key, DAY, load_id),
        )
        _sql(
            settings,
            "insert into ops.load_audit_entity (object_key, object_sha256, entity, "
            "dataset, load_id, rows_read, rows_quarantined, duplicates, ignored) "
            "values (%s, 'x', 'face', 'face_verifications', %s, 1, 0, 0, 0) "
            "on conflict do nothing",
            (key, load_id),
        )
        _sql(
            settings,
            """insert into staging.face_verifications (load_id, object_key,
                 object_sha256, record_no, project_code, device_sn, partition_date, vendor,
                 employee_no, punch_at, work_date, similarity, decision, reasons,
                 model_fingerprint, threshold_version, threshold)
             values (%s, %s, 'x', 1, %s, 'ZK-0001A', %s, 'zkteco', %s, %s, %s, %s, 'match',
                     '{match}', 'sface-2021dec', 'v1', 0.36)""",
            (load_id, key, project, DAY, str(n), f"{DAY}T08:00:00+08:00", DAY, similarity),
        )
    # WHEN the batch is gated
    result = run_gate(settings.warehouse_dsn, "face_verifications", load_id, docs=False)
    # THEN the similarity outside [-1, 1] fails it, and only that
    assert not result.success
    assert [f["check"] for f in result.critical] == ["range.similarity"]
    assert result.critical[0]["sample"] == [1.5]
    # AND the same batch without it passes
    _sql(
        settings,
        "update staging.face_verifications set similarity = 0.5 where load_id = %s",
        (load_id,),
    )
    assert run_gate(settings.warehouse_dsn, "face_verifications", load_id, docs=False).success


def _plugin() -> Any:
    sys.path.insert(0, str(REPO / "plugins"))
    try:
        return importlib.import_module("sitepass_gate")
    finally:
        sys.path.remove(str(REPO / "plugins"))


class _TI:
    """The part of Airflow's task instance the plugin uses."""

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def _untimed(xcom: dict[str, Any]) -> dict[str, Any]:
    """An outcome's XCom without its timings (two runs never take the same time)."""
    return {
        **{k: v for k, v in xcom.items() if k != "gate_seconds"},
        "datasets": [{k: v for k, v in d.items() if k != "gate_seconds"} for d in xcom["datasets"]],
    }


def test_plugin_and_entry_point_return_the_same_xcom(punches: tuple[Any, str]) -> None:
    from ingest.quality.gate import GateOutcome, gate

    settings, load_id = punches
    helper = _plugin()
    # WHEN the entry point and the Airflow helper gate the same clean batch
    direct = gate(settings, "zkteco", load_id).to_xcom()
    via_airflow = helper.run_gate_task("zkteco", load_id, settings=settings)
    # THEN both return the outcome's XCom: same keys, same verdict, same facts
    assert _untimed(via_airflow) == _untimed(direct)
    assert via_airflow["success"] and via_airflow["feed"] == "zkteco"
    assert via_airflow["load_id"] == load_id
    assert [d["dataset"] for d in via_airflow["datasets"]] == ["zkteco_punches"]
    (ds,) = via_airflow["datasets"]
    assert ds["rows"] > 0 and ds["evaluated"] > 0 and ds["critical"] == []
    assert ds["gate_seconds"] > 0 and via_airflow["gate_seconds"] > 0
    assert via_airflow["docs"] is not None and via_airflow["docs"]["local"]
    # AND no load time is reported by the gate (bench/ measures it)
    assert "load_seconds" not in via_airflow and "gate_to_load" not in via_airflow
    # AND the XCom is JSON and reads back into the same outcome
    assert json.loads(json.dumps(via_airflow)) == via_airflow
    assert GateOutcome.from_xcom(via_airflow).to_xcom() == via_airflow
    # AND GX was kept quiet
    assert logging.getLogger("great_expectations").getEffectiveLevel() >= logging.WARNING
    # AND a feed that staged nothing has the same shape through the operator, gated nothing
    skipped = helper.GxGateOperator(task_id="gate", feed="zkteco", load_id=None).execute({})
    assert skipped == GateOutcome.nothing_staged("zkteco").to_xcom()
    assert set(skipped) == set(direct) and skipped["success"] and skipped["datasets"] == []


def test_failed_gate_is_a_data_error_and_fails_the_airflow_task(
    punches: tuple[Any, str],
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from ingest import errors
    from ingest.quality.gate import gate

    settings, load_id = punches
    helper = _plugin()
    # GIVEN a staged batch with a punch of a worker on no roster
    _unknown_worker(settings, load_id)
    # WHEN the entry point gates it
    with pytest.raises(errors.GateFailed) as exc:
        gate(settings, "zkteco", load_id)
    # THEN it raises the error policy's GateFailed: a data error, never retried
    assert isinstance(exc.value, errors.DataError)
    assert errors.classify(exc.value) is errors.Verdict.DATA
    assert "[critical] ref.roster (expect_no_unexpected_rows" in str(exc.value)
    failed = exc.value.outcome.to_xcom()
    assert not failed["success"] and failed["datasets"][0]["critical"] == ["ref.roster"]
    # WHEN the Airflow helper gates it
    ti = _TI()
    with pytest.raises(AirflowFailException, match=r"ref\.roster") as fail:
        helper.run_gate_task("zkteco", load_id, context={"ti": ti}, settings=settings)
    # THEN the task fails without retry, caused by the same data error
    assert isinstance(fail.value.__cause__, errors.GateFailed)
    # AND the failed outcome is pushed to XCom in the entry point's shape
    assert _untimed(ti.pushed["gate_result"]) == _untimed(failed)


# --- a seeded city over a week: the gate and the data-quality mart ----------------------


def test_seeded_city_week_then_a_volume_collapse(clean: Any) -> None:
    from ingest.errors import GateFailed
    from ingest.pipeline import ingest_day, prepare_warehouse
    from ingest.quality.results import DATA_QUALITY_MART_SQL
    from ingest.seed.city import CitySpec, write_city
    from ingest.storage import get_bytes, put_bytes

    settings = clean
    prepare_warehouse(settings)  # the schema is created once per run, not by the steps
    # GIVEN a one-site city (30 workers) over 8 days whose first week loads cleanly
    write_city(settings.s3, CitySpec(projects=1, workers_per_project=30, start=DAY, days=8, seed=7))
    for i in range(7):
        ingest_day(settings, DAY + timedelta(days=i), faces=False)
    assert query(settings, "select count(*) filter (where not success) from ops.gate_results") == [
        (0,)
    ]
    # WHEN day 8's attendance file arrives with two punches left (a truncated upload)
    last = DAY + timedelta(days=7)
    (key,) = [
        k
        for (k,) in query(
            settings,
            "select distinct object_key from raw.zkteco_punches where partition_date = %s",
            (DAY,),
        )
    ]
    key8 = key.replace(f"dt={DAY}", f"dt={last}")
    text = get_bytes(settings.s3, key8).decode()
    put_bytes(settings.s3, key8, "".join(text.splitlines(keepends=True)[:2]).encode())
    # THEN the day stops at the gate with the volume collapse named
    with pytest.raises(GateFailed) as exc:
        ingest_day(settings, last, faces=False)
    assert "[critical] volume.collapse (expect_table_row_count_to_be_between)" in str(exc.value)
    assert query(
        settings, "select count(*) from raw.zkteco_punches where partition_date = %s", (last,)
    ) == [(0,)]
    # AND the data-quality mart shows it: zkteco passed every day but that one
    mart = {(r[0], r[1]): r[4] for r in query(settings, DATA_QUALITY_MART_SQL)}
    assert mart[("zkteco", last)] == 0
    assert all(rate == 100 for (_, day), rate in mart.items() if day != last), mart
    assert {src for src, _ in mart} >= {"registry", "roster", "zkteco"}
