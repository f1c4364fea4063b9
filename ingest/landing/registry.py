"""Registry snapshot parser (``registry/dt=…/projects.json``).

Accounting unit: one element of the top-level array (a project). Child entities of a
loaded project, each accounted separately: ``project_corp`` (``subContractors[]``),
``project_team`` (``teams[]``) and ``project_device`` (``devices[]``).

A bad USCC rejects a sub-contractor corp record only; a bad contractor/build corp code
on the project itself, on a team or on a worker is loaded and flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ingest import feeds
from ingest.landing import codes
from ingest.landing import reasons as R
from ingest.landing._common import (
    Deduper,
    Issues,
    check_id_number,
    check_order,
    dump,
    get_code,
    get_date,
    get_decimal,
    get_int,
    get_text,
    get_uscc,
    open_array_document,
)
from ingest.landing.checks import mask_id, normalize_code, normalize_id_number, valid_project_code
from ingest.landing.context import ParseContext
from ingest.landing.model import ParseResult, Reject

CORP = "project_corp"
TEAM = "project_team"
DEVICE = "project_device"

#: What the parser emits per row, declared in the feed registry.
COLUMNS = feeds.parser_columns("registry")
CHILD_COLUMNS = feeds.child_columns("registry")
_NESTED = {"subContractors": CORP, "teams": TEAM, "devices": DEVICE}
_AREA_RE = re.compile(r"[0-9]{6}")
_HHMM_RE = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def parse_registry(data: bytes, ctx: ParseContext | None = None) -> ParseResult:
    """Parse one registry snapshot (``ctx`` is accepted for a uniform signature; the
    registry defines the known projects, so no context check applies)."""
    result = ParseResult(kind="registry", encoding="utf-8")
    items = open_array_document(data, result, CHILD_COLUMNS)
    if items is None:
        return result
    dedupe = Deduper()
    for no, (obj, raw) in enumerate(items, start=1):
        result.rows_read += 1
        if not isinstance(obj, dict):
            result.rejects.append(Reject(no, raw, (R.MALFORMED_RECORD,)))
            continue
        iss = Issues()
        code = get_text(obj, "projectCode", iss, required=True)
        if code is not None:
            code = normalize_code(code)
            state = dedupe.seen(code, dump(obj, sort=True))
            if state == "duplicate":
                result.duplicates += 1
                continue
            if state == "conflict":
                iss.reject(R.CONFLICTING_DUPLICATE)
            if not valid_project_code(code):
                iss.reject(R.BAD_PROJECT_CODE)
        row = _project_row(obj, no, code, iss)
        for field in _NESTED:
            if obj.get(field) is not None and not isinstance(obj.get(field), list):
                iss.reject(R.MALFORMED_RECORD)
        if not iss.ok:
            result.rejects.append(Reject(no, raw, tuple(iss.reasons), key=code))
            continue
        result.rows.append(row)
        _children(result, row, CORP, obj.get("subContractors") or [], _corp)
        _children(result, row, TEAM, obj.get("teams") or [], _team)
        _children(result, row, DEVICE, obj.get("devices") or [], _device)
    return result


def _project_row(obj: dict[str, Any], no: int, code: str | None, iss: Issues) -> dict[str, Any]:
    area = get_text(obj, "areaCode", iss, required=True)
    if area is not None and not _AREA_RE.fullmatch(area):
        iss.reject(R.BAD_VALUE)
    start = get_date(obj, "startDate", iss)
    complete = get_date(obj, "completeDate", iss)
    check_order(start, complete, iss)
    lng = get_decimal(obj, "lng", iss)
    lat = get_decimal(obj, "lat", iss)
    if lng is not None and not -180 <= lng <= 180:
        iss.reject(R.BAD_VALUE)
    if lat is not None and not -90 <= lat <= 90:
        iss.reject(R.BAD_VALUE)
    wage = obj.get("wageAccount")
    if wage is not None and not isinstance(wage, dict):
        iss.reject(R.MALFORMED_RECORD)
        wage = None
    wage = wage or {}
    shift = obj.get("shift")
    if shift is not None and not isinstance(shift, dict):
        iss.reject(R.MALFORMED_RECORD)
        shift = None
    shift = shift or {}
    times = []
    for k in ("start", "end"):
        t = get_text(shift, k, iss)
        if t is not None and not _HHMM_RE.fullmatch(t):
            iss.reject(R.BAD_VALUE)
        times.append(t)
    return {
        "record_no": no,
        "project_code": code,
        "name": get_text(obj, "name", iss, required=True),
        "category": get_code(
            obj,
            "category",
            iss,
            codes.PROJECT_CATEGORY,
            R.UNKNOWN_PROJECT_CATEGORY,
            required=True,
        ),
        "area_code": area,
        "prj_status": get_code(
            obj, "prjStatus", iss, codes.PROJECT_STATUS, R.UNKNOWN_PROJECT_STATUS, required=True
        ),
        "start_date": start,
        "complete_date": complete,
        "invest": get_decimal(obj, "invest", iss, money=True),
        "address": get_text(obj, "address", iss),
        "lng": float(lng) if lng is not None else None,
        "lat": float(lat) if lat is not None else None,
        "contractor_corp_code": get_uscc(obj, "contractorCorpCode", iss, as_flag=True),
        "contractor_corp_name": get_text(obj, "contractorCorpName", iss),
        "build_corp_code": get_uscc(obj, "buildCorpCode", iss, as_flag=True),
        "build_corp_name": get_text(obj, "buildCorpName", iss),
        "wage_bank_code": get_code(
            wage, "bankCode", iss, codes.BANK, R.UNKNOWN_BANK_CODE, as_flag=True
        ),
        "wage_account_number": get_text(wage, "accountNumber", iss),
        "pay_day": get_int(obj, "payDay", iss, lo=1, hi=31),
        "shift_start": times[0],
        "shift_end": times[1],
        "flags": iss.flags,
    }


def _corp(item: dict[str, Any], iss: Issues) -> dict[str, Any]:
    entry, exit_ = get_date(item, "entryTime", iss), get_date(item, "exitTime", iss)
    check_order(entry, exit_, iss)
    return {
        "corp_code": get_uscc(item, "corpCode", iss, required=True, as_flag=False),
        "corp_name": get_text(item, "corpName", iss),
        "corp_type": get_code(
            item, "corpType", iss, codes.CORP_TYPE, R.UNKNOWN_CORP_TYPE, required=True
        ),
        "entry_date": entry,
        "exit_date": exit_,
    }


def _team(item: dict[str, Any], iss: Issues) -> dict[str, Any]:
    entry, exit_ = get_date(item, "entryTime", iss), get_date(item, "exitTime", iss)
    check_order(entry, exit_, iss)
    leader = get_text(item, "leaderIdCardNumber", iss)
    if leader is not None:
        leader = normalize_id_number(leader)
        if len(leader) == 18:  # type not given: check it as a resident ID when it looks like one
            check_id_number(leader, iss, as_flag=True)
    return {
        "team_sys_no": get_int(item, "teamSysNo", iss, required=True),
        "corp_code": get_uscc(item, "corpCode", iss, as_flag=True),
        "team_name": get_text(item, "teamName", iss),
        "leader_id_card_number": leader,
        "leader_id_card_masked": mask_id(leader) if leader else None,
        "entry_date": entry,
        "exit_date": exit_,
    }


def _device(item: dict[str, Any], iss: Issues) -> dict[str, Any]:
    sn = get_text(item, "deviceSN", iss, required=True)
    role = get_code(item, "role", iss, codes.DEVICE_ROLE, R.UNKNOWN_DEVICE_ROLE)
    return {
        "device_sn": sn,
        "vendor": get_code(
            item, "vendor", iss, codes.DEVICE_VENDOR, R.UNKNOWN_DEVICE_VENDOR, as_flag=True
        ),
        "channel": get_text(item, "channel", iss),
        "role": role if role is not None else "both",
    }


def _children(
    result: ParseResult,
    parent: dict[str, Any],
    entity: str,
    items: list[Any],
    build: Callable[[dict[str, Any], Issues], dict[str, Any]],
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
        iss = Issues()
        fields = build(item, iss)
        key = fields[_KEY_COLUMN[entity]]
        if key is not None:
            state = dedupe.seen(key, dump(item, sort=True))
            if state == "duplicate":
                result.children_duplicates[entity] += 1
                continue
            if state == "conflict":
                iss.reject(R.CONFLICTING_DUPLICATE)
        if not iss.ok:
            result.rejects.append(
                Reject(
                    parent["record_no"],
                    raw,
                    tuple(iss.reasons),
                    entity,
                    child_no,
                    key=None if key is None else f"{parent['project_code']}/{key}",
                )
            )
            continue
        result.children[entity].append(
            {
                "record_no": parent["record_no"],
                "child_no": child_no,
                "project_code": parent["project_code"],
                **fields,
                "flags": iss.flags,
            }
        )


_KEY_COLUMN = {CORP: "corp_code", TEAM: "team_sys_no", DEVICE: "device_sn"}
