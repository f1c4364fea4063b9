"""ZKTeco attlog.dat: real-looking files with every kind of bad line."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from ingest.landing.context import SHANGHAI, ParseContext
from ingest.landing.model import Reject
from ingest.landing.registry import parse_registry
from ingest.landing.zkteco import COLUMNS, parse_attlog, parse_zkteco

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "landing"
P = "440305202403150001"
MAIN = f"punches/{P}/ZK-CKUN2031/dt=2026-11-02/attlog.dat"
BOM = f"punches/{P}/ZK-BOM0001/dt=2026-11-02/attlog.dat"
ON_ROSTER = {(P, "123"), (P, "456"), (P, "789")}


def device_roles() -> dict[str, str]:
    reg = parse_registry((FIX / "registry/dt=2026-11-01/projects.json").read_bytes())
    return {
        d["device_sn"]: d["role"] for d in reg.children["project_device"] if d["project_code"] == P
    }


def ctx_for(key: str) -> ParseContext:
    return ParseContext.from_key(
        key,
        interval_end=datetime(2026, 11, 3, tzinfo=SHANGHAI),
        known_projects=frozenset({P}),
        roster_lookup=lambda p, e, d: (p, e) in ON_ROSTER,
        device_roles=device_roles(),
    )


def t(day: int, h: int, m: int, s: int = 0) -> datetime:
    return datetime(2026, 11, day, h, m, s, tzinfo=SHANGHAI)


def test_mixed_file_rows_rejects_and_accounting() -> None:
    # GIVEN an attlog with padded PINs, resends, mixed tabs/spaces, a blank line, late,
    # future and unknown punches, an impossible date and a truncated last line
    result = parse_zkteco((FIX / MAIN).read_bytes(), ctx_for(MAIN))
    # THEN the accounting balances: 13 lines = 6 loaded + 5 quarantined + 2 duplicates
    result.check_accounting()
    assert (result.rows_read, len(result.rows), len(result.rejects), result.duplicates) == (
        13,
        6,
        5,
        2,
    )
    assert result.encoding == "utf-8"
    assert all(tuple(r) == COLUMNS for r in result.rows)
    got = [
        (
            r["record_no"],
            r["pin"],
            r["employee_no"],
            r["punch_at"],
            r["work_date"],
            r["status"],
            r["verify_mode"],
            r["work_code"],
            r["direction"],
            r["direction_source"],
            r["flags"],
        )
        for r in result.rows
    ]
    assert got == [
        (1, "000123", "123", t(2, 7, 31, 5), date(2026, 11, 2), 0, 15, "0", "in", "status", []),
        (2, "456", "456", t(2, 7, 35, 12), date(2026, 11, 2), 0, 1, "0", "in", "status", []),
        (5, "789", "789", t(2, 12, 1, 44), date(2026, 11, 2), 2, 4, "0", "out", "status", []),
        (6, "000789", "789", t(2, 13, 2, 10), date(2026, 11, 2), 3, 4, None, "in", "status", []),
        # a punch late on the previous day is accepted on its own local date
        (8, "000456", "456", t(1, 23, 58, 30), date(2026, 11, 1), 1, 1, "0", "out", "status", []),
        # unknown status and verify mode: loaded and flagged; channel "both" gives no direction
        (
            12,
            "000456",
            "456",
            t(2, 17, 45),
            date(2026, 11, 2),
            7,
            9,
            "0",
            None,
            None,
            ["unknown_verify_mode", "unknown_punch_status"],
        ),
    ]
    assert result.rejects == [
        Reject(
            9,
            "000123\t2026-10-30 17:30:00\t1\t1\t15\t0",
            ("timestamp_outside_partition",),
            key="123",
        ),
        Reject(10, "000123\t2026-11-03 07:30:00\t1\t0\t15\t0", ("future_timestamp",), key="123"),
        Reject(11, "009999\t2026-11-02 08:00:00\t1\t0\t15\t0", ("unknown_employee",), key="9999"),
        Reject(13, "000123\t2026-02-30 08:00:00\t1\t0\t15\t0", ("bad_date",), key="123"),
        Reject(14, "000456\t2026-11-02 18:0", ("malformed_line",)),
    ]


def test_bom_file_with_crlf_and_channel_direction() -> None:
    # GIVEN a UTF-8-BOM attlog with CRLF line ends from an exit-only channel
    result = parse_attlog((FIX / BOM).read_bytes(), ctx_for(BOM))
    result.check_accounting()
    assert result.encoding == "utf-8-sig"
    assert [
        (r["pin"], r["status"], r["direction"], r["direction_source"], r["flags"])
        for r in result.rows
    ] == [
        ("000123", 1, "out", "status", []),
        # status 255 means nothing: the channel role (out) decides
        ("000456", 255, "out", "channel", ["unknown_punch_status"]),
    ]


def test_backward_compatible_call_without_context() -> None:
    # GIVEN the walking-skeleton call parse_attlog(data) THEN no context checks, same keys
    result = parse_attlog((FIX / MAIN).read_bytes())
    result.check_accounting()
    assert len(result.rows) == 9 and result.duplicates == 2
    assert [r.reasons for r in result.rejects] == [("bad_date",), ("malformed_line",)]
    assert {
        "pin",
        "employee_no",
        "punch_at",
        "work_date",
        "verified",
        "status",
        "verify_mode",
        "work_code",
        "direction",
    } <= set(result.rows[0])
    assert "project_code" not in result.rows[0]  # file-level values come from the key


def test_unknown_project_and_unregistered_device() -> None:
    ctx = ParseContext(
        object_key="x",
        project_code="999999202401010001",
        device_sn="ZK-NEW",
        partition_date=date(2026, 11, 2),
        known_projects=frozenset({P}),
        device_roles={},
    )
    result = parse_attlog(b"123\t2026-11-02 07:00:00\t1\t0\t15\t0\n", ctx)
    assert result.rejects == [
        Reject(1, "123\t2026-11-02 07:00:00\t1\t0\t15\t0", ("unknown_project",), key="123")
    ]
    ctx = ParseContext(project_code=P, device_sn="ZK-NEW", device_roles={})
    result = parse_attlog(b"123\t2026-11-02 07:00:00\t1\t0\t15\t0\n", ctx)
    assert result.rows[0]["flags"] == ["unknown_device"]


def test_all_reasons_of_a_line_are_reported() -> None:
    ctx = ParseContext(
        project_code=P,
        partition_date=date(2026, 11, 2),
        interval_end=datetime(2026, 11, 3, tzinfo=SHANGHAI),
        roster_lookup=lambda p, e, d: False,
    )
    result = parse_attlog(b"5\t2026-11-09 07:00:00\tx\t0\t15\n", ctx)
    assert result.rejects[0].reasons == (
        "bad_value",
        "future_timestamp",
        "timestamp_outside_partition",
        "unknown_employee",
    )


def test_undecodable_line_is_quarantined_not_fatal() -> None:
    data = b"123\t2026-11-02 07:00:00\t1\t0\t15\t0\n\xff\xfe\t2026\n"
    result = parse_attlog(data)
    result.check_accounting()
    assert len(result.rows) == 1
    assert result.rejects == [Reject(2, "\\xff\\xfe\t2026", ("bad_encoding",))]


def test_gbk_pin_file() -> None:
    data = "工号1\t2026-11-02 07:00:00\t1\t0\t15\t0\n".encode("gbk")
    result = parse_attlog(data)
    assert result.encoding == "gb18030"
    assert result.rows[0]["pin"] == "工号1"


def test_roster_lookup_without_project_code_is_refused() -> None:
    with pytest.raises(ValueError, match="project_code"):
        parse_attlog(b"", ParseContext(roster_lookup=lambda p, e, d: True))
