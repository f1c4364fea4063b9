"""Hikvision ISAPI ``AcsEvent`` page parser (``acsevent-NNNN.json``).

Each file is one page of an ``AcsEvent`` search response, unchanged. Accounting unit:
one ``InfoList`` entry. Only ``major`` 5 events whose minor is a punch minor in
``code_hikvision_event_minor`` (75 face, 38 fingerprint, 1 card, 104 combined) and that
carry an ``employeeNoString`` (older firmware: ``employeeNo``) are punches; every other
event is *ignored* (``not_person_event``) and counted in ``ignored`` / ``ignored_by``.
Within a page, an entry whose ``serialNo`` was already seen is a resend (``duplicates``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ingest import feeds
from ingest.landing import codes
from ingest.landing import reasons as R
from ingest.landing._common import (
    Issues,
    canonical_employee_no,
    decode_document,
    dump,
    get_int,
    get_text,
    loads,
    parse_timestamp,
    whole_file_reject,
)
from ingest.landing._punch import direction, punch_checks, require_project
from ingest.landing.context import ParseContext
from ingest.landing.model import ParseResult, Reject

#: What the parser emits per row, declared in the feed registry.
COLUMNS = feeds.parser_columns("hikvision")


def _employee_string(ev: dict[str, Any]) -> str | None:
    for name in ("employeeNoString", "employeeNo"):
        v = ev.get(name)
        if isinstance(v, str) and v.strip():
            return v.strip()
        if isinstance(v, int) and not isinstance(v, bool):
            return str(v)
    return None


def parse_hikvision(data: bytes, ctx: ParseContext | None = None) -> ParseResult:
    """Parse one AcsEvent page into punch rows."""
    ctx = ctx or ParseContext()
    require_project(ctx)
    result = ParseResult(kind="hikvision", encoding="utf-8")
    info = _info_list(data, result)
    if info is None:
        return result

    punch_minors = codes.hikvision_punch_minors()
    seen: set[int] = set()
    for no, ev in enumerate(info, start=1):
        result.rows_read += 1
        raw = dump(ev)
        if not isinstance(ev, dict):
            result.rejects.append(Reject(no, raw, (R.MALFORMED_RECORD,)))
            continue
        iss = Issues()
        major = get_int(ev, "major", iss, required=True)
        minor = get_int(ev, "minor", iss, required=True)
        serial = get_int(ev, "serialNo", iss, lo=0)
        if serial is not None:
            if serial in seen:
                result.duplicates += 1
                continue
            seen.add(serial)
        if not iss.ok:
            result.rejects.append(Reject(no, raw, tuple(iss.reasons), key=_key(serial)))
            continue
        emp = _employee_string(ev)
        if major != 5 or minor not in punch_minors or emp is None:
            label = f"major={major} minor={minor}" + (
                " no_employee" if major == 5 and minor in punch_minors else ""
            )
            result.ignored += 1
            result.ignored_by[label] = result.ignored_by.get(label, 0) + 1
            continue
        if serial is None:
            iss.reject(R.MISSING_REQUIRED_FIELD)
        employee_no = canonical_employee_no(emp)
        t = ev.get("time")
        punch_at = None
        if not isinstance(t, str) or not t.strip():
            iss.reject(R.MISSING_REQUIRED_FIELD)
        else:
            punch_at = parse_timestamp(t)
            if punch_at is None:
                iss.reject(R.BAD_DATE)
        row: dict[str, Any] = {
            "record_no": no,
            "serial_no": serial,
            "major": major,
            "minor": minor,
            "employee_no_string": emp,
            "employee_no": employee_no,
            "name": get_text(ev, "name", iss),
            "punch_at": punch_at,
            "work_date": punch_at.date() if punch_at else None,
            "card_no": get_text(ev, "cardNo", iss),
            "card_reader_no": get_int(ev, "cardReaderNo", iss),
            "door_no": get_int(ev, "doorNo", iss),
            "verify_mode": get_text(ev, "currentVerifyMode", iss),
            "attendance_status": get_text(ev, "attendanceStatus", iss),
            "direction": None,
            "direction_source": None,
            "mask": get_text(ev, "mask", iss),
            "picture_url": get_text(ev, "pictureURL", iss),
            "flags": iss.flags,
        }
        if punch_at is not None:
            punch_checks(ctx, punch_at, employee_no, iss)
        if not iss.ok:
            result.rejects.append(Reject(no, raw, tuple(iss.reasons), key=_key(serial)))
            continue
        row["direction"], row["direction_source"] = direction(
            ctx, codes.HIKVISION_ATTENDANCE_STATUS, row["attendance_status"], iss
        )
        result.rows.append(row)
    return result


def _info_list(data: bytes, result: ParseResult) -> list[Any] | None:
    """The page's ``InfoList``; None (and the file accounted) when there is none."""
    text = decode_document(data, result)
    if text is None:
        return None
    try:
        doc = loads(text)
    except ValueError:
        whole_file_reject(result, text, R.MALFORMED_JSON)
        return None
    acs = doc.get("AcsEvent") if isinstance(doc, dict) else None
    if not isinstance(acs, dict):
        whole_file_reject(result, text, R.MALFORMED_RECORD)
        return None
    for src, dst in (
        ("searchID", "search_id"),
        ("responseStatusStrg", "response_status"),
        ("numOfMatches", "num_of_matches"),
        ("totalMatches", "total_matches"),
    ):
        v = acs.get(src)
        result.meta[dst] = int(v) if isinstance(v, Decimal) else v
    info = acs.get("InfoList")
    if info is None and acs.get("numOfMatches") in (None, 0):
        return None  # an empty page ("NO MATCH")
    if not isinstance(info, list):
        whole_file_reject(result, text, R.MALFORMED_RECORD)
        return None
    return info


def _key(serial: int | None) -> str | None:
    return None if serial is None else str(serial)
