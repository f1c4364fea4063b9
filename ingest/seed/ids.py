"""Valid national identifiers for synthetic data (GB 11643 ID numbers, GB 32100 USCCs)."""

from __future__ import annotations

import random
from datetime import date

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def make_id_number(area: str, birth: date, seq: int, male: bool) -> str:
    """An 18-character resident ID number with a correct check character."""
    order = seq % 500 * 2 + (1 if male else 0)  # 17th digit odd = male
    first17 = f"{area}{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_char(first17)


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def make_uscc(area: str, rng: random.Random) -> str:
    """An 18-character unified social credit code (enterprise, 91) with a valid check."""
    body = "".join(rng.choice(USCC_CHARS) for _ in range(9))
    first17 = f"91{area}{body}"
    return first17 + uscc_check_char(first17)
