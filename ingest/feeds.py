"""The feed registry: what every landing feed *is*, declared once.

A *feed* is one kind of landing object (``roster``, ``zkteco``, …). Its entry says:

- where its objects live (``key_pattern``, a regular expression over the object key with
  named groups ``project``, ``device``, ``dt``, ``month``, ``page``, ``stem``, ``file``);
- which parser turns an object into rows (``parser``, ``"module:function"``, imported on
  first use, so this module imports nothing heavy and sits at the bottom of the graph);
- which datasets the rows fill: the main entity first, then child entities, each with its
  typed columns (SQL types declared here, never guessed), natural key, personal-data
  columns (emitted by the parser, never stored in ``raw``), the columns stamped from the
  object key, the columns derived at the warehouse door, and its GX suite;
- how it loads: the feeds that must be published first (``depends_on``), how far back a
  daily run looks (``window``), whether punches are checked against the published roster.

Everything else derives from this module: key parsing (:mod:`ingest.landing.keys`),
parser dispatch, discovery, the staging/raw DDL (frozen in Alembic revisions, checked
against this registry by a test), the GX suites' schema checks, the DAG's task groups and
Assets, and ``docs/feeds.md``. Adding a gate-device vendor is a parser module plus one
entry here (worked example: ``docs/feeds.md``).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from ingest.landing.context import ParseContext
    from ingest.landing.model import ParseResult

Parser = Callable[[bytes, "ParseContext"], "ParseResult"]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    pg_type: str
    nullable: bool = True


def col(name: str, pg_type: str = "text", *, null: bool = True) -> Column:
    return Column(name, pg_type, null)


def req(name: str, pg_type: str = "text") -> Column:
    """A column that is never null."""
    return Column(name, pg_type, False)


#: Marks a parser column that carries personal data: never stored in ``raw``.
PII = "pii"


def pii(name: str) -> Column:
    return Column(name, PII)


#: Bookkeeping columns of every staging and raw table, ahead of the dataset's columns.
BOOKKEEPING = (
    req("load_id"),
    req("object_key"),
    req("object_sha256"),
    req("record_no", "integer"),
)

#: Object-key fields that can be stamped on rows, by column name → ``LandingKey`` field.
KEY_FIELDS = {
    "project_code": "project_code",
    "device_sn": "device_sn",
    "partition_date": "partition_date",
    "partition_month": "pay_month",
}
FLAGS = col("flags", "text[]")


@dataclass(frozen=True, slots=True)
class Dataset:
    """One table in ``staging`` and ``raw``: rows of one parser entity of one feed."""

    name: str  # table name in staging and raw; also the GX suite's name
    feed: str
    entity: str  # parser entity: the feed's name for the main rows, else the child name
    parsed: tuple[Column, ...]  # what the parser emits after record_no, in its order
    natural_key: tuple[str, ...]
    description: str
    from_key: tuple[Column, ...] = ()  # stamped from the object key (wins over the row)
    derived: tuple[Column, ...] = ()  # computed at the warehouse door (ingest.warehouse.pii)
    scrub: str | None = None  # personal-data transform (ingest.warehouse.pii.SCRUBBERS)
    # Member-versioned (rosters): ``raw.<versions>`` holds each distinct content once, keyed
    # by ``version_key``; ``raw.<name>`` is a view joining it to the snapshot's members.
    versions: str | None = None
    version_key: tuple[str, ...] = ()
    # ``raw.<name>`` is range-partitioned by month on this date column, which must be a
    # function of the natural key (a punch's work_date is the local date of its punch_at):
    # PostgreSQL's unique indexes on a partitioned table include the partition key, so
    # ``raw_unique_key`` adds it to the natural key without changing what is unique.
    partition_by: str | None = None

    @property
    def raw_unique_key(self) -> tuple[str, ...]:
        """The columns of ``raw.<name>``'s unique constraint (publish's conflict target)."""
        if self.partition_by is None or self.partition_by in self.natural_key:
            return self.natural_key
        return (*self.natural_key, self.partition_by)

    @property
    def raw_table(self) -> str:
        """Where publish writes: ``raw.<versions>`` for a versioned dataset, else
        ``raw.<name>``."""
        return f"raw.{self.versions or self.name}"

    @property
    def columns(self) -> tuple[Column, ...]:
        """The stored columns (after the bookkeeping ones): key, parsed (no PII), derived."""
        body = tuple(c for c in self.parsed if c.pg_type != PII)
        return (*self.from_key, *body, *self.derived)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def parser_columns(self) -> tuple[str, ...]:
        """The keys of every row the parser emits for this entity, in order."""
        return ("record_no", *(c.name for c in self.parsed))

    @property
    def pii_columns(self) -> frozenset[str]:
        return frozenset(c.name for c in self.parsed if c.pg_type == PII)

    @property
    def suite(self) -> str:
        return self.name


class Window(Enum):
    """Which objects a daily run for day D looks at."""

    PARTITION = "partition"  # dt= within [D - lookback, D]
    PAY_MONTH = "pay_month"  # month= whose first day is within [D - PAY_MONTH_DAYS, D]


#: Payroll files are filed under the month worked and arrive weeks later.
PAY_MONTH_DAYS = 100


class Deferral(NamedTuple):
    """Where a document's dates are (``items[*].field``) and how the ledger words a wait."""

    items: str
    field: str
    verb: str  # "paid after <day>"
    noun: str  # "loaded by the run of its last <noun>"

    def reason(self, day: date) -> str:
        return f"{self.verb} after {day}: loaded by the run of its last {self.noun}"


