"""Code tables: one versioned home (dbt seeds) used by the parsers."""

from __future__ import annotations

import csv
import importlib
from pathlib import Path
from typing import Any

import pytest

from ingest.landing import codes

yaml: Any = importlib.import_module("yaml")  # dbt ships PyYAML; no stubs needed
SEEDS = Path(__file__).resolve().parents[2] / "dbt" / "seeds" / "codes"


def _csvs() -> list[Path]:
    return sorted(SEEDS.glob("code_*.csv"))


def test_parsers_read_the_dbt_seed_directory() -> None:
    assert codes.DEFAULT_CODES_DIR == SEEDS
    assert codes.table_names() == [p.stem for p in _csvs()]


@pytest.mark.parametrize("path", _csvs(), ids=lambda p: p.stem)
def test_seed_shape(path: Path) -> None:
    # GIVEN a seed CSV THEN header code,name_zh,name_en,…,source; unique non-empty codes
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["code", "name_zh", "name_en"] and header[-1] == "source"
    assert body and all(len(r) == len(header) for r in body)
    keys = [r[0] for r in body]
    assert len(set(keys)) == len(keys) and all(keys)
    assert {r[-1] for r in body} <= {"contract", "recalled"}
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_seed_properties_describe_every_seed_and_column() -> None:
    doc = yaml.safe_load((SEEDS / "_codes__seeds.yml").read_text(encoding="utf-8"))
    by_name = {s["name"]: s for s in doc["seeds"]}
    assert set(by_name) == {p.stem for p in _csvs()}
    for path in _csvs():
        seed = by_name[path.stem]
        header = next(csv.reader(path.open(encoding="utf-8")))
        assert seed["description"]
        assert seed["config"]["column_types"]["code"] == "text"  # leading zeros survive
        assert [c["name"] for c in seed["columns"]] == header
        assert all(c["description"] for c in seed["columns"])


def test_contract_values() -> None:
    assert codes.codes(codes.PROJECT_CATEGORY) == {f"{i:02d}" for i in range(1, 13)} | {"99"}
    assert codes.codes(codes.PROJECT_STATUS) == {"001", "002", "003", "004", "005"}
    assert codes.codes(codes.CORP_TYPE) == {f"{i:03d}" for i in range(1, 13)}
    assert codes.codes(codes.ID_CARD_TYPE) == {f"{i:02d}" for i in range(1, 18)}
    assert codes.table(codes.ID_CARD_TYPE)["01"]["name_zh"] == "居民身份证"
    assert codes.codes(codes.WORK_ROLE) == {"10", "20"}
    assert codes.codes(codes.TRAINING_TYPE) == {"003001", "003002", "003003", "003004"}
    work = codes.table(codes.WORK_TYPE)
    for code, name in {
        "010": "砌筑",
        "020": "钢筋",
        "030": "架子",
        "040": "混凝土",
        "050": "模板",
        "130": "建筑电工",
        "170": "起重信号",
        "180": "建筑起重机械安装拆卸",
        "240": "木工",
        "270": "电焊",
        "280": "爆破",
        "900": "管理人员",
    }.items():
        assert name in work[code]["name_zh"]
    assert codes.special_operation_work_types() == {"030", "130", "170", "180", "270", "280"}


def test_direction_tables() -> None:
    assert codes.direction_of(codes.ZKTECO_STATUS, "0") == "in"
    assert codes.direction_of(codes.ZKTECO_STATUS, "5") == "out"
    assert codes.direction_of(codes.HIKVISION_ATTENDANCE_STATUS, "breakOut") == "out"
    assert codes.direction_of(codes.HIKVISION_ATTENDANCE_STATUS, "undefined") is None
    assert codes.direction_of(codes.DEVICE_ROLE, "both") is None
    assert codes.direction_of(codes.DEVICE_ROLE, "nope") is None
    assert codes.hikvision_punch_minors() == {75, 38, 1, 104}


def test_zkteco_legacy_constant_matches_the_table() -> None:
    from ingest.landing.zkteco import STATUS_DIRECTION

    assert STATUS_DIRECTION == {
        int(c): codes.direction_of(codes.ZKTECO_STATUS, c) for c in codes.codes(codes.ZKTECO_STATUS)
    }


def test_directory_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN another directory in SITEPASS_CODES_DIR WHEN read THEN its tables are used
    (tmp_path / "code_work_role.csv").write_text(
        "code,name_zh,name_en,source\n30,班组长,Team lead,recalled\n", encoding="utf-8"
    )
    monkeypatch.setenv(codes.ENV_VAR, str(tmp_path))
    assert codes.codes(codes.WORK_ROLE) == {"30"}
    assert codes.codes(codes.WORK_ROLE, SEEDS) == {"10", "20"}
    monkeypatch.delenv(codes.ENV_VAR)
    assert codes.codes(codes.WORK_ROLE) == {"10", "20"}


def test_duplicate_codes_are_refused(tmp_path: Path) -> None:
    (tmp_path / "code_x.csv").write_text(
        "code,name_zh,name_en,source\n1,a,a,recalled\n1,b,b,recalled\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="duplicate"):
        codes.table("code_x", tmp_path)
