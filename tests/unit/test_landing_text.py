"""Encodings: UTF-8, UTF-8 with BOM, GBK/GB18030, and corrupt lines."""

from __future__ import annotations

import pytest

from ingest.landing.text import decode_bytes, decode_lines

TEXT = "张三\t钢筋工\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("gb18030"), "gb18030"),
        (b"ascii only\n", "utf-8"),
    ],
)
def test_decode_bytes(data: bytes, encoding: str) -> None:
    text, enc = decode_bytes(data)
    assert enc == encoding
    assert text.rstrip("\n") in (TEXT.rstrip("\n"), "ascii only")


def test_decode_bytes_refuses_garbage() -> None:
    with pytest.raises(UnicodeDecodeError):
        decode_bytes(b"\xff\xff\xff")


def test_decode_lines_splits_crlf_and_keeps_line_numbers() -> None:
    lines, enc = decode_lines(b"a\r\n\r\nb\n")
    assert enc == "utf-8"
    assert [(n, t) for n, t, _ in lines] == [(1, "a"), (2, ""), (3, "b")]


def test_decode_lines_gbk_file() -> None:
    data = "一行\n二行\n".encode("gb18030")
    lines, enc = decode_lines(data)
    assert enc == "gb18030"
    assert [t for _, t, _ in lines] == ["一行", "二行"]


def test_a_character_cut_in_half_spoils_only_its_line() -> None:
    # GIVEN a UTF-8 file whose last line ends in half a character
    data = "张三\n李四\n".encode() + "王".encode()[:2]
    lines, enc = decode_lines(data)
    # THEN the file is UTF-8 and only line 3 is undecodable
    assert enc == "utf-8"
    assert [t for _, t, _ in lines] == ["张三", "李四", None]
    # GIVEN the same in GBK
    data = "张三\n李四\n".encode("gbk") + "王".encode("gbk")[:1]
    lines, enc = decode_lines(data)
    assert enc == "gb18030"
    assert [t for _, t, _ in lines] == ["张三", "李四", None]
