"""The raw datasets: their columns, natural keys and how rows reach them.

Every dataset has a staging table (``staging.<name>``, rows of batches being loaded, keyed
by ``load_id``) and a published table (``raw.<name>``) with the same columns plus the
bookkeeping ones. ``natural_key`` is unique in ``raw``: rows whose key is already there
(device resends across files) are counted as duplicates, not loaded twice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    pg_type: str
    nullable: bool = True


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    kind: str  # parser kind, see ingest.landing.keys
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...]
    description: str

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


BOOKKEEPING = (
    Column("load_id", "text", nullable=False),
    Column("object_key", "text", nullable=False),
    Column("object_sha256", "text", nullable=False),
    Column("record_no", "integer", nullable=False),
)

ZKTECO_PUNCHES = Dataset(
    name="zkteco_punches",
    kind="zkteco",
    description="ZKTeco attlog punches, one row per (device, worker, time).",
    columns=(
        Column("project_code", "text", nullable=False),
        Column("device_sn", "text", nullable=False),
        Column("partition_date", "date", nullable=False),
        Column("pin", "text", nullable=False),
        Column("employee_no", "text", nullable=False),
        Column("punch_at", "timestamptz", nullable=False),
        Column("work_date", "date", nullable=False),
        Column("verified", "smallint"),
        Column("status", "smallint"),
        Column("verify_mode", "smallint"),
        Column("work_code", "text"),
        Column("direction", "text"),
    ),
    natural_key=("device_sn", "employee_no", "punch_at"),
)

DATASETS: dict[str, Dataset] = {d.name: d for d in (ZKTECO_PUNCHES,)}
