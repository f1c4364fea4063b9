"""Photos are referenced, not parsed: key, size, SHA-256 and what the key says."""

from __future__ import annotations

import hashlib
from typing import Any

from ingest.landing.keys import parse_key

COLUMNS = (
    "object_key",
    "kind",
    "project_code",
    "device_sn",
    "partition_date",
    "employee_no",
    "capture_name",
    "size",
    "sha256",
    "content_type",
)


def sniff_image(data: bytes) -> str | None:
    """``image/jpeg`` / ``image/png`` from the magic bytes, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def photo_ref(key: str, data: bytes) -> dict[str, Any]:
    """A reference row for an enrolment or capture photo (``ValueError`` for other keys).

    ``content_type`` is None when the bytes are neither JPEG nor PNG (the loader may
    quarantine such an object; it is never decoded here).
    """
    k = parse_key(key)
    if k.kind not in ("enrolment_photo", "capture_photo"):
        raise ValueError(f"{key!r} is not a photo key (kind {k.kind})")
    return {
        "object_key": key,
        "kind": k.kind,
        "project_code": k.project_code,
        "device_sn": k.device_sn,
        "partition_date": k.partition_date,
        "employee_no": k.employee_no,
        "capture_name": k.capture_name,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": sniff_image(data),
    }
