"""Every fixture file: parsed by its key, accounting exact, columns stable and documented."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ingest.landing import (
    hikvision,
    inspections,
    payroll,
    photos,
    registry,
    roster,
    wage_account,
    zkteco,
)
from ingest.landing.context import SHANGHAI, ParseContext
from ingest.landing.dispatch import parse_object
from ingest.landing.keys import parse_key

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "landing"
KEYS = sorted(
    p.relative_to(FIX).as_posix() for p in FIX.rglob("*") if p.is_file() and p.suffix != ".md"
)
MODULES = {
    "registry": registry,
    "roster": roster,
    "zkteco": zkteco,
    "hikvision": hikvision,
    "payroll": payroll,
    "inspections": inspections,
    "wage_account": wage_account,
}


def test_every_kind_has_fixtures() -> None:
    assert {parse_key(k).kind for k in KEYS} == set(MODULES)


@pytest.mark.parametrize("key", KEYS)
def test_fixture_accounting(key: str) -> None:
    # GIVEN a fixture stored under its object key WHEN parsed with a full context
    ctx = ParseContext.from_key(
        key,
        interval_end=datetime(2026, 12, 1, tzinfo=SHANGHAI),
        known_projects=frozenset({"440305202403150001", "440106202301100007"}),
        roster_lookup=lambda p, e, d: e in {"123", "456", "789"},
        device_roles={},
    )
    result = parse_object((FIX / key).read_bytes(), ctx)
    # THEN read = loaded + quarantined + duplicates + ignored, per entity and in total
    result.check_accounting()
    assert all(c.balanced for c in result.counts().values())
    assert result.totals().balanced
    assert result.totals().read > 0
    # and the rows have exactly the documented columns, in order
    module = MODULES[result.kind]
    assert all(tuple(r) == module.COLUMNS for r in result.rows)
    for name, rows in result.children.items():
        assert all(tuple(r) == module.CHILD_COLUMNS[name] for r in rows)
    for r in result.rejects:
        assert r.reasons and r.raw is not None


def test_photos_are_not_parsed() -> None:
    ctx = ParseContext(object_key="photos/enrolment/440305202403150001/000123.jpg")
    with pytest.raises(ValueError, match="referenced, not parsed"):
        parse_object(b"", ctx)


def test_every_column_is_documented() -> None:
    doc = (ROOT / "docs" / "landing-fields.md").read_text(encoding="utf-8")
    columns = {c for m in MODULES.values() for c in m.COLUMNS}
    for m in MODULES.values():
        for cols in getattr(m, "CHILD_COLUMNS", {}).values():
            columns |= set(cols)
    columns |= set(photos.COLUMNS)
    missing = sorted(c for c in columns if f"`{c}`" not in doc)
    assert not missing, missing
    for m in MODULES.values():
        for name in getattr(m, "CHILD_COLUMNS", {}):
            assert f"`{name}`" in doc
