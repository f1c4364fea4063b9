"""The reason-code list and its generated documentation stay in sync."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.landing import reasons

ROOT = Path(__file__).resolve().parents[2]


def test_doc_matches_the_code() -> None:
    # GIVEN docs/reason-codes.md WHEN compared with the generated text THEN identical
    # (regenerate: python -m ingest.landing.reasons > docs/reason-codes.md)
    doc = (ROOT / "docs" / "reason-codes.md").read_text(encoding="utf-8")
    assert doc == reasons.render_markdown()


def test_every_constant_is_described_and_vice_versa() -> None:
    constants = {
        v for k, v in vars(reasons).items() if k.isupper() and isinstance(v, str) and k != "_R"
    }
    assert constants == set(reasons.REASONS)
    assert set(reasons.DESCRIPTIONS) == set(reasons.REASONS)


def test_descriptions_are_one_line_in_both_languages() -> None:
    for r in reasons.REASONS.values():
        assert r.outcome in {"reject", "flag", "reject/flag", "ignore", "count"}
        assert r.en and r.zh and "\n" not in r.en + r.zh
        assert re.search(r"[\u4e00-\u9fff]", r.zh), r.code


def test_the_issue_codes_exist() -> None:
    for code in (
        "bad_id_checksum",
        "bad_uscc_checksum",
        "unknown_employee",
        "unknown_project",
        "future_timestamp",
        "timestamp_outside_partition",
        "malformed_line",
        "malformed_json",
        "missing_required_field",
        "negative_amount",
        "pay_month_format",
        "not_person_event",
    ):
        assert code in reasons.REASONS


def test_every_code_used_by_the_parsers_is_listed() -> None:
    src = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "ingest" / "landing").glob("*.py")
    )
    used = set(re.findall(r"\bR\.([A-Z_]+)\b", src))
    assert used
    for name in used:
        assert getattr(reasons, name) in reasons.REASONS
