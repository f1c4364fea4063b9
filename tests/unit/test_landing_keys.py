"""Object keys → LandingKey, and ParseContext built from them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ingest.landing.context import SHANGHAI, ParseContext
from ingest.landing.keys import (
    BadKeyError,
    UnknownKeyError,
    parse_key,
    parse_zkteco_capture_name,
    try_parse_key,
)

P = "440305202403150001"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            "registry/dt=2026-11-01/projects.json",
            {"kind": "registry", "partition_date": date(2026, 11, 1), "project_code": None},
        ),
        (
            f"roster/{P}/dt=2026-11-01/workers.jsonl",
            {"kind": "roster", "project_code": P, "partition_date": date(2026, 11, 1)},
        ),
        (
            f"photos/enrolment/{P}/000123.jpg",
            {"kind": "enrolment_photo", "project_code": P, "employee_no": "000123"},
        ),
        (
            f"punches/{P}/ZK-CKUN2031/dt=2026-11-02/attlog.dat",
            {"kind": "zkteco", "device_sn": "ZK-CKUN2031", "partition_date": date(2026, 11, 2)},
        ),
        (
            f"punches/{P}/HK-DS-K1T671-0001/dt=2026-11-02/acsevent-0007.json",
            {"kind": "hikvision", "device_sn": "HK-DS-K1T671-0001", "page_no": 7},
        ),
        (
            f"photos/capture/{P}/ZK-CKUN2031/dt=2026-11-02/20261102073105-000123.JPG",
            {"kind": "capture_photo", "capture_name": "20261102073105-000123"},
        ),
        (
            f"payroll/{P}/month=2026-10/补发-2026-10.json",
            {"kind": "payroll", "pay_month": "2026-10", "file_name": "补发-2026-10.json"},
        ),
        (
            "inspections/dt=2026-11-05/inspections.json",
            {"kind": "inspections", "partition_date": date(2026, 11, 5)},
        ),
    ],
)
def test_every_layout_pattern(key: str, expected: dict[str, object]) -> None:
    k = parse_key(key)
    assert k.key == key
    for field, value in expected.items():
        assert getattr(k, field) == value
    assert k.is_parsed == (not k.kind.endswith("photo"))


@pytest.mark.parametrize(
    "key",
    [
        "registry/projects.json",
        "registry/dt=2026-11-01/projects.jsonl",
        f"roster/{P}/workers.jsonl",
        f"punches/{P}/dt=2026-11-02/attlog.dat",
        f"punches/{P}/ZK/dt=2026-11-02/attlog.txt",
        f"punches/{P}/HK/dt=2026-11-02/acsevent-.json",
        f"payroll/{P}/2026-10/x.json",
        "/registry/dt=2026-11-01/projects.json",
        f"photos/enrolment/{P}/000123.gif",
        "",
    ],
)
def test_unknown_keys_raise_a_clear_error(key: str) -> None:
    with pytest.raises(UnknownKeyError, match="matches no landing key pattern"):
        parse_key(key)
    assert try_parse_key(key) is None


@pytest.mark.parametrize(
    "key", ["registry/dt=2026-02-30/projects.json", f"payroll/{P}/month=2026-13/x.json"]
)
def test_impossible_partitions_raise(key: str) -> None:
    with pytest.raises(BadKeyError, match="not a calendar"):
        parse_key(key)


def test_zkteco_capture_name() -> None:
    ts, pin = parse_zkteco_capture_name("20261102073105-000123") or (None, None)
    assert ts == datetime(2026, 11, 2, 7, 31, 5, tzinfo=SHANGHAI)
    assert pin == "000123"
    assert parse_zkteco_capture_name("10293") is None
    assert parse_zkteco_capture_name("20261302073105-1") is None


def test_context_from_key() -> None:
    end = datetime(2026, 11, 3, tzinfo=SHANGHAI)
    ctx = ParseContext.from_key(f"payroll/{P}/month=2026-10/a.json", interval_end=end)
    assert (ctx.project_code, ctx.pay_month, ctx.interval_end) == (P, "2026-10", end)
    ctx = ParseContext.from_key(f"punches/{P}/ZK-1/dt=2026-11-02/attlog.dat")
    assert (ctx.device_sn, ctx.partition_date) == ("ZK-1", date(2026, 11, 2))


def test_context_needs_an_aware_interval_end() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ParseContext(interval_end=datetime(2026, 11, 3))
