"""``dump``: one C-encoder call must give exactly the text of the value-by-value encoder
(exact decimals, key order, escapes), which quarantine raw text and de-duplication use."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from ingest.landing._common import DECODER, dump, loads


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


#: Texts where a fast JSON reader could differ from ``json``: repeated keys, integers of
#: any size, exact decimals, escapes, lone surrogates, nesting; and texts both must refuse.
READ_ALIKE = [
    '{"a":1,"b":2,"a":3}',
    '{"n":123456789012345678901234567890,"m":-9223372036854775809,"z":-0}',
    '{"f":1.0e+2,"g":-0.0,"h":1E400,"i":1.0000000000000000000001}',
    '{"s":"\\u0000x","e":"\\ud83d\\ude00","q":"\\"\\\\\\/\\b\\f\\n\\r\\t"}',
    '"\\ud800 a lone surrogate"',
    ' [ 1 , { "k" : [ ] } , null , true , false ] ',
    "[" * 600 + "]" * 600,
    '"中文"',
]
REFUSED = [
    '{"k":NaN}',
    "Infinity",
    "01",
    "[1,]",
    '{"a":1}x',
    '"a\x01b"',
    "\ufeff{}",
    "1" * 5000,
    "",
]


@pytest.mark.parametrize("text", READ_ALIKE)
def test_loads_reads_every_text_as_the_json_module_does(text: str) -> None:
    # GIVEN a text the fast reader might read differently
    reference = json.JSONDecoder(parse_float=Decimal).decode(text)
    # WHEN loads reads it THEN the value, its types and its key order are json's
    value = loads(text)
    assert value == reference
    assert dump(value) == dump(reference)


@pytest.mark.parametrize("text", REFUSED)
def test_loads_refuses_what_the_json_module_refuses_with_its_error(text: str) -> None:
    # GIVEN a text that is not strict JSON (or a number beyond Python's digit limit)
    # WHEN loads reads it THEN it fails as json fails: a ValueError with json's message
    with pytest.raises(ValueError) as got:
        loads(text)
    with pytest.raises(ValueError) as want:
        DECODER.decode(text)  # json's reader, as configured for the row parsers
    assert str(got.value) == str(want.value)
