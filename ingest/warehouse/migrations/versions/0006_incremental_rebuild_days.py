"""Incremental facts rebuild the days that changed, not a fixed window: ``ops.incremental_runs``.

Until now every incremental fact (``int_punches__verified``,
``int_attendance__worker_days``, ``fct_attendance_daily``) deleted and rebuilt the last
``incremental_lookback_days`` (10) days on every run: ten days of work for one new day,
and on a young warehouse the whole history. Each build now records, in its pre-hook,
which days it rebuilds and the load high-water mark it has seen:

- ``ops.incremental_runs``: one row per build of an incremental model (``model``, the
  run's ``as_of``, ``published_through`` = the latest ``ops.load_audit.published_at`` at
  that moment, ``days`` = the work dates rebuilt, null on a full build);
- the next incremental build of the model rebuilds the days added since its previous
  ``as_of``, the work dates of punch and face rows published since its
  ``published_through``, and, for roster and registry snapshots published since then,
  every day from the snapshot's day - 1 up to ``as_of`` - 1; bounded by the fixed window;
- indexes for those lookups: ``ops.load_audit (published_at)`` and the raw punch and face
  tables on ``work_date`` (the facts read a few days of history, not all of it).

The row is written in the model's transaction: a failed build records nothing.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

#: Raw tables the incremental facts read by work date.
WORK_DATE_TABLES = ("zkteco_punches", "hikvision_events", "face_verifications")


def upgrade() -> None:
    op.execute(
        """create table ops.incremental_runs (
               run_no bigserial primary key,
               model text not null,
               as_of date not null,
               published_through timestamptz,
               days date[],
               recorded_at timestamptz not null default clock_timestamp()
           )"""
    )
    op.execute("create index incremental_runs_model on ops.incremental_runs (model, run_no)")
    op.execute(
        "create index if not exists load_audit_published_at on ops.load_audit (published_at)"
    )
    for table in WORK_DATE_TABLES:
        op.execute(f"create index if not exists {table}_work_date on raw.{table} (work_date)")
    op.execute(
        "comment on table ops.incremental_runs is 'One row per build of an incremental "
        "dbt model: the days it rebuilt (null: a full build) and the load high-water "
        "mark it had seen.'"
    )


def downgrade() -> None:
    raise NotImplementedError("forward only: restore a backup instead")
