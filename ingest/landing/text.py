"""Text decoding for landing files: UTF-8, UTF-8 with BOM, GBK/GB18030."""

from __future__ import annotations

import codecs


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a landing file, returning ``(text, encoding)``.

    UTF-8 with a BOM is ``utf-8-sig``; valid UTF-8 is ``utf-8``; anything else is read
    as GB18030 (a superset of GBK and GB2312) and must decode strictly.
    Raises :class:`UnicodeDecodeError` when the bytes are neither.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"


def decode_lenient(data: bytes, encoding: str) -> str:
    """Decode for quarantine/raw purposes only: undecodable bytes become ``\\xNN``."""
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    return data.decode(codec, errors="backslashreplace")


def decode_lines(data: bytes) -> tuple[list[tuple[int, str | None, bytes]], str]:
    """Split a line-oriented file into ``(line_no, text_or_None, raw_bytes)`` triples.

    The file's encoding is chosen once: a UTF-8 BOM means ``utf-8-sig``; otherwise
    ``utf-8`` when at least half of the lines holding non-ASCII bytes are valid UTF-8
    (UTF-8 is self-validating, GBK text almost never is), else ``gb18030``. Each line is
    then decoded on its own, so one truncated or corrupt line (a multi-byte character cut
    in half) does not make the whole file unreadable: its text is ``None`` and the caller
    quarantines it with ``bad_encoding``. Line numbers are 1-based and count every
    physical line (blank ones included); line terminators (LF, CRLF) are removed.
    """
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    raw_lines = body.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()  # final newline
    raw_lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in raw_lines]
    if bom:
        encoding = "utf-8-sig"
    else:
        non_ascii = [ln for ln in raw_lines if not ln.isascii()]
        utf8_ok = sum(1 for ln in non_ascii if _decodes(ln, "utf-8"))
        encoding = "utf-8" if utf8_ok * 2 >= len(non_ascii) else "gb18030"
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    out: list[tuple[int, str | None, bytes]] = []
    for no, ln in enumerate(raw_lines, start=1):
        try:
            out.append((no, ln.decode(codec), ln))
        except UnicodeDecodeError:
            out.append((no, None, ln))
    return out, encoding


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True
