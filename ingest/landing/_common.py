"""Helpers shared by the landing parsers: issue accumulation, typed field access,
JSON splitting with exact raw text, and in-file de-duplication."""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from ingest.landing import codes
from ingest.landing import reasons as R
from ingest.landing.checks import (
    id_birth_date,
    id_format_ok,
    id_sex,
    mask_id,
    normalize_code,
    normalize_id_card_type,
    normalize_id_number,
    uscc_format_ok,
    valid_id_number,
    valid_uscc,
)
from ingest.landing.context import ParseContext
from ingest.landing.model import ParseResult, Reject
from ingest.landing.text import decode_bytes, decode_lenient
from ingest.schedule import SHANGHAI


def canonical_employee_no(pin: str) -> str:
    """``000123`` and ``123`` are the same worker: strip leading zeros of an all-digit
    number (``0`` stays ``0``). Non-numeric numbers are only stripped of blanks."""
    p = unicodedata.normalize("NFKC", pin).strip()
    if p.isdigit():
        return p.lstrip("0") or "0"
    return p


@dataclass(slots=True)
class Issues:
    """Reason codes found on one record: ``reasons`` reject it, ``flags`` travel with it."""

    reasons: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    def reject(self, code: str) -> None:
        if code not in self.reasons:
            self.reasons.append(code)

    def flag(self, code: str) -> None:
        if code not in self.flags:
            self.flags.append(code)

    def add(self, code: str, *, as_flag: bool) -> None:
        (self.flag if as_flag else self.reject)(code)

    @property
    def ok(self) -> bool:
        return not self.reasons


# --- typed field access on JSON objects ------------------------------------------------


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def get_text(
    obj: Mapping[str, Any], name: str, iss: Issues, *, required: bool = False
) -> str | None:
    v = obj.get(name)
    if _blank(v):
        if required:
            iss.reject(R.MISSING_REQUIRED_FIELD)
        return None
    if isinstance(v, bool) or not isinstance(v, str | int | Decimal):
        iss.reject(R.BAD_VALUE)
        return None
    return str(v).strip()


def get_code(
    obj: Mapping[str, Any],
    name: str,
    iss: Issues,
    table: str,
    unknown: str,
    *,
    required: bool = False,
    as_flag: bool = False,
) -> str | None:
    """A code-table value; JSON integers are zero-padded to the table's code width."""
    raw = obj.get(name)
    v = get_text(obj, name, iss, required=required)
    if v is None:
        return None
    v = unicodedata.normalize("NFKC", v).strip()
    known = codes.table(table)
    if isinstance(raw, int) and v not in known:
        widths = {len(c) for c in known}
        if len(widths) == 1:
            v = v.zfill(widths.pop())
    if v not in known:
        iss.add(unknown, as_flag=as_flag)
    return v


#: Every integer the parsers emit lands in a PostgreSQL ``integer`` column.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def get_int(
    obj: Mapping[str, Any],
    name: str,
    iss: Issues,
    *,
    required: bool = False,
    lo: int | None = None,
    hi: int | None = None,
) -> int | None:
    """An integer (JSON number or digit string) within ``lo``..``hi`` and the range of a
    PostgreSQL ``integer``: beyond it, ``bad_value`` (it could be neither framed nor
    copied)."""
    v = obj.get(name)
    if _blank(v):
        if required:
            iss.reject(R.MISSING_REQUIRED_FIELD)
        return None
    out: int | None = None
    if isinstance(v, bool):
        out = None
    elif isinstance(v, int):
        out = v
    elif isinstance(v, Decimal) and v == v.to_integral_value():
        out = int(v)
    elif isinstance(v, str) and v.strip().lstrip("-").isdigit():
        out = int(v.strip())
    if (
        out is None
        or not INT_MIN <= out <= INT_MAX
        or (lo is not None and out < lo)
        or (hi is not None and out > hi)
    ):
        iss.reject(R.BAD_VALUE)
        return None
    return out


def get_decimal(
    obj: Mapping[str, Any],
    name: str,
    iss: Issues,
    *,
    required: bool = False,
    money: bool = False,
) -> Decimal | None:
    """A number (JSON number or numeric string). Negative money is ``negative_amount``."""
    v = obj.get(name)
    if _blank(v):
        if required:
            iss.reject(R.MISSING_REQUIRED_FIELD)
        return None
    out: Decimal | None = None
    if isinstance(v, int | Decimal) and not isinstance(v, bool):
        out = Decimal(v)
    elif isinstance(v, str):
        try:
            out = Decimal(v.strip())
        except InvalidOperation:
            out = None
    if out is None or not out.is_finite():
        iss.reject(R.BAD_VALUE)
        return None
    if money and out < 0:
        iss.reject(R.NEGATIVE_AMOUNT)
    return out


_TRUE = {"true", "1", "y", "yes"}
_FALSE = {"false", "0", "n", "no"}


