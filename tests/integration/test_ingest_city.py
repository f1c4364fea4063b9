"""Ingest of a seeded city with every bad-input kind: accounting, quarantine, idempotency,
replaced and late files, and transactional failure — on the real Postgres and S3 servers.

The city is the session's ``planted_city`` (``tests/shared_city.py``: 92 days, two months
through the pipeline functions, one through Airflow), shared with
``tests/dbt/test_marts_planted.py``, which runs first (``tests/conftest.py`` orders them):
the tests here change raw rows and landing files the marts were built from.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import query
from tests.shared_city import DAYS as CITY_DAYS
from tests.shared_city import START

DAYS = 11  # the first days: two "defect days" (day-of-month % 7 == 3) of the noisy projects
#: The days ingested a second time, as many as the first eleven were: the first (the BOM
#: file, the ghost project) and the last ten (two defect days, and gate captures: faces
#: re-verified, identity fraud searched). Each re-run day lists the whole 92-day bucket.
REINGEST = [START, *(START + timedelta(days=i) for i in range(CITY_DAYS - DAYS + 1, CITY_DAYS))]


def _checksums(settings: Any) -> dict[str, str]:
    from ingest.warehouse.datasets import DATASETS

    out = {}
    for name in DATASETS:
        rows = query(
            settings,
            f"select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) "
            f"from (select * from raw.{name}) t",
        )
        out[name] = rows[0][0]
    return out


def _ingest(settings: Any, days: list[date]) -> None:
    from ingest.pipeline import ingest_day

    for day in days:
        ingest_day(settings, day)


@pytest.fixture(scope="module")
def city(planted_city: dict[str, Any]) -> dict[str, Any]:
    """GIVEN the small seeded city (every bad-input kind planted), fully loaded."""
    return planted_city


def test_every_file_balances(city: dict[str, Any]) -> None:
    # THEN for every file: read = loaded + quarantined + duplicates + ignored, and published
    rows = query(
        city["settings"],
        "select object_key, rows_read, rows_loaded, rows_quarantined, "
        "duplicates, ignored, status from ops.load_audit",
    )
    assert rows
    for key, read, loaded, quarantined, dups, ignored, status in rows:
        assert read == loaded + quarantined + dups + ignored, key
        assert status == "published", key
    # AND per entity too (a project's sub-contractors, a worker's trainings, ...)
    bad = query(
        city["settings"],
        "select count(*) from ops.load_audit_entity where rows_read <> "
        "rows_loaded + rows_quarantined + duplicates + ignored",
    )
    assert bad == [(0,)]


def test_quarantine_matches_what_was_planted(city: dict[str, Any]) -> None:
    report = city["report"]
    got = dict(
        query(
            city["settings"],
            "select reason, count(*) from ops.quarantine, unnest(reasons) reason group by 1",
        )
    )
    assert got == report["planted_rejects"]
    assert sum(report["planted_rejects"].values()) > 0
    # every reason in the quarantine is a documented code
    from ingest.landing import reasons

    assert set(got) <= set(reasons.DESCRIPTIONS)


def test_duplicates_and_ignored_events_are_counted(city: dict[str, Any]) -> None:
    report = city["report"]
    ((dups, ignored),) = query(
        city["settings"], "select sum(duplicates), sum(ignored) from ops.load_audit"
    )
    assert dups == report["planted_duplicates"] > 0
    assert ignored == report["planted_ignored"] > 0


def test_no_plaintext_personal_numbers_outside_restricted(city: dict[str, Any]) -> None:
    settings = city["settings"]
    # GIVEN the ID numbers the roster carried (read back from the encrypted store)
    from ingest.warehouse.pii import PiiKeys

    keys = PiiKeys(settings.pii_secret)
    ids = [
        keys.decrypt(bytes(b))
        for (b,) in query(
            settings, "select id_card_number_enc from restricted.worker_identity limit 20"
        )
    ]
    assert ids and all(len(i) == 18 for i in ids)
    # THEN no raw table holds any of them in any column
    from ingest.warehouse.datasets import DATASETS

    for name in DATASETS:
        hits = query(
            settings,
            f"select count(*) from raw.{name} t where t::text like any(%s)",
            ([f"%{i}%" for i in ids],),
        )
        assert hits == [(0,)], name


def test_second_ingest_changes_nothing(city: dict[str, Any]) -> None:
    settings = city["settings"]
    before = _checksums(settings)
    audit_before = query(settings, "select count(*), sum(rows_loaded) from ops.load_audit")
    # WHEN the same bucket is ingested again (the first day and the last ten)
    _ingest(settings, REINGEST)
    # THEN every raw table is identical and nothing new was loaded
    assert _checksums(settings) == before
    assert query(settings, "select count(*), sum(rows_loaded) from ops.load_audit") == audit_before


def test_replaced_file_replaces_exactly_its_rows(city: dict[str, Any]) -> None:
    settings = city["settings"]
    from ingest.pipeline import ingest_day
    from ingest.storage import get_bytes, put_bytes

    run_day = START + timedelta(days=DAYS - 1)
    # GIVEN a clean attlog of a partition inside the next run's look-back window
    (key,) = query(
        settings,
        "select object_key from ops.load_audit where feed = 'zkteco' and "
        "rows_quarantined = 0 and duplicates = 0 and rows_loaded > 4 "
        "and partition_date between %s and %s order by object_key limit 1",
        (run_day - timedelta(days=3), run_day),
    )[0]
    others_before = query(
        settings,
        "select md5(string_agg(t::text, '|' order by t::text)) "
        "from raw.zkteco_punches t where object_key <> %s",
        (key,),
    )
    lines = get_bytes(settings.s3, key).decode().splitlines()
    # WHEN the device re-uploads a corrected file: one punch removed
    put_bytes(settings.s3, key, ("\n".join(lines[1:]) + "\n").encode())
    ingest_day(settings, run_day)
    # THEN that file's rows are the new version's, every other file's rows are untouched
    assert query(
        settings, "select count(*) from raw.zkteco_punches where object_key = %s", (key,)
    ) == [(len(lines) - 1,)]
    assert (
        query(
            settings,
            "select md5(string_agg(t::text, '|' order by t::text)) "
            "from raw.zkteco_punches t where object_key <> %s",
            (key,),
        )
        == others_before
    )
    statuses = Counter(
        s
        for (s,) in query(
            settings, "select status from ops.load_audit where object_key = %s", (key,)
        )
    )
    assert statuses == Counter({"published": 1, "superseded": 1})


def test_late_file_is_picked_up_by_the_next_run(city: dict[str, Any]) -> None:
    settings = city["settings"]
    from ingest.pipeline import ingest_day
    from ingest.storage import put_bytes

    project, device = query(
        settings, "select project_code, device_sn from raw.zkteco_punches limit 1"
    )[0]
    late_day = START + timedelta(days=DAYS - 4)
    # GIVEN a second gate that was offline uploads its file into a past partition
    late_key = f"punches/{project}/{device}-B/dt={late_day}/attlog.dat"
    put_bytes(settings.s3, late_key, f"000002\t{late_day} 12:00:00\t1\t0\t15\t0\n".encode())
    # WHEN the next daily run happens
    ingest_day(settings, START + timedelta(days=DAYS))
    # THEN the late file is loaded into its own partition
    assert query(
        settings, "select work_date from raw.zkteco_punches where object_key = %s", (late_key,)
    ) == [(late_day,)]


def test_failure_mid_load_leaves_no_partial_rows(city: dict[str, Any]) -> None:
    settings = city["settings"]
    from ingest.pipeline import discover, stage_feed
    from ingest.storage import put_bytes
    from ingest.warehouse.db import connect

    day = START + timedelta(days=DAYS + 1)
    project, device = query(
        settings, "select project_code, device_sn from raw.zkteco_punches order by 1 limit 1"
    )[0]
    for n, dev in enumerate((device + "-X1", device + "-X2")):
        put_bytes(
            settings.s3,
            f"punches/{project}/{dev}/dt={day}/attlog.dat",
            f"000003\t{day} 07:0{n}:00\t1\t0\t15\t0\n".encode(),
        )
    # GIVEN the database fails while the second object of the batch is being written
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute("""create or replace function staging.fail_x2() returns trigger
                       language plpgsql as $$ begin
                       if new.device_sn like '%-X2' then raise exception 'disk full'; end if;
                       return new; end $$;
                       create trigger fail_x2 before insert on staging.zkteco_punches
                       for each row execute function staging.fail_x2()""")
    try:
        objects = discover(settings, day, feeds=("zkteco",)).for_feed("zkteco")
        assert len(objects) == 2
        with pytest.raises(Exception, match="disk full"):
            stage_feed(settings, "zkteco", day, objects)
    finally:
        with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
            cur.execute(
                "drop trigger fail_x2 on staging.zkteco_punches; drop function staging.fail_x2()"
            )
    # THEN neither object left rows, quarantine entries or audit rows behind
    for table in ("staging.zkteco_punches", "ops.quarantine", "ops.load_audit"):
        assert query(
            settings,
            f"select count(*) from {table} where object_key like %s",
            (f"%-X_/dt={day}/%",),
        ) == [(0,)], table


def test_buddy_punches_are_mismatches_and_genuine_captures_are_not(city: dict[str, Any]) -> None:
    report = city["report"]
    buddy = report["cases"]["buddy_punch"]
    rows = dict(query(city["settings"], "select object_key, decision from raw.face_verifications"))
    # GIVEN the captures the generator planted (each with the face it really shows)
    captures = report["captures"]
    assert captures and set(rows) == set(captures)
    planted = {
        k
        for k, t in captures.items()
        if t["employee_no"] == buddy["employee_no"] and t["face"] == "biden"
    }
    assert len(planted) == len(buddy["work_dates"]) > 0
    # THEN every buddy punch is a mismatch and no genuine capture is
    assert {rows[k] for k in planted} == {"mismatch"}
    genuine = {k: rows[k] for k in captures if k not in planted}
    assert "mismatch" not in genuine.values()
    assert sum(1 for d in genuine.values() if d == "match") >= 0.9 * len(genuine)
    # AND every verification carries the model fingerprint and threshold version
    stamps = query(
        city["settings"],
        "select distinct model_fingerprint, threshold_version from raw.face_verifications",
    )
    assert len(stamps) == 1 and len(stamps[0][0]) == 64


def test_identity_fraud_is_found_across_the_city(city: dict[str, Any]) -> None:
    report = city["report"]
    settings = city["settings"]
    face = report["cases"]["identity_fraud_face"]
    hits = query(
        settings,
        "select project_code, employee_no, other_project_code, "
        "other_employee_no from raw.identity_fraud where fraud_kind = 'face'",
    )
    pairs = {frozenset({(p, e), (op, oe)}) for p, e, op, oe in hits}
    wanted = frozenset((face["project"], e.lstrip("0")) for e in face["employee_nos"])
    assert pairs == {wanted}
    multi = report["cases"]["identity_fraud_multi_site"]
    sites = query(
        settings,
        "select distinct project_code, other_project_code "
        "from raw.identity_fraud where fraud_kind = 'multi_site'",
    )
    assert sites == [tuple(sorted(multi["projects"]))]
