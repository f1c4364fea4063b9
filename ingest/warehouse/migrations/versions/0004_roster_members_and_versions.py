"""Rosters as deltas: a snapshot's members, and each distinct member content once.

A city's daily roster snapshot lists ~450k workers, nearly all unchanged from the day
before; writing each in full every day (one worker row, its certificates and trainings:
~1M rows a day) was most of a city-day's load. Now:

- ``raw.roster_members``: one narrow row per worker per snapshot (the snapshot's
  bookkeeping, ``employee_no``, ``member_hash`` = hash of the worker's content, and
  ``line_hash`` = hash of the raw line, set when nothing of the line was quarantined so
  the next snapshot can skip parsing it);
- ``raw.roster_worker_versions`` / ``raw.roster_certification_versions`` /
  ``raw.roster_training_versions``: the former tables, renamed, each content once per
  ``(project_code, employee_no, member_hash[, child_no])`` (their bookkeeping columns
  are the snapshot that first carried it);
- ``raw.roster_workers`` / ``raw.roster_certifications`` / ``raw.roster_trainings``:
  views joining the two, with the former tables' columns (plus ``member_hash``): one
  row per worker (certificate, training) per snapshot, exactly as before, for every
  reader (dbt sources, ``ops.roster_periods_live``, the gate, the monthly export).

Rows published before this revision become versions of their own
(``member_hash = 'legacy:' || object_key``), with a member row each: nothing is
rewritten or lost, and the first snapshot after it writes each worker's content once
more under its real hash.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

#: (former table, versions table, unique key before, version key, content columns).
#: Content columns: every column of the former table but the snapshot's bookkeeping
#: (load_id, object_key, object_sha256, record_no, project_code, partition_date,
#: employee_no, published_at), which the view takes from the member.
TABLES = (
    (
        "roster_workers",
        "roster_worker_versions",
        "roster_workers_object_key_employee_no_key",
        "project_code, employee_no, member_hash",
        (
            "employee_no_raw, id_card_type, id_card_masked, birth_date, sex, nation, "
            "corp_code, team_sys_no, work_type, work_role, is_team_leader, entry_date, "
            "exit_date, has_contract, contract_period_type, contract_start_date, "
            "contract_end_date, daily_wage, pay_roll_bank_code, enrolment_photo, flags, "
            "worker_key, bank_card_key, bank_card_masked"
        ),
    ),
    (
        "roster_certifications",
        "roster_certification_versions",
        "roster_certifications_object_key_employee_no_child_no_key",
        "project_code, employee_no, member_hash, child_no",
        "child_no, cert_type, cert_no, valid_until, flags",
    ),
    (
        "roster_trainings",
        "roster_training_versions",
        "roster_trainings_object_key_employee_no_child_no_key",
        "project_code, employee_no, member_hash, child_no",
        "child_no, training_type, training_date, hours, score, passed, flags",
    ),
)

MEMBERS = """
create table if not exists {schema}.roster_members (
    load_id text not null,
    object_key text not null,
    object_sha256 text not null,
    record_no integer not null,
    project_code text not null,
    partition_date date not null,
    employee_no text not null,
    member_hash text not null,
    line_hash text{extra}
)
"""

#: ops.roster_periods_live (0003) reads the snapshots from the members.
LIVE = """
create or replace view ops.roster_periods_live as
-- One row per (project, worker number): the period the worker is on the project's roster.
-- entry = earliest entryDate (or first snapshot listing them); exit = the exitDate of the
-- latest snapshot listing them, else the date of the first later snapshot of the project
-- that does not list them (and did not quarantine their line), else open (null).
with snaps as (
    select distinct object_key, project_code, partition_date from raw.roster_members
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
),
absent as (
    select l.project_code, l.employee_no, min(s.partition_date) as first_absent
    from listed as l
    inner join snaps as s
        on s.project_code = l.project_code and s.partition_date > l.last_snapshot
    where not exists (
        select 1 from ops.quarantine as q
        where q.object_key = s.object_key and q.entity = 'roster'
          and q.record_key = l.employee_no
    )
    group by l.project_code, l.employee_no
)
select
    l.project_code,
    l.employee_no,
    l.worker_key,
    l.entry_date,
    coalesce(l.latest_exit_date, a.first_absent) as exit_date,
    l.last_snapshot
from listed as l
left join absent as a using (project_code, employee_no)
"""


def upgrade() -> None:
    op.execute("drop view if exists ops.roster_periods_live")
    op.execute(MEMBERS.format(schema="staging", extra=""))
    op.execute("alter table staging.roster_members set unlogged")
    op.execute(
        MEMBERS.format(
            schema="raw",
            extra=(
                ",\n    published_at timestamptz not null default clock_timestamp(),"
                "\n    unique (object_key, employee_no)"
            ),
        )
    )
    op.execute(
        "create index if not exists roster_members_project_snapshot "
        "on raw.roster_members (project_code, partition_date)"
    )
    # A roster batch staged by the former parser has no hashes: it is staged again by the
    # next run (the stage step is idempotent), as a batch whose gate failed would be.
    op.execute(
        "update ops.load_audit set status = 'gate_failed' "
        "where feed = 'roster' and status = 'staged'"
    )
    for table, versions, unique, key, _ in TABLES:
        op.execute(f"delete from staging.{table}")
        op.execute(f"alter table staging.{table} add column member_hash text not null")
        op.execute(f"alter table raw.{table} rename to {versions}")
        op.execute(f"alter table raw.{versions} add column member_hash text")
        if table == "roster_workers":  # the line that first carried the version
            op.execute(f"alter table staging.{table} add column if not exists line_hash text")
            op.execute(f"alter table raw.{versions} add column line_hash text")
        op.execute(f"update raw.{versions} set member_hash = 'legacy:' || object_key")
        op.execute(f"alter table raw.{versions} alter column member_hash set not null")
        op.execute(f"alter table raw.{versions} drop constraint {unique}")
        op.execute(f"alter table raw.{versions} add unique ({key})")
    op.execute(
        """insert into raw.roster_members (load_id, object_key, object_sha256, record_no,
               project_code, partition_date, employee_no, member_hash, published_at)
           select load_id, object_key, object_sha256, record_no, project_code,
                  partition_date, employee_no, member_hash, published_at
             from raw.roster_worker_versions"""
    )
    for table, versions, _, _, content in TABLES:
        line = ", m.line_hash" if table == "roster_workers" else ""
        op.execute(
            f"""create view raw.{table} as
                select m.load_id, m.object_key, m.object_sha256, m.record_no,
                       m.project_code, m.partition_date, m.employee_no, {content},
                       m.member_hash{line}, m.published_at
                  from raw.roster_members as m
                  join raw.{versions} as v
                    on v.project_code = m.project_code and v.employee_no = m.employee_no
                   and v.member_hash = m.member_hash"""
        )
    op.execute(LIVE)


def downgrade() -> None:
    raise NotImplementedError("forward only: restore a backup instead")
