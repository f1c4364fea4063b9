"""ZKTeco ``attlog.dat`` parser.

One punch per line, tab separated, no header::

    PIN<TAB>YYYY-MM-DD HH:MM:SS<TAB>Verified<TAB>Status<TAB>VerifyMode<TAB>WorkCode

Real exports pad the PIN with spaces, mix tabs and spaces, and may append reserved
fields after WorkCode (ignored). A line is split on tabs when that yields the five
required fields, else on runs of whitespace. Accounting unit: one non-blank line.
Within a file, a line with the same (canonical PIN, timestamp) as an earlier line is a
device resend and counts as a duplicate (whatever its other fields).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ingest import feeds
from ingest.landing import codes
from ingest.landing import reasons as R
from ingest.landing._common import Issues, canonical_employee_no
from ingest.landing._punch import direction, punch_checks, require_project
from ingest.landing.context import ParseContext
from ingest.landing.model import ParseResult, Reject
from ingest.landing.text import decode_lenient, decode_lines
from ingest.schedule import SHANGHAI

__all__ = [
    "COLUMNS",
    "SHANGHAI",
    "STATUS_DIRECTION",
    "canonical_employee_no",
    "parse_attlog",
    "parse_zkteco",
]

STATUS_DIRECTION = {0: "in", 3: "in", 4: "in", 1: "out", 2: "out", 5: "out"}

#: What the parser emits per row, declared in the feed registry.
COLUMNS = feeds.parser_columns("zkteco")

_TS = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})")
_WS_LINE = re.compile(
    r"\s*(?P<pin>\S+)\s+(?P<ts>\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}:\d{2})\s+(?P<rest>.*)"
)


def _split(line: str) -> tuple[str, str, list[str], str | None] | None:
    """``(pin, timestamp, [verified, status, verify_mode], work_code)`` or None."""
    fields = [f.strip() for f in line.split("\t")]
    if len(fields) >= 5 and all(fields[:5]):
        work_code = fields[5] if len(fields) > 5 and fields[5] else None
        return fields[0], fields[1], fields[2:5], work_code
    m = _WS_LINE.fullmatch(line)
    if m is None:
        return None
    rest = m["rest"].split()
    if len(rest) < 3:
        return None
    return m["pin"], m["ts"], rest[:3], rest[3] if len(rest) > 3 else None


def _timestamp(ts: str) -> datetime | None:
    m = _TS.fullmatch(ts)
    if m is None:
        return None
    try:
        y, mo, d, h, mi, sec = (int(g) for g in m.groups())
        return datetime(y, mo, d, h, mi, sec, tzinfo=SHANGHAI)
    except ValueError:
        return None


def _int(s: str, iss: Issues) -> int | None:
    if re.fullmatch(r"-?\d+", s):
        return int(s)
    iss.reject(R.BAD_VALUE)
    return None


def parse_attlog(data: bytes, ctx: ParseContext | None = None) -> ParseResult:
    """Parse one attlog file into punch rows; bad lines become rejects."""
    ctx = ctx or ParseContext()
    require_project(ctx)
    lines, encoding = decode_lines(data)
    result = ParseResult(kind="zkteco", encoding=encoding)
    seen: set[tuple[str, datetime]] = set()
    for line_no, line, raw_bytes in lines:
        if line is None:
            if raw_bytes.strip():
                result.rows_read += 1
                raw = decode_lenient(raw_bytes, encoding)
                result.rejects.append(Reject(line_no, raw, (R.BAD_ENCODING,)))
            continue
        if not line.strip():
            continue
        result.rows_read += 1
        parts = _split(line)
        if parts is None:
            result.rejects.append(Reject(line_no, line, (R.MALFORMED_LINE,)))
            continue
        pin, ts, (verified_s, status_s, mode_s), work_code = parts
        employee_no = canonical_employee_no(pin)
        local = _timestamp(ts)
        if local is not None:
            if (employee_no, local) in seen:
                result.duplicates += 1
                continue
            seen.add((employee_no, local))
        iss = Issues()
        if local is None:
            iss.reject(R.BAD_DATE)
        verified, status, mode = _int(verified_s, iss), _int(status_s, iss), _int(mode_s, iss)
        if local is not None:
            punch_checks(ctx, local, employee_no, iss)
        if not iss.ok:
            result.rejects.append(Reject(line_no, line, tuple(iss.reasons), key=employee_no))
            continue
        assert local is not None
        if mode is not None and str(mode) not in codes.table(codes.VERIFY_MODE_ZKTECO):
            iss.flag(R.UNKNOWN_VERIFY_MODE)
        d, d_source = direction(
            ctx, codes.ZKTECO_STATUS, None if status is None else str(status), iss
        )
        row: dict[str, Any] = {
            "record_no": line_no,
            "pin": pin,
            "employee_no": employee_no,
            "punch_at": local,
            "work_date": local.date(),
            "verified": verified,
            "status": status,
            "verify_mode": mode,
            "work_code": work_code,
            "direction": d,
            "direction_source": d_source,
            "flags": iss.flags,
        }
        result.rows.append(row)
    return result


def parse_zkteco(data: bytes, ctx: ParseContext) -> ParseResult:
    """Same as :func:`parse_attlog` with the uniform ``parse_<kind>`` name."""
    return parse_attlog(data, ctx)
