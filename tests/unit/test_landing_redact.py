"""Redaction for logs, and photo references."""

from __future__ import annotations

import hashlib

import pytest

from ingest.landing.photos import photo_ref
from ingest.landing.redact import redact


def test_identity_bank_and_phone_numbers_are_masked() -> None:
    raw = (
        '{"idCardNumber": "11010519491231002x", "cellPhone": "13800000000", '
        '"payRollBankCardNumber": "6217000000000000000", "old": "110105491231002", '
        '"teamSysNo": 100231, "date": "2024-04-01"}'
    )
    out = redact(raw)
    assert "110105********002X" in out
    for plain in ("11010519491231002", "13800000000", "6217000000000000000", "110105491231002"):
        assert plain not in out
    assert "100231" in out and "2024-04-01" in out  # short numbers and dates stay


def test_attlog_line_keeps_its_shape() -> None:
    assert redact("000123\t2026-11-02 07:31:05\t1\t0\t15\t0") == (
        "000123\t2026-11-02 07:31:05\t1\t0\t15\t0"
    )


def test_photo_reference() -> None:
    data = b"\xff\xd8\xff\xe0fake-jpeg"
    key = "photos/capture/440305202403150001/ZK-CKUN2031/dt=2026-11-02/20261102073105-000123.jpg"
    ref = photo_ref(key, data)
    assert ref["kind"] == "capture_photo"
    assert (ref["size"], ref["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    assert (ref["content_type"], ref["capture_name"]) == ("image/jpeg", "20261102073105-000123")
    ref = photo_ref("photos/enrolment/440305202403150001/000123.png", b"GIF89a")
    assert (ref["employee_no"], ref["content_type"]) == ("000123", None)
    with pytest.raises(ValueError, match="not a photo key"):
        photo_ref("registry/dt=2026-11-01/projects.json", b"[]")
