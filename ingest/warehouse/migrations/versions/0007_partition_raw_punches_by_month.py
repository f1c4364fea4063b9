"""``raw.zkteco_punches`` and ``raw.hikvision_events`` range-partitioned by month on ``work_date``.

A city publishes ≈ 1M punch rows a day, ≈ 365M a year. Partitioned by the month of the
punch's local work date:

- the marts' reads of a few days (the incremental facts read ``work_date = any(days)``)
  touch one or two partitions, and their indexes are a month's size;
- retention drops a month as one partition (``ingest.warehouse.retention``) instead of
  deleting rows;
- a day's rerun still replaces exactly its own rows: publish deletes an object's earlier
  version by ``object_key``, which every partition indexes.

Each table is rebuilt as a partitioned table with the same columns in the same order
(defaults and comments kept), its rows copied into one partition per month present
(``raw.<table>_YYYYMM``); the publish step creates the partitions a new batch needs
(:func:`ingest.warehouse.loader.ensure_partitions`). The unique constraint becomes the
natural key plus ``work_date`` (PostgreSQL requires the partition key in every unique
index of a partitioned table; ``work_date`` is the local date of ``punch_at``, so what is
unique does not change). Indexes: ``object_key`` and ``work_date`` (0006), per partition.

The dbt staging views over these tables are dropped with them (``cascade``); the next
``dbt build`` (``marts_build``) creates them again.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from datetime import date

from alembic import op
from sqlalchemy import text

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

#: (table, unique key with the partition column).
TABLES = (
    ("zkteco_punches", "device_sn, employee_no, punch_at, work_date"),
    ("hikvision_events", "device_sn, serial_no, punch_at, work_date"),
)


def upgrade() -> None:
    bind = op.get_bind()
    for table, unique in TABLES:
        op.execute(
            f"create table raw.{table}_partitioned (like raw.{table} including defaults "
            f"including comments) partition by range (work_date)"
        )
        months: list[date] = list(
            bind.execute(
                text(f"select distinct date_trunc('month', work_date)::date from raw.{table}")
            ).scalars()
        )
        for month in sorted(months):
            op.execute(
                f"create table raw.{table}_{month:%Y%m} partition of raw.{table}_partitioned "
                f"for values from ('{month}') to ('{month}'::date + interval '1 month')"
            )
        op.execute(f"insert into raw.{table}_partitioned select * from raw.{table}")
        op.execute(f"drop table raw.{table} cascade")
        op.execute(f"alter table raw.{table}_partitioned rename to {table}")
        op.execute(f"alter table raw.{table} add constraint {table}_key unique ({unique})")
        op.execute(f"create index {table}_object on raw.{table} (object_key)")
        op.execute(f"create index {table}_work_date on raw.{table} (work_date)")
        op.execute(f"analyze raw.{table}")


def downgrade() -> None:
    raise NotImplementedError("forward only: restore a backup instead")
