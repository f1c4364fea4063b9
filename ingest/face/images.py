"""Safe image decoding for untrusted uploads (device captures, enrolment photos).

Everything is checked *before* the decoder allocates pixels:

* size: at most ``max_bytes`` encoded bytes;
* format: JPEG or PNG by magic number (anything else is refused);
* header dimensions: JPEG ``SOFn`` / PNG ``IHDR`` are parsed by hand and
  ``width * height`` must not exceed ``max_pixels`` (a decompression bomb such as a
  20000x20000 PNG is refused without decoding it);
* completeness: a JPEG must have an ``EOI`` marker after its first scan and a PNG an
  ``IEND`` chunk, because libjpeg happily returns a grey-filled image for a truncated
  file.

Failures are data, not exceptions: :class:`DecodeResult` with ``reason ==
"unreadable_image"`` and a ``detail`` code for logs.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

UNREADABLE_IMAGE = "unreadable_image"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8"
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})


@dataclass(frozen=True, slots=True, eq=False)
class DecodeResult:
    """A decoded BGR ``uint8`` image, or why there is none."""

    image: NDArray[np.uint8] | None
    reason: str | None = None  # None or "unreadable_image"
    detail: str = ""  # empty | too_many_bytes | empty | unsupported_format | truncated | ...
    format: str = ""  # jpeg | png
    width: int = 0  # from the header
    height: int = 0

    @property
    def ok(self) -> bool:
        return self.image is not None


class _Refused(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ImageHeader:
    format: str
    width: int
    height: int


def read_header(data: bytes) -> ImageHeader:
    """Format and dimensions from the header alone; raises ``ValueError(detail)`` if unusable."""
    try:
        return _read_header(data)
    except _Refused as exc:
        raise ValueError(exc.detail) from None


def _read_header(data: bytes) -> ImageHeader:
    if data.startswith(PNG_SIGNATURE):
        return _png_header(data)
    if data.startswith(JPEG_SOI):
        return _jpeg_header(data)
    raise _Refused("unsupported_format")


def _png_header(data: bytes) -> ImageHeader:
    if len(data) < 33:
        raise _Refused("truncated")
    if data[8:12] != b"\x00\x00\x00\x0d" or data[12:16] != b"IHDR":
        raise _Refused("corrupt_header")
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    if width == 0 or height == 0 or width >= 1 << 31 or height >= 1 << 31:
        raise _Refused("bad_dimensions")
    if data.rfind(b"IEND", 33) < 0:
        raise _Refused("truncated")
    return ImageHeader("png", width, height)


def _jpeg_header(data: bytes) -> ImageHeader:
    n = len(data)
    i = 2
    width = height = 0
    while i < n:
        if data[i] != 0xFF:
            raise _Refused("corrupt_marker")
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            break
        marker = data[i]
        i += 1
        if marker in _JPEG_STANDALONE:
            continue
        if marker == 0xD9:  # EOI before any scan
            raise _Refused("no_image_data")
        if i + 2 > n:
            break
        length = int.from_bytes(data[i : i + 2], "big")
        if length < 2:
            raise _Refused("corrupt_marker")
        if i + length > n:
            break
        if marker in _JPEG_SOF and not width:
            if length < 8:
                raise _Refused("corrupt_header")
            height = int.from_bytes(data[i + 3 : i + 5], "big")
            width = int.from_bytes(data[i + 5 : i + 7], "big")
            if width == 0 or height == 0:
                raise _Refused("bad_dimensions")
        if marker == 0xDA:  # start of scan: the header is complete
            if not width:
                raise _Refused("no_frame_header")
            if data.find(b"\xff\xd9", i + length) < 0:
                raise _Refused("truncated")
            return ImageHeader("jpeg", width, height)
        i += length
    raise _Refused("truncated")


def decode_image(
    data: bytes | bytearray | memoryview, *, max_bytes: int, max_pixels: int
) -> DecodeResult:
    """Decode ``data`` into a BGR ``uint8`` array after the checks in the module docstring."""
    header: ImageHeader | None = None
    try:
        raw = _bounded_bytes(data, max_bytes)
        header = _read_header(raw)
        if header.width * header.height > max_pixels:
            raise _Refused("too_many_pixels")
        image = _decode(raw, header)
    except _Refused as exc:
        if header is None:
            return DecodeResult(None, UNREADABLE_IMAGE, exc.detail)
        return DecodeResult(
            None, UNREADABLE_IMAGE, exc.detail, header.format, header.width, header.height
        )
    return DecodeResult(image, None, "", header.format, header.width, header.height)


def _bounded_bytes(data: bytes | bytearray | memoryview, max_bytes: int) -> bytes:
    size = data.nbytes if isinstance(data, memoryview) else len(data)
    if size == 0:
        raise _Refused("empty")
    if size > max_bytes:
        raise _Refused("too_many_bytes")
    return data if isinstance(data, bytes) else bytes(data)


def _decode(raw: bytes, header: ImageHeader) -> NDArray[np.uint8]:
    image = cv2.imdecode(np.frombuffer(raw, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise _Refused("decode_failed")
    if sorted(image.shape[:2]) != sorted((header.height, header.width)):  # EXIF may rotate
        raise _Refused("size_mismatch")
    return np.asarray(image, dtype=np.uint8)


def encode_jpeg(image: NDArray[np.uint8], quality: int = 92) -> bytes:
    """Encode a BGR image as JPEG bytes (used by the photo variants and tests)."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


def encode_png(image: NDArray[np.uint8]) -> bytes:
    """Encode a BGR image as PNG bytes."""
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()
