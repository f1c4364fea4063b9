"""Check digits, derived attributes and keyed hashing of identity numbers.

* GB 11643-1999 居民身份证号码: 17 digits + check character (0-9 or X), ISO 7064 MOD 11-2.
* GB 32100-2015 统一社会信用代码: 18 characters over ``0-9 A-Z`` without I, O, Z, S, V,
  check character mod 31.

Nothing here logs or raises with the number in the message.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"  # index = weighted sum mod 11
_ID_RE = re.compile(r"[0-9]{17}[0-9X]")

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

EARLIEST_BIRTH = date(1900, 1, 1)


def normalize_id_number(s: str) -> str:
    """NFKC (full-width digits become ASCII), strip, drop inner spaces, upper-case ``x``."""
    return "".join(unicodedata.normalize("NFKC", s).split()).upper()


def normalize_code(s: str) -> str:
    """Normalise a code value (corp code, area code, …): NFKC, strip, upper-case."""
    return unicodedata.normalize("NFKC", s).strip().upper()


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_format_ok(s: str, *, today: date | None = None) -> bool:
    """18 chars, 17 digits + digit/X (``x`` accepted), and a plausible birth date."""
    n = s.upper()
    return bool(_ID_RE.fullmatch(n)) and _birth(n, today) is not None


def valid_id_number(s: str, *, today: date | None = None) -> bool:
    """GB 11643: format, plausible birth date (1900-01-01 … today) and check character."""
    n = s.upper()
    return id_format_ok(n, today=today) and id_check_char(n[:17]) == n[17]


def _birth(n: str, today: date | None) -> date | None:
    try:
        d = date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return None
    if d < EARLIEST_BIRTH or d > (today or date.today()):
        return None
    return d


def id_birth_date(s: str) -> date | None:
    """Birth date encoded in an 18-char ID (positions 7-14), or None if not a real date."""
    n = s.upper()
    if not _ID_RE.fullmatch(n):
        return None
    try:
        return date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return None


def id_sex(s: str) -> str | None:
    """``M`` when the 17th digit is odd, ``F`` when even; None if not an 18-char ID."""
    n = s.upper()
    if not _ID_RE.fullmatch(n):
        return None
    return "M" if int(n[16]) % 2 else "F"


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for 17 characters of the USCC charset."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_format_ok(s: str) -> bool:
    return len(s) == 18 and all(c in _USCC_VALUE for c in s)


def valid_uscc(s: str) -> bool:
    """GB 32100: 18 chars of the 31-char charset and the mod-31 check character."""
    return uscc_format_ok(s) and uscc_check_char(s[:17]) == s[17]


def mask_id(s: str) -> str:
    """Mask an identity number for display: ``110105********002X`` (6 + 8 stars + 4).

    Other lengths: at most the first 3 and last 4 characters stay visible, and never more
    than a third of the characters; the rest become ``*``.
    """
    n = len(s)
    if n == 18:
        return s[:6] + "*" * 8 + s[-4:]
    keep_tail = min(4, n // 3)
    keep_head = min(3, n // 3 - keep_tail)
    return s[:keep_head] + "*" * (n - keep_head - keep_tail) + s[n - keep_tail :]


def normalize_id_card_type(t: str) -> str:
    """``1`` and ``01`` are the same type: NFKC, strip, zero-pad digits to 2."""
    t = unicodedata.normalize("NFKC", t).strip()
    return t.zfill(2) if t.isdigit() else t


def worker_key(id_card_type: str, id_card_number: str, secret: bytes) -> str:
    """The pseudonymous join key of a worker: HMAC-SHA256 hex of ``"TYPE:NUMBER"``.

    The type is zero-padded to 2 digits, the number normalised by
    :func:`normalize_id_number` (so ``x``/``X`` and full-width digits hash the same).
    """
    if not isinstance(secret, bytes | bytearray) or not secret:
        raise ValueError("worker_key needs a non-empty bytes secret")
    msg = f"{normalize_id_card_type(id_card_type)}:{normalize_id_number(id_card_number)}"
    return hmac.new(bytes(secret), msg.encode("utf-8"), hashlib.sha256).hexdigest()


_PROJECT_CODE_RE = re.compile(r"[0-9]{18}")


def valid_project_code(s: str) -> bool:
    """6-digit area code + a real yyyymmdd date + 4-digit serial (18 digits)."""
    if not _PROJECT_CODE_RE.fullmatch(s):
        return False
    try:
        date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return True
