"""Every landing object a run has seen: ``ops.object_listing`` and the ``ops.object_ledger`` view.

``ops.load_audit`` knows the objects a batch staged; it knew nothing of the objects a
listing found and never loaded: a key matching no pattern, a file that arrived after its
partition had left the look-back window, a payroll batch deferred to a later run. Now:

- ``ops.object_listing``: one row per object version (key, etag) the first time a daily
  run's discovery sees it, with its size, the feed and partition its key names, the run
  day, and what discovery made of it (``listed``: in the run's window, handed to its feed;
  ``unrecognised_key``; ``late_beyond_lookback``: new, but its partition lies before the
  window; ``deferred``: a payroll batch paid after the run's day) with the reason;
- ``ops.object_ledger`` (a view): each listed version with its outcome: the load's status
  from ``ops.load_audit`` once a batch staged it (``staged``, ``gate_failed``,
  ``published``, ``superseded``, with the batch's row counts), else the listing's.

The load's outcome stays in one place (``ops.load_audit``); the listing only adds what
no batch records.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

#: What discovery made of an object (the ledger's outcome until a batch stages it).
LISTING_STATUSES = ("listed", "unrecognised_key", "late_beyond_lookback", "deferred")


def upgrade() -> None:
    statuses = ", ".join(f"'{s}'" for s in LISTING_STATUSES)
    op.execute(
        f"""create table ops.object_listing (
               object_key text not null,
               object_etag text not null,
               object_size bigint not null,
               feed text,
               partition_date date,
               partition_month text,
               first_seen_day date not null,
               first_seen_at timestamptz not null default clock_timestamp(),
               status text not null,
               reason text,
               primary key (object_key, object_etag),
               constraint object_listing_status check (status in ({statuses}))
           )"""
    )
    op.execute("create index object_listing_day on ops.object_listing (first_seen_day)")
    op.execute(
        "create index if not exists load_audit_key_etag on ops.load_audit (object_key, object_etag)"
    )
    op.execute(
        """create view ops.object_ledger as
           select
               l.object_key,
               l.object_etag,
               l.object_size,
               l.feed,
               l.partition_date,
               l.partition_month,
               l.first_seen_day,
               l.first_seen_at,
               coalesce(a.status, l.status) as outcome,
               case when a.status is null then l.reason end as reason,
               a.load_id,
               a.rows_read,
               a.rows_loaded,
               a.rows_quarantined,
               a.duplicates,
               a.ignored
           from ops.object_listing as l
           left join ops.load_audit as a
               on a.object_key = l.object_key and a.object_etag = l.object_etag"""
    )
    op.execute(
        "comment on table ops.object_listing is 'Each landing object version (key, etag) "
        "the first time a daily discovery saw it, and what discovery made of it.'"
    )
    op.execute(
        "comment on view ops.object_ledger is 'Every landing object version seen, with its "
        "outcome: the load status from ops.load_audit once a batch staged it, else the "
        "discovery status (listed, unrecognised_key, late_beyond_lookback, deferred).'"
    )


def downgrade() -> None:
    raise NotImplementedError("forward only: restore a backup instead")
