"""Hikvision AcsEvent pages: punches, door/alarm events, resends, overlapping pages."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from ingest.landing.context import SHANGHAI, ParseContext
from ingest.landing.hikvision import COLUMNS, parse_hikvision
from ingest.landing.model import ParseResult, Reject

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "landing"
P = "440305202403150001"
DIR = f"punches/{P}/HK-DS-K1T671-0001"
PAGE1 = f"{DIR}/dt=2026-11-02/acsevent-0001.json"
PAGE2 = f"{DIR}/dt=2026-11-02/acsevent-0002.json"
BROKEN = f"{DIR}/dt=2026-11-03/acsevent-0001.json"
ON_ROSTER = {(P, "123"), (P, "456"), (P, "789")}


def ctx_for(key: str, roles: dict[str, str] | None = None) -> ParseContext:
    return ParseContext.from_key(
        key,
        interval_end=datetime(2026, 11, 3, tzinfo=SHANGHAI),
        known_projects=frozenset({P}),
        roster_lookup=lambda p, e, d: (p, e) in ON_ROSTER,
        device_roles={"HK-DS-K1T671-0001": "in"} if roles is None else roles,
    )


def parse(key: str, roles: dict[str, str] | None = None) -> ParseResult:
    result = parse_hikvision((FIX / key).read_bytes(), ctx_for(key, roles))
    result.check_accounting()
    return result


def test_page_with_door_events_and_a_resend() -> None:
    # GIVEN page 1: 3 punches, an alarm and a door event, and a resend of the first punch
    result = parse(PAGE1)
    # THEN 6 read = 3 loaded + 0 quarantined + 1 duplicate + 2 ignored
    assert (result.rows_read, len(result.rows), len(result.rejects)) == (6, 3, 0)
    assert (result.duplicates, result.ignored) == (1, 2)
    assert result.ignored_by == {"major=2 minor=1027": 1, "major=5 minor=21": 1}
    assert result.meta == {
        "search_id": "c2l0ZXBhc3MtMDAwMQ",
        "response_status": "MORE",
        "num_of_matches": 6,
        "total_matches": 13,
    }
    assert all(tuple(r) == COLUMNS for r in result.rows)
    first = result.rows[0]
    assert first == {
        "record_no": 1,
        "serial_no": 10293,
        "major": 5,
        "minor": 75,
        "employee_no_string": "000123",
        "employee_no": "123",
        "name": "张三",
        "punch_at": datetime(2026, 11, 2, 7, 41, 9, tzinfo=SHANGHAI),
        "work_date": date(2026, 11, 2),
        "card_no": None,
        "card_reader_no": 1,
        "door_no": 1,
        "verify_mode": "face",
        "attendance_status": "checkIn",
        "direction": "in",
        "direction_source": "status",
        "mask": "no",
        "picture_url": f"photos/capture/{P}/HK-DS-K1T671-0001/dt=2026-11-02/10293.jpg",
        "flags": [],
    }
    # a UTC time is converted to Shanghai local time; "undefined" takes the channel role
    assert [
        (r["serial_no"], r["punch_at"], r["direction"], r["direction_source"])
        for r in result.rows[1:]
    ] == [
        (10296, datetime(2026, 11, 2, 7, 50, tzinfo=SHANGHAI), "in", "channel"),
        (10297, datetime(2026, 11, 2, 17, 31, tzinfo=SHANGHAI), "out", "status"),
    ]
    assert result.rows[1]["punch_at"].utcoffset().total_seconds() == 8 * 3600


def test_undefined_status_without_a_channel_role_has_no_direction() -> None:
    result = parse(PAGE1, roles={"HK-DS-K1T671-0001": "both"})
    assert result.rows[1]["direction"] is None and result.rows[1]["direction_source"] is None


def test_page_with_bad_events() -> None:
    # GIVEN page 2: an overlap with page 1, an unknown employeeNo, a stranger (no
    # employeeNo), a future punch, an unknown attendanceStatus, a bad time, a non-object
    result = parse(PAGE2)
    assert (result.rows_read, len(result.rows), len(result.rejects)) == (7, 2, 4)
    assert (result.duplicates, result.ignored) == (0, 1)
    assert result.ignored_by == {"major=5 minor=75 no_employee": 1}
    assert [
        (r["serial_no"], r["direction"], r["direction_source"], r["flags"]) for r in result.rows
    ] == [
        (10297, "out", "status", []),
        (10301, "in", "channel", ["unknown_punch_status"]),
    ]
    assert [(r.record_no, r.key, r.reasons) for r in result.rejects] == [
        (2, "10298", ("unknown_employee",)),
        (4, "10300", ("future_timestamp", "timestamp_outside_partition")),
        (6, "10302", ("bad_date",)),
        (7, None, ("malformed_record",)),
    ]
    assert result.rejects[3].raw == '"not an event"'
    assert result.rejects[0].raw.startswith('{"major":5,"minor":75,"time":"2026-11-02T08:02:00')


def test_overlapping_pages_repeat_serial_numbers_for_the_database_to_dedupe() -> None:
    # GIVEN two overlapping pages of one search WHEN parsed separately THEN the event
    # (deviceSN, serialNo) = (HK-DS-K1T671-0001, 10297) is loaded from both pages; the
    # cross-file dedupe on that natural key happens in the database
    s1 = {r["serial_no"] for r in parse(PAGE1).rows}
    s2 = {r["serial_no"] for r in parse(PAGE2).rows}
    assert s1 & s2 == {10297}


def test_truncated_page_is_one_rejected_record() -> None:
    result = parse(BROKEN)
    assert (result.rows_read, result.rows) == (1, [])
    assert result.rejects == [
        Reject(0, (FIX / BROKEN).read_text(encoding="utf-8"), ("malformed_json",))
    ]


def test_empty_and_wrong_shaped_pages() -> None:
    empty = b'{"AcsEvent": {"searchID": "1", "responseStatusStrg": "NO MATCH", "numOfMatches": 0}}'
    r = parse_hikvision(empty)
    r.check_accounting()
    assert (r.rows_read, r.meta["response_status"]) == (0, "NO MATCH")
    for data in (b"[]", b'{"AcsEvent": {"numOfMatches": 3}}', b'{"AcsEvent": {"InfoList": {}}}'):
        r = parse_hikvision(data)
        r.check_accounting()
        assert [(x.record_no, x.reasons) for x in r.rejects] == [(0, ("malformed_record",))]


def test_missing_serial_number_or_major_is_rejected() -> None:
    data = (
        b'{"AcsEvent": {"InfoList": ['
        b'{"major": 5, "minor": 75, "time": "2026-11-02T07:00:00+08:00", "employeeNoString": "1"},'
        b'{"minor": 75, "serialNo": 9, "employeeNoString": "1"}]}}'
    )
    r = parse_hikvision(data)
    r.check_accounting()
    assert [(x.record_no, x.reasons) for x in r.rejects] == [
        (1, ("missing_required_field",)),
        (2, ("missing_required_field",)),
    ]


def test_old_firmware_integer_employee_no() -> None:
    data = (
        b'{"AcsEvent": {"InfoList": [{"major": 5, "minor": 38, "serialNo": 1,'
        b' "time": "2026-11-02T07:00:00", "employeeNo": 123}]}}'
    )
    r = parse_hikvision(data)
    assert (r.rows[0]["employee_no_string"], r.rows[0]["employee_no"]) == ("123", "123")
    # a time without offset is Shanghai local time
    assert r.rows[0]["punch_at"] == datetime(2026, 11, 2, 7, tzinfo=SHANGHAI)


def test_an_integer_beyond_postgres_integer_is_a_bad_value() -> None:
    from ingest.landing._common import INT_MAX, Issues, get_int

    # GIVEN a door number of 10^20 (a corrupt or hostile page) and the largest integer
    iss = Issues()
    # THEN the first is rejected as bad_value (it could be neither framed nor copied)
    assert get_int({"doorNo": 10**20}, "doorNo", iss) is None
    assert iss.reasons == ["bad_value"]
    # AND the largest PostgreSQL integer still loads
    ok = Issues()
    assert get_int({"doorNo": str(INT_MAX)}, "doorNo", ok) == INT_MAX and ok.ok