@dataclass(frozen=True, slots=True)
class Feed:
    name: str
    description: str
    key_pattern: str | None  # None: not a landing object (derived feed)
    parser: str | None  # "module:function"; None: referenced (photos) or derived
    datasets: tuple[Dataset, ...] = ()
    depends_on: tuple[str, ...] = ()
    window: Window = Window.PARTITION
    checks_registry: bool = True  # project codes checked against the published registry
    checks_roster: bool = False  # punches checked against published rosters + device roles
    # a batch dated after the run's day (a payroll line paid, a statement transaction made
    # later) waits for the run of its last date
    defer_future: Deferral | None = None
    case_insensitive_key: bool = False
    # "module:function" parsing a whole batch with column operations, equal to ``parser``
    # record by record (ingest.landing.batch); None: the batch is parsed object by object.
    batch_parser: str | None = None
    # "module:function" called as f(cursor, load_id) in a batch's publish transaction, to
    # keep tables derived from the feed's raw rows current (e.g. roster periods).
    after_publish: str | None = None

    @property
    def is_landing(self) -> bool:
        """Parsed and loaded from the landing bucket (not a photo, not derived)."""
        return self.key_pattern is not None and self.parser is not None

    @property
    def key_fields(self) -> tuple[str, ...]:
        """Columns stamped from the object key on this feed's rows."""
        names: dict[str, None] = {}
        for ds in self.datasets:
            names.update(dict.fromkeys(c.name for c in ds.from_key))
        return tuple(names)

    @property
    def main(self) -> Dataset:
        return self.datasets[0]

    def load_parser(self) -> Parser:
        if self.parser is None:
            raise ValueError(f"{self.name} objects are referenced, not parsed")
        parser: Parser = _resolve(self.parser)
        return parser

    def load_after_publish(self) -> Callable[..., Any] | None:
        return None if self.after_publish is None else _resolve(self.after_publish)

    def load_batch_parser(self) -> Callable[..., Any] | None:
        """The columnar batch parser, or None when the feed is parsed object by object."""
        return None if self.batch_parser is None else _resolve(self.batch_parser)

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compiled(self.name)


def _resolve(ref: str) -> Any:
    module, _, func = ref.partition(":")
    return getattr(importlib.import_module(module), func)


