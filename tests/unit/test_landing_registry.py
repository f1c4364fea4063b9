"""Registry snapshots (projects.json): projects and their flattened children."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from ingest.landing.context import ParseContext
from ingest.landing.model import ParseResult, Reject
from ingest.landing.registry import CHILD_COLUMNS, COLUMNS, parse_registry

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "landing"
GOOD = "registry/dt=2026-11-01/projects.json"
TRUNCATED = "registry/dt=2026-11-02/projects.json"
P = "440305202403150001"
P2 = "440106202301100007"


def parse(key: str) -> ParseResult:
    result = parse_registry((FIX / key).read_bytes(), ParseContext.from_key(key))
    result.check_accounting()
    return result


def test_projects() -> None:
    # GIVEN 6 projects: two good ones with children, one with unknown codes, one sent twice,
    # one with a bad project code, short area code and no name
    result = parse(GOOD)
    c = result.counts()["registry"]
    assert (c.read, c.loaded, c.quarantined, c.duplicates) == (6, 3, 2, 1)
    assert all(tuple(r) == COLUMNS for r in result.rows)
    assert result.rows[0] == {
        "record_no": 1,
        "project_code": P,
        "name": "南山区某学校改扩建工程",
        "category": "01",
        "area_code": "440305",
        "prj_status": "003",
        "start_date": date(2024, 3, 15),
        "complete_date": date(2026, 12, 31),
        "invest": Decimal("12000.5"),
        "address": "深圳市南山区某路 1 号",
        "lng": 113.93,
        "lat": 22.53,
        "contractor_corp_code": "91110000802100433B",
        "contractor_corp_name": "某建工集团有限公司",
        "build_corp_code": "12440300455000123B",
        "build_corp_name": "南山区教育局",
        "wage_bank_code": "105",
        "wage_account_number": "44250100000000000001",
        "pay_day": 15,
        "shift_start": "07:30",
        "shift_end": "17:30",
        "flags": [],
    }
    # a project whose own contractor code is bad is loaded and flagged
    assert (result.rows[1]["project_code"], result.rows[1]["flags"]) == (P2, ["bad_uscc_checksum"])
    assert result.rows[2]["project_code"] == "310115202001010002"
    main = [r for r in result.rejects if r.entity is None]
    assert [(r.record_no, r.key, r.reasons) for r in main] == [
        (3, "320102202405200003", ("unknown_project_category", "unknown_project_status")),
        (6, "440305202402300001", ("bad_project_code", "bad_value", "missing_required_field")),
    ]
    assert main[0].raw.startswith('{"projectCode": "320102202405200003"')
    assert main[0].raw.endswith('"prjStatus": "009"}')


def test_children() -> None:
    result = parse(GOOD)
    counts = result.counts()
    assert (counts["project_corp"].read, counts["project_corp"].loaded) == (4, 3)
    assert (counts["project_team"].read, counts["project_team"].loaded) == (2, 2)
    assert (counts["project_device"].read, counts["project_device"].loaded) == (5, 4)
    for name, rows in result.children.items():
        assert all(tuple(r) == CHILD_COLUMNS[name] for r in rows)
    corps = result.children["project_corp"]
    assert [
        (c["project_code"], c["child_no"], c["corp_code"], c["corp_type"], c["flags"])
        for c in corps
    ] == [
        (P, 1, "91440300MA5F0001K3", "006", []),
        (P, 3, "91440300MA5F0002L7", "001", ["bad_date_order"]),
        (P2, 1, "91440106MA9Y0007RP", "006", []),
    ]
    assert corps[2]["entry_date"] == date(2023, 2, 1)  # "2023-02-01 00:00:00"
    # a bad sub-contractor USCC quarantines that corp record only
    assert [r for r in result.rejects if r.entity] == [
        Reject(
            1,
            '{"corpCode":"91440300MA5F0003MC","corpName":"校验码错误的分包单位",'
            '"corpType":"001","entryTime":"2024-04-01","exitTime":null}',
            ("bad_uscc_checksum",),
            "project_corp",
            2,
            key=f"{P}/91440300MA5F0003MC",
        ),
        Reject(
            1,
            '{"deviceSN":"DH-0001","vendor":"dahua","channel":"西门","role":"sideways"}',
            ("unknown_device_role",),
            "project_device",
            4,
            key=f"{P}/DH-0001",
        ),
    ]
    teams = result.children["project_team"]
    assert teams[0]["leader_id_card_number"] == "11010519491231002X"
    assert teams[0]["leader_id_card_masked"] == "110105********002X"
    assert [
        (d["project_code"], d["device_sn"], d["vendor"], d["role"])
        for d in result.children["project_device"]
    ] == [
        (P, "ZK-CKUN2031", "zkteco", "both"),
        (P, "HK-DS-K1T671-0001", "hikvision", "in"),
        (P, "ZK-BOM0001", "zkteco", "out"),
        (P2, "ZK-GZ0001", "zkteco", "both"),  # role defaults to both
    ]


def test_children_of_rejected_or_duplicate_projects_are_not_counted() -> None:
    data = (
        b'[{"projectCode": "1", "subContractors": [{"corpCode": "x"}]},'
        b' {"projectCode": "310115202001010002", "name": "n", "category": "01",'
        b'  "areaCode": "310115", "prjStatus": "004",'
        b'  "teams": [{"teamSysNo": 1}, {"teamSysNo": 1}]}]'
    )
    result = parse_registry(data)
    result.check_accounting()
    counts = result.counts()
    assert counts["project_corp"].read == 0
    assert (counts["project_team"].read, counts["project_team"].duplicates) == (2, 1)


def test_truncated_snapshot_is_one_rejected_record() -> None:
    result = parse(TRUNCATED)
    assert result.totals().read == 1
    assert [(r.record_no, r.reasons) for r in result.rejects] == [(0, ("malformed_json",))]


def test_not_an_array() -> None:
    result = parse_registry(b'{"projectCode": "1"}')
    assert [(r.record_no, r.reasons) for r in result.rejects] == [(0, ("malformed_record",))]
    result = parse_registry(b"\xff\xfe\xfa")
    assert [(r.record_no, r.reasons) for r in result.rejects] == [(0, ("bad_encoding",))]
    result = parse_registry(b"[]")
    result.check_accounting()
    assert result.rows_read == 0
