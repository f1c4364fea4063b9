"""Roster snapshot parser (``roster/{projectCode}/dt=…/workers.jsonl``).

Accounting unit: one non-blank line (a worker). Child entities of a loaded worker:
``worker_certification`` (one per ``certifications[]`` entry) and ``worker_training``
(one per ``trainings[]`` entry), each accounted separately. ``contract`` is 1:1 and
flattened into the worker row.

``id_card_number``, ``cell_phone`` and ``pay_roll_bank_card_number`` stay in plaintext in
the rows (the loader hashes/encrypts them); they never appear in logs or exceptions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Protocol

from ingest import feeds
from ingest.landing import codes
from ingest.landing import reasons as R
from ingest.landing._common import (
    Deduper,
    Issues,
    canonical_employee_no,
    check_order,
    dump,
    get_bool,
    get_code,
    get_date,
    get_decimal,
    get_identity,
    get_int,
    get_text,
    get_uscc,
    known_project_check,
    loads,
)
from ingest.landing.context import ParseContext
from ingest.landing.model import ParseResult, Reject
from ingest.landing.text import decode_lenient, decode_lines


class PiiKeysLike(Protocol):
    @property
    def key_id(self) -> str: ...


CERTIFICATION = "worker_certification"
TRAINING = "worker_training"

#: What the parser emits per row, declared in the feed registry.
COLUMNS = feeds.parser_columns("roster")
CHILD_COLUMNS = feeds.child_columns("roster")


#: Bumped whenever the parse of a roster line changes: it salts every member and line
#: hash, so a line parsed by an older parser is never taken for an unchanged member.
#: 2: the member hash names one project's worker's content (the project code is hashed
#: with the line), so versions are keyed by it alone (migration 0005).
MEMBER_FORMAT = b"roster-member/2"


def salt(*parts: str) -> bytes:
    """The salt of member and line hashes: the parser's format and whatever else decides
    what a line parses to (the code tables' fingerprint, the personal-data key's id)."""
    return b"\0".join((MEMBER_FORMAT, *(p.encode() for p in parts))) + b"\0"


def member_salt(keys: PiiKeysLike) -> bytes:
    """The salt of a warehouse's member hashes: this parser, its code tables, its key."""
    return salt(codes.fingerprint(), keys.key_id)


def _hash(salt_: bytes, *parts: bytes) -> str:
    h = hashlib.blake2b(salt_, digest_size=16)
    for p in parts:
        h.update(p)
    return h.hexdigest()