# -- key pattern pieces --------------------------------------------------------------------
_SEG = r"[^/]+"
_DT = r"dt=(?P<dt>\d{4}-\d{2}-\d{2})"
_PHOTO = r"(?P<stem>[^/]+)\.(?:jpe?g|png)"
_PROJECT = rf"(?P<project>{_SEG})"
_DEVICE = rf"(?P<device>{_SEG})"

_DAY = col("partition_date", "date", null=False)
_PROJECT_KEY = req("project_code")
_DEVICE_KEY = req("device_sn")
_PUNCH_KEY = (_PROJECT_KEY, _DEVICE_KEY, _DAY)
_DIRECTION = (col("direction"), col("direction_source"))

_REGISTRY = (
    Dataset(
        "registry_projects",
        "registry",
        "registry",
        (
            req("project_code"),
            col("name"),
            col("category"),
            col("area_code"),
            col("prj_status"),
            col("start_date", "date"),
            col("complete_date", "date"),
            col("invest", "numeric"),
            col("address"),
            col("lng", "numeric"),
            col("lat", "numeric"),
            col("contractor_corp_code"),
            col("contractor_corp_name"),
            col("build_corp_code"),
            col("build_corp_name"),
            col("wage_bank_code"),
            col("wage_account_number"),
            col("pay_day", "integer"),
            col("shift_start"),
            col("shift_end"),
            FLAGS,
        ),
        ("object_key", "project_code"),
        "Projects of each registry snapshot (latest snapshot wins in dbt).",
        from_key=(_DAY,),
    ),
    Dataset(
        "registry_corps",
        "registry",
        "project_corp",
        (
            col("child_no", "integer"),
            req("project_code"),
            col("corp_code"),
            col("corp_name"),
            col("corp_type"),
            col("entry_date", "date"),
            col("exit_date", "date"),
            FLAGS,
        ),
        ("object_key", "project_code", "child_no"),
        "Participating units (sub-contractors) of each project per snapshot.",
        from_key=(_DAY,),
    ),
    Dataset(
        "registry_teams",
        "registry",
        "project_team",
        (
            col("child_no", "integer"),
            req("project_code"),
            col("team_sys_no", "integer"),
            col("corp_code"),
            col("team_name"),
            pii("leader_id_card_number"),
            col("leader_id_card_masked"),
            col("entry_date", "date"),
            col("exit_date", "date"),
            FLAGS,
        ),
        ("object_key", "project_code", "child_no"),
        "Teams (班组) of each project per snapshot; the leader as worker_key.",
        from_key=(_DAY,),
        derived=(col("leader_worker_key"),),
        scrub="team_leader",
    ),
    Dataset(
        "registry_devices",
        "registry",
        "project_device",
        (
            col("child_no", "integer"),
            req("project_code"),
            req("device_sn"),
            col("vendor"),
            col("channel"),
            col("role"),
            FLAGS,
        ),
        ("object_key", "project_code", "child_no"),
        "Gate devices of each project per snapshot (vendor, channel, in/out role).",
        from_key=(_DAY,),
    ),
)

_CARD_DERIVED = (col("bank_card_key"), col("bank_card_masked"))

#: Versions of a roster member are keyed by its hash (``member_hash``: the project code and
#: the worker's content, so one hash is one version; migration 0005).
_MEMBER_HASH = req("member_hash")

