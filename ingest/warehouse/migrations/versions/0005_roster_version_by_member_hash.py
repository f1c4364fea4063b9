"""A roster version is named by its ``member_hash`` alone: the views join on one column.

0004 keyed each version by ``(project_code, employee_no, member_hash)`` and the views
``raw.roster_workers`` / ``_certifications`` / ``_trainings`` joined members to versions
on those three columns. PostgreSQL multiplies the selectivities of join clauses as if
they were independent, so on a city's roster (450k members, 450k versions) it estimated
the join at **1 row** and planned nested loops over it: ``int_roster__workers_latest``
(and the snapshot and ``dim_worker`` reading it) ran for more than 15 minutes on one day
of a large city instead of seconds. Extended statistics do not reach join estimates.

Now the hash names the version:

- the parser salts ``member_hash`` with the project code as well (the content holds the
  worker number), so one hash is one project's worker's content (``MEMBER_FORMAT`` 2);
- the hashes already stored are rewritten to ``md5(project_code/employee_no/hash)``,
  members and versions alike, so they stay paired and become unique the same way;
- each versions table is unique on ``member_hash`` (children: ``member_hash, child_no``),
  and the views join on ``member_hash`` alone, with the same columns as before;
- roster batches staged but not published carry the former hashes: they are staged
  again by the next run (marked ``gate_failed``, as 0004 did).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

#: (view, versions table, new version key).
VIEWS = (
    ("roster_workers", "roster_worker_versions", "member_hash"),
    ("roster_certifications", "roster_certification_versions", "member_hash, child_no"),
    ("roster_trainings", "roster_training_versions", "member_hash, child_no"),
)
REHASH = "md5(project_code || '/' || employee_no || '/' || member_hash)"


def _columns(relation: str) -> list[str]:
    rows = op.get_bind().execute(
        text(
            "select column_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = :t order by ordinal_position"
        ),
        {"t": relation},
    )
    return [r[0] for r in rows]


def _unique_constraints(table: str) -> list[str]:
    rows = op.get_bind().execute(
        text("select conname from pg_constraint where conrelid = :t ::regclass and contype = 'u'"),
        {"t": f"raw.{table}"},
    )
    return [r[0] for r in rows]


def upgrade() -> None:
    op.execute(
        "update ops.load_audit set status = 'gate_failed' "
        "where feed = 'roster' and status = 'staged'"
    )
    op.execute("delete from staging.roster_members")
    member_columns = set(_columns("roster_members"))
    for view, versions, key in VIEWS:
        op.execute(f"delete from staging.{view}")
        # The view is replaced with its own columns, in its own order (so what reads it,
        # dbt's staging views and ops.roster_periods_live, stays): the snapshot's
        # bookkeeping and the hashes from the member, the content from the version.
        select = ", ".join(f"{'m' if c in member_columns else 'v'}.{c}" for c in _columns(view))
        for name in _unique_constraints(versions):
            op.execute(f"alter table raw.{versions} drop constraint {name}")
        op.execute(f"update raw.{versions} set member_hash = {REHASH}")
        op.execute(f"alter table raw.{versions} add unique ({key})")
        op.execute(
            f"""create or replace view raw.{view} as
                select {select}
                  from raw.roster_members as m
                  join raw.{versions} as v on v.member_hash = m.member_hash"""
        )
    op.execute(f"update raw.roster_members set member_hash = {REHASH}")
    op.execute("analyze raw.roster_members")
    for _, versions, _ in VIEWS:
        op.execute(f"analyze raw.{versions}")


def downgrade() -> None:
    raise NotImplementedError("forward only: restore a backup instead")
