"""Wage-account statements (contract v1.1): transactions, the balance to the cent, the
statement quarantined whole when it does not add up."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from ingest.landing.context import SHANGHAI, ParseContext
from ingest.landing.model import ParseResult
from ingest.landing.wage_account import COLUMNS, parse_wage_account

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "landing"
P = "440305202403150001"
KNOWN = frozenset({P})


def parse(month: str) -> ParseResult:
    key = f"wage_account/{P}/month={month}/statement.json"
    ctx = ParseContext.from_key(
        key, interval_end=datetime(2026, 12, 1, tzinfo=SHANGHAI), known_projects=KNOWN
    )
    result = parse_wage_account((FIX / key).read_bytes(), ctx)
    result.check_accounting()
    return result


def inline(doc: bytes) -> ParseResult:
    ctx = ParseContext(pay_month="2026-10", interval_end=datetime(2026, 12, 1, tzinfo=SHANGHAI))
    result = parse_wage_account(doc, ctx)
    result.check_accounting()
    return result


def test_statement() -> None:
    # GIVEN October's statement: a labour-cost inflow, two wages, a tax remittance, a
    # resent transaction, an unknown purpose and a September transaction; it balances
    result = parse("2026-10")
    # THEN four transactions load, the resend counts once, the other two are quarantined
    assert (result.rows_read, len(result.rows), len(result.rejects), result.duplicates) == (
        7,
        4,
        2,
        1,
    )
    assert all(tuple(r) == COLUMNS for r in result.rows)
    assert result.rows[1] == {
        "record_no": 2,
        "project_code": P,
        "statement_month": "2026-10",
        "wage_account": "44250100000000000001",
        "bank_code": "105",
        "opening_balance": Decimal("120000.00"),
        "closing_balance": Decimal("403350.00"),
        "tx_id": "STMT-2026-10-0002",
        "tx_date": date(2026, 10, 15),
        "direction": "out",
        "amount": Decimal("8360.00"),
        "counterparty_name": "张三",
        "counterparty_account": "6217000000000000000",
        "purpose": "wage",
        "third_pay_roll_code": "BANK-TX-000001",
        "flags": [],
    }
    assert [(r["tx_id"], r["direction"], r["amount"], r["purpose"]) for r in result.rows] == [
        ("STMT-2026-10-0001", "in", Decimal("300000.00"), "labour_cost"),
        ("STMT-2026-10-0002", "out", Decimal("8360.00"), "wage"),
        ("STMT-2026-10-0003", "out", Decimal("7000.00"), "wage"),
        ("STMT-2026-10-0004", "out", Decimal("1200.00"), "tax"),
    ]
    assert [(r.record_no, r.key, r.reasons) for r in result.rejects] == [
        (6, "STMT-2026-10-0005", ("unknown_statement_purpose",)),
        (7, "STMT-2026-10-0006", ("timestamp_outside_partition",)),
    ]


def test_a_statement_that_does_not_add_up_is_quarantined_whole() -> None:
    # GIVEN September's statement: 1,000.00 + 500.00 - 100.01 is not 1,400.00
    result = parse("2026-09")
    # THEN no transaction loads; each is quarantined with statement_unbalanced
    assert result.rows == []
    assert [(r.record_no, r.reasons) for r in result.rejects] == [
        (1, ("statement_unbalanced",)),
        (2, ("statement_unbalanced",)),
    ]


def test_arithmetic_that_cannot_be_done_fails_too() -> None:
    head = b'{"projectCode": "440305202403150001", "month": "2026-10", "openingBalance": 10, '
    # a negative amount: that transaction's own reason, and the statement cannot balance
    result = inline(
        head + b'"closingBalance": 5, "transactions": [{"txId": "A", "date": "2026-10-02", '
        b'"direction": "out", "amount": -5, "purpose": "wage"}, {"txId": "B", '
        b'"date": "2026-10-03", "direction": "in", "amount": 0, "purpose": "interest"}]}'
    )
    assert [(r.record_no, r.reasons) for r in result.rejects] == [
        (1, ("negative_amount", "statement_unbalanced")),
        (2, ("statement_unbalanced",)),
    ]
    # a direction that is neither in nor out
    result = inline(
        head + b'"closingBalance": 10, "transactions": [{"txId": "A", "date": "2026-10-02", '
        b'"direction": "sideways", "amount": 0, "purpose": "other"}]}'
    )
    assert [r.reasons for r in result.rejects] == [("bad_value", "statement_unbalanced")]
    # no closing balance
    result = inline(head + b'"transactions": []}')
    assert [(r.record_no, r.reasons) for r in result.rejects] == [(0, ("statement_unbalanced",))]


def test_an_empty_month_balances_or_is_one_record_quarantined() -> None:
    head = b'{"projectCode": "440305202403150001", "month": "2026-10", "openingBalance": 10, '
    # GIVEN a month without transactions whose balance did not move: nothing to load
    ok = inline(head + b'"closingBalance": 10.00, "transactions": []}')
    assert (ok.rows_read, ok.rows, ok.rejects) == (0, [], [])
    # GIVEN one whose balance moved without a transaction: quarantined as one record
    moved = inline(head + b'"closingBalance": 11, "transactions": []}')
    assert [(r.record_no, r.reasons) for r in moved.rejects] == [(0, ("statement_unbalanced",))]


def test_header_and_whole_file_problems() -> None:
    ctx = ParseContext(pay_month="2026-10")
    for data, reason in (
        (b'{"month": "2026-10", "transactions": [', "malformed_json"),
        (b"[]", "malformed_record"),
        (b'{"month": "2026-10"}', "missing_required_field"),
        (b'{"month": "2026-10", "transactions": {}}', "malformed_record"),
    ):
        result = parse_wage_account(data, ctx)
        result.check_accounting()
        assert [(r.record_no, r.reasons) for r in result.rejects] == [(0, (reason,))]
    # a September statement filed under October: every transaction rejected for it
    result = inline(
        b'{"projectCode": "440305202403150001", "month": "2026-09", "openingBalance": 0, '
        b'"closingBalance": 1, "transactions": [{"txId": "A", "date": "2026-09-02", '
        b'"direction": "in", "amount": 1, "purpose": "labour_cost"}]}'
    )
    assert [r.reasons for r in result.rejects] == [("pay_month_mismatch",)]
