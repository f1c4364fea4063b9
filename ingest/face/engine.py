"""Face verification engine: decode -> detect -> align -> (batched) recognise -> decide.

``FaceEngine(config)`` does nothing until first use; :meth:`FaceEngine.load` (called
implicitly, thread-safe, idempotent) builds/verifies the model pack and creates the
onnxruntime sessions. Detection runs per image; the aligned 112x112 crops of a whole
call (``embed_many`` / ``verify_many``) are recognised in batches of
``config.batch_size``.

Face selection: detector candidates at score >= ``min(0.5, min_det_score)``. A face is
*usable* if its score >= ``min_det_score`` and its box's shorter side >= ``min_face_px``.
The largest usable face is embedded; more than one usable face adds the flag
``multiple_faces``. Without a usable face the largest candidate explains why
(``low_det_score`` / ``face_too_small``); without candidates: ``no_face``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import onnxruntime as ort
from insightface.model_zoo import model_zoo
from numpy.typing import NDArray

from ingest.face.align import norm_crop
from ingest.face.config import FaceConfig
from ingest.face.errors import ModelPackError
from ingest.face.images import DecodeResult, decode_image
from ingest.face.modelpack import Manifest, build_model_pack, describe_insightface_pack
from ingest.face.results import (
    FACE_TOO_SMALL,
    INCONCLUSIVE,
    LOW_DET_SCORE,
    MATCH,
    MISMATCH,
    MODEL_MISMATCH,
    MULTIPLE_FACES,
    NO_ENROLMENT,
    NO_FACE,
    UNREADABLE_IMAGE,
    Embedding,
    EmbeddingResult,
    FaceBox,
    Verification,
)
from ingest.face.yunet import YuNetDetector

log = logging.getLogger(__name__)

CANDIDATE_FLOOR = 0.5
ImageBytes = bytes | bytearray | memoryview


class Detector(Protocol):
    def detect(
        self,
        img: NDArray[np.uint8],
        input_size: Any = None,
        max_num: int = 0,
        metric: str = "default",
        det_thresh: float | None = None,
    ) -> tuple[NDArray[np.float32], NDArray[np.float32] | None]: ...


class Recogniser(Protocol):
    input_size: tuple[int, int]

    def get_feat(self, imgs: list[NDArray[np.uint8]]) -> NDArray[np.float32]: ...


@dataclass(frozen=True, slots=True)
class LoadedModels:
    """The sessions of one engine (also used by the benchmark)."""

    manifest: Manifest
    detector: Detector
    recogniser: Recogniser
    embedding_dim: int


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One image after detection and alignment, before recognition."""

    reasons: tuple[str, ...]
    face: FaceBox | None
    crop: NDArray[np.uint8] | None
    faces_detected: int
    detail: str = ""


def session_options(config: FaceConfig) -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = config.intra_op_threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return options


def _check_providers(config: FaceConfig) -> list[str]:
    available = ort.get_available_providers()
    missing = [p for p in config.providers if p not in available]
    if missing:
        raise ModelPackError(
            f"onnxruntime providers {missing} are not available (available: {available})"
        )
    return list(config.providers)


def load_models(config: FaceConfig) -> LoadedModels:
    """Build/verify the pack and create sessions (no caching; see :class:`FaceEngine`)."""
    providers = _check_providers(config)
    if config.insightface_pack_dir is not None:
        return _load_insightface_pack(config, providers)
    manifest = build_model_pack(config)
    options = session_options(config)
    det_session = ort.InferenceSession(str(manifest.detector_path), options, providers=providers)
    detector = YuNetDetector(det_session, input_size=config.det_size, det_thresh=_floor(config))
    # InsightFace reads the manifest (V2), checks the SHA-256 and sets mean 0 / std 1.
    recogniser = model_zoo.get_model(
        str(manifest.pack_dir), model_task="recognition", providers=providers, sess_options=options
    )
    if recogniser is None or getattr(recogniser, "taskname", None) != "recognition":
        raise ModelPackError(f"{manifest.pack_dir}: InsightFace did not load the recogniser")
    if (recogniser.input_mean, recogniser.input_std) != (0.0, 1.0):
        raise ModelPackError("SFace must run with embedded preprocessing (mean 0, std 1)")
    return LoadedModels(manifest, detector, recogniser, int(manifest.embedding_dim or 0))


