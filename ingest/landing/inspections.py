"""Inspection records parser (``inspections/dt=…/inspections.json``).

Accounting unit: one element of the top-level array (an inspection). Child entity of a
loaded inspection: ``inspection_finding`` (one per ``findings[]`` entry), accounted
separately. Within a file, an inspection repeating an earlier ``inspectionId`` with
identical content is a duplicate; with different content it is rejected.
"""

from __future__ import annotations

from typing import Any

from ingest import feeds
from ingest.landing import codes
from ingest.landing import reasons as R
from ingest.landing._common import (
    Deduper,
    Issues,
    check_order,
    dump,
    get_code,
    get_date,
    get_text,
    known_project_check,
    open_array_document,
)
from ingest.landing.checks import normalize_code, valid_project_code
from ingest.landing.context import ParseContext
from ingest.landing.model import ParseResult, Reject
from ingest.schedule import SHANGHAI

FINDING = "inspection_finding"

#: What the parser emits per row, declared in the feed registry.
COLUMNS = feeds.parser_columns("inspections")
CHILD_COLUMNS = feeds.child_columns("inspections")


def parse_inspections(data: bytes, ctx: ParseContext | None = None) -> ParseResult:
    """Parse one day's inspection records."""
    ctx = ctx or ParseContext()
    result = ParseResult(kind="inspections", encoding="utf-8")
    items = open_array_document(data, result, (FINDING,))
    if items is None:
        return result
    dedupe = Deduper()
    for no, (obj, raw) in enumerate(items, start=1):
        result.rows_read += 1
        if not isinstance(obj, dict):
            result.rejects.append(Reject(no, raw, (R.MALFORMED_RECORD,)))
            continue
        iss = Issues()
        ins_id = get_text(obj, "inspectionId", iss, required=True)
        if ins_id is not None:
            state = dedupe.seen(ins_id, dump(obj, sort=True))
            if state == "duplicate":
                result.duplicates += 1
                continue
            if state == "conflict":
                iss.reject(R.CONFLICTING_DUPLICATE)
        project = get_text(obj, "projectCode", iss, required=True)
        if project is not None:
            project = normalize_code(project)
            if not valid_project_code(project):
                iss.reject(R.BAD_PROJECT_CODE)
            known_project_check(project, ctx.known_projects, iss)
        day = get_date(obj, "date", iss, required=True)
        if (
            day is not None
            and ctx.interval_end is not None
            and day > ctx.interval_end.astimezone(SHANGHAI).date()
        ):
            iss.reject(R.FUTURE_TIMESTAMP)
        row = {
            "record_no": no,
            "inspection_id": ins_id,
            "project_code": project,
            "inspection_date": day,
            "inspector_org": get_text(obj, "inspectorOrg", iss),
            "kind": get_code(
                obj,
                "kind",
                iss,
                codes.INSPECTION_KIND,
                R.UNKNOWN_INSPECTION_KIND,
                required=True,
            ),
            "flags": iss.flags,
        }
        findings = obj.get("findings")
        if findings is not None and not isinstance(findings, list):
            iss.reject(R.MALFORMED_RECORD)
        if not iss.ok:
            result.rejects.append(Reject(no, raw, tuple(iss.reasons), key=ins_id))
            continue
        result.rows.append(row)
        _findings(result, row, findings or [])
    return result


def _findings(result: ParseResult, parent: dict[str, Any], items: list[Any]) -> None:
    dedupe = Deduper()
    for child_no, item in enumerate(items, start=1):
        result.children_read[FINDING] += 1
        raw = dump(item)
        if not isinstance(item, dict):
            result.rejects.append(
                Reject(parent["record_no"], raw, (R.MALFORMED_RECORD,), FINDING, child_no)
            )
            continue
        if dedupe.seen(dump(item, sort=True), "") == "duplicate":
            result.children_duplicates[FINDING] += 1
            continue
        iss = Issues()
        deadline = get_date(item, "deadline", iss)
        rectified = get_date(item, "rectifiedDate", iss)
        check_order(parent["inspection_date"], rectified, iss)
        check_order(parent["inspection_date"], deadline, iss)
        row = {
            "record_no": parent["record_no"],
            "child_no": child_no,
            "inspection_id": parent["inspection_id"],
            "project_code": parent["project_code"],
            "finding_code": get_text(item, "code", iss, required=True),
            "severity": get_code(
                item,
                "severity",
                iss,
                codes.FINDING_SEVERITY,
                R.UNKNOWN_FINDING_SEVERITY,
                required=True,
            ),
            "description": get_text(item, "description", iss),
            "deadline": deadline,
            "rectified_date": rectified,
            "flags": iss.flags,
        }
        if not iss.ok:
            result.rejects.append(
                Reject(
                    parent["record_no"],
                    raw,
                    tuple(iss.reasons),
                    FINDING,
                    child_no,
                    key=parent["inspection_id"],
                )
            )
            continue
        result.children[FINDING].append(row)
