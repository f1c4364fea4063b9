"""Payroll batches: amounts, months, identities and resent payment lines."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from ingest.landing.context import SHANGHAI, ParseContext
from ingest.landing.model import ParseResult
from ingest.landing.payroll import COLUMNS, parse_payroll

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "landing"
P = "440305202403150001"
DIR = f"payroll/{P}/month=2026-10"
KNOWN = frozenset({P, "440106202301100007"})


def parse(name: str) -> ParseResult:
    key = f"{DIR}/{name}"
    ctx = ParseContext.from_key(
        key, interval_end=datetime(2026, 12, 1, tzinfo=SHANGHAI), known_projects=KNOWN
    )
    result = parse_payroll((FIX / key).read_bytes(), ctx)
    result.check_accounting()
    return result


def test_batch() -> None:
    # GIVEN 9 payment lines: 2 good, a resend, a negative amount, a check-digit error, no
    # thirdPayRollCode, an over-payment (flag), 40 days in October, a conflicting resend
    result = parse("batch-2026-10.json")
    assert (result.rows_read, len(result.rows), len(result.rejects), result.duplicates) == (
        9,
        3,
        5,
        1,
    )
    assert all(tuple(r) == COLUMNS for r in result.rows)
    assert result.rows[0] == {
        "record_no": 1,
        "project_code": P,
        "pay_month": "2026-10",
        "corp_code": "91440300MA5F0001K3",
        "team_sys_no": 100231,
        "id_card_type": "01",
        "id_card_number": "11010519491231002X",
        "id_card_masked": "110105********002X",
        "days": 22,
        "work_hours": Decimal("190.5"),
        "pay_roll_bank_card_number": "6217000000000000000",
        "pay_roll_bank_code": "105",
        "pay_bank_card_number": "44250100000000000001",
        "pay_bank_code": "105",
        "total_pay_amount": Decimal("8360.00"),
        "actual_amount": Decimal("8360.00"),
        "is_back_pay": False,
        "back_pay_month": None,
        "balance_date": date(2026, 11, 14),
        "third_pay_roll_code": "BANK-TX-000001",
        "flags": [],
    }
    assert [
        (r["record_no"], r["actual_amount"], r["is_back_pay"], r["flags"]) for r in result.rows[1:]
    ] == [
        (2, Decimal("7000.00"), False, []),
        (7, Decimal("9000.00"), True, ["actual_exceeds_total"]),
    ]
    assert [(r.record_no, r.key, r.reasons) for r in result.rejects] == [
        (4, "BANK-TX-000003", ("negative_amount",)),
        (5, "BANK-TX-000004", ("bad_id_checksum",)),
        (6, None, ("missing_required_field",)),
        (8, "BANK-TX-000006", ("bad_value",)),
        (9, "BANK-TX-000002", ("conflicting_duplicate",)),
    ]
    assert result.rejects[0].raw.startswith('{"idCardType":"01","idCardNumber":"3601231988')
    assert '"totalPayAmount":-100.00' in result.rejects[0].raw


def test_pay_month_not_yyyy_mm_rejects_every_line() -> None:
    result = parse("bad-month.json")
    assert result.rows == []
    assert [(r.record_no, r.reasons) for r in result.rejects] == [
        (1, ("pay_month_format",)),
        (2, ("pay_month_format",)),
    ]


def test_batch_of_another_project_and_month() -> None:
    # GIVEN a file under month=2026-10 of project P holding P2's September batch
    result = parse("wrong-month.json")
    assert [r.reasons for r in result.rejects] == [("project_mismatch", "pay_month_mismatch")] * 2


def test_whole_file_problems() -> None:
    ctx = ParseContext(pay_month="2026-10")
    for data, reason in (
        (b'{"payMonth": "2026-10", "detailList": [', "malformed_json"),
        (b"[]", "malformed_record"),
        (b'{"payMonth": "2026-10"}', "missing_required_field"),
        (b'{"payMonth": "2026-10", "detailList": {}}', "malformed_record"),
    ):
        result = parse_payroll(data, ctx)
        result.check_accounting()
        assert [(r.record_no, r.reasons) for r in result.rejects] == [(0, (reason,))]


def test_future_balance_date_and_paid_before_the_month() -> None:
    data = (
        b'{"projectCode": "440305202403150001", "payMonth": "2026-10", "detailList": ['
        b'{"idCardType": "01", "idCardNumber": "11010519491231002X", "totalPayAmount": 1,'
        b' "actualAmount": 1, "balanceDate": "2026-12-02", "thirdPayRollCode": "A"},'
        b'{"idCardType": "01", "idCardNumber": "11010519491231002X", "totalPayAmount": "1.5",'
        b' "actualAmount": 1, "balanceDate": "2026-09-30", "thirdPayRollCode": "B",'
        b' "isBackPay": true}]}'
    )
    ctx = ParseContext(pay_month="2026-10", interval_end=datetime(2026, 12, 1, tzinfo=SHANGHAI))
    result = parse_payroll(data, ctx)
    assert [r.reasons for r in result.rejects] == [("future_timestamp",)]
    assert (result.rows[0]["total_pay_amount"], result.rows[0]["flags"]) == (
        Decimal("1.5"),
        ["bad_date_order"],
    )
    assert result.rows[0]["is_back_pay"] is True


def test_back_pay_month_must_be_the_month_worked() -> None:
    # GIVEN October back-pay lines (contract v1.1): backPayMonth equal to payMonth, absent,
    # another month, not a month, and an empty string (as some exporters send "no value")
    result = parse("back-pay-month.json")
    # THEN the equal, absent and empty ones load; the others are quarantined with the reason
    assert [(r["record_no"], r["back_pay_month"]) for r in result.rows] == [
        (1, "2026-10"),
        (2, None),
        (5, None),
    ]
    assert [(r.record_no, r.key, r.reasons) for r in result.rejects] == [
        (3, "BP-3", ("back_pay_month_mismatch",)),
        (4, "BP-4", ("back_pay_month_mismatch",)),
    ]
