"""The warehouse migrations (``ingest/warehouse/migrations``) against the feed registry.

The revisions are frozen SQL; the registry (:mod:`ingest.feeds`) is code. This module is
what ties the two together: a registry column added, dropped or retyped without a
revision fails here. Every test migrates a database of its own on the session's cluster,
so the shared warehouse (and its planted city) is left alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest

from ingest.errors import ConfigError
from ingest.warehouse.datasets import BOOKKEEPING, DATASETS, Column
from ingest.warehouse.migrate import check, current, head, migrate

#: ``raw.<dataset>`` has the staging columns plus this one.
PUBLISHED_AT = Column("published_at", "timestamptz", nullable=False)

#: A table's columns as the catalogue has them: name -> (type name, nullable).
Shape = dict[str, tuple[str, bool]]


def _admin(dsn: str) -> psycopg2.extensions.connection:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True  # CREATE / DROP DATABASE cannot run in a transaction block
    return conn


@pytest.fixture()
def empty_db(settings: Any) -> Iterator[str]:
    """GIVEN an empty database of its own (dropped afterwards); yields its DSN."""
    name = f"sitepass_migrations_{uuid.uuid4().hex[:8]}"
    admin = _admin(settings.warehouse_dsn)
    try:
        with admin.cursor() as cur:
            cur.execute(f'create database "{name}"')
        params = psycopg2.extensions.parse_dsn(settings.warehouse_dsn)
        params["dbname"] = name
        yield psycopg2.extensions.make_dsn(**params)
        with admin.cursor() as cur:
            cur.execute(f'drop database "{name}" with (force)')
    finally:
        admin.close()


def _query(dsn: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            rows = list(cur.fetchall())
        conn.commit()
        return rows
    finally:
        conn.close()


def _actual(dsn: str, schema: str, table: str) -> Shape:
    rows = _query(
        dsn,
        "select column_name, udt_name, is_nullable = 'YES' from information_schema.columns "
        "where table_schema = %s and table_name = %s",
        (schema, table),
    )
    return {name: (udt, nullable) for name, udt, nullable in rows}


def _declared(dsn: str, columns: tuple[Column, ...]) -> Shape:
    """The registry's columns, their SQL types resolved by Postgres itself (``timestamptz``
    -> ``timestamptz``, ``integer`` -> ``int4``, ``text[]`` -> ``_text``, …): the names
    ``information_schema.columns.udt_name`` reports."""
    shape: Shape = {}
    for c in columns:
        ((udt,),) = _query(
            dsn, "select typname::text from pg_type where oid = %s::regtype", (c.pg_type,)
        )
        shape[c.name] = (udt, c.nullable)
    return shape


def _registry_mismatches(dsn: str) -> list[str]:
    """Every difference between the migrated tables and the registry, as readable lines."""
    problems: list[str] = []
    for dataset in DATASETS.values():
        staging = (*BOOKKEEPING, *dataset.columns)
        raw = (*staging, PUBLISHED_AT)
        tables = [("staging", dataset.name, staging, True), ("raw", dataset.name, raw, True)]
        if dataset.versions is not None:
            # raw.<name> is a view (a view's columns all read nullable): the table under it,
            # raw.<versions>, has the columns with their nullability
            tables[1] = ("raw", dataset.name, raw, False)
            tables.append(("raw", dataset.versions, raw, True))
        for schema, table_name, columns, nullability in tables:
            table = f"{schema}.{table_name}"
            want, got = _declared(dsn, columns), _actual(dsn, schema, table_name)
            if not nullability:
                want = {k: (udt, True) for k, (udt, _) in want.items()}
            if not got:
                problems.append(f"{table}: missing")
                continue
            for name in sorted(want.keys() - got.keys()):
                problems.append(f"{table}.{name}: declared {want[name]}, not in the database")
            for name in sorted(got.keys() - want.keys()):
                problems.append(f"{table}.{name}: in the database {got[name]}, not declared")
            for name in sorted(want.keys() & got.keys()):
                if want[name] != got[name]:
                    problems.append(f"{table}.{name}: declared {want[name]}, database {got[name]}")
    return problems


def _catalogue(dsn: str) -> list[tuple[Any, ...]]:
    """Every column of every sitepass schema, and the version row: what a no-op keeps."""
    return _query(
        dsn,
        "select table_schema, table_name, column_name, udt_name, is_nullable, column_default "
        "from information_schema.columns "
        "where table_schema in ('ops', 'staging', 'raw', 'restricted') order by 1, 2, 3",
    ) + _query(dsn, "select version_num from ops.alembic_version")


def test_migrated_empty_database_matches_the_registry(empty_db: str) -> None:
    # GIVEN an empty database
    assert current(empty_db) is None
    # WHEN it is migrated
    revision = migrate(empty_db)
    # THEN it is at head
    assert revision == head()
    assert current(empty_db) == head()
    assert check(empty_db) == head()
    # AND every registry dataset has staging.<name> and raw.<name> with exactly the
    # declared columns, types and nullability (raw: plus published_at)
    assert _registry_mismatches(empty_db) == []
    # AND the tables outside the registry are there too
    for table in (
        "ops.load_audit",
        "ops.load_audit_entity",
        "ops.quarantine",
        "ops.gate_results",
        "ops.landing_days",
        "ops.face_embeddings",
        "ops.roster_periods",
        "restricted.worker_identity",
        "restricted.bank_cards",
        "staging.worker_identity",
        "staging.bank_cards",
        "raw.face_enrolments",
        "raw.identity_fraud",
    ):
        assert _query(empty_db, "select to_regclass(%s) is not null", (table,)) == [(True,)], table


def test_the_registry_comparison_can_fail(empty_db: str) -> None:
    # GIVEN a migrated database whose tables then drift from the registry
    migrate(empty_db)
    dataset = next(iter(DATASETS.values()))
    column = dataset.columns[-1]
    conn = psycopg2.connect(empty_db)
    try:
        with conn.cursor() as cur:
            cur.execute(f"alter table raw.{dataset.name} drop column {column.name}")
            cur.execute(f"alter table staging.{dataset.name} add column surplus text")
        conn.commit()
    finally:
        conn.close()
    # WHEN it is compared with the registry
    problems = _registry_mismatches(empty_db)
    # THEN both differences are reported (the comparison above is not vacuous)
    assert f"raw.{dataset.name}.{column.name}: declared" in " ".join(problems)
    assert any(p.startswith(f"staging.{dataset.name}.surplus: in the database") for p in problems)


def test_migrating_twice_is_a_no_op(empty_db: str) -> None:
    # GIVEN a migrated database holding a row
    migrate(empty_db)
    conn = psycopg2.connect(empty_db)
    try:
        with conn.cursor() as cur:
            cur.execute("insert into ops.landing_days (day) values ('2026-10-01')")
        conn.commit()
    finally:
        conn.close()
    before = _catalogue(empty_db)
    # WHEN it is migrated again
    revision = migrate(empty_db)
    # THEN nothing changed: same revision, same catalogue, the row kept
    assert revision == head()
    assert _catalogue(empty_db) == before
    assert _query(empty_db, "select day::text from ops.landing_days") == [("2026-10-01",)]


def test_concurrent_migrations_both_succeed(empty_db: str) -> None:
    # GIVEN an empty database
    # WHEN two processes' worth of migrate() run at the same time
    with ThreadPoolExecutor(max_workers=2) as pool:
        revisions = list(pool.map(migrate, [empty_db, empty_db]))
    # THEN both succeed at head, and the schema was created exactly once
    assert revisions == [head(), head()]
    assert _query(empty_db, "select count(*) from ops.alembic_version") == [(1,)]
    assert _registry_mismatches(empty_db) == []


def test_check_raises_when_behind_head(empty_db: str) -> None:
    # GIVEN a database never migrated
    # WHEN it is checked THEN the error names the command that fixes it
    with pytest.raises(ConfigError, match="sitepass migrate"):
        check(empty_db)
    # GIVEN a database at an older revision
    migrate(empty_db, target="0001")
    assert current(empty_db) == "0001" != head()
    # WHEN it is checked THEN it raises, naming `sitepass migrate`
    with pytest.raises(ConfigError, match="sitepass migrate"):
        check(empty_db)
    # AND migrating brings it to head again
    assert migrate(empty_db) == head()
    assert check(empty_db) == head()


def test_a_database_of_the_old_ensure_schema_is_adopted(empty_db: str) -> None:
    # GIVEN a database as the old hand-rolled DDL left it (the baseline's objects: later
    # revisions change some of them), no Alembic version table, its ops.schema_version at 6
    migrate(empty_db, target="0001")
    conn = psycopg2.connect(empty_db)
    try:
        with conn.cursor() as cur:
            cur.execute("drop table ops.alembic_version")
            cur.execute(
                "create table ops.schema_version (version integer primary key, "
                "applied_at timestamptz not null default now())"
            )
            cur.execute("insert into ops.schema_version (version) values (6)")
            cur.execute("insert into ops.landing_days (day) values ('2026-10-01')")
        conn.commit()
    finally:
        conn.close()
    assert current(empty_db) is None
    # WHEN it is migrated
    revision = migrate(empty_db)
    # THEN it is at head with its data kept, matches the registry, and the old marker is gone
    assert revision == head()
    assert _query(empty_db, "select count(*) from ops.landing_days") == [(1,)]
    assert _registry_mismatches(empty_db) == []
    assert _query(empty_db, "select to_regclass('ops.schema_version')") == [(None,)]


def _roster_views(dsn: str) -> list[tuple[Any, ...]]:
    """Every row of the three roster views but the hash: what a rehash must keep."""
    rows: list[tuple[Any, ...]] = []
    for view, extra in (
        ("roster_workers", "corp_code"),
        ("roster_certifications", "cert_no"),
        ("roster_trainings", "training_type"),
    ):
        rows += _query(
            dsn,
            f"select '{view}', object_key, employee_no, {extra} from raw.{view} order by 2, 3, 4",
        )
    return rows


def test_0005_names_each_roster_version_by_its_hash_alone(empty_db: str) -> None:
    # GIVEN a warehouse at 0004 whose versions share hashes across workers: one content
    # hash in two projects, and a legacy hash ('legacy:' || object_key) of two workers
    migrate(empty_db, target="0004")
    book = "load_id, object_key, object_sha256, record_no, project_code, partition_date"
    members = [
        ("A/roster/dt=2026-11-01/r.jsonl", "A", "001", "h1", "C1"),
        ("B/roster/dt=2026-11-01/r.jsonl", "B", "001", "h1", "C2"),
        ("B/roster/dt=2026-11-01/r.jsonl", "B", "002", "legacy:B", "C3"),
        ("B/roster/dt=2026-11-01/r.jsonl", "B", "003", "legacy:B", "C4"),
    ]
    conn = psycopg2.connect(empty_db)
    try:
        with conn.cursor() as cur:
            for i, (key, project, emp, h, corp) in enumerate(members):
                vals = ("L", key, "sha", i, project, "2026-11-01")
                cur.execute(
                    f"insert into raw.roster_members ({book}, employee_no, member_hash) "
                    "values (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (*vals, emp, h),
                )
                cur.execute(
                    f"insert into raw.roster_worker_versions ({book}, employee_no, "
                    "member_hash, corp_code, worker_key) "
                    "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (*vals, emp, h, corp, f"wk-{emp}"),
                )
                for table, col in (
                    ("roster_certification_versions", "cert_no"),
                    ("roster_training_versions", "training_type"),
                ):
                    cur.execute(
                        f"insert into raw.{table} ({book}, child_no, employee_no, "
                        f"member_hash, {col}) values (%s, %s, %s, %s, %s, %s, 1, %s, %s, %s)",
                        (*vals, emp, h, f"{corp}-{col}"),
                    )
        conn.commit()
    finally:
        conn.close()
    before = _roster_views(empty_db)
    assert len(before) == 3 * len(members)
    # WHEN it is migrated to head
    assert migrate(empty_db) == head()
    # THEN the views read exactly what they read before: one row per member (and child),
    # each worker's own content, though the hash alone now pairs them
    after = _roster_views(empty_db)
    assert after == before
    workers = [(r[1].split("/")[0], r[2], r[3]) for r in after if r[0] == "roster_workers"]
    assert workers == [(p, e, c) for _, p, e, _, c in members]
    # AND every version's hash is unique, and members and versions pair on it
    assert _query(
        empty_db,
        "select count(distinct member_hash), count(*) from raw.roster_worker_versions",
    ) == [(4, 4)]
    assert _query(
        empty_db,
        "select count(*) from raw.roster_members m "
        "join raw.roster_worker_versions v using (member_hash)",
    ) == [(4,)]
    # AND the views join members to versions on the hash alone (one join clause)
    (plan,) = _query(empty_db, "select pg_get_viewdef('raw.roster_workers'::regclass)")[0]
    assert "v.member_hash = m.member_hash" in plan
    assert "project_code = m.project_code" not in plan


def test_0006_records_incremental_builds_and_indexes_the_days_they_read(empty_db: str) -> None:
    # WHEN an empty warehouse is migrated to head
    assert migrate(empty_db) == head()
    # THEN incremental builds have a table to record their days in
    assert _query(
        empty_db,
        "insert into ops.incremental_runs (model, as_of, days) "
        "values ('int.m', '2026-11-03', '{2026-11-02}') returning run_no, days",
    ) == [(1, [date(2026, 11, 2)])]
    # AND the raw tables the facts read by work date, and the load audit they read by
    # publication time, are indexed for it
    indexed = {
        (t, d.split(" USING btree ")[1])
        for t, d in _query(
            empty_db,
            "select tablename, indexdef from pg_indexes "
            "where schemaname in ('raw', 'ops') and indexname like any (%s)",
            (["%_work_date", "load_audit_published_at"],),
        )
    }
    assert indexed == {
        ("zkteco_punches", "(work_date)"),
        ("hikvision_events", "(work_date)"),
        ("face_verifications", "(work_date)"),
        ("load_audit", "(published_at)"),
    }


def test_0007_partitions_the_raw_punch_tables_by_month(empty_db: str) -> None:
    # GIVEN a warehouse at 0006 with ZKTeco punches of two months
    migrate(empty_db, target="0006")
    cols = (
        "load_id, object_key, object_sha256, record_no, project_code, device_sn, "
        "partition_date, employee_no, punch_at, work_date"
    )
    rows = [
        ("L", "k1", "s", 1, "P", "D", "2026-10-31", "7", "2026-10-31 08:00+08", "2026-10-31"),
        ("L", "k2", "s", 1, "P", "D", "2026-11-01", "7", "2026-11-01 08:00+08", "2026-11-01"),
        ("L", "k2", "s", 2, "P", "D", "2026-11-01", "8", "2026-11-01 08:01+08", "2026-11-01"),
    ]
    conn = psycopg2.connect(empty_db)
    try:
        with conn.cursor() as cur:
            for r in rows:
                cur.execute(f"insert into raw.zkteco_punches ({cols}) values %s", (r,))
        conn.commit()
    finally:
        conn.close()
    before = _query(empty_db, "select * from raw.zkteco_punches order by object_key, record_no")
    # WHEN it is migrated to head
    assert migrate(empty_db) == head()
    # THEN both punch tables are partitioned by range of work_date, the rows kept as they
    # were, one partition per month present
    assert _query(
        empty_db,
        "select c.relname, p.partstrat, pg_get_partkeydef(c.oid) from pg_partitioned_table p "
        "join pg_class c on c.oid = p.partrelid order by 1",
    ) == [
        ("hikvision_events", "r", "RANGE (work_date)"),
        ("zkteco_punches", "r", "RANGE (work_date)"),
    ]
    assert (
        _query(empty_db, "select * from raw.zkteco_punches order by object_key, record_no")
        == before
    )
    assert _query(
        empty_db,
        "select tableoid::regclass::text, count(*) from raw.zkteco_punches group by 1 order by 1",
    ) == [("raw.zkteco_punches_202610", 1), ("raw.zkteco_punches_202611", 1 + 1)]
    # AND the natural key is still unique (with the work date it determines)
    (definition,) = _query(
        empty_db,
        "select pg_get_constraintdef(oid) from pg_constraint where conname = 'zkteco_punches_key'",
    )[0]
    assert definition == "UNIQUE (device_sn, employee_no, punch_at, work_date)"
    with pytest.raises(psycopg2.errors.UniqueViolation):
        _query(empty_db, f"insert into raw.zkteco_punches ({cols}) values %s", (rows[0],))


def test_retention_drops_whole_months_of_punches(empty_db: str) -> None:
    from ingest.warehouse import loader, retention
    from ingest.warehouse.datasets import DATASETS

    # GIVEN punches published into the partitions of three months
    migrate(empty_db)
    zk = DATASETS["zkteco_punches"]
    conn = psycopg2.connect(empty_db)
    try:
        with conn.cursor() as cur:
            for i, day in enumerate(("2026-09-30", "2026-10-01", "2026-11-15")):
                cur.execute(
                    "insert into staging.zkteco_punches (load_id, object_key, object_sha256, "
                    "record_no, project_code, device_sn, partition_date, employee_no, "
                    "punch_at, work_date) values ('L', 'k', 's', %s, 'P', 'D', %s, '7', "
                    "%s::date + time '08:00', %s)",
                    (i, day, day, day),
                )
            created = loader.ensure_partitions(cur, zk, "L")
            assert created == [
                "raw.zkteco_punches_202609",
                "raw.zkteco_punches_202610",
                "raw.zkteco_punches_202611",
            ]
            assert loader.ensure_partitions(cur, zk, "L") == []  # already there
            cur.execute(
                "insert into raw.zkteco_punches select *, clock_timestamp() "
                "from staging.zkteco_punches"
            )
            # WHEN months before November are dropped
            with pytest.raises(ValueError, match="whole months"):
                retention.drop_months_before(cur, date(2026, 11, 2))
            dropped = retention.drop_months_before(cur, date(2026, 11, 1))
            # THEN September and October are gone as whole partitions, November stays
            assert [(d.table, d.rows) for d in dropped] == [
                ("raw.zkteco_punches_202609", 1),
                ("raw.zkteco_punches_202610", 1),
            ]
            cur.execute("select work_date from raw.zkteco_punches")
            assert cur.fetchall() == [(date(2026, 11, 15),)]
            assert [p[0] for p in retention.partitions(cur, "zkteco_punches")] == [
                "raw.zkteco_punches_202611"
            ]
        conn.commit()
    finally:
        conn.close()
