"""``dump``: one C-encoder call must give exactly the text of the value-by-value encoder
(exact decimals, key order, escapes), which quarantine raw text and de-duplication use."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from ingest.landing._common import dump, loads


def _dump(value: Any, *, sort: bool = False) -> str:
    """The reference: compact JSON one value at a time (what ``dump`` did before it became
    one encoder call)."""
    if isinstance(value, dict):
        pairs = sorted(value.items()) if sort else value.items()
        inner = ",".join(
            f"{json.dumps(str(k), ensure_ascii=False)}:{_dump(v, sort=sort)}" for k, v in pairs
        )
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dump(v, sort=sort) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


DOCS = [
    '{"b":1,"a":[1,2.50,{"z":null,"y":true}],"c":"中文"}',
    '{"hours":8.0,"score":-0.0,"big":1e400,"tiny":1E-7,"n":12345678901234567890}',
    '{"x":"a\\u0000b","y":"\\u0000deadbeef:1.5\\u0000","q":"\\"quoted\\"\\n\\t"}',
    '[1.10, [2.0, {"k": [3.000]}], "4.0", 5]',
    '{"nested":{"b":{"d":1.5,"c":2},"a":0.1}}',
    '"plain"',
    "3.14159265358979323846264338327950288",
]


@pytest.mark.parametrize("text", DOCS)
@pytest.mark.parametrize("sort", [False, True])
def test_dump_is_the_exact_value_by_value_text(text: str, sort: bool) -> None:
    # GIVEN a JSON document read with exact decimals
    value = loads(text)
    # WHEN it is dumped in one call
    out = dump(value, sort=sort)
    # THEN it is exactly the value-by-value text, and reads back to the same value
    assert out == _dump(value, sort=sort)
    assert loads(out) == value


def test_a_string_that_looks_like_a_decimal_marker_stays_a_string() -> None:
    # GIVEN strings shaped like the marker (NUL, hex, colon, digits, NUL)
    value = loads('{"a":"\\u00000123456789abcdef0123456789abcdef:1.5\\u0000","b":2.5}')
    # WHEN dumped THEN the string is still a string and the decimal a number
    assert dump(value) == '{"a":"\\u00000123456789abcdef0123456789abcdef:1.5\\u0000","b":2.5}'
