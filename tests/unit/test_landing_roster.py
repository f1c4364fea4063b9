"""Roster snapshots (workers.jsonl): UTF-8 and GBK files, bad lines, children, exits."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ingest.landing.context import KnownMember, KnownMembers, ParseContext
from ingest.landing.model import Counts, ParseResult, Reject
from ingest.landing.roster import (
    CHILD_COLUMNS,
    COLUMNS,
    infer_exits,
    parse_roster,
    present_in_rejects,
    salt,
)

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "landing"
P = "440305202403150001"
P2 = "440106202301100007"
UTF8 = f"roster/{P}/dt=2026-11-01/workers.jsonl"
GBK = f"roster/{P2}/dt=2026-11-01/workers.jsonl"
PLAINTEXT_IDS = (
    "11010519491231002X",
    "440305199003074517",
    "36012319881111123",
    "440305198512307311",
)


def parse(key: str, known: frozenset[str] | None = None) -> ParseResult:
    result = parse_roster(
        (FIX / key).read_bytes(), ParseContext.from_key(key, known_projects=known)
    )
    result.check_accounting()
    return result


def test_utf8_roster_rows() -> None:
    # GIVEN a roster with 3 good workers, a blank line, a resent line, a check-digit error,
    # a line with three errors, a conflicting employeeNo, a missing field, a truncated line
    result = parse(UTF8, frozenset({P}))
    # THEN 9 records = 3 loaded + 5 quarantined + 1 duplicate
    c = result.counts()["roster"]
    assert (c.read, c.loaded, c.quarantined, c.duplicates) == (9, 3, 5, 1)
    assert len(result.rejects) == 5 + 1  # + one rejected training (a child entity)
    assert all(tuple(r) == COLUMNS for r in result.rows)
    # AND each row names its content by hash; the line's hash only when all of it loaded
    hashes = [(r.pop("member_hash"), r.pop("line_hash")) for r in result.rows]
    assert all(len(m) == 32 and int(m, 16) >= 0 for m, _ in hashes)
    assert len({m for m, _ in hashes}) == 3
    assert [line is None for _, line in hashes] == [True, False, False]  # 123: a training
    assert result.rows[0] == {
        "record_no": 1,
        "employee_no_raw": "000123",
        "employee_no": "123",
        "worker_name": "张三",
        "id_card_type": "01",
        "id_card_number": "11010519491231002X",
        "id_card_masked": "110105********002X",
        "birth_date": date(1949, 12, 31),
        "sex": "F",
        "cell_phone": "13800000000",
        "nation": "汉",
        "corp_code": "91440300MA5F0001K3",
        "team_sys_no": 100231,
        "work_type": "020",
        "work_role": "20",
        "is_team_leader": True,
        "entry_date": date(2024, 4, 1),
        "exit_date": None,
        "has_contract": True,
        "contract_period_type": "0",
        "contract_start_date": date(2024, 4, 1),
        "contract_end_date": date(2025, 3, 31),
        "daily_wage": Decimal("380.00"),
        "pay_roll_bank_card_number": "6217000000000000000",
        "pay_roll_bank_code": "105",
        "enrolment_photo": f"photos/enrolment/{P}/000123.jpg",
        "flags": [],
    }
    assert [(r["employee_no"], r["sex"], r["daily_wage"], r["flags"]) for r in result.rows[1:]] == [
        ("456", "M", Decimal("420.50"), ["unknown_bank_code"]),
        # lower-case x normalised; exit before entry and a bad corp code are only flags
        ("789", "M", None, ["bad_date_order", "bad_uscc_checksum"]),
    ]
    assert result.rows[2]["id_card_number"] == "36012319881111123X"
    assert result.rows[2]["has_contract"] is False


def test_utf8_roster_rejects() -> None:
    result = parse(UTF8, frozenset({P}))
    main = [r for r in result.rejects if r.entity is None]
    assert [(r.record_no, r.key, r.reasons) for r in main] == [
        (6, "999", ("bad_id_checksum",)),
        (7, "1000", ("bad_id_format", "unknown_work_type", "unknown_work_role")),
        (8, "123", ("conflicting_duplicate",)),  # "123" is worker 000123 with other data
        (9, "1002", ("missing_required_field",)),
        (10, None, ("malformed_json",)),
    ]
    assert main[-1].raw == '{"employeeNo": "001001", "workerName": "赵六", "idCa'
    lines = (FIX / UTF8).read_text(encoding="utf-8").split("\n")
    assert all(r.raw == lines[r.record_no - 1] for r in main)


def test_children_are_accounted_per_entity() -> None:
    result = parse(UTF8)
    counts = result.counts()
    assert counts["worker_certification"].read == 1
    assert (counts["worker_training"].read, counts["worker_training"].loaded) == (3, 2)
    assert counts["worker_training"].quarantined == 1
    assert all(c.balanced for c in counts.values())
    assert result.children["worker_certification"] == [
        {
            "record_no": 2,
            "child_no": 1,
            "employee_no": "456",
            "cert_type": "特种作业操作证-电工",
            "cert_no": "T440305199003074517",
            "valid_until": date(2027, 5, 1),
            "flags": [],
            "member_hash": next(r["member_hash"] for r in result.rows if r["record_no"] == 2),
        }
    ]
    assert [tuple(r) for r in result.children["worker_training"]] == [
        CHILD_COLUMNS["worker_training"]
    ] * 2
    assert [
        (r["employee_no"], r["training_type"], r["hours"], r["passed"])
        for r in result.children["worker_training"]
    ] == [
        ("123", "003002", Decimal("24"), True),
        ("456", "003001", Decimal("8"), True),
    ]
    # an unknown trainingType rejects that training record only, not the worker
    assert [r for r in result.rejects if r.entity] == [
        Reject(
            1,
            '{"trainingType":"009999","date":"2024-04-02","hours":2,"score":null,"passed":null}',
            ("unknown_training_type",),
            "worker_training",
            2,
            key="123",
        )
    ]
    totals = result.totals()
    assert (totals.read, totals.loaded, totals.quarantined, totals.duplicates) == (13, 6, 6, 1)


def test_unknown_project_rejects_every_worker() -> None:
    result = parse(GBK, frozenset({P}))
    assert [r.reasons for r in result.rejects] == [("unknown_project",)] * 2


def test_gbk_roster() -> None:
    # GIVEN a roster written by an old exporter in GB18030 with CRLF line ends
    data = (FIX / GBK).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = parse(GBK, frozenset({P2}))
    assert result.encoding == "gb18030"
    assert [
        (
            r["employee_no"],
            r["worker_name"],
            r["nation"],
            r["birth_date"],
            r["sex"],
            r["work_type"],
            r["work_role"],
        )
        for r in result.rows
    ] == [
        ("1001", "陈小红", "壮", date(1975, 6, 15), "F", "190", "20"),
        ("1002", "刘芳", "汉", date(1992, 2, 29), "F", "900", "10"),
    ]


def test_other_id_types_are_not_checked_with_gb11643() -> None:
    line = (
        '{"employeeNo": "7", "workerName": "Tom", "idCardType": "08", "idCardNumber": "E1234567",'
        ' "corpCode": "91440300MA5F0001K3", "workType": "900", "workRole": 10}\n'
    )
    result = parse_roster(line.encode(), ParseContext())
    row = result.rows[0]
    assert (row["id_card_type"], row["birth_date"], row["sex"], row["work_role"]) == (
        "08",
        None,
        None,
        "10",
    )
    assert row["id_card_masked"] == "******67"


def test_wrong_shapes() -> None:
    data = b'[1, 2]\n{"employeeNo": "1", "certifications": {}}\n'
    result = parse_roster(data, ParseContext())
    result.check_accounting()
    assert [(r.record_no, r.reasons) for r in result.rejects] == [
        (1, ("malformed_record",)),
        (2, ("missing_required_field", "malformed_record")),
    ]


def test_plaintext_numbers_never_reach_logs_keys_or_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # GIVEN DEBUG logging WHEN the roster is parsed THEN no ID number is logged, and reject
    # keys (which may be logged) are employee numbers, never ID numbers
    caplog.set_level(logging.DEBUG)
    result = parse(UTF8)
    assert not any(i in caplog.text for i in PLAINTEXT_IDS)
    assert not any(r.key and any(i in r.key for i in PLAINTEXT_IDS) for r in result.rejects)


def test_exits_inferred_from_a_later_snapshot() -> None:
    before: list[dict[str, Any]] = [
        {"employee_no": "123", "exit_date": None},
        {"employee_no": "456", "exit_date": date(2026, 10, 20)},  # declared earlier exit
        {"employee_no": "789", "exit_date": date(2026, 12, 31)},  # declared, but later
        {"employee_no": "1000", "exit_date": None},
    ]
    after = [{"employee_no": "123", "exit_date": None}]
    # GIVEN 1000 is on a quarantined line of the new snapshot THEN he did not exit
    exits = infer_exits(before, after, date(2026, 11, 1), still_present={"1000"})
    assert exits == [
        {"employee_no": "456", "exit_date": date(2026, 10, 20), "exit_source": "exitDate"},
        {"employee_no": "789", "exit_date": date(2026, 11, 1), "exit_source": "snapshot"},
    ]


def test_a_snapshot_with_an_unreadable_line_cannot_be_used_for_exits() -> None:
    assert present_in_rejects(parse(UTF8)) is None  # the truncated line has no employeeNo
    ok = parse_roster(b'{"employeeNo": "000042"}\n', ParseContext())
    assert present_in_rejects(ok) == frozenset({"42"})


def _known(result: ParseResult, salt_: bytes) -> KnownMembers:
    """The members a published ``result`` offers the next snapshot (what
    ``ingest.warehouse.rosters.known_members`` reads back from the warehouse)."""
    by_line = {}
    for r in result.rows:
        if r["line_hash"] is not None:
            n = {
                e: sum(c["record_no"] == r["record_no"] for c in result.children[e])
                for e in CHILD_COLUMNS
            }
            by_line[r["line_hash"]] = KnownMember(r["employee_no"], r["member_hash"], n)
    return KnownMembers(salt_, by_line)


def test_unchanged_lines_of_the_last_snapshot_are_reused_not_parsed() -> None:
    # GIVEN yesterday's snapshot (3 workers loaded, 123 with a quarantined training)
    lines = (FIX / UTF8).read_bytes().split(b"\n")
    salt_ = salt("codes", "key")
    ctx = ParseContext.from_key(UTF8, roster_members=KnownMembers(salt_, {}))
    before = parse_roster((FIX / UTF8).read_bytes(), ctx)
    known = _known(before, salt_)
    assert len(known.by_line) == 2  # 456 and 789: 123 had a quarantined training
    # WHEN today's lists 456 unchanged twice, 789 reformatted (same content), 123 again
    today = b"\n".join([lines[1], lines[1], b" " + lines[2], lines[0]])
    ctx = ParseContext.from_key(UTF8, roster_members=known)
    result = parse_roster(today, ctx)
    result.check_accounting()
    # THEN 456 is reused (no parse: the member alone), its copy a duplicate
    reused = [r for r in result.rows if r.get("reused")]
    assert reused == [
        {
            "record_no": 1,
            "employee_no": "456",
            "member_hash": before.rows[1]["member_hash"],
            "line_hash": before.rows[1]["line_hash"],
            "reused": True,
        }
    ]
    assert result.duplicates == 1
    # AND 789 (other bytes) and 123 (a part quarantined yesterday) are parsed again, to the
    # same contents, and 123's bad training is quarantined again
    parsed = [r for r in result.rows if not r.get("reused")]
    assert [(r["employee_no"], r["member_hash"]) for r in parsed] == [
        ("789", before.rows[2]["member_hash"]),
        ("123", before.rows[0]["member_hash"]),
    ]
    assert [(r.entity, r.key) for r in result.rejects] == [("worker_training", "123")]
    # AND 456's children count as loaded from its version: the same counts as yesterday
    c = result.counts()
    assert c["worker_certification"] == before.counts()["worker_certification"]
    assert (c["worker_training"].read, c["worker_training"].loaded) == (3, 2)
    assert result.children_reused == {"worker_certification": 1, "worker_training": 1}
    assert c["roster"] == Counts(read=4, loaded=3, quarantined=0, duplicates=1, ignored=0)


def test_a_reused_line_after_another_line_of_that_worker_is_a_conflict() -> None:
    # GIVEN yesterday's 456 reused today after a different line of 456
    lines = (FIX / UTF8).read_bytes().split(b"\n")
    salt_ = salt()
    before = parse_roster(
        lines[1], ParseContext.from_key(UTF8, roster_members=KnownMembers(salt_, {}))
    )
    other = lines[1].replace("李四".encode(), "李斯".encode())
    result = parse_roster(
        other + b"\n" + lines[1],
        ParseContext.from_key(UTF8, roster_members=_known(before, salt_)),
    )
    # THEN the second is quarantined as a conflicting duplicate, parsed in full
    result.check_accounting()
    assert [(r.record_no, r.reasons) for r in result.rejects] == [(2, ("conflicting_duplicate",))]


def test_another_salt_reuses_nothing() -> None:
    # GIVEN yesterday's members hashed under other code tables (another salt)
    data = (FIX / UTF8).read_bytes()
    old = parse_roster(
        data, ParseContext.from_key(UTF8, roster_members=KnownMembers(salt("a"), {}))
    )
    known = KnownMembers(salt("b"), _known(old, salt("a")).by_line)
    # WHEN the same bytes are parsed under the new salt
    result = parse_roster(data, ParseContext.from_key(UTF8, roster_members=known))
    # THEN nothing is reused and the contents hash differently
    assert not any(r.get("reused") for r in result.rows)
    assert {r["member_hash"] for r in result.rows}.isdisjoint({r["member_hash"] for r in old.rows})