def get_bool(obj: Mapping[str, Any], name: str, iss: Issues) -> bool | None:
    v = obj.get(name)
    if _blank(v):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int | Decimal) and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
        return v.strip().lower() in _TRUE
    iss.reject(R.BAD_VALUE)
    return None


def parse_date(s: str) -> date | None:
    """``YYYY-MM-DD`` (or ``YYYYMMDD``), or the date part of an ISO date-time."""
    s = s.strip()
    try:
        return date.fromisoformat(s)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    return (dt.astimezone(SHANGHAI) if dt.tzinfo else dt).date()


def parse_timestamp(s: str) -> datetime | None:
    """ISO 8601 date-time; with an offset it is converted to +08:00, without one it is
    taken as Asia/Shanghai local time. Returns a tz-aware datetime or None."""
    try:
        dt = datetime.fromisoformat(s.strip())
    except ValueError:
        return None
    if len(s.strip()) <= 10:  # a bare date is not a timestamp
        return None
    return dt.astimezone(SHANGHAI) if dt.tzinfo else dt.replace(tzinfo=SHANGHAI)


def get_date(
    obj: Mapping[str, Any], name: str, iss: Issues, *, required: bool = False
) -> date | None:
    v = obj.get(name)
    if _blank(v):
        if required:
            iss.reject(R.MISSING_REQUIRED_FIELD)
        return None
    d = parse_date(v) if isinstance(v, str) else None
    if d is None:
        iss.reject(R.BAD_DATE)
    return d


def check_order(start: date | None, end: date | None, iss: Issues) -> None:
    if start is not None and end is not None and end < start:
        iss.flag(R.BAD_DATE_ORDER)


def get_uscc(
    obj: Mapping[str, Any],
    name: str,
    iss: Issues,
    *,
    required: bool = False,
    as_flag: bool = True,
) -> str | None:
    """A 统一社会信用代码, normalised (NFKC, upper-case) and checked (GB 32100)."""
    v = get_text(obj, name, iss, required=required)
    if v is None:
        return None
    v = normalize_code(v)
    if not uscc_format_ok(v):
        iss.add(R.BAD_USCC_FORMAT, as_flag=as_flag)
    elif not valid_uscc(v):
        iss.add(R.BAD_USCC_CHECKSUM, as_flag=as_flag)
    return v


def check_id_number(number: str, iss: Issues, *, as_flag: bool = False) -> None:
    """GB 11643 checks for a type-01 number (already normalised)."""
    if not id_format_ok(number):
        iss.add(R.BAD_ID_FORMAT, as_flag=as_flag)
    elif not valid_id_number(number):
        iss.add(R.BAD_ID_CHECKSUM, as_flag=as_flag)


@dataclass(slots=True)
class Identity:
    id_card_type: str | None
    id_card_number: str | None
    id_card_masked: str | None
    birth_date: date | None
    sex: str | None


def get_identity(obj: Mapping[str, Any], iss: Issues) -> Identity:
    """``idCardType`` + ``idCardNumber``: both required; type 01 must pass GB 11643 and
    yields birth date and sex (other types: None)."""
    v = get_text(obj, "idCardType", iss, required=True)
    t = normalize_id_card_type(v) if v is not None else None
    if t is not None and t not in codes.table(codes.ID_CARD_TYPE):
        iss.reject(R.UNKNOWN_ID_CARD_TYPE)
    n = get_text(obj, "idCardNumber", iss, required=True)
    number = normalize_id_number(n) if n is not None else None
    birth = sex = None
    if t == "01" and number is not None:
        check_id_number(number, iss)
        if valid_id_number(number):
            birth, sex = id_birth_date(number), id_sex(number)
    return Identity(t, number, mask_id(number) if number else None, birth, sex)


# --- JSON ------------------------------------------------------------------------------


def _no_constants(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not allowed")


DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constants)
_WS = " \t\n\r"


class WrongShape(Exception):
    """Valid JSON, but not the document shape the parser expects."""


#: The same reading in C, several times faster (msgspec): integers of any size, floats
#: as Decimal from their exact text, the last of repeated keys, strict JSON only. Where it
#: refuses a text, :data:`DECODER` reads it: its error is the one reported, and a string
#: with a lone surrogate (which only ``json`` keeps) is read as before.
_FAST = msgspec.json.Decoder(float_hook=Decimal)


def loads(text: str) -> Any:
    """JSON with floats as :class:`~decimal.Decimal`; NaN/Infinity rejected (ValueError)."""
    try:
        return _FAST.decode(text)
    except (msgspec.DecodeError, UnicodeError, RecursionError):
        return DECODER.decode(text)


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def split_array(text: str) -> list[tuple[Any, str]]:
    """Elements of a top-level JSON array with each element's exact source text.

    Raises ``ValueError`` for invalid JSON and :class:`WrongShape` for valid JSON that is
    not an array.
    """
    i = _skip(text, 0)
    if i >= len(text) or text[i] != "[":
        loads(text)  # ValueError when not JSON at all
        raise WrongShape("not an array")
    i = _skip(text, i + 1)
    items: list[tuple[Any, str]] = []
    if i < len(text) and text[i] == "]":
        end = i + 1
    else:
        while True:
            value, end = DECODER.raw_decode(text, i)
            items.append((value, text[i:end]))
            i = _skip(text, end)
            if i < len(text) and text[i] == ",":
                i = _skip(text, i + 1)
                continue
            if i < len(text) and text[i] == "]":
                end = i + 1
                break
            raise ValueError("expected ',' or ']' in array")
    if _skip(text, end) != len(text):
        raise ValueError("extra data after the array")
    return items


