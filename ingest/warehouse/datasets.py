"""The raw datasets: their columns, natural keys and how parser rows reach them.

A *feed* is one landing file kind (``roster``, ``zkteco``, …). Parsing one object of a feed
yields rows of its main dataset and of its child datasets (a project's teams, a worker's
trainings, …). Every dataset has a staging table (``staging.<name>``: rows of batches
being loaded, keyed by ``load_id``) and a published table (``raw.<name>``) with the same
columns plus ``published_at``.

``natural_key`` is unique in ``raw``. For device punches and payment lines it spans files,
so resends across files are counted as duplicates, not loaded twice. For snapshots
(registry, roster, inspections) every object keeps its own rows (the key includes
``object_key``) and dbt picks the latest snapshot.

Personal data never reaches these tables: see :mod:`ingest.warehouse.pii`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.landing import hikvision, inspections, payroll, registry, roster, zkteco


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    pg_type: str
    nullable: bool = True


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str  # table name in staging and raw
    feed: str  # landing kind the rows come from
    entity: str  # parser entity: the feed's kind for the main rows, else the child name
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

_INT = {
    "faces_detected",
    "child_no",
    "team_sys_no",
    "serial_no",
    "major",
    "minor",
    "status",
    "verified",
    "verify_mode",
    "card_reader_no",
    "door_no",
    "days",
    "pay_day",
}
_NUM = {
    "invest",
    "lng",
    "lat",
    "daily_wage",
    "hours",
    "score",
    "work_hours",
    "total_pay_amount",
    "actual_amount",
}
_REAL = {"similarity", "threshold"}
_TS = {"punch_at", "detected_at"}
_DATE_SUFFIX = ("_date", "deadline", "valid_until")
_BOOL_PREFIX = ("is_", "has_")
_NOT_NULL = {
    "project_code",
    "employee_no",
    "punch_at",
    "work_date",
    "device_sn",
    "partition_date",
    "worker_key",
    "inspection_id",
    "pay_month",
}

# Columns that carry personal data, per feed: dropped from raw (see ingest.warehouse.pii).
PII_COLUMNS: dict[str, frozenset[str]] = {
    "registry": frozenset({"leader_id_card_number"}),
    "roster": frozenset(
        {"worker_name", "id_card_number", "cell_phone", "pay_roll_bank_card_number"}
    ),
    "payroll": frozenset({"id_card_number", "pay_roll_bank_card_number"}),
    "hikvision": frozenset({"name"}),  # the person's name as the device shows it
}
# Per-feed type overrides where one column name means different things.
_OVERRIDES: dict[tuple[str, str], str] = {("hikvision", "verify_mode"): "text"}


def _pg_type(name: str) -> str:
    if name in _INT:
        return "integer"
    if name in _NUM:
        return "numeric"
    if name in _REAL:
        return "double precision"
    if name in _TS:
        return "timestamptz"
    if name in {"flags", "reasons"}:
        return "text[]"
    if name == "passed" or name.startswith(_BOOL_PREFIX):
        return "boolean"
    if name.endswith(_DATE_SUFFIX):
        return "date"
    return "text"


def _from_parser(
    feed: str,
    parser_cols: tuple[str, ...],
    *,
    key_cols: tuple[str, ...] = (),
    derived: tuple[str, ...] = (),
) -> tuple[Column, ...]:
    """Key-derived columns first, then the parser's columns (minus PII and record_no)."""
    pii = PII_COLUMNS.get(feed, frozenset())
    body = [c for c in parser_cols if c not in pii and c != "record_no" and c not in key_cols]
    return tuple(
        Column(n, _OVERRIDES.get((feed, n), _pg_type(n)), n not in _NOT_NULL)
        for n in (*key_cols, *body, *derived)
    )


_PUNCH_KEY = ("project_code", "device_sn", "partition_date")

