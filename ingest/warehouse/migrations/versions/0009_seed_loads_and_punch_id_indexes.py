"""dbt seeds load when they change (``ops.dbt_seed_loads``); no index on ``punch_id``.

- ``ops.dbt_seed_loads``: one row per dbt seed (the code tables), the checksum of the CSV
  the warehouse holds and when it was loaded. ``marts_build`` loads a seed only when the
  project's checksum differs from the recorded one or its table is missing
  (``ingest.transform.seeds``): every daily run reloaded 23 unchanged code tables and
  ran their 70 tests (≈ 6–10 s of a city-day).
- The unique indexes on ``punch_id`` of ``int.int_punches__verified`` and
  ``int.int_punches__directed`` are dropped. Nothing reads those tables by ``punch_id``,
  and inserting a city-day's ≈ 1M random md5 keys into them cost ≈ 5 s per table per day;
  the key's uniqueness is the models' ``unique`` test on the incremental window. (dbt
  creates indexes on a full build only: without this, an existing warehouse would keep
  them until a ``--full-refresh``.)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.execute(
        """create table ops.dbt_seed_loads (
               seed text primary key,
               checksum text not null,
               loaded_at timestamptz not null default clock_timestamp()
           )"""
    )
    op.execute(
        "comment on table ops.dbt_seed_loads is 'Each dbt seed (code table) as the warehouse "
        "holds it: the checksum of the CSV loaded, and when. marts_build reloads a seed only "
        "when the checksum changes or its table is missing.'"
    )
    op.execute(
        """do $$
           declare r record;
           begin
               for r in
                   select schemaname, indexname from pg_indexes
                   where schemaname = 'int'
                     and tablename in ('int_punches__verified', 'int_punches__directed')
                     and indexdef like 'CREATE UNIQUE INDEX % USING btree (punch_id)'
               loop
                   execute format('drop index %I.%I', r.schemaname, r.indexname);
               end loop;
           end $$"""
    )


def downgrade() -> None:
    raise NotImplementedError("forward only: restore a backup instead")
