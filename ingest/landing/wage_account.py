"""Wage-account statement parser (``wage_account/{projectCode}/month=YYYY-MM/statement.json``).

The bank's statement of a project's wage account (农民工工资专用账户流水) for one month
(landing contract v1.1). Accounting unit: one ``transactions`` entry; the statement's
header (project, month, account, opening and closing balance) is denormalised onto every
transaction, and a problem in the header rejects every transaction with that reason.

The balance arithmetic is checked to the cent: openingBalance + Σ in − Σ out must equal
closingBalance (a month-to-date statement: the balance after its last transaction). A
statement that fails it, or whose arithmetic cannot be done (a transaction without a
readable direction or amount, a balance missing), is quarantined whole: every transaction
with ``statement_unbalanced`` besides its own reasons; an unbalanced statement without
transactions is one record (record_no 0) rejected. Within a file, a transaction repeating
an earlier ``txId`` with identical content is a duplicate (counted once in the balance);
with different content it is rejected (``conflicting_duplicate``, left out of the sum).
A file that is not a JSON object, or whose ``transactions`` is missing or not a list,
counts as one record rejected.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ingest import feeds
from ingest.landing import codes
from ingest.landing import reasons as R
from ingest.landing._common import (
    Deduper,
    Issues,
    decode_document,
    dump,
    get_code,
    get_date,
    get_decimal,
    get_text,
    loads,
    project_and_month,
    whole_file_reject,
)
from ingest.landing.context import ParseContext
from ingest.landing.model import ParseResult, Reject
from ingest.schedule import SHANGHAI

#: What the parser emits per row, declared in the feed registry.
COLUMNS = feeds.parser_columns("wage_account")
DIRECTIONS = ("in", "out")


def parse_wage_account(data: bytes, ctx: ParseContext) -> ParseResult:
    """Parse one wage-account statement into transaction rows."""
    result = ParseResult(kind="wage_account", encoding="utf-8")
    text = decode_document(data, result)
    if text is None:
        return result
    try:
        doc = loads(text)
    except ValueError:
        whole_file_reject(result, text, R.MALFORMED_JSON)
        return result
    if not isinstance(doc, dict):
        whole_file_reject(result, text, R.MALFORMED_RECORD)
        return result
    transactions = doc.get("transactions")
    if transactions is None:
        whole_file_reject(result, text, R.MISSING_REQUIRED_FIELD)
        return result
    if not isinstance(transactions, list):
        whole_file_reject(result, text, R.MALFORMED_RECORD)
        return result

    head = Issues()
    header = _header(doc, ctx, head)
    dedupe = Deduper()
    parsed: list[tuple[int, str, Issues, dict[str, Any] | None]] = []
    net = Decimal(0)
    computable = header["opening_balance"] is not None and header["closing_balance"] is not None
    for no, item in enumerate(transactions, start=1):
        result.rows_read += 1
        raw = dump(item)
        if not isinstance(item, dict):
            parsed.append((no, raw, Issues([R.MALFORMED_RECORD]), None))
            computable = False
            continue
        iss = Issues(list(head.reasons), list(head.flags))
        tx_id = get_text(item, "txId", iss, required=True)
        if tx_id is not None:
            state = dedupe.seen(tx_id, dump(item, sort=True))
            if state == "duplicate":
                result.duplicates += 1
                continue
            if state == "conflict":
                iss.reject(R.CONFLICTING_DUPLICATE)
        row = _transaction(item, no=no, header=header, tx_id=tx_id, ctx=ctx, iss=iss)
        if row["direction"] is None or row["amount"] is None:
            computable = False
        elif R.CONFLICTING_DUPLICATE not in iss.reasons:
            net += row["amount"] if row["direction"] == "in" else -row["amount"]
        parsed.append((no, raw, iss, row))

    balanced = computable and header["opening_balance"] + net == header["closing_balance"]
    if not balanced and not parsed:
        whole_file_reject(result, text, R.STATEMENT_UNBALANCED)
        return result
    for no, raw, iss, tx in parsed:
        if not balanced:
            iss.reject(R.STATEMENT_UNBALANCED)
        if tx is None or not iss.ok:
            key = tx["tx_id"] if tx is not None else None
            result.rejects.append(Reject(no, raw, tuple(iss.reasons), key=key))
            continue
        result.rows.append(tx)
    return result


def _header(doc: dict[str, Any], ctx: ParseContext, iss: Issues) -> dict[str, Any]:
    project, month = project_and_month(doc, "month", ctx, iss)
    return {
        "project_code": project,
        "statement_month": month,
        "wage_account": get_text(doc, "wageAccount", iss),
        "bank_code": get_code(doc, "bankCode", iss, codes.BANK, R.UNKNOWN_BANK_CODE, as_flag=True),
        "opening_balance": get_decimal(doc, "openingBalance", iss, required=True),
        "closing_balance": get_decimal(doc, "closingBalance", iss, required=True),
    }


def _transaction(
    item: dict[str, Any],
    *,
    no: int,
    header: dict[str, Any],
    tx_id: str | None,
    ctx: ParseContext,
    iss: Issues,
) -> dict[str, Any]:
    day = get_date(item, "date", iss, required=True)
    month = header["statement_month"]
    if day is not None:
        if month is not None and day.strftime("%Y-%m") != month:
            iss.reject(R.TIMESTAMP_OUTSIDE_PARTITION)
        if ctx.interval_end is not None and day > _local_day(ctx):
            iss.reject(R.FUTURE_TIMESTAMP)
    direction = get_text(item, "direction", iss, required=True)
    if direction is not None:
        direction = direction.strip().lower()
        if direction not in DIRECTIONS:
            iss.reject(R.BAD_VALUE)
            direction = None
    amount = get_decimal(item, "amount", iss, required=True, money=True)
    if amount is not None and amount < 0:
        amount = None  # rejected (negative_amount); not summed
    return {
        "record_no": no,
        **header,
        "tx_id": tx_id,
        "tx_date": day,
        "direction": direction,
        "amount": amount,
        "counterparty_name": get_text(item, "counterpartyName", iss),
        "counterparty_account": get_text(item, "counterpartyAccount", iss),
        "purpose": get_code(
            item,
            "purpose",
            iss,
            codes.STATEMENT_PURPOSE,
            R.UNKNOWN_STATEMENT_PURPOSE,
            required=True,
        ),
        "third_pay_roll_code": get_text(item, "thirdPayRollCode", iss),
        "flags": iss.flags,
    }


def _local_day(ctx: ParseContext) -> date:
    assert ctx.interval_end is not None
    return ctx.interval_end.astimezone(SHANGHAI).date()
