"""Safe decoding of untrusted image bytes: limits are enforced before pixels are allocated."""

from __future__ import annotations

import resource
import struct
import time
import tracemalloc
import zlib

import numpy as np
import pytest

from ingest.face.engine import FaceEngine
from ingest.face.images import decode_image, encode_jpeg, encode_png, read_header
from ingest.face.photos import Photo

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A tiny, well-formed PNG whose header claims ``width x height`` RGB pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\x00" * (3 * width)
    idat = zlib.compress(row * 4, 9)  # a few rows of data; a decoder would allocate all rows first
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def test_bomb_png_header_is_refused_without_allocating() -> None:
    """GIVEN a 20000x20000 PNG header (1.2 GB of pixels) in a file of a few KB
    WHEN it is decoded with a 40 MP limit
    THEN it is unreadable_image/too_many_pixels, fast, and neither Python nor the process grew."""
    data = bomb_png()
    assert len(data) < 10_000
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = decode_image(data, **LIMITS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - start
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert (result.reason, result.detail) == ("unreadable_image", "too_many_pixels")
    assert (result.width, result.height) == (20000, 20000)
    assert peak < 1_000_000  # bytes traced by Python during the call
    assert rss_after - rss_before < 50_000  # KiB: the process peak did not grow
    assert elapsed < 0.5


def test_jpeg_with_huge_frame_header_is_refused() -> None:
    """GIVEN a real small JPEG whose SOF0 header is patched to 30000x30000
    WHEN it is decoded
    THEN it is refused as too_many_pixels before decoding."""
    data = bytearray(encode_jpeg(np.full((64, 64, 3), 100, np.uint8)))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 30000, 30000)
    result = decode_image(bytes(data), **LIMITS)
    assert (result.reason, result.detail, result.width) == (
        "unreadable_image",
        "too_many_pixels",
        30000,
    )


@pytest.mark.parametrize("key", ["obama", "obama2", "biden"])
def test_truncated_jpeg_is_unreadable(photos: dict[str, Photo], key: str) -> None:
    """GIVEN real JPEGs cut at several points
    WHEN they are decoded
    THEN every cut is unreadable_image (the whole file still decodes)."""
    data = photos[key].read_bytes()
    assert decode_image(data, **LIMITS).ok
    for cut in (10, 300, len(data) // 3, len(data) - 2):
        result = decode_image(data[:cut], **LIMITS)
        assert result.reason == "unreadable_image", cut
        assert result.image is None


def test_truncated_png_is_unreadable() -> None:
    """GIVEN a PNG missing its last bytes (IEND)
    WHEN it is decoded
    THEN it is unreadable_image/truncated."""
    data = encode_png(np.zeros((32, 32, 3), np.uint8))
    assert decode_image(data, **LIMITS).ok
    assert decode_image(data[:-12], **LIMITS).detail == "truncated"


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"", "empty"),
        (b"GIF89a" + b"\x00" * 100, "unsupported_format"),
        (b"BM" + b"\x00" * 100, "unsupported_format"),
        (b"\xff\xd8\xff\xd9", "no_image_data"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "corrupt_header"),
    ],
)
def test_garbage_is_unreadable(data: bytes, detail: str) -> None:
    """GIVEN bytes that are not a complete JPEG/PNG
    WHEN they are decoded
    THEN the result is unreadable_image with a specific detail code."""
    result = decode_image(data, **LIMITS)
    assert (result.reason, result.detail) == ("unreadable_image", detail)


def test_too_many_bytes_is_refused() -> None:
    """GIVEN an encoded image larger than max_bytes
    WHEN it is decoded
    THEN it is refused as too_many_bytes."""
    data = encode_png(np.random.default_rng(0).integers(0, 255, (256, 256, 3), dtype=np.uint8))
    result = decode_image(data, max_bytes=len(data) - 1, max_pixels=LIMITS["max_pixels"])
    assert result.detail == "too_many_bytes"


def test_headers_of_real_photos_match_decoded_size(photos: dict[str, Photo]) -> None:
    """GIVEN the real JPEG and PNG photos
    WHEN only their headers are read
    THEN the dimensions equal those of the decoded BGR images."""
    for photo in photos.values():
        data = photo.read_bytes()
        header = read_header(data)
        decoded = decode_image(data, **LIMITS)
        assert (
            decoded.image is not None
            and decoded.image.dtype == np.uint8
            and decoded.image.shape[2] == 3
        )
        assert (header.height, header.width) == decoded.image.shape[:2]


def test_engine_reports_a_bomb_as_unreadable_image(face_engine: FaceEngine) -> None:
    """GIVEN the 20000x20000 PNG bomb as an enrolment upload
    WHEN the engine embeds it
    THEN it is refused as unreadable_image (too_many_pixels) without being decoded."""
    result = face_engine.embed_enrolment(bomb_png())
    assert (result.reasons, result.detail, result.embedding) == (
        ("unreadable_image",),
        "too_many_pixels",
        None,
    )
