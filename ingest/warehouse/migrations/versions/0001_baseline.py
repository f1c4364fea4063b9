"""Baseline: the warehouse as ``ensure_schema`` created it at its ``SCHEMA_VERSION`` 6.

Frozen, literal SQL (generated once from ``ingest/warehouse/schema.py`` and the dataset
registry of that day): never edit it, add a revision. Every statement is idempotent
(``if not exists`` / ``create or replace``), so a database created by the old
``ensure_schema`` is adopted by running this revision over it; a database at an older
``ops.schema_version`` is refused (it may lack columns this revision would not add).

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

#: The version of the hand-rolled DDL this revision reproduces (and adopts).
LEGACY_VERSION = 6

REFUSE_OLDER_LEGACY = f"""
do $$
declare
    legacy integer;
begin
    -- dynamic: PL/pgSQL plans a static query over ops.schema_version even when it is absent
    if to_regclass('ops.schema_version') is not null then
        execute 'select max(version) from ops.schema_version' into legacy;
        if legacy is distinct from {LEGACY_VERSION} then
            raise exception using message = 'ops.schema_version is ' || coalesce(legacy, 0)
                || ', not {LEGACY_VERSION}: upgrade with the old release first';
        end if;
    end if;
end
$$;
"""

#: Schemas, row accounting, quarantine, gate results, restricted PII, face tables.
OPS = """
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

