"""Rosters as deltas: a snapshot's unchanged workers are not parsed or written again, yet
every snapshot reads back whole (``raw.roster_workers`` and its children are views of the
members and the versions), every line is accounted for, and the roster periods advanced
one snapshot at a time equal their definition over the whole history
(``ops.roster_periods_live``), exits and quarantined lines included.

Each test works in one transaction that is rolled back: the shared planted city is left
as it was. The project is one of the planted city's (so the registry knows it); its
snapshots here are dated after the city's, so they are its newest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg2.extensions
import pytest

from ingest.seed.ids import make_id_number

D1, D2, D3 = date(2027, 1, 4), date(2027, 1, 5), date(2027, 1, 6)
LATE = date(2027, 1, 3)


def _worker(no: int, **changes: Any) -> dict[str, Any]:
    ident = make_id_number("440305", date(1980, 1, 1 + no % 28), no, no % 2 == 1)
    worker: dict[str, Any] = {
        "employeeNo": f"{no:06d}",
        "workerName": f"工人{no}",
        "idCardType": "01",
        "idCardNumber": ident,
        "cellPhone": None,
        "nation": "汉",
        "corpCode": "91440300MA5F0001K3",
        "teamSysNo": None,
        "workType": "020",
        "workRole": "20",
        "isTeamLeader": False,
        "entryDate": "2026-12-01",
        "exitDate": None,
        "contract": None,
        "payRollBankCardNumber": None,
        "payRollBankCode": None,
        "certifications": [{"certType": "上岗证", "certNo": f"C{no}", "validUntil": None}],
        "trainings": [{"trainingType": "003001", "date": "2026-12-01", "hours": 8}],
        "enrolmentPhoto": None,
    }
    worker.update(changes)
    return worker


def _snapshot(project: str, day: date, lines: list[dict[str, Any] | str]) -> Any:
    from ingest.pipeline import landing_object

    text = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
    key = f"roster/{project}/dt={day}/workers.jsonl"
    return landing_object("roster", key, (text + "\n").encode(), "test")


@pytest.fixture()
def cur(planted_city: dict[str, Any]) -> Iterator[psycopg2.extensions.cursor]:
    """GIVEN a transaction on the planted city's warehouse, rolled back afterwards."""
    from ingest.warehouse.db import connect

    with connect(planted_city["settings"].warehouse_dsn) as conn, conn.cursor() as c:
        try:
            yield c
        finally:
            conn.rollback()


@pytest.fixture()
def project(cur: psycopg2.extensions.cursor) -> str:
    cur.execute("select min(project_code) from raw.registry_projects")
    (code,) = cur.fetchone()
    return str(code)


def _load(cur: Any, settings: Any, day: date, objects: list[Any]) -> Any:
    """Stage and publish one roster batch (the gate is the pipeline's business)."""
    from ingest.pipeline import stage_objects
    from ingest.warehouse import loader
    from ingest.warehouse.pii import PiiKeys

    load_id = loader.make_load_id("roster", day, [o.key for o in objects])
    staged = stage_objects(cur, PiiKeys(settings.pii_secret), "roster", day, load_id, objects)
    return staged, loader.publish(cur, "roster", load_id)


def _periods_match_their_definition(cur: Any, project: str) -> None:
    for a, b in (
        ("roster_periods", "roster_periods_live"),
        ("roster_periods_live", "roster_periods"),
    ):
        cur.execute(
            f"select * from ops.{a} where project_code = %(p)s "
            f"except select * from ops.{b} where project_code = %(p)s",
            {"p": project},
        )
        assert cur.fetchall() == [], f"ops.{a} has rows ops.{b} has not"


def _period(cur: Any, project: str, no: int) -> tuple[Any, ...]:
    cur.execute(
        "select entry_date, exit_date, last_snapshot from ops.roster_periods "
        "where project_code = %s and employee_no = %s",
        (project, str(no)),
    )
    (row,) = cur.fetchall()
    return tuple(row)


def _count(cur: Any, sql: str, *args: Any) -> int:
    cur.execute(sql, args)
    (n,) = cur.fetchone()
    return int(n)