def _load_insightface_pack(config: FaceConfig, providers: list[str]) -> LoadedModels:
    pack_dir = config.insightface_pack_dir
    if pack_dir is None:
        raise ModelPackError("no InsightFace pack configured")
    manifest = describe_insightface_pack(pack_dir)
    options = session_options(config)
    detector: Any = None
    recogniser: Any = None
    roles: dict[str, str] = {}
    for item in manifest.files:
        model = model_zoo.get_model(
            str(pack_dir / item.name), providers=providers, sess_options=options
        )
        task = getattr(model, "taskname", None)
        if task == "detection" and detector is None:
            if _is_yunet(model.session):  # InsightFace routes YuNet to SCRFD, which can't decode it
                model = YuNetDetector(model.session, config.det_size, _floor(config))
            detector, roles[item.name] = model, "detection"
        elif task == "recognition" and recogniser is None:
            recogniser, roles[item.name] = model, "recognition"
    if detector is None or recogniser is None:
        raise ModelPackError(
            f"{pack_dir}: need a detection and a recognition model, found {sorted(roles.values())}"
        )
    detector.prepare(0, input_size=(config.det_size, config.det_size), det_thresh=_floor(config))
    files = tuple(replace(f, role=roles.get(f.name, "other")) for f in manifest.files)
    dim = int(recogniser.output_shape[-1])
    log.info("loaded InsightFace pack %s (fingerprint %s)", pack_dir, manifest.fingerprint[:12])
    return LoadedModels(
        replace(manifest, files=files, embedding_dim=dim), detector, recogniser, dim
    )


def _is_yunet(session: Any) -> bool:
    names = {output.name for output in session.get_outputs()}
    return names == {f"{head}_{s}" for head in ("cls", "obj", "bbox", "kps") for s in (8, 16, 32)}


def _floor(config: FaceConfig) -> float:
    return min(CANDIDATE_FLOOR, config.min_det_score)


