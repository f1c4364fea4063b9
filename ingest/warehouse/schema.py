"""Idempotent DDL of the warehouse: ``ops`` (accounting), ``staging``, ``raw``."""

from __future__ import annotations

import psycopg2.extensions

from ingest.warehouse.datasets import BOOKKEEPING, DATASETS, Dataset

OPS_DDL = """
create schema if not exists ops;
create schema if not exists staging;
create schema if not exists raw;
create table if not exists ops.load_audit (
    object_key text not null,
    object_sha256 text not null,
    object_size bigint not null,
    object_etag text,
    kind text not null,
    dataset text not null,
    partition_date date,
    load_id text not null,
    rows_read integer not null default 0,
    rows_loaded integer not null default 0,
    rows_quarantined integer not null default 0,
    duplicates integer not null default 0,
    ignored integer not null default 0,
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
create table if not exists ops.quarantine (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    raw_text text not null,
    reasons text[] not null,
    quarantined_at timestamptz not null default clock_timestamp(),
    primary key (object_key, object_sha256, record_no)
);
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
    primary key (load_id, suite)
);
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


def ensure_schema(cur: psycopg2.extensions.cursor) -> None:
    cur.execute("select pg_advisory_xact_lock(hashtext('sitepass.schema'))")
    cur.execute(OPS_DDL)
    for dataset in DATASETS.values():
        cur.execute(dataset_ddl(dataset))