def test_unchanged_workers_are_reused_and_periods_advance_a_day_at_a_time(
    cur: psycopg2.extensions.cursor, project: str, planted_city: dict[str, Any]
) -> None:
    settings = planted_city["settings"]
    # GIVEN a first snapshot of three workers, each with a certificate and a training
    _, first = _load(
        cur, settings, D1, [_snapshot(project, D1, [_worker(901), _worker(902), _worker(903)])]
    )
    assert first.rows_loaded == 9
    _periods_match_their_definition(cur, project)
    versions = _count(cur, "select count(*) from raw.roster_worker_versions")
    # WHEN the next day lists 901 unchanged, 903 on a line that is quarantined (unknown
    # work type), 904 new, and no longer 902
    second = [_worker(901), _worker(903, workType="999"), _worker(904)]
    staged, published = _load(cur, settings, D2, [_snapshot(project, D2, second)])
    # THEN only the new worker's content was staged as a version (901 was not parsed)
    assert staged.datasets["roster_members"] == 2
    assert staged.datasets["roster_workers"] == 1
    assert _count(cur, "select count(*) from raw.roster_worker_versions") == versions + 1
    # AND every line is accounted for: 2 workers + their 2 certificates and 2 trainings
    # loaded (901's reused), 903's line quarantined
    assert (published.rows_read, published.rows_loaded, published.rows_quarantined) == (7, 6, 1)
    # AND the snapshot reads back whole, children included, 901 as it was the day before
    for view, n in (("roster_workers", 2), ("roster_certifications", 2), ("roster_trainings", 2)):
        assert _count(cur, f"select count(*) from raw.{view} where partition_date = %s", D2) == n
    cur.execute(
        """select d1.worker_key = d2.worker_key and d1.member_hash = d2.member_hash
                  and d2.object_key like '%%' || %s || '/workers.jsonl'
             from raw.roster_workers d1 join raw.roster_workers d2 using (project_code, employee_no)
            where d1.partition_date = %s and d2.partition_date = %s and employee_no = '901'""",
        (f"dt={D2}", D1, D2),
    )
    assert cur.fetchall() == [(True,)]
    # AND 902 left on that day; 903, quarantined, has not left; the others are open
    _periods_match_their_definition(cur, project)
    assert _period(cur, project, 902) == (date(2026, 12, 1), D2, D1)
    assert _period(cur, project, 903) == (date(2026, 12, 1), None, D1)
    assert _period(cur, project, 904) == (date(2026, 12, 1), None, D2)
    # WHEN the third day lists 901 with a declared exit and 904 unchanged (903 is gone)
    third = [_worker(901, exitDate=str(D2)), _worker(904)]
    _load(cur, settings, D3, [_snapshot(project, D3, third)])
    # THEN 901's exit is the declared one, 903 left on the third day, 904 is still on it
    _periods_match_their_definition(cur, project)
    assert _period(cur, project, 901) == (date(2026, 12, 1), D2, D3)
    assert _period(cur, project, 903) == (date(2026, 12, 1), D3, D1)
    assert _period(cur, project, 904) == (date(2026, 12, 1), None, D3)
    # WHEN a snapshot older than all of them arrives late (recomputed from the history)
    _load(cur, settings, LATE, [_snapshot(project, LATE, [_worker(905, entryDate=None)])])
    # THEN the periods still match their definition: 905 entered on the late snapshot's
    # day and left on the next snapshot's, which did not list them
    _periods_match_their_definition(cur, project)
    assert _period(cur, project, 905) == (LATE, D1, LATE)


def test_a_replaced_snapshot_is_recomputed_not_advanced(
    cur: psycopg2.extensions.cursor, project: str, planted_city: dict[str, Any]
) -> None:
    settings = planted_city["settings"]
    # GIVEN two days published
    _load(cur, settings, D1, [_snapshot(project, D1, [_worker(901), _worker(902)])])
    _load(cur, settings, D2, [_snapshot(project, D2, [_worker(901), _worker(902)])])
    # WHEN the second day's file is replaced by one without 902
    _, published = _load(cur, settings, D2, [_snapshot(project, D2, [_worker(901)])])
    # THEN the replacement is all there is of that day, and 902 left on it
    assert published.rows_loaded == 3
    assert _count(cur, "select count(*) from raw.roster_members where partition_date = %s", D2) == 1
    _periods_match_their_definition(cur, project)
    assert _period(cur, project, 902) == (date(2026, 12, 1), D2, D1)