class FaceEngine:
    """Thread-safe, lazily loaded face embedding and verification."""

    def __init__(self, config: FaceConfig | None = None) -> None:
        self.config = config if config is not None else FaceConfig.from_env()
        self._lock = threading.Lock()
        self._models: LoadedModels | None = None

    # -- loading ------------------------------------------------------------------------
    def load(self) -> LoadedModels:
        """Load the models once (safe to call from many threads; later calls are free)."""
        models = self._models
        if models is not None:
            return models
        with self._lock:
            if self._models is None:
                self._models = load_models(self.config)
                log.info(
                    "face engine ready: %s pack, fingerprint %s, threshold %s",
                    self._models.manifest.kind,
                    self._models.manifest.fingerprint[:12],
                    self.config.threshold_version,
                )
            return self._models

    @property
    def manifest(self) -> Manifest:
        return self.load().manifest

    @property
    def model_fingerprint(self) -> str:
        return self.load().manifest.fingerprint

    # -- embedding ----------------------------------------------------------------------
    def embed_enrolment(self, image_bytes: ImageBytes) -> EmbeddingResult:
        """Embed the (largest usable) face of an enrolment photo."""
        return self.embed_many([image_bytes])[0]

    def embed_many(self, images: Sequence[ImageBytes]) -> list[EmbeddingResult]:
        """Embed many encoded images, recognising all their faces in batches."""
        decoded = [self._decode(data) for data in images]
        return self._embed_decoded(decoded)

    def embed_images(self, images: Sequence[NDArray[np.uint8]]) -> list[EmbeddingResult]:
        """Embed already decoded BGR ``uint8`` images (trusted input: no size checks)."""
        return self._embed_decoded(
            [DecodeResult(img, None, "", "array", img.shape[1], img.shape[0]) for img in images]
        )

    # -- verification -------------------------------------------------------------------
    def verify(self, capture_bytes: ImageBytes, enrolment: Embedding | None) -> Verification:
        """Compare one capture with one enrolment embedding."""
        return self.verify_many([(capture_bytes, enrolment)])[0]

    def verify_many(
        self, pairs: Sequence[tuple[ImageBytes, Embedding | None]]
    ) -> list[Verification]:
        """Compare many (capture, enrolment) pairs; recognition is batched across all captures."""
        captures = self.embed_many([capture for capture, _ in pairs])
        return [
            self.decide(result, enrolment)
            for result, (_, enrolment) in zip(captures, pairs, strict=True)
        ]

    def decide(self, capture: EmbeddingResult, enrolment: Embedding | None) -> Verification:
        """The decision for an already embedded capture (pure; no inference)."""
        cfg = self.config
        fingerprint = capture.model_fingerprint
        common: dict[str, Any] = {
            "model_fingerprint": fingerprint,
            "threshold_version": cfg.threshold_version,
            "threshold": cfg.match_threshold,
            "face": capture.face,
            "capture_embedding": capture.embedding,
            "detail": capture.detail,
        }
        if enrolment is None:
            return Verification(INCONCLUSIVE, None, (NO_ENROLMENT, *capture.reasons), **common)
        if enrolment.model_fingerprint != fingerprint:
            return Verification(
                INCONCLUSIVE, None, (NO_ENROLMENT, MODEL_MISMATCH, *capture.reasons), **common
            )
        if capture.embedding is None:
            return Verification(INCONCLUSIVE, None, capture.reasons, **common)
        similarity = capture.embedding.similarity(enrolment)
        decision = MATCH if similarity >= cfg.match_threshold else MISMATCH
        return Verification(decision, similarity, (decision, *capture.reasons), **common)

    # -- internals ----------------------------------------------------------------------
    def _decode(self, data: ImageBytes) -> DecodeResult:
        return decode_image(
            data, max_bytes=self.config.max_image_bytes, max_pixels=self.config.max_image_pixels
        )

    def _embed_decoded(self, decoded: Sequence[DecodeResult]) -> list[EmbeddingResult]:
        models = self.load()
        prepared = [self._prepare(models, item) for item in decoded]
        crops = [p.crop for p in prepared if p.crop is not None]
        features = self._recognise(models, crops)
        fingerprint = models.manifest.fingerprint
        results: list[EmbeddingResult] = []
        row = 0
        for item in prepared:
            embedding = None
            if item.crop is not None:
                embedding = Embedding.from_raw(features[row], fingerprint)
                row += 1
            results.append(
                EmbeddingResult(
                    embedding,
                    item.reasons,
                    item.face,
                    item.faces_detected,
                    fingerprint,
                    item.detail,
                )
            )
        return results

    def _recognise(
        self, models: LoadedModels, crops: list[NDArray[np.uint8]]
    ) -> NDArray[np.float32]:
        if not crops:
            return np.zeros((0, models.embedding_dim), dtype=np.float32)
        size = self.config.batch_size
        parts = [
            np.asarray(models.recogniser.get_feat(crops[i : i + size]))
            for i in range(0, len(crops), size)
        ]
        return np.concatenate(parts).astype(np.float32, copy=False)

    def _prepare(self, models: LoadedModels, decoded: DecodeResult) -> _Prepared:
        cfg = self.config
        img = decoded.image
        if img is None:
            return _Prepared((UNREADABLE_IMAGE,), None, None, 0, decoded.detail)
        det, kps = models.detector.detect(
            img, input_size=(cfg.det_size, cfg.det_size), det_thresh=_floor(cfg)
        )
        if det.shape[0] == 0 or kps is None:
            return _Prepared((NO_FACE,), None, None, 0)
        widths = det[:, 2] - det[:, 0]
        heights = det[:, 3] - det[:, 1]
        short = np.minimum(widths, heights)
        area = widths * heights
        usable = (det[:, 4] >= cfg.min_det_score) & (short >= cfg.min_face_px)
        if not usable.any():
            i = int(np.argmax(area))
            reasons = []
            if det[i, 4] < cfg.min_det_score:
                reasons.append(LOW_DET_SCORE)
            if short[i] < cfg.min_face_px:
                reasons.append(FACE_TOO_SMALL)
            return _Prepared(tuple(reasons), _box(det[i], kps[i]), None, int(det.shape[0]))
        i = int(np.argmax(np.where(usable, area, -1.0)))
        flags = (MULTIPLE_FACES,) if int(usable.sum()) > 1 else ()
        crop = norm_crop(img, kps[i], image_size=models.recogniser.input_size[0])
        if crop is None:  # degenerate landmarks: nothing face-like to align
            return _Prepared((NO_FACE,), _box(det[i], kps[i]), None, int(det.shape[0]))
        return _Prepared(flags, _box(det[i], kps[i]), crop, int(det.shape[0]))


def _box(det_row: NDArray[np.float32], kps: NDArray[np.float32]) -> FaceBox:
    return FaceBox(
        x1=float(det_row[0]),
        y1=float(det_row[1]),
        x2=float(det_row[2]),
        y2=float(det_row[3]),
        score=float(det_row[4]),
        landmarks=tuple((float(x), float(y)) for x, y in kps),
    )
