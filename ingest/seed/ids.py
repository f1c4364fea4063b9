"""Valid national identifiers for synthetic data (GB 11643 ID numbers, GB 32100 USCCs).

The check characters come from :mod:`ingest.landing.checks`, the same code that validates
them on load.
"""

from __future__ import annotations

import random
from datetime import date

from ingest.landing.checks import USCC_CHARSET, id_check_char, uscc_check_char


def make_id_number(area: str, birth: date, seq: int, male: bool) -> str:
    """An 18-character resident ID number with a correct check character."""
    order = seq % 500 * 2 + (1 if male else 0)  # 17th digit odd = male
    first17 = f"{area}{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_char(first17)


def make_uscc(area: str, rng: random.Random) -> str:
    """An 18-character unified social credit code (enterprise, 91) with a valid check."""
    body = "".join(rng.choice(USCC_CHARSET) for _ in range(9))
    first17 = f"91{area}{body}"
    return first17 + uscc_check_char(first17)