def parse_roster(data: bytes, ctx: ParseContext) -> ParseResult:
    """Parse one roster snapshot.

    Every loaded worker row carries ``member_hash`` (the hash of the project code and the
    worker's content, canonical JSON: it names the version) and, when nothing of the
    line was quarantined, ``line_hash`` (the hash of its raw bytes). A line whose
    ``line_hash`` the project's previous snapshot already published clean
    (``ctx.roster_members``) is not parsed again: its row is the member alone (``reused``:
    ``record_no``, ``employee_no``, ``member_hash``, ``line_hash``) and its children are
    counted loaded as that version's (``children_reused``).
    """
    lines, encoding = decode_lines(data)
    result = ParseResult(kind="roster", encoding=encoding)
    for name in CHILD_COLUMNS:
        result.children[name] = []
        result.children_read[name] = 0
        result.children_duplicates[name] = 0
        result.children_reused[name] = 0
    dedupe = Deduper()
    known = ctx.roster_members
    salt_ = known.salt if known is not None else salt()
    by_line = known.by_line if known is not None else {}
    enc = encoding.encode()
    project = (ctx.project_code or "").encode() + b"\0"
    for line_no, line, raw_bytes in lines:
        if line is None:
            if raw_bytes.strip():
                result.rows_read += 1
                raw = decode_lenient(raw_bytes, encoding)
                result.rejects.append(Reject(line_no, raw, (R.BAD_ENCODING,)))
            continue
        if not line.strip():
            continue
        result.rows_read += 1
        line_hash = _hash(salt_, enc, raw_bytes)
        member = by_line.get(line_hash)
        if member is not None:
            state = dedupe.seen(member.employee_no, member.member_hash)
            if state == "duplicate":
                result.duplicates += 1
                continue
            if state == "new":
                result.rows.append(
                    {
                        "record_no": line_no,
                        "employee_no": member.employee_no,
                        "member_hash": member.member_hash,
                        "line_hash": line_hash,
                        "reused": True,
                    }
                )
                for name, n in member.children.items():
                    result.children_read[name] += n
                    result.children_reused[name] += n
                continue
            # A conflict (another line of this worker came first): parsed below, where it
            # is quarantined with every reason that applies.
        try:
            obj = loads(line)
        except ValueError:
            result.rejects.append(Reject(line_no, line, (R.MALFORMED_JSON,)))
            continue
        if not isinstance(obj, dict):
            result.rejects.append(Reject(line_no, line, (R.MALFORMED_RECORD,)))
            continue
        iss = Issues()
        emp_raw = get_text(obj, "employeeNo", iss, required=True)
        employee_no = canonical_employee_no(emp_raw) if emp_raw is not None else None
        member_hash = _hash(salt_, project, dump(obj, sort=True).encode())
        if employee_no is not None:
            state = dedupe.seen(employee_no, member_hash)
            if state == "duplicate":
                result.duplicates += 1
                continue
            if state == "conflict":
                iss.reject(R.CONFLICTING_DUPLICATE)
        row = _worker_row(
            obj, line_no=line_no, emp_raw=emp_raw, employee_no=employee_no, ctx=ctx, iss=iss
        )
        row["member_hash"] = member_hash
        row["line_hash"] = None
        certs, trainings = obj.get("certifications"), obj.get("trainings")
        for v in (certs, trainings):
            if v is not None and not isinstance(v, list):
                iss.reject(R.MALFORMED_RECORD)
        if not iss.ok:
            result.rejects.append(Reject(line_no, line, tuple(iss.reasons), key=employee_no))
            continue
        result.rows.append(row)
        before = len(result.rejects), sum(result.children_duplicates.values())
        _children(result, row, CERTIFICATION, certs or [], _cert_row)
        _children(result, row, TRAINING, trainings or [], _training_row)
        clean = before == (len(result.rejects), sum(result.children_duplicates.values()))
        # Only a line loaded whole may be reused: a line with a quarantined part must be
        # parsed again to quarantine that part again.
        row["line_hash"] = line_hash if clean else None
    return result


def _worker_row(
    obj: dict[str, Any],
    *,
    line_no: int,
    emp_raw: str | None,
    employee_no: str | None,
    ctx: ParseContext,
    iss: Issues,
) -> dict[str, Any]:
    known_project_check(ctx.project_code, ctx.known_projects, iss)
    ident = get_identity(obj, iss)
    entry = get_date(obj, "entryDate", iss)
    exit_ = get_date(obj, "exitDate", iss)
    check_order(entry, exit_, iss)
    contract = obj.get("contract")
    c: dict[str, Any] = {}
    if contract is not None and not isinstance(contract, dict):
        iss.reject(R.MALFORMED_RECORD)
        contract = None
    if contract is not None:
        c["type"] = get_code(
            contract,
            "contractPeriodType",
            iss,
            codes.CONTRACT_PERIOD_TYPE,
            R.UNKNOWN_CONTRACT_PERIOD_TYPE,
            as_flag=True,
        )
        c["start"] = get_date(contract, "startDate", iss)
        c["end"] = get_date(contract, "endDate", iss)
        check_order(c["start"], c["end"], iss)
        c["wage"] = get_decimal(contract, "dailyWage", iss, money=True)
    return {
        "record_no": line_no,
        "employee_no_raw": emp_raw,
        "employee_no": employee_no,
        "worker_name": get_text(obj, "workerName", iss, required=True),
        "id_card_type": ident.id_card_type,
        "id_card_number": ident.id_card_number,
        "id_card_masked": ident.id_card_masked,
        "birth_date": ident.birth_date,
        "sex": ident.sex,
        "cell_phone": get_text(obj, "cellPhone", iss),
        "nation": get_text(obj, "nation", iss),
        "corp_code": get_uscc(obj, "corpCode", iss, required=True, as_flag=True),
        "team_sys_no": get_int(obj, "teamSysNo", iss),
        "work_type": get_code(
            obj, "workType", iss, codes.WORK_TYPE, R.UNKNOWN_WORK_TYPE, required=True
        ),
        "work_role": get_code(
            obj, "workRole", iss, codes.WORK_ROLE, R.UNKNOWN_WORK_ROLE, required=True
        ),
        "is_team_leader": get_bool(obj, "isTeamLeader", iss),
        "entry_date": entry,
        "exit_date": exit_,
        "has_contract": contract is not None,
        "contract_period_type": c.get("type"),
        "contract_start_date": c.get("start"),
        "contract_end_date": c.get("end"),
        "daily_wage": c.get("wage"),
        "pay_roll_bank_card_number": get_text(obj, "payRollBankCardNumber", iss),
        "pay_roll_bank_code": get_code(
            obj, "payRollBankCode", iss, codes.BANK, R.UNKNOWN_BANK_CODE, as_flag=True
        ),
        "enrolment_photo": get_text(obj, "enrolmentPhoto", iss),
        "flags": iss.flags,
    }