#: staging.<name> and raw.<name> of every dataset of the registry of that day.
DATASETS = """
-- registry_projects
create table if not exists staging.registry_projects (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_date date not null,
    project_code text not null,
    name text,
    category text,
    area_code text,
    prj_status text,
    start_date date,
    complete_date date,
    invest numeric,
    address text,
    lng numeric,
    lat numeric,
    contractor_corp_code text,
    contractor_corp_name text,
    build_corp_code text,
    build_corp_name text,
    wage_bank_code text,
    wage_account_number text,
    pay_day integer,
    shift_start text,
    shift_end text,
    flags text[]
);
create index if not exists registry_projects_load_id on staging.registry_projects (load_id);
create table if not exists raw.registry_projects (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_date date not null,
    project_code text not null,
    name text,
    category text,
    area_code text,
    prj_status text,
    start_date date,
    complete_date date,
    invest numeric,
    address text,
    lng numeric,
    lat numeric,
    contractor_corp_code text,
    contractor_corp_name text,
    build_corp_code text,
    build_corp_name text,
    wage_bank_code text,
    wage_account_number text,
    pay_day integer,
    shift_start text,
    shift_end text,
    flags text[],
    published_at timestamptz not null default clock_timestamp(),
    unique (object_key, project_code)
);
create index if not exists registry_projects_object on raw.registry_projects (object_key);
-- registry_corps
create table if not exists staging.registry_corps (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_date date not null,
    child_no integer,
    project_code text not null,
    corp_code text,
    corp_name text,
    corp_type text,
    entry_date date,
    exit_date date,
    flags text[]
);
create index if not exists registry_corps_load_id on staging.registry_corps (load_id);
create table if not exists raw.registry_corps (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_date date not null,
    child_no integer,
    project_code text not null,
    corp_code text,
    corp_name text,
    corp_type text,
    entry_date date,
    exit_date date,
    flags text[],
    published_at timestamptz not null default clock_timestamp(),
    unique (object_key, project_code, child_no)
);
create index if not exists registry_corps_object on raw.registry_corps (object_key);
-- registry_teams
create table if not exists staging.registry_teams (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_date date not null,
    child_no integer,
    project_code text not null,
    team_sys_no integer,
    corp_code text,
    team_name text,
    leader_id_card_masked text,
    entry_date date,
    exit_date date,
    flags text[],
    leader_worker_key text
);
create index if not exists registry_teams_load_id on staging.registry_teams (load_id);
create table if not exists raw.registry_teams (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_date date not null,
    child_no integer,
    project_code text not null,
    team_sys_no integer,
    corp_code text,
    team_name text,
    leader_id_card_masked text,
    entry_date date,
    exit_date date,
    flags text[],
    leader_worker_key text,
    published_at timestamptz not null default clock_timestamp(),
    unique (object_key, project_code, child_no)
);
create index if not exists registry_teams_object on raw.registry_teams (object_key);
-- registry_devices
create table if not exists staging.registry_devices (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_date date not null,
    child_no integer,
    project_code text not null,
    device_sn text not null,
    vendor text,
    channel text,
    role text,
    flags text[]
);
create index if not exists registry_devices_load_id on staging.registry_devices (load_id);
create table if not exists raw.registry_devices (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_date date not null,
    child_no integer,
    project_code text not null,
    device_sn text not null,
    vendor text,
    channel text,
    role text,
    flags text[],
    published_at timestamptz not null default clock_timestamp(),
    unique (object_key, project_code, child_no)
);
create index if not exists registry_devices_object on raw.registry_devices (object_key);
-- roster_workers
create table if not exists staging.roster_workers (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    project_code text not null,
    partition_date date not null,
    employee_no_raw text,
    employee_no text not null,
    id_card_type text,
    id_card_masked text,
    birth_date date,
    sex text,
    nation text,
    corp_code text,
    team_sys_no integer,
    work_type text,
    work_role text,
    is_team_leader boolean,
    entry_date date,
    exit_date date,
    has_contract boolean,
    contract_period_type text,
    contract_start_date date,
    contract_end_date date,
    daily_wage numeric,
    pay_roll_bank_code text,
    enrolment_photo text,
    flags text[],
    worker_key text not null,
    bank_card_key text,
    bank_card_masked text
);
create index if not exists roster_workers_load_id on staging.roster_workers (load_id);
create table if not exists raw.roster_workers (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    project_code text not null,
    partition_date date not null,
    employee_no_raw text,
    employee_no text not null,
    id_card_type text,
    id_card_masked text,
    birth_date date,
    sex text,
    nation text,
    corp_code text,
    team_sys_no integer,
    work_type text,
    work_role text,
    is_team_leader boolean,
    entry_date date,
    exit_date date,
    has_contract boolean,
    contract_period_type text,
    contract_start_date date,
    contract_end_date date,
    daily_wage numeric,
    pay_roll_bank_code text,
    enrolment_photo text,
    flags text[],
    worker_key text not null,
    bank_card_key text,
    bank_card_masked text,
    published_at timestamptz not null default clock_timestamp(),
    unique (object_key, employee_no)
);
create index if not exists roster_workers_object on raw.roster_workers (object_key);
-- roster_certifications
create table if not exists staging.roster_certifications (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    project_code text not null,
    partition_date date not null,
    child_no integer,
    employee_no text not null,
    cert_type text,
    cert_no text,
    valid_until date,
    flags text[]
);
create index if not exists roster_certifications_load_id on staging.roster_certifications (load_id);
create table if not exists raw.roster_certifications (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    project_code text not null,
    partition_date date not null,
    child_no integer,
    employee_no text not null,
    cert_type text,
    cert_no text,
    valid_until date,
    flags text[],
    published_at timestamptz not null default clock_timestamp(),
    unique (object_key, employee_no, child_no)
);
create index if not exists roster_certifications_object on raw.roster_certifications (object_key);
-- roster_trainings
create table if not exists staging.roster_trainings (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    project_code text not null,
    partition_date date not null,
    child_no integer,
    employee_no text not null,
    training_type text,
    training_date date,
    hours numeric,
    score numeric,
    passed boolean,
    flags text[]
);
create index if not exists roster_trainings_load_id on staging.roster_trainings (load_id);
create table if not exists raw.roster_trainings (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    project_code text not null,
    partition_date date not null,
    child_no integer,
    employee_no text not null,
    training_type text,
    training_date date,
    hours numeric,
    score numeric,
    passed boolean,
    flags text[],
    published_at timestamptz not null default clock_timestamp(),
    unique (object_key, employee_no, child_no)
);
create index if not exists roster_trainings_object on raw.roster_trainings (object_key);
-- zkteco_punches
create table if not exists staging.zkteco_punches (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    project_code text not null,
    device_sn text not null,
    partition_date date not null,
    pin text,
    employee_no text not null,
    punch_at timestamptz not null,
    work_date date not null,
    verified integer,
    status integer,
    verify_mode integer,
    work_code text,
    direction text,
    direction_source text,
    flags text[]
);
create index if not exists zkteco_punches_load_id on staging.zkteco_punches (load_id);
create table if not exists raw.zkteco_punches (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    project_code text not null,
    device_sn text not null,
    partition_date date not null,
    pin text,
    employee_no text not null,
    punch_at timestamptz not null,
    work_date date not null,
    verified integer,
    status integer,
    verify_mode integer,
    work_code text,
    direction text,
    direction_source text,
    flags text[],
    published_at timestamptz not null default clock_timestamp(),
    unique (device_sn, employee_no, punch_at)
);
create index if not exists zkteco_punches_object on raw.zkteco_punches (object_key);
-- hikvision_events
create table if not exists staging.hikvision_events (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    project_code text not null,
    device_sn text not null,
    partition_date date not null,
    serial_no integer,
    major integer,
    minor integer,
    employee_no_string text,
    employee_no text not null,
    punch_at timestamptz not null,
    work_date date not null,
    card_no text,
    card_reader_no integer,
    door_no integer,
    verify_mode text,
    attendance_status text,
    direction text,
    direction_source text,
    mask text,
    picture_url text,
    flags text[]
);
create index if not exists hikvision_events_load_id on staging.hikvision_events (load_id);
create table if not exists raw.hikvision_events (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    project_code text not null,
    device_sn text not null,
    partition_date date not null,
    serial_no integer,
    major integer,
    minor integer,
    employee_no_string text,
    employee_no text not null,
    punch_at timestamptz not null,
    work_date date not null,
    card_no text,
    card_reader_no integer,
    door_no integer,
    verify_mode text,
    attendance_status text,
    direction text,
    direction_source text,
    mask text,
    picture_url text,
    flags text[],
    published_at timestamptz not null default clock_timestamp(),
    unique (device_sn, serial_no, punch_at)
);
create index if not exists hikvision_events_object on raw.hikvision_events (object_key);
-- payroll_lines
create table if not exists staging.payroll_lines (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_month text,
    project_code text not null,
    pay_month text not null,
    corp_code text,
    team_sys_no integer,
    id_card_type text,
    id_card_masked text,
    days integer,
    work_hours numeric,
    pay_roll_bank_code text,
    pay_bank_card_number text,
    pay_bank_code text,
    total_pay_amount numeric,
    actual_amount numeric,
    is_back_pay boolean,
    balance_date date,
    third_pay_roll_code text,
    flags text[],
    worker_key text not null,
    bank_card_key text,
    bank_card_masked text
);
create index if not exists payroll_lines_load_id on staging.payroll_lines (load_id);
create table if not exists raw.payroll_lines (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_month text,
    project_code text not null,
    pay_month text not null,
    corp_code text,
    team_sys_no integer,
    id_card_type text,
    id_card_masked text,
    days integer,
    work_hours numeric,
    pay_roll_bank_code text,
    pay_bank_card_number text,
    pay_bank_code text,
    total_pay_amount numeric,
    actual_amount numeric,
    is_back_pay boolean,
    balance_date date,
    third_pay_roll_code text,
    flags text[],
    worker_key text not null,
    bank_card_key text,
    bank_card_masked text,
    published_at timestamptz not null default clock_timestamp(),
    unique (project_code, third_pay_roll_code)
);
create index if not exists payroll_lines_object on raw.payroll_lines (object_key);
-- inspections
create table if not exists staging.inspections (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_date date not null,
    inspection_id text not null,
    project_code text not null,
    inspection_date date,
    inspector_org text,
    kind text,
    flags text[]
);
create index if not exists inspections_load_id on staging.inspections (load_id);
create table if not exists raw.inspections (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_date date not null,
    inspection_id text not null,
    project_code text not null,
    inspection_date date,
    inspector_org text,
    kind text,
    flags text[],
    published_at timestamptz not null default clock_timestamp(),
    unique (object_key, inspection_id)
);
create index if not exists inspections_object on raw.inspections (object_key);
-- inspection_findings
create table if not exists staging.inspection_findings (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_date date not null,
    child_no integer,
    inspection_id text not null,
    project_code text not null,
    finding_code text,
    severity text,
    description text,
    deadline date,
    rectified_date date,
    flags text[]
);
create index if not exists inspection_findings_load_id on staging.inspection_findings (load_id);
create table if not exists raw.inspection_findings (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    partition_date date not null,
    child_no integer,
    inspection_id text not null,
    project_code text not null,
    finding_code text,
    severity text,
    description text,
    deadline date,
    rectified_date date,
    flags text[],
    published_at timestamptz not null default clock_timestamp(),
    unique (object_key, inspection_id, child_no)
);
create index if not exists inspection_findings_object on raw.inspection_findings (object_key);
-- face_verifications
create table if not exists staging.face_verifications (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    project_code text not null,
    device_sn text not null,
    partition_date date not null,
    vendor text not null,
    employee_no text,
    punch_at timestamptz,
    work_date date,
    worker_key text,
    enrolment_key text,
    enrolment_sha256 text,
    similarity double precision,
    decision text not null,
    reasons text[] not null,
    faces_detected integer,
    model_fingerprint text not null,
    threshold_version text not null,
    threshold double precision not null
);
create index if not exists face_verifications_load_id on staging.face_verifications (load_id);
create table if not exists raw.face_verifications (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    project_code text not null,
    device_sn text not null,
    partition_date date not null,
    vendor text not null,
    employee_no text,
    punch_at timestamptz,
    work_date date,
    worker_key text,
    enrolment_key text,
    enrolment_sha256 text,
    similarity double precision,
    decision text not null,
    reasons text[] not null,
    faces_detected integer,
    model_fingerprint text not null,
    threshold_version text not null,
    threshold double precision not null,
    published_at timestamptz not null default clock_timestamp(),
    unique (object_key, model_fingerprint, threshold_version)
);
create index if not exists face_verifications_object on raw.face_verifications (object_key);
"""

ROSTER_PERIODS = """
create index if not exists roster_workers_project_snapshot
    on raw.roster_workers (project_code, partition_date);
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
from listed l;
"""


def upgrade() -> None:
    op.execute(REFUSE_OLDER_LEGACY)
    op.execute(OPS)
    op.execute(DATASETS)
    op.execute(ROSTER_PERIODS)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not reversible: restore a backup instead")
