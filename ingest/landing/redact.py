"""Redaction of personal numbers in text bound for logs and error messages.

The platform never logs identity, bank-card or phone numbers in plaintext. Quarantine
``raw`` text is stored as-is in a restricted table; anything else that may carry a raw
record (log lines, exception messages, alerts) goes through :func:`redact` first.

Masked: 18-character resident-ID-like tokens (17 digits + digit/X) as
``110105********002X``; 15-digit first-generation IDs; any other run of 11 or more
digits (phones, bank cards, account numbers) keeping at most the first 3 and last 4
digits. Project codes (18 digits) are masked too: safety over readability.
"""

from __future__ import annotations

import re

from ingest.landing.checks import mask_id

_ID18 = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_DIGITS = re.compile(r"(?<![0-9])[0-9]{11,}(?![0-9])")


def redact(text: str) -> str:
    """``text`` with identity/bank/phone-like numbers masked."""
    text = _ID18.sub(lambda m: mask_id(m.group(0).upper()), text)
    return _DIGITS.sub(lambda m: mask_id(m.group(0)), text)
