"""The wage account's bank statement (contract v1.1) through discovery, parse, the gate
and publish, against the real S3 server and Postgres of the session."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.conftest import FIXTURES, query

LANDING = FIXTURES / "landing"
REGISTRY = "registry/dt=2026-11-01/projects.json"
OCTOBER = "wage_account/440305202403150001/month=2026-10/statement.json"
SEPTEMBER = "wage_account/440305202403150001/month=2026-09/statement.json"


def test_statements_load_balanced_and_quarantine_whole_when_not(clean: Any) -> None:
    from ingest.pipeline import ingest_day
    from ingest.storage import put_bytes
    from ingest.warehouse.pii import PiiKeys

    settings = clean
    # GIVEN the registry, October's statement (balances; one unknown purpose, one
    # September transaction, a resend) and September's (does not add up by 0.01)
    for key in (REGISTRY, OCTOBER, SEPTEMBER):
        put_bytes(settings.s3, key, (LANDING / key).read_bytes())
    # WHEN a November day runs
    result = ingest_day(
        settings, date(2026, 11, 2), feeds=("registry", "wage_account"), faces=False
    )
    # THEN October's four good transactions are published, each with the statement header
    feed = result.feeds["wage_account"]
    assert (feed.rows_read, feed.rows_loaded, feed.rows_quarantined, feed.duplicates) == (
        9,
        4,
        4,
        1,
    )
    rows = query(
        settings,
        "select tx_id, direction, amount, purpose, third_pay_roll_code, statement_month,"
        " opening_balance, closing_balance, counterparty_account_key,"
        " counterparty_account_masked from raw.wage_account_transactions order by tx_id",
    )
    assert [r[:6] for r in rows] == [
        ("STMT-2026-10-0001", "in", 300000, "labour_cost", None, "2026-10"),
        ("STMT-2026-10-0002", "out", 8360, "wage", "BANK-TX-000001", "2026-10"),
        ("STMT-2026-10-0003", "out", 7000, "wage", "BANK-TX-000002", "2026-10"),
        ("STMT-2026-10-0004", "out", 1200, "tax", None, "2026-10"),
    ]
    assert {(r[6], r[7]) for r in rows} == {(120000, 403350)}
    # AND a worker's card is only a keyed hash (the same as payroll's) and a mask
    keys = PiiKeys(settings.pii_secret)
    assert rows[1][8] == keys.bank_card_key("6217000000000000000")
    assert rows[2][8] == keys.bank_card_key("6217000000000000001")
    assert rows[1][9] is not None and "6217000000000000000" not in rows[1][9]
    # AND September's statement is quarantined whole, October's two bad transactions too
    reasons = query(
        settings,
        "select object_key, record_no, reasons from ops.quarantine"
        " where feed = 'wage_account' order by 1, 2",
    )
    assert reasons == [
        (SEPTEMBER, 1, ["statement_unbalanced"]),
        (SEPTEMBER, 2, ["statement_unbalanced"]),
        (OCTOBER, 6, ["unknown_statement_purpose"]),
        (OCTOBER, 7, ["timestamp_outside_partition"]),
    ]
    # AND both objects are published in the audit (the gate passed, balance rechecked)
    assert dict(
        query(
            settings,
            "select object_key, status from ops.load_audit where feed = 'wage_account'",
        )
    ) == {OCTOBER: "published", SEPTEMBER: "published"}
