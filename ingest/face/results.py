"""Result types, reason codes and embedding (de)serialisation of :mod:`ingest.face`.

Reason codes are plain strings so they can go straight into a database column:

=====================  ================================================================
``match``              similarity >= match threshold
``mismatch``           similarity <  match threshold
``no_face``            no face candidate in the image
``multiple_faces``     more than one usable face; the largest was used (a flag)
``face_too_small``     the face box's shorter side is below ``min_face_px``
``low_det_score``      the detector's confidence is below ``min_det_score``
``unreadable_image``   not a complete JPEG/PNG within the size and pixel limits
``no_enrolment``       no usable enrolment embedding to compare with
``model_mismatch``     the enrolment was made by another model pack (with ``no_enrolment``)
=====================  ================================================================

``Verification.decision`` is ``match``, ``mismatch`` or ``inconclusive`` (then the
first reason says why).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

MATCH = "match"
MISMATCH = "mismatch"
NO_FACE = "no_face"
MULTIPLE_FACES = "multiple_faces"
FACE_TOO_SMALL = "face_too_small"
LOW_DET_SCORE = "low_det_score"
UNREADABLE_IMAGE = "unreadable_image"
NO_ENROLMENT = "no_enrolment"
MODEL_MISMATCH = "model_mismatch"
REASON_CODES = (
    MATCH,
    MISMATCH,
    NO_FACE,
    MULTIPLE_FACES,
    FACE_TOO_SMALL,
    LOW_DET_SCORE,
    UNREADABLE_IMAGE,
    NO_ENROLMENT,
    MODEL_MISMATCH,
)
INCONCLUSIVE = "inconclusive"
DECISIONS = (MATCH, MISMATCH, INCONCLUSIVE)

_MAGIC = b"SPFE"
_FORMAT_VERSION = 1
_HEADER = struct.Struct("<4sBxH32s")  # magic, version, pad, dim, fingerprint digest
NORM_TOLERANCE = 1e-3


class EmbeddingFormatError(ValueError):
    """Bytes that are not a serialised :class:`Embedding`."""


@dataclass(frozen=True, slots=True, eq=False)
class Embedding:
    """An L2-normalised float32 face embedding and the fingerprint of the model that made it."""

    vector: NDArray[np.float32]
    model_fingerprint: str

    def __post_init__(self) -> None:
        vec = np.asarray(self.vector)
        if vec.ndim != 1 or vec.size == 0 or vec.dtype != np.float32:
            raise ValueError(
                f"embedding must be a non-empty 1-d float32 array, got {vec.dtype}{vec.shape}"
            )
        if not np.all(np.isfinite(vec)):
            raise ValueError("embedding has non-finite values")
        if abs(float(np.linalg.norm(vec)) - 1.0) > NORM_TOLERANCE:
            raise ValueError("embedding is not L2-normalised")
        if len(self.model_fingerprint) != 64:
            raise ValueError("model_fingerprint must be a 64-hex SHA-256")
        bytes.fromhex(self.model_fingerprint)
        vec = vec.copy()
        vec.setflags(write=False)
        object.__setattr__(self, "vector", vec)

    @classmethod
    def from_raw(cls, raw: NDArray[np.floating], model_fingerprint: str) -> Embedding:
        """Normalise a raw recogniser output row."""
        vec = np.asarray(raw, dtype=np.float32).ravel()
        norm = float(np.linalg.norm(vec))
        if not np.isfinite(norm) or norm <= 0.0:
            raise ValueError("cannot normalise a zero or non-finite embedding")
        return cls((vec / norm).astype(np.float32), model_fingerprint)

    @property
    def dim(self) -> int:
        return int(self.vector.shape[0])

    def similarity(self, other: Embedding) -> float:
        """Cosine similarity in [-1, 1] (both vectors are unit length)."""
        if other.dim != self.dim:
            raise ValueError(f"embedding dimensions differ: {self.dim} vs {other.dim}")
        return float(np.clip(np.dot(self.vector, other.vector), -1.0, 1.0))

    def to_bytes(self) -> bytes:
        """``SPFE`` v1: magic, version, dim (uint16 LE), fingerprint digest (32 bytes),
        then the float32 little-endian vector."""
        header = _HEADER.pack(
            _MAGIC, _FORMAT_VERSION, self.dim, bytes.fromhex(self.model_fingerprint)
        )
        return header + self.vector.astype("<f4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Embedding:
        raw = bytes(data)
        if len(raw) < _HEADER.size:
            raise EmbeddingFormatError("too short for an embedding header")
        magic, version, dim, digest = _HEADER.unpack_from(raw)
        if magic != _MAGIC or version != _FORMAT_VERSION:
            raise EmbeddingFormatError(f"not an SPFE v{_FORMAT_VERSION} embedding")
        if len(raw) != _HEADER.size + 4 * dim:
            raise EmbeddingFormatError(f"length {len(raw)} does not match dim {dim}")
        vec = np.frombuffer(raw, dtype="<f4", offset=_HEADER.size).astype(np.float32)
        try:
            return cls(vec, digest.hex())
        except ValueError as exc:
            raise EmbeddingFormatError(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class FaceBox:
    """The face that was used: box in source pixels, detector score, 5 landmarks."""

    x1: float
    y1: float
    x2: float
    y2: float
    score: float
    landmarks: tuple[tuple[float, float], ...]

    @property
    def short_side(self) -> float:
        return min(self.x2 - self.x1, self.y2 - self.y1)


@dataclass(frozen=True, slots=True)
class EmbeddingResult:
    """Outcome of embedding one image (enrolment or capture)."""

    embedding: Embedding | None
    reasons: tuple[str, ...]  # empty when clean; flags such as multiple_faces, or why not
    face: FaceBox | None
    faces_detected: int
    model_fingerprint: str
    detail: str = ""  # e.g. the image decoder's detail code

    @property
    def ok(self) -> bool:
        return self.embedding is not None


@dataclass(frozen=True, slots=True)
class Verification:
    """Outcome of comparing one capture with one enrolment."""

    decision: str  # match | mismatch | inconclusive
    similarity: float | None  # cosine in [-1, 1]; None when inconclusive
    reasons: tuple[str, ...]  # decision code or the failure first, then flags
    model_fingerprint: str
    threshold_version: str
    threshold: float
    face: FaceBox | None = None
    capture_embedding: Embedding | None = None
    detail: str = ""

    @property
    def matched(self) -> bool:
        return self.decision == MATCH


def cosine_matrix(a: Sequence[Embedding], b: Sequence[Embedding]) -> NDArray[np.float32]:
    """All pairwise cosine similarities, shape ``(len(a), len(b))``."""
    if not a or not b:
        return np.zeros((len(a), len(b)), dtype=np.float32)
    ma = np.stack([e.vector for e in a])
    mb = np.stack([e.vector for e in b])
    return np.asarray(np.clip(ma @ mb.T, -1.0, 1.0), dtype=np.float32)


def rank_gallery(
    probe: Embedding, gallery: Mapping[str, Embedding], threshold: float
) -> list[tuple[str, float]]:
    """Gallery keys whose enrolment is at least ``threshold`` similar to ``probe``, best first.

    With the stricter fraud threshold this names who a mismatching capture really shows
    (buddy punching: worker B's face submitted under worker A).
    """
    keys = [k for k, e in gallery.items() if e.model_fingerprint == probe.model_fingerprint]
    if not keys:
        return []
    sims = cosine_matrix([probe], [gallery[k] for k in keys])[0]
    hits = [(k, float(s)) for k, s in zip(keys, sims, strict=True) if s >= threshold]
    return sorted(hits, key=lambda item: (-item[1], item[0]))


def find_duplicate_enrolments(
    gallery: Mapping[str, Embedding], threshold: float
) -> list[tuple[str, str, float]]:
    """Pairs of gallery keys (e.g. ID numbers) whose enrolments look like one person.

    Use the stricter fraud threshold: one face registered under two identities.
    """
    keys = sorted(gallery)
    if len(keys) < 2:
        return []
    fingerprints = {gallery[k].model_fingerprint for k in keys}
    if len(fingerprints) != 1:
        raise ValueError("gallery mixes embeddings of different model packs")
    sims = cosine_matrix([gallery[k] for k in keys], [gallery[k] for k in keys])
    rows, cols = np.nonzero(np.triu(sims >= threshold, k=1))
    pairs = [
        (keys[i], keys[j], float(sims[i, j]))
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True)
    ]
    return sorted(pairs, key=lambda item: (-item[2], item[0], item[1]))
