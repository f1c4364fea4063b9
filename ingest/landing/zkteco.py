"""ZKTeco ``attlog.dat`` parser.

One punch per line, tab separated, no header::

    PIN<TAB>YYYY-MM-DD HH:MM:SS<TAB>Verified<TAB>Status<TAB>VerifyMode<TAB>WorkCode
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ingest.landing.model import ParseResult, Reject
from ingest.landing.text import decode_bytes

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
STATUS_DIRECTION = {0: "in", 3: "in", 4: "in", 1: "out", 2: "out", 5: "out"}


def canonical_employee_no(pin: str) -> str:
    """``000123`` and ``123`` are the same worker: strip leading zeros (``0`` stays)."""
    return pin.strip().lstrip("0") or "0"


def parse_attlog(data: bytes) -> ParseResult:
    """Parse one attlog file into punch rows; bad lines become rejects."""
    text, encoding = decode_bytes(data)
    result = ParseResult(kind="zkteco", encoding=encoding)
    seen: set[tuple[str, datetime]] = set()
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        result.rows_read += 1
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) < 5:
            result.rejects.append(Reject(line_no, line, ("malformed_line",)))
            continue
        pin, ts, verified, status, verify_mode = (f.strip() for f in fields[:5])
        work_code = fields[5].strip() if len(fields) > 5 and fields[5].strip() else None
        try:
            local = datetime.strptime(ts, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
            status_i, verified_i, mode_i = int(status), int(verified), int(verify_mode)
        except ValueError:
            result.rejects.append(Reject(line_no, line, ("malformed_line",)))
            continue
        if not pin:
            result.rejects.append(Reject(line_no, line, ("missing_required_field",)))
            continue
        key = (canonical_employee_no(pin), local)
        if key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        result.rows.append(
            {
                "record_no": line_no,
                "pin": pin,
                "employee_no": key[0],
                "punch_at": local,
                "work_date": local.date(),
                "verified": verified_i,
                "status": status_i,
                "verify_mode": mode_i,
                "work_code": work_code,
                "direction": STATUS_DIRECTION.get(status_i),
            }
        )
    return result