#: A Decimal is encoded as a string holding this per-process random marker and its exact
#: text, then unquoted: the C encoder does the rest. Input text cannot collide with a
#: marker it cannot know.
_DECIMAL_MARK = "\x00" + secrets.token_hex(16) + ":"
_DECIMAL_TOKEN = re.compile(
    '"' + re.escape(json.dumps(_DECIMAL_MARK)[1:-1]) + r'([-+.0-9EeInfinityNa]+)\\u0000"'
)


def _decimal_token(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{_DECIMAL_MARK}{value}\x00"
    raise TypeError(f"{type(value).__name__} is not JSON")


def dump(value: Any, *, sort: bool = False) -> str:
    """Compact JSON text of a parsed value (Decimals stay exact numbers): one C-encoder
    call (keys sorted with ``sort``; a hot path: every roster member is dumped)."""
    text = json.dumps(
        value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort, default=_decimal_token
    )
    if "\\u0000" in text:
        text = _DECIMAL_TOKEN.sub(r"\1", text)
    return text


def decode_document(data: bytes, result: ParseResult) -> str | None:
    """Decode a whole JSON file. On failure records the file as one ``bad_encoding``
    reject (record 0) and returns None."""
    try:
        text, result.encoding = decode_bytes(data)
    except UnicodeDecodeError:
        result.encoding = "unknown"
        result.rows_read += 1
        result.rejects.append(Reject(0, decode_lenient(data, "utf-8"), (R.BAD_ENCODING,)))
        return None
    return text


def whole_file_reject(result: ParseResult, text: str, reason: str) -> None:
    result.rows_read += 1
    result.rejects.append(Reject(0, text, (reason,)))


def open_array_document(
    data: bytes, result: ParseResult, children: Iterable[str] = ()
) -> list[tuple[Any, str]] | None:
    """Start a JSON-array file (registry, inspections): set up the child-entity counters,
    decode, split into ``(record, raw text)`` items. A file that cannot be decoded or is
    not an array is recorded as one whole-file reject and gives None."""
    for name in children:
        result.children[name] = []
        result.children_read[name] = 0
        result.children_duplicates[name] = 0
    text = decode_document(data, result)
    if text is None:
        return None
    try:
        return split_array(text)
    except WrongShape:
        whole_file_reject(result, text, R.MALFORMED_RECORD)
    except ValueError:
        whole_file_reject(result, text, R.MALFORMED_JSON)
    return None


# --- de-duplication --------------------------------------------------------------------


class Deduper:
    """Tracks natural keys within one file. ``seen(key, content)`` returns ``"new"``,
    ``"duplicate"`` (same key, same content) or ``"conflict"`` (same key, different)."""

    def __init__(self) -> None:
        self._seen: dict[Any, str] = {}

    def seen(self, key: Any, content: str) -> str:
        prev = self._seen.get(key)
        if prev is None:
            self._seen[key] = content
            return "new"
        return "duplicate" if prev == content else "conflict"


_MONTH_RE = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def project_and_month(
    doc: Mapping[str, Any], month_field: str, ctx: ParseContext, iss: Issues
) -> tuple[str | None, str | None]:
    """A month-partitioned document's ``projectCode`` and month (``payMonth`` of a payroll
    batch, ``month`` of a statement), checked against the object key and the registry."""
    project = get_text(doc, "projectCode", iss, required=True)
    if project is not None:
        project = normalize_code(project)
        if ctx.project_code is not None and project != ctx.project_code:
            iss.reject(R.PROJECT_MISMATCH)
        known_project_check(project, ctx.known_projects, iss)
    month = doc.get(month_field)
    if month is None or (isinstance(month, str) and not month.strip()):
        iss.reject(R.MISSING_REQUIRED_FIELD)
        return project, None
    if not isinstance(month, str) or not _MONTH_RE.fullmatch(month.strip()):
        iss.reject(R.PAY_MONTH_FORMAT)
        return project, None
    if ctx.pay_month is not None and month.strip() != ctx.pay_month:
        iss.reject(R.PAY_MONTH_MISMATCH)
    return project, month.strip()


def known_project_check(
    project_code: str | None, known: frozenset[str] | None, iss: Issues
) -> None:
    if known is not None and project_code is not None and project_code not in known:
        iss.reject(R.UNKNOWN_PROJECT)