def _cert_row(item: dict[str, Any], iss: Issues) -> dict[str, Any]:
    return {
        "cert_type": get_text(item, "certType", iss, required=True),
        "cert_no": get_text(item, "certNo", iss, required=True),
        "valid_until": get_date(item, "validUntil", iss),
    }


def _training_row(item: dict[str, Any], iss: Issues) -> dict[str, Any]:
    hours = get_decimal(item, "hours", iss)
    if hours is not None and hours < 0:
        iss.reject(R.BAD_VALUE)
    return {
        "training_type": get_code(
            item,
            "trainingType",
            iss,
            codes.TRAINING_TYPE,
            R.UNKNOWN_TRAINING_TYPE,
            required=True,
        ),
        "training_date": get_date(item, "date", iss),
        "hours": hours,
        "score": get_decimal(item, "score", iss),
        "passed": get_bool(item, "passed", iss),
    }


def _children(
    result: ParseResult,
    parent: Mapping[str, Any],
    entity: str,
    items: list[Any],
    build: Any,
) -> None:
    dedupe = Deduper()
    for child_no, item in enumerate(items, start=1):
        result.children_read[entity] += 1
        raw = dump(item)
        if not isinstance(item, dict):
            result.rejects.append(
                Reject(parent["record_no"], raw, (R.MALFORMED_RECORD,), entity, child_no)
            )
            continue
        if dedupe.seen(dump(item, sort=True), "") == "duplicate":
            result.children_duplicates[entity] += 1
            continue
        iss = Issues()
        fields = build(item, iss)
        if not iss.ok:
            result.rejects.append(
                Reject(
                    parent["record_no"],
                    raw,
                    tuple(iss.reasons),
                    entity,
                    child_no,
                    key=parent["employee_no"],
                )
            )
            continue
        result.children[entity].append(
            {
                "record_no": parent["record_no"],
                "child_no": child_no,
                "employee_no": parent["employee_no"],
                **fields,
                "flags": iss.flags,
                "member_hash": parent["member_hash"],
            }
        )


def infer_exits(
    previous: Iterable[Mapping[str, Any]],
    current: Iterable[Mapping[str, Any]],
    snapshot_date: date,
    *,
    still_present: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Workers of the previous snapshot missing from the current one, with their exit
    date: the ``exit_date`` they carried in the previous snapshot when it is set and not
    after ``snapshot_date``, else ``snapshot_date`` (contract: a worker who disappears
    left on that snapshot's date unless ``exitDate`` says otherwise).

    Rows are roster rows (``employee_no`` canonical). ``still_present`` lists canonical
    employee numbers of the current snapshot that were quarantined (a rejected line is
    not an exit); see :func:`present_in_rejects`.
    """
    now = {r["employee_no"] for r in current} | set(still_present)
    out = []
    for r in previous:
        if r["employee_no"] in now:
            continue
        declared = r.get("exit_date")
        exit_date = (
            declared if declared is not None and declared <= snapshot_date else snapshot_date
        )
        out.append(
            {
                "employee_no": r["employee_no"],
                "exit_date": exit_date,
                "exit_source": "exitDate" if exit_date == declared else "snapshot",
            }
        )
    return out


def present_in_rejects(result: ParseResult) -> frozenset[str] | None:
    """Canonical employee numbers of quarantined roster lines, or None when some
    quarantined line has no readable employeeNo (then the snapshot must not be used to
    infer exits: the missing worker may be on that line)."""
    keys = set()
    for r in result.rejects:
        if r.entity is not None:
            continue
        if r.key is None:
            return None
        keys.add(r.key)
    return frozenset(keys)
