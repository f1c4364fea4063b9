"""Code tables shared by the parsers and dbt: ``dbt/seeds/codes/*.csv``.

The CSVs are the single versioned home of every code table (dbt loads them as seeds;
the parsers validate against the same files). Every table has the columns
``code,name_zh,name_en,…,source``; ``source`` is ``contract`` when the value comes from
the landing-zone contract, ``recalled`` when it is best knowledge of the national table
that still needs checking against the official standard.

The directory is ``<repo>/dbt/seeds/codes``; set ``SITEPASS_CODES_DIR`` (or pass
``codes_dir``) to use another one. Tables are read once per directory (``lru_cache``);
call :func:`clear_cache` after changing files at run time (tests).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from ingest.config import explicit

DEFAULT_CODES_DIR = Path(__file__).resolve().parents[2] / "dbt" / "seeds" / "codes"
ENV_VAR = "SITEPASS_CODES_DIR"

PROJECT_CATEGORY = "code_project_category"
PROJECT_STATUS = "code_project_status"
CORP_TYPE = "code_corp_type"
ID_CARD_TYPE = "code_id_card_type"
WORK_TYPE = "code_work_type"
WORK_ROLE = "code_work_role"
TRAINING_TYPE = "code_training_type"
VERIFY_MODE_ZKTECO = "code_verify_mode_zkteco"
ZKTECO_STATUS = "code_zkteco_status"
HIKVISION_ATTENDANCE_STATUS = "code_hikvision_attendance_status"
HIKVISION_EVENT_MINOR = "code_hikvision_event_minor"
DEVICE_ROLE = "code_device_role"
DEVICE_VENDOR = "code_device_vendor"
INSPECTION_KIND = "code_inspection_kind"
FINDING_SEVERITY = "code_finding_severity"
CONTRACT_PERIOD_TYPE = "code_contract_period_type"
BANK = "code_bank"
STATEMENT_PURPOSE = "code_statement_purpose"

Row = Mapping[str, str]


def codes_dir(override: str | Path | None = None) -> Path:
    if override is not None:
        return Path(override)
    env = explicit(ENV_VAR)
    return Path(env) if env else DEFAULT_CODES_DIR


_TABLES: dict[tuple[str | None, str | None, str], Mapping[str, Row]] = {}


def table(name: str, directory: str | Path | None = None) -> Mapping[str, Row]:
    """The code table ``name`` as a read-only mapping ``code -> row`` (all values text)."""
    # Hot path (called per record): memoise on the override and the environment value.
    memo = (None if directory is None else str(directory), explicit(ENV_VAR), name)
    found = _TABLES.get(memo)
    if found is None:
        found = _TABLES[memo] = _load(str(codes_dir(directory)), name)
    return found


def codes(name: str, directory: str | Path | None = None) -> frozenset[str]:
    return frozenset(table(name, directory))


def is_known(name: str, code: str, directory: str | Path | None = None) -> bool:
    return code in table(name, directory)


def table_names(directory: str | Path | None = None) -> list[str]:
    return sorted(p.stem for p in codes_dir(directory).glob("code_*.csv"))


def special_operation_work_types(directory: str | Path | None = None) -> frozenset[str]:
    """工种 codes that require a valid 特种作业 certificate."""
    return frozenset(
        c for c, r in table(WORK_TYPE, directory).items() if r["is_special_operation"] == "true"
    )


def direction_of(name: str, code: str, directory: str | Path | None = None) -> str | None:
    """``in``/``out`` for a status code of a table with a ``direction`` column, else None."""
    row = table(name, directory).get(code)
    return (row.get("direction") or None) if row else None


def hikvision_punch_minors(directory: str | Path | None = None) -> frozenset[int]:
    """Major-5 minor codes that identify a person (a punch)."""
    return frozenset(
        int(c)
        for c, r in table(HIKVISION_EVENT_MINOR, directory).items()
        if r["is_punch"] == "true"
    )


def fingerprint(directory: str | Path | None = None) -> str:
    """A hash of every code table's bytes: what a parse that checks codes depends on."""
    h = hashlib.sha256()
    for path in sorted(codes_dir(directory).glob("code_*.csv")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def clear_cache() -> None:
    _load.cache_clear()
    _TABLES.clear()


@lru_cache(maxsize=128)
def _load(directory: str, name: str) -> Mapping[str, Row]:
    path = Path(directory) / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        out: dict[str, Row] = {}
        for row in reader:
            code = row["code"]
            if code in out:
                raise ValueError(f"{path}: duplicate code {code!r}")
            out[code] = MappingProxyType(dict(row))
    return MappingProxyType(out)
