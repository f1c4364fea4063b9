"""Regulators' inspection records and their findings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ingest.landing.context import ParseContext
from ingest.landing.inspections import CHILD_COLUMNS, COLUMNS, parse_inspections
from ingest.landing.model import Reject

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "landing"
KEY = "inspections/dt=2026-11-05/inspections.json"
KNOWN = frozenset({"440305202403150001", "440106202301100007"})


def test_inspections_and_findings() -> None:
    # GIVEN 5 inspections: 2 good, an unknown kind, an unknown project, a resend; and 3
    # findings of which one has an unknown severity
    ctx = ParseContext.from_key(KEY, known_projects=KNOWN)
    result = parse_inspections((FIX / KEY).read_bytes(), ctx)
    result.check_accounting()
    c = result.counts()
    assert (c["inspections"].read, c["inspections"].loaded, c["inspections"].duplicates) == (
        5,
        2,
        1,
    )
    assert (c["inspection_finding"].read, c["inspection_finding"].loaded) == (3, 2)
    assert all(tuple(r) == COLUMNS for r in result.rows)
    assert result.rows[0] == {
        "record_no": 1,
        "inspection_id": "INS-2026-000123",
        "project_code": "440305202403150001",
        "inspection_date": date(2026, 11, 5),
        "inspector_org": "南山区住建局",
        "kind": "random",
        "flags": [],
    }
    findings = result.children["inspection_finding"]
    assert all(tuple(f) == CHILD_COLUMNS["inspection_finding"] for f in findings)
    assert [
        (f["finding_code"], f["severity"], f["deadline"], f["rectified_date"], f["flags"])
        for f in findings
    ] == [
        ("RN-03", "major", date(2026, 11, 20), None, []),
        # rectified before the inspection: loaded and flagged
        ("RN-07", "general", date(2026, 11, 30), date(2026, 11, 1), ["bad_date_order"]),
    ]
    assert [(r.record_no, r.entity, r.child_no, r.key, r.reasons) for r in result.rejects] == [
        (1, "inspection_finding", 3, "INS-2026-000123", ("unknown_finding_severity",)),
        (3, None, None, "INS-2026-000125", ("unknown_inspection_kind",)),
        (4, None, None, "INS-2026-000126", ("unknown_project",)),
    ]


def test_without_a_registry_unknown_projects_are_not_checked() -> None:
    result = parse_inspections((FIX / KEY).read_bytes())
    assert [r.key for r in result.rejects if r.entity is None] == ["INS-2026-000125"]


def test_malformed() -> None:
    result = parse_inspections(b'[{"inspectionId": 1, "findings": "none"}, 7')
    assert result.rejects == [
        Reject(0, '[{"inspectionId": 1, "findings": "none"}, 7', ("malformed_json",))
    ]
    result = parse_inspections(b'[{"inspectionId": "I", "findings": "none"}, 7]')
    result.check_accounting()
    assert [(r.record_no, r.reasons) for r in result.rejects] == [
        (1, ("missing_required_field", "malformed_record")),
        (2, ("malformed_record",)),
    ]