_ROSTER = (
    Dataset(
        "roster_workers",
        "roster",
        "roster",
        (
            col("employee_no_raw"),
            req("employee_no"),
            pii("worker_name"),
            col("id_card_type"),
            pii("id_card_number"),
            col("id_card_masked"),
            col("birth_date", "date"),
            col("sex"),
            pii("cell_phone"),
            col("nation"),
            col("corp_code"),
            col("team_sys_no", "integer"),
            col("work_type"),
            col("work_role"),
            col("is_team_leader", "boolean"),
            col("entry_date", "date"),
            col("exit_date", "date"),
            col("has_contract", "boolean"),
            col("contract_period_type"),
            col("contract_start_date", "date"),
            col("contract_end_date", "date"),
            col("daily_wage", "numeric"),
            pii("pay_roll_bank_card_number"),
            col("pay_roll_bank_code"),
            col("enrolment_photo"),
            FLAGS,
            _MEMBER_HASH,
            col("line_hash"),
        ),
        ("object_key", "employee_no"),
        "Roster snapshot lines: one worker of one project on one snapshot date.",
        from_key=(_PROJECT_KEY, _DAY),
        derived=(req("worker_key"), *_CARD_DERIVED),
        scrub="worker_identity",
        versions="roster_worker_versions",
        version_key=("member_hash",),
    ),
    Dataset(
        "roster_members",
        "roster",
        "roster",
        (req("employee_no"), _MEMBER_HASH, col("line_hash")),
        ("object_key", "employee_no"),
        "Roster snapshot membership: one worker of one project on one snapshot date, "
        "with the hash of the worker's content (``raw.roster_workers`` joins it to the "
        "version). ``line_hash`` (the raw line's hash) lets the next snapshot skip parsing "
        "an unchanged line; it is null for a line that had any quarantined part.",
        from_key=(_PROJECT_KEY, _DAY),
    ),
    Dataset(
        "roster_certifications",
        "roster",
        "worker_certification",
        (
            col("child_no", "integer"),
            req("employee_no"),
            col("cert_type"),
            col("cert_no"),
            col("valid_until", "date"),
            FLAGS,
            _MEMBER_HASH,
        ),
        ("object_key", "employee_no", "child_no"),
        "Certificates (特种作业操作证 …) of roster workers per snapshot.",
        from_key=(_PROJECT_KEY, _DAY),
        versions="roster_certification_versions",
        version_key=("member_hash", "child_no"),
    ),
    Dataset(
        "roster_trainings",
        "roster",
        "worker_training",
        (
            col("child_no", "integer"),
            req("employee_no"),
            col("training_type"),
            col("training_date", "date"),
            col("hours", "numeric"),
            col("score", "numeric"),
            col("passed", "boolean"),
            FLAGS,
            _MEMBER_HASH,
        ),
        ("object_key", "employee_no", "child_no"),
        "Trainings (entry, safety, skills) of roster workers per snapshot.",
        from_key=(_PROJECT_KEY, _DAY),
        versions="roster_training_versions",
        version_key=("member_hash", "child_no"),
    ),
)

_ZKTECO = Dataset(
    "zkteco_punches",
    "zkteco",
    "zkteco",
    (
        col("pin"),
        req("employee_no"),
        req("punch_at", "timestamptz"),
        req("work_date", "date"),
        col("verified", "integer"),
        col("status", "integer"),
        col("verify_mode", "integer"),
        col("work_code"),
        *_DIRECTION,
        FLAGS,
    ),
    ("device_sn", "employee_no", "punch_at"),
    "ZKTeco attlog punches, one row per (device, worker, time).",
    from_key=_PUNCH_KEY,
    partition_by="work_date",
)

_HIKVISION = Dataset(
    "hikvision_events",
    "hikvision",
    "hikvision",
    (
        col("serial_no", "integer"),
        col("major", "integer"),
        col("minor", "integer"),
        col("employee_no_string"),
        req("employee_no"),
        pii("name"),  # the person's name as the device shows it
        req("punch_at", "timestamptz"),
        req("work_date", "date"),
        col("card_no"),
        col("card_reader_no", "integer"),
        col("door_no", "integer"),
        col("verify_mode"),  # Hikvision's verify mode is a word, ZKTeco's a number
        col("attendance_status"),
        *_DIRECTION,
        col("mask"),
        col("picture_url"),
        FLAGS,
    ),
    ("device_sn", "serial_no", "punch_at"),
    "Hikvision AcsEvent person events, one row per (device, serialNo, time).",
    from_key=_PUNCH_KEY,
    partition_by="work_date",
)