DATASETS_LIST: tuple[Dataset, ...] = (
    Dataset(
        "registry_projects",
        "registry",
        "registry",
        _from_parser("registry", registry.COLUMNS, key_cols=("partition_date",)),
        ("object_key", "project_code"),
        "Projects of each registry snapshot (latest snapshot wins in dbt).",
    ),
    Dataset(
        "registry_corps",
        "registry",
        "project_corp",
        _from_parser(
            "registry", registry.CHILD_COLUMNS["project_corp"], key_cols=("partition_date",)
        ),
        ("object_key", "project_code", "child_no"),
        "Participating units (sub-contractors) of each project per snapshot.",
    ),
    Dataset(
        "registry_teams",
        "registry",
        "project_team",
        _from_parser(
            "registry",
            registry.CHILD_COLUMNS["project_team"],
            key_cols=("partition_date",),
            derived=("leader_worker_key",),
        ),
        ("object_key", "project_code", "child_no"),
        "Teams (班组) of each project per snapshot; the leader as worker_key.",
    ),
    Dataset(
        "registry_devices",
        "registry",
        "project_device",
        _from_parser(
            "registry", registry.CHILD_COLUMNS["project_device"], key_cols=("partition_date",)
        ),
        ("object_key", "project_code", "child_no"),
        "Gate devices of each project per snapshot (vendor, channel, in/out role).",
    ),
    Dataset(
        "roster_workers",
        "roster",
        "roster",
        _from_parser(
            "roster",
            roster.COLUMNS,
            key_cols=("project_code", "partition_date"),
            derived=("worker_key", "bank_card_key", "bank_card_masked"),
        ),
        ("object_key", "employee_no"),
        "Roster snapshot lines: one worker of one project on one snapshot date.",
    ),
    Dataset(
        "roster_certifications",
        "roster",
        "worker_certification",
        _from_parser(
            "roster",
            roster.CHILD_COLUMNS["worker_certification"],
            key_cols=("project_code", "partition_date"),
        ),
        ("object_key", "employee_no", "child_no"),
        "Certificates (特种作业操作证 …) of roster workers per snapshot.",
    ),
    Dataset(
        "roster_trainings",
        "roster",
        "worker_training",
        _from_parser(
            "roster",
            roster.CHILD_COLUMNS["worker_training"],
            key_cols=("project_code", "partition_date"),
        ),
        ("object_key", "employee_no", "child_no"),
        "Trainings (entry, safety, skills) of roster workers per snapshot.",
    ),
    Dataset(
        "zkteco_punches",
        "zkteco",
        "zkteco",
        _from_parser("zkteco", zkteco.COLUMNS, key_cols=_PUNCH_KEY),
        ("device_sn", "employee_no", "punch_at"),
        "ZKTeco attlog punches, one row per (device, worker, time).",
    ),
    Dataset(
        "hikvision_events",
        "hikvision",
        "hikvision",
        _from_parser("hikvision", hikvision.COLUMNS, key_cols=_PUNCH_KEY),
        ("device_sn", "serial_no", "punch_at"),
        "Hikvision AcsEvent person events, one row per (device, serialNo, time).",
    ),
    Dataset(
        "payroll_lines",
        "payroll",
        "payroll",
        _from_parser(
            "payroll",
            payroll.COLUMNS,
            key_cols=("partition_month",),
            derived=("worker_key", "bank_card_key", "bank_card_masked"),
        ),
        ("project_code", "third_pay_roll_code"),
        "Payroll detail lines (工资单明细), one per bank transaction reference.",
    ),
    Dataset(
        "inspections",
        "inspections",
        "inspections",
        _from_parser("inspections", inspections.COLUMNS, key_cols=("partition_date",)),
        ("object_key", "inspection_id"),
        "Regulators' inspection records per file (latest version wins in dbt).",
    ),
    Dataset(
        "inspection_findings",
        "inspections",
        "inspection_finding",
        _from_parser(
            "inspections",
            inspections.CHILD_COLUMNS["inspection_finding"],
            key_cols=("partition_date",),
        ),
        ("object_key", "inspection_id", "child_no"),
        "Findings of inspections with their deadline and rectification date.",
    ),
)

#: Columns of a face verification (one per gate capture photo); see ingest.verification.
FACE_VERIFICATION_COLUMNS = (
    "project_code",
    "device_sn",
    "partition_date",
    "vendor",
    "employee_no",
    "punch_at",
    "work_date",
    "worker_key",
    "enrolment_key",
    "enrolment_sha256",
    "similarity",
    "decision",
    "reasons",
    "faces_detected",
    "model_fingerprint",
    "threshold_version",
    "threshold",
)

_FACE_NOT_NULL = {
    "project_code",
    "device_sn",
    "partition_date",
    "vendor",
    "decision",
    "reasons",
    "model_fingerprint",
    "threshold_version",
    "threshold",
}

DATASETS_LIST += (
    Dataset(
        "face_verifications",
        "face",
        "face",
        tuple(Column(n, _pg_type(n), n not in _FACE_NOT_NULL) for n in FACE_VERIFICATION_COLUMNS),
        ("object_key", "model_fingerprint", "threshold_version"),
        "One face re-verification per gate capture photo: the capture against the "
        "worker's enrolment photo, with similarity, decision, reason codes and the "
        "model fingerprint and threshold version that produced it.",
    ),
)

DATASETS: dict[str, Dataset] = {d.name: d for d in DATASETS_LIST}
FEEDS: tuple[str, ...] = ("registry", "roster", "zkteco", "hikvision", "payroll", "inspections")
#: Feeds that are not landing files but derived from them (gate capture re-verification).
DERIVED_FEEDS: tuple[str, ...] = ("face",)


def feed_datasets(feed: str) -> tuple[Dataset, ...]:
    """Datasets filled from one feed, its main dataset first."""
    out = tuple(d for d in DATASETS_LIST if d.feed == feed)
    if not out:
        raise KeyError(f"unknown feed {feed!r}")
    return out
