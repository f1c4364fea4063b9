"""Idempotent DDL of the warehouse.

- ``ops``: row accounting (``load_audit`` per object, ``load_audit_entity`` per object and
  entity), quarantine (redacted text; the exact text only encrypted) and gate results.
- ``staging``: batches being loaded, keyed by ``load_id``.
- ``raw``: published rows, the only input of dbt.
- ``restricted``: encrypted personal data (ID, name, phone, bank card) by ``worker_key``.
"""

from __future__ import annotations

import psycopg2.extensions

from ingest.warehouse.datasets import BOOKKEEPING, DATASETS, Dataset

SCHEMA_VERSION = 6

OPS_DDL = """
create schema if not exists ops;
create schema if not exists staging;
create schema if not exists raw;
create schema if not exists restricted;
create table if not exists ops.load_audit (
    object_key text not null,
    object_sha256 text not null,
    object_size bigint not null,
    object_etag text,
    feed text not null,
    partition_date date,
    partition_month text,
    load_id text not null,
    rows_read integer not null default 0,
    rows_loaded integer not null default 0,
    rows_quarantined integer not null default 0,
    duplicates integer not null default 0,
    ignored integer not null default 0,
    ignored_by jsonb not null default '{}'::jsonb,
    encoding text,
    status text not null,
    staged_at timestamptz not null default clock_timestamp(),
    published_at timestamptz,
    primary key (object_key, object_sha256),
    constraint load_audit_status check
        (status in ('staged', 'published', 'gate_failed', 'superseded')),
    constraint load_audit_accounting check
        (status not in ('published', 'superseded')
         or rows_read = rows_loaded + rows_quarantined + duplicates + ignored)
);
create index if not exists load_audit_load_id on ops.load_audit (load_id);
create table if not exists ops.load_audit_entity (
    object_key text not null,
    object_sha256 text not null,
    entity text not null,
    dataset text not null,
    load_id text not null,
    rows_read integer not null,
    rows_loaded integer not null default 0,
    rows_quarantined integer not null,
    duplicates integer not null,
    ignored integer not null,
    primary key (object_key, object_sha256, entity),
    foreign key (object_key, object_sha256) references ops.load_audit on delete cascade
);
create table if not exists ops.quarantine (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    reject_no integer not null,
    feed text not null,
    entity text not null,
    record_no integer not null,
    child_no integer,
    record_key text,
    reasons text[] not null,
    raw_text text not null,
    raw_enc bytea,
    quarantined_at timestamptz not null default clock_timestamp(),
    primary key (object_key, object_sha256, reject_no)
);
create index if not exists quarantine_load_id on ops.quarantine (load_id);
create table if not exists ops.gate_results (
    load_id text not null,
    dataset text not null,
    suite text not null,
    success boolean not null,
    evaluated integer not null,
    failed integer not null,
    row_count bigint,
    failures jsonb not null default '[]'::jsonb,
    run_at timestamptz not null default clock_timestamp(),
    feed text,
    run_day date,
    critical integer,
    warnings integer,
    gate_seconds numeric,
    load_seconds numeric,
    statistics jsonb,
    volume jsonb,
    primary key (load_id, suite)
);
create table if not exists staging.worker_identity (
    load_id text not null,
    worker_key text not null,
    id_card_type text,
    id_card_number_enc bytea,
    worker_name_enc bytea,
    cell_phone_enc bytea,
    bank_card_number_enc bytea,
    primary key (load_id, worker_key)
);
create table if not exists restricted.worker_identity (
    worker_key text primary key,
    id_card_type text,
    id_card_number_enc bytea,
    worker_name_enc bytea,
    cell_phone_enc bytea,
    bank_card_number_enc bytea,
    first_load_id text not null,
    updated_at timestamptz not null default clock_timestamp()
);
create table if not exists staging.bank_cards (
    load_id text not null,
    bank_card_key text not null,
    bank_card_number_enc bytea not null,
    primary key (load_id, bank_card_key)
);
create table if not exists restricted.bank_cards (
    bank_card_key text primary key,
    bank_card_number_enc bytea not null,
    first_load_id text not null
);
create table if not exists ops.landing_days (
    day date primary key,
    completed_at timestamptz not null default clock_timestamp()
);
revoke all on schema restricted from public;
create table if not exists ops.face_embeddings (
    photo_sha256 text not null,
    model_fingerprint text not null,
    embedding bytea,
    reasons text[] not null,
    faces_detected integer not null,
    computed_at timestamptz not null default clock_timestamp(),
    primary key (photo_sha256, model_fingerprint)
);
create table if not exists raw.face_enrolments (
    project_code text not null,
    employee_no text not null,
    worker_key text,
    enrolment_key text not null,
    photo_sha256 text not null,
    model_fingerprint text not null,
    usable boolean not null,
    reasons text[] not null,
    updated_at timestamptz not null default clock_timestamp(),
    primary key (project_code, employee_no, model_fingerprint)
);
create table if not exists raw.identity_fraud (
    fraud_kind text not null,
    worker_key text not null,
    other_worker_key text,
    project_code text not null,
    other_project_code text,
    employee_no text,
    other_employee_no text,
    work_date date,
    similarity double precision,
    model_fingerprint text,
    threshold_version text,
    detected_at timestamptz not null,
    constraint identity_fraud_kind check (fraud_kind in ('face', 'multi_site'))
);
create unique index if not exists identity_fraud_key on raw.identity_fraud
    (fraud_kind, worker_key, coalesce(other_worker_key, ''), project_code,
     coalesce(other_project_code, ''), coalesce(work_date, '1900-01-01'));
"""