_PAYROLL = Dataset(
    "payroll_lines",
    "payroll",
    "payroll",
    (
        req("project_code"),
        req("pay_month"),
        col("corp_code"),
        col("team_sys_no", "integer"),
        col("id_card_type"),
        pii("id_card_number"),
        col("id_card_masked"),
        col("days", "integer"),
        col("work_hours", "numeric"),
        pii("pay_roll_bank_card_number"),
        col("pay_roll_bank_code"),
        col("pay_bank_card_number"),
        col("pay_bank_code"),
        col("total_pay_amount", "numeric"),
        col("actual_amount", "numeric"),
        col("is_back_pay", "boolean"),
        col("back_pay_month"),
        col("balance_date", "date"),
        col("third_pay_roll_code"),
        FLAGS,
    ),
    ("project_code", "third_pay_roll_code"),
    "Payroll detail lines (工资单明细), one per bank transaction reference.",
    from_key=(col("partition_month"),),
    derived=(req("worker_key"), *_CARD_DERIVED),
    scrub="payment_identity",
)

#: The wage account's monthly bank statement (contract v1.1): one row per transaction,
#: the statement's header on every row (like a payroll batch's).
_WAGE_ACCOUNT = Dataset(
    "wage_account_transactions",
    "wage_account",
    "wage_account",
    (
        req("project_code"),
        req("statement_month"),
        col("wage_account"),
        col("bank_code"),
        col("opening_balance", "numeric"),
        col("closing_balance", "numeric"),
        req("tx_id"),
        col("tx_date", "date"),
        req("direction"),
        col("amount", "numeric"),
        pii("counterparty_name"),  # a worker's name on wage transactions
        pii("counterparty_account"),  # a worker's own card on wage transactions
        req("purpose"),
        col("third_pay_roll_code"),
        FLAGS,
    ),
    ("project_code", "statement_month", "tx_id"),
    "Wage-account statement transactions (农民工工资专用账户流水), one per txId; a "
    "corrected or month-to-date statement replaces the earlier one at its key.",
    from_key=(col("partition_month"),),
    derived=(col("counterparty_account_key"), col("counterparty_account_masked")),
    scrub="statement_counterparty",
)

_INSPECTIONS = (
    Dataset(
        "inspections",
        "inspections",
        "inspections",
        (
            req("inspection_id"),
            req("project_code"),
            col("inspection_date", "date"),
            col("inspector_org"),
            col("kind"),
            FLAGS,
        ),
        ("object_key", "inspection_id"),
        "Regulators' inspection records per file (latest version wins in dbt).",
        from_key=(_DAY,),
    ),
    Dataset(
        "inspection_findings",
        "inspections",
        "inspection_finding",
        (
            col("child_no", "integer"),
            req("inspection_id"),
            req("project_code"),
            col("finding_code"),
            col("severity"),
            col("description"),
            col("deadline", "date"),
            col("rectified_date", "date"),
            FLAGS,
        ),
        ("object_key", "inspection_id", "child_no"),
        "Findings of inspections with their deadline and rectification date.",
        from_key=(_DAY,),
    ),
)

#: One face re-verification per gate capture photo (see ingest.verification).
_FACE = Dataset(
    "face_verifications",
    "face",
    "face",
    (
        req("project_code"),
        req("device_sn"),
        req("partition_date", "date"),
        req("vendor"),
        col("employee_no"),
        col("punch_at", "timestamptz"),
        col("work_date", "date"),
        col("worker_key"),
        col("enrolment_key"),
        col("enrolment_sha256"),
        col("similarity", "double precision"),
        req("decision"),
        req("reasons", "text[]"),
        col("faces_detected", "integer"),
        req("model_fingerprint"),
        req("threshold_version"),
        req("threshold", "double precision"),
    ),
    ("object_key", "model_fingerprint", "threshold_version"),
    "One face re-verification per gate capture photo: the capture against the "
    "worker's enrolment photo, with similarity, decision, reason codes and the "
    "model fingerprint and threshold version that produced it.",
)

