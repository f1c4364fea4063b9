"""Payroll batch parser (``payroll/{projectCode}/month=YYYY-MM/{anyName}.json``).

One batch (national ``Payroll`` + ``PayRollDetail``) per file. Accounting unit: one
``detailList`` entry (a payment line); the batch header is denormalised onto every
line, and a problem in the header (bad ``payMonth``, wrong ``projectCode``…) rejects every
line of the batch with that reason. A file that is not a JSON object, or whose
``detailList`` is missing or not a list, counts as one record (record_no 0) rejected.
A line's ``backPayMonth`` (v1.1), when given, must equal ``payMonth``
(``back_pay_month_mismatch``): a back-pay line stays under the month worked.
Within a file, a line repeating an earlier ``thirdPayRollCode`` with identical content is
a duplicate; with different content it is rejected (``conflicting_duplicate``).
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from ingest import feeds
from ingest.landing import codes
from ingest.landing import reasons as R
from ingest.landing._common import (
    Deduper,
    Issues,
    decode_document,
    dump,
    get_bool,
    get_code,
    get_date,
    get_decimal,
    get_identity,
    get_int,
    get_text,
    get_uscc,
    loads,
    project_and_month,
    whole_file_reject,
)
from ingest.landing.context import ParseContext
from ingest.landing.model import ParseResult, Reject
from ingest.schedule import SHANGHAI

#: What the parser emits per row, declared in the feed registry.
COLUMNS = feeds.parser_columns("payroll")


def parse_payroll(data: bytes, ctx: ParseContext) -> ParseResult:
    """Parse one payroll batch file into payment-line rows."""
    result = ParseResult(kind="payroll", encoding="utf-8")
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
    details = doc.get("detailList")
    if details is None:
        whole_file_reject(result, text, R.MISSING_REQUIRED_FIELD)
        return result
    if not isinstance(details, list):
        whole_file_reject(result, text, R.MALFORMED_RECORD)
        return result

    head = Issues()
    header = _header(doc, ctx, head)
    dedupe = Deduper()
    for no, line in enumerate(details, start=1):
        result.rows_read += 1
        raw = dump(line)
        if not isinstance(line, dict):
            result.rejects.append(Reject(no, raw, (R.MALFORMED_RECORD,)))
            continue
        iss = Issues(list(head.reasons), list(head.flags))
        code = get_text(line, "thirdPayRollCode", iss, required=True)
        if code is not None:
            state = dedupe.seen(code, dump(line, sort=True))
            if state == "duplicate":
                result.duplicates += 1
                continue
            if state == "conflict":
                iss.reject(R.CONFLICTING_DUPLICATE)
        row = _line(line, no=no, header=header, code=code, ctx=ctx, iss=iss)
        if not iss.ok:
            result.rejects.append(Reject(no, raw, tuple(iss.reasons), key=code))
            continue
        result.rows.append(row)
    return result


def _header(doc: dict[str, Any], ctx: ParseContext, iss: Issues) -> dict[str, Any]:
    project, month = project_and_month(doc, "payMonth", ctx, iss)
    return {
        "project_code": project,
        "pay_month": month,
        "corp_code": get_uscc(doc, "corpCode", iss, as_flag=True),
        "team_sys_no": get_int(doc, "teamSysNo", iss),
    }


def _line(
    line: dict[str, Any],
    *,
    no: int,
    header: dict[str, Any],
    code: str | None,
    ctx: ParseContext,
    iss: Issues,
) -> dict[str, Any]:
    ident = get_identity(line, iss)
    pay_month = header["pay_month"]
    month_days = 31
    month_start: date | None = None
    if pay_month is not None:
        y, m = int(pay_month[:4]), int(pay_month[5:])
        month_days = calendar.monthrange(y, m)[1]
        month_start = date(y, m, 1)
    days = get_int(line, "days", iss, lo=0, hi=month_days)
    hours = get_decimal(line, "workHours", iss)
    if hours is not None and (hours < 0 or hours > 24 * month_days):
        iss.reject(R.BAD_VALUE)
    total = get_decimal(line, "totalPayAmount", iss, required=True, money=True)
    actual = get_decimal(line, "actualAmount", iss, required=True, money=True)
    if total is not None and actual is not None and actual > total:
        iss.flag(R.ACTUAL_EXCEEDS_TOTAL)
    back = get_bool(line, "isBackPay", iss)
    back_month = line.get("backPayMonth")
    if back_month is not None and not (isinstance(back_month, str) and not back_month.strip()):
        if not isinstance(back_month, str) or back_month.strip() != header["pay_month"]:
            iss.reject(R.BACK_PAY_MONTH_MISMATCH)
        back_month = back_month.strip() if isinstance(back_month, str) else None
    else:
        back_month = None
    balance = get_date(line, "balanceDate", iss)
    if balance is not None:
        if ctx.interval_end is not None and balance > ctx.interval_end.astimezone(SHANGHAI).date():
            iss.reject(R.FUTURE_TIMESTAMP)
        if month_start is not None and balance < month_start:
            iss.flag(R.BAD_DATE_ORDER)
    return {
        "record_no": no,
        **header,
        "id_card_type": ident.id_card_type,
        "id_card_number": ident.id_card_number,
        "id_card_masked": ident.id_card_masked,
        "days": days,
        "work_hours": hours,
        "pay_roll_bank_card_number": get_text(line, "payRollBankCardNumber", iss),
        "pay_roll_bank_code": get_code(
            line, "payRollBankCode", iss, codes.BANK, R.UNKNOWN_BANK_CODE, as_flag=True
        ),
        "pay_bank_card_number": get_text(line, "payBankCardNumber", iss),
        "pay_bank_code": get_code(
            line, "payBankCode", iss, codes.BANK, R.UNKNOWN_BANK_CODE, as_flag=True
        ),
        "total_pay_amount": total,
        "actual_amount": actual,
        "is_back_pay": back,
        "back_pay_month": back_month,
        "balance_date": balance,
        "third_pay_roll_code": code,
        "flags": iss.flags,
    }