def _columns_sql(dataset: Dataset) -> str:
    cols = [*BOOKKEEPING, *dataset.columns]
    return ",\n    ".join(f"{c.name} {c.pg_type}{'' if c.nullable else ' not null'}" for c in cols)


def dataset_ddl(dataset: Dataset) -> str:
    name = dataset.name
    key = ", ".join(dataset.natural_key)
    return f"""
create table if not exists staging.{name} (
    {_columns_sql(dataset)}
);
create index if not exists {name}_load_id on staging.{name} (load_id);
create table if not exists raw.{name} (
    {_columns_sql(dataset)},
    published_at timestamptz not null default clock_timestamp(),
    unique ({key})
);
create index if not exists {name}_object on raw.{name} (object_key);
"""


ROSTER_PERIODS_VIEW = """
create or replace view ops.roster_periods as
-- One row per (project, worker number): the period the worker is on the project's roster.
-- entry = earliest entryDate (or first snapshot listing them); exit = the exitDate of the
-- latest snapshot listing them, else the date of the first later snapshot of the project
-- that does not list them (and did not quarantine their line), else open (null).
with snaps as (
    select distinct object_key, project_code, partition_date from raw.roster_workers
),
listed as (
    select
        project_code,
        employee_no,
        max(partition_date) as last_snapshot,
        min(coalesce(entry_date, partition_date)) as entry_date,
        (array_agg(exit_date order by partition_date desc))[1] as latest_exit_date,
        (array_agg(worker_key order by partition_date desc))[1] as worker_key
    from raw.roster_workers
    group by project_code, employee_no
)
select
    l.project_code,
    l.employee_no,
    l.worker_key,
    l.entry_date,
    coalesce(
        l.latest_exit_date,
        (select min(s.partition_date)
           from snaps s
          where s.project_code = l.project_code
            and s.partition_date > l.last_snapshot
            and not exists (
                select 1 from ops.quarantine q
                 where q.object_key = s.object_key and q.entity = 'roster'
                   and q.record_key = l.employee_no))
    ) as exit_date,
    l.last_snapshot
from listed l
"""


def ensure_schema(cur: psycopg2.extensions.cursor) -> None:
    """Create what is missing (serialised across concurrent tasks by an advisory lock)."""
    cur.execute("select pg_advisory_xact_lock(hashtext('sitepass.schema'))")
    cur.execute("select to_regclass('ops.schema_version') is not null")
    row = cur.fetchone()
    if row and row[0]:
        cur.execute("select max(version) from ops.schema_version")
        current = cur.fetchone()
        if current and current[0] == SCHEMA_VERSION:
            return
    cur.execute(OPS_DDL)
    for dataset in DATASETS.values():
        cur.execute(dataset_ddl(dataset))
    # ops.roster_periods looks for later snapshots of a project: keep that lookup indexed.
    cur.execute(
        "create index if not exists roster_workers_project_snapshot "
        "on raw.roster_workers (project_code, partition_date)"
    )
    cur.execute(ROSTER_PERIODS_VIEW)
    cur.execute(
        "create table if not exists ops.schema_version (version integer primary key, "
        "applied_at timestamptz not null default now())"
    )
    cur.execute(
        "insert into ops.schema_version (version) values (%s) on conflict do nothing",
        (SCHEMA_VERSION,),
    )