#: Every feed, in declaration order (also the order key patterns are tried in).
REGISTRY: tuple[Feed, ...] = (
    Feed(
        "registry",
        "Project registry snapshot: projects, participating units, teams, gate devices.",
        rf"registry/{_DT}/(?P<file>projects\.json)",
        "ingest.landing.registry:parse_registry",
        _REGISTRY,
        checks_registry=False,
    ),
    Feed(
        "roster",
        "Daily roster snapshot of a project: workers, certificates, trainings.",
        rf"roster/{_PROJECT}/{_DT}/(?P<file>workers\.jsonl)",
        "ingest.landing.roster:parse_roster",
        _ROSTER,
        depends_on=("registry",),
        after_publish="ingest.warehouse.rosters:refresh_periods",
    ),
    Feed(
        "enrolment_photo",
        "A worker's enrolment photo (referenced by face re-verification).",
        rf"photos/enrolment/{_PROJECT}/(?P<file>{_PHOTO})",
        None,
        case_insensitive_key=True,
    ),
    Feed(
        "zkteco",
        "ZKTeco attlog: one device's punches of one day.",
        rf"punches/{_PROJECT}/{_DEVICE}/{_DT}/(?P<file>attlog\.dat)",
        "ingest.landing.zkteco:parse_zkteco",
        (_ZKTECO,),
        depends_on=("registry", "roster"),
        checks_roster=True,
        batch_parser="ingest.landing.zkteco_batch:parse_zkteco_batch",
    ),
    Feed(
        "hikvision",
        "Hikvision AcsEvent page: one device's access events of one day.",
        rf"punches/{_PROJECT}/{_DEVICE}/{_DT}/(?P<file>acsevent-(?P<page>\d+)\.json)",
        "ingest.landing.hikvision:parse_hikvision",
        (_HIKVISION,),
        depends_on=("registry", "roster"),
        checks_roster=True,
        batch_parser="ingest.landing.hikvision_batch:parse_hikvision_batch",
    ),
    Feed(
        "capture_photo",
        "A gate capture photo of a punch (re-verified against the enrolment photo).",
        rf"photos/capture/{_PROJECT}/{_DEVICE}/{_DT}/(?P<file>{_PHOTO})",
        None,
        case_insensitive_key=True,
    ),
    Feed(
        "payroll",
        "A payroll batch (工资单) of a project and pay month.",
        rf"payroll/{_PROJECT}/month=(?P<month>\d{{4}}-\d{{2}})/(?P<file>[^/]+\.json)",
        "ingest.landing.payroll:parse_payroll",
        (_PAYROLL,),
        depends_on=("registry",),
        window=Window.PAY_MONTH,
        defer_future=Deferral("detailList", "balanceDate", "paid", "payment"),
    ),
    Feed(
        "wage_account",
        "The bank statement of a project's wage account for one month (v1.1).",
        rf"wage_account/{_PROJECT}/month=(?P<month>\d{{4}}-\d{{2}})/(?P<file>statement\.json)",
        "ingest.landing.wage_account:parse_wage_account",
        (_WAGE_ACCOUNT,),
        depends_on=("registry",),
        window=Window.PAY_MONTH,
        defer_future=Deferral("transactions", "date", "dated", "transaction"),
    ),
    Feed(
        "inspections",
        "Regulators' inspection records of one day, with findings.",
        rf"inspections/{_DT}/(?P<file>inspections\.json)",
        "ingest.landing.inspections:parse_inspections",
        _INSPECTIONS,
        depends_on=("registry",),
    ),
    Feed(
        "face",
        "Face re-verification of the day's gate captures (derived, not a landing object).",
        None,
        None,
        (_FACE,),
        depends_on=("zkteco", "hikvision"),
        checks_registry=False,
    ),
)

FEEDS_BY_NAME: dict[str, Feed] = {f.name: f for f in REGISTRY}


def feed(name: str) -> Feed:
    try:
        return FEEDS_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown feed {name!r}; feeds: {', '.join(FEEDS_BY_NAME)}") from None


def _load_order() -> tuple[str, ...]:
    """Landing feeds in dependency order (stable: declaration order among equals)."""
    landing = [f for f in REGISTRY if f.is_landing]
    names = {f.name for f in landing}
    done: list[str] = []
    while len(done) < len(landing):
        ready = [
            f.name
            for f in landing
            if f.name not in done and all(d in done or d not in names for d in f.depends_on)
        ]
        if not ready:
            raise ValueError("feed dependencies form a cycle")
        done.append(ready[0])
    return tuple(done)


#: Landing feeds (parsed and loaded from the bucket) in load order.
LOAD_ORDER: tuple[str, ...] = _load_order()
#: Every key kind of the bucket layout (landing feeds and referenced photos).
KEY_KINDS: tuple[str, ...] = tuple(f.name for f in REGISTRY if f.key_pattern is not None)
#: Feeds computed from other feeds (face re-verification of gate captures).
DERIVED_FEEDS: tuple[str, ...] = tuple(f.name for f in REGISTRY if f.key_pattern is None)
#: Every dataset, per feed in declaration order, main entity first.
DATASETS: dict[str, Dataset] = {d.name: d for f in REGISTRY for d in f.datasets}


def feed_datasets(name: str) -> tuple[Dataset, ...]:
    """Datasets filled from one feed, its main dataset first."""
    out = feed(name).datasets
    if not out:
        raise KeyError(f"feed {name!r} fills no dataset")
    return out


def parser_columns(name: str) -> tuple[str, ...]:
    """What the feed's parser emits for its main entity (the parser module's ``COLUMNS``)."""
    return feed(name).main.parser_columns


def child_columns(name: str) -> dict[str, tuple[str, ...]]:
    """What the parser emits per child entity (the parser module's ``CHILD_COLUMNS``)."""
    return {d.entity: d.parser_columns for d in feed(name).datasets if d.entity != name}


@cache
def _compiled(name: str) -> re.Pattern[str]:
    f = feed(name)
    if f.key_pattern is None:
        raise ValueError(f"{name} has no object key")
    return re.compile(f.key_pattern, re.IGNORECASE if f.case_insensitive_key else 0)


def markdown() -> str:
    """``docs/feeds.md``'s generated part: every feed, its keys and datasets."""
    lines = [
        "| feed | key pattern | parser | datasets | depends on | window |",
        "|---|---|---|---|---|---|",
    ]
    for f in REGISTRY:
        lines.append(
            f"| `{f.name}` | `{f.key_pattern or '(derived)'}` | "
            f"`{f.parser or '-'}` | {', '.join(d.name for d in f.datasets) or '-'} | "
            f"{', '.join(f.depends_on) or '-'} | "
            f"{f.window.value if f.is_landing else '-'} |"
        )
    lines += ["", "Load order: " + " → ".join(LOAD_ORDER) + ".", ""]
    for ds in DATASETS.values():
        lines += [
            f"### `{ds.name}` ({ds.feed} / {ds.entity})",
            "",
            ds.description,
            "",
            f"Natural key: `{', '.join(ds.natural_key)}`."
            + (
                f" Stored as versions in `{ds.raw_table}`, each content once per "
                f"`{', '.join(ds.version_key)}`; `raw.{ds.name}` is a view of them per "
                "snapshot member."
                if ds.versions
                else ""
            ),
            "",
            "| column | type | null | from |",
            "|---|---|---|---|",
        ]
        origin = {c.name: "object key" for c in ds.from_key}
        origin |= {c.name: "derived" for c in ds.derived}
        for c in ds.columns:
            lines.append(
                f"| `{c.name}` | {c.pg_type} | {'yes' if c.nullable else 'no'} | "
                f"{origin.get(c.name, 'parser')} |"
            )
        if ds.pii_columns:
            lines.append("")
            lines.append(
                "Personal data emitted by the parser, never stored here: "
                + ", ".join(f"`{n}`" for n in sorted(ds.pii_columns))
                + "."
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - docs generation
    import sys

    sys.stdout.write(markdown())
