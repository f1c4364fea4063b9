"""Threshold calibration on the offline real photos plus degradations.

Identities: the photos of :mod:`ingest.face.photos` (Obama x3, Biden, Tom Hanks, Eileen
Collins, the cameraman) and the six people of ``t1.jpg`` (cropped one by one). Every
source image also appears degraded (JPEG quality, blur, down-scaling, exposure and
"capture-like" framing), see :data:`AUGMENTATIONS`. All pairs of embedded samples are
scored: same person = genuine (``cross-photo`` when the two sources are different
photos, the hard case), different people = impostor.

Caveat, also in docs/face.md: 11 identities and 3 genuinely different photos of one
person are far too few for a production error rate; the table is a sanity check of the
threshold's order of magnitude, not a certification. Re-run on real enrolment/capture
pairs once the platform has them (``run_calibration`` accepts any labelled images).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ingest.face.config import FaceConfig
from ingest.face.engine import FaceEngine
from ingest.face.photos import (
    blur_variant,
    brightness_variant,
    crop_around,
    fetch_photos,
    jpeg_variant,
    make_capture,
    scale_variant,
)
from ingest.face.results import Embedding

log = logging.getLogger(__name__)

Image = NDArray[np.uint8]
FAR_TARGETS = (1e-1, 1e-2, 1e-3)


def _capture(seed: int) -> Callable[[Image], Image]:
    def apply(img: Image) -> Image:
        import cv2

        data = make_capture(img, seed)
        return np.asarray(
            cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), dtype=np.uint8
        )

    return apply


AUGMENTATIONS: tuple[tuple[str, Callable[[Image], Image]], ...] = (
    ("original", lambda img: img),
    ("jpeg_q40", lambda img: jpeg_variant(img, 40)),
    ("jpeg_q15", lambda img: jpeg_variant(img, 15)),
    ("blur_s1.5", lambda img: blur_variant(img, 1.5)),
    ("blur_s3", lambda img: blur_variant(img, 3.0)),
    ("scale_0.5", lambda img: scale_variant(img, 0.5)),
    ("scale_0.3", lambda img: scale_variant(img, 0.3)),
    ("dark_0.45", lambda img: brightness_variant(img, 0.45)),
    ("bright_1.5", lambda img: brightness_variant(img, 1.5, 20.0)),
    ("capture_a", _capture(1)),
    ("capture_b", _capture(2)),
    ("combo", lambda img: jpeg_variant(blur_variant(scale_variant(img, 0.5), 1.0), 35)),
)


@dataclass(frozen=True, slots=True)
class LabelledImage:
    person: str
    source: str  # which original photo
    variant: str
    image: Image


@dataclass(frozen=True, slots=True)
class RocPoint:
    far_target: float
    threshold: float
    far: float
    tar: float
    tar_cross_photo: float


@dataclass(frozen=True, slots=True)
class ThresholdCheck:
    threshold: float
    far: float
    frr: float
    frr_cross_photo: float


@dataclass(frozen=True, slots=True)
class CalibrationReport:
    model_fingerprint: str
    samples: int
    failed: dict[str, int]
    identities: int
    genuine_pairs: int
    genuine_cross_photo_pairs: int
    impostor_pairs: int
    roc: tuple[RocPoint, ...]
    eer: float
    eer_threshold: float
    genuine_cross_photo_min: float
    genuine_cross_photo_median: float
    genuine_min: float
    impostor_max: float
    impostor_p999: float
    at_match_threshold: ThresholdCheck
    at_fraud_threshold: ThresholdCheck
    failed_variants: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def source_faces(config: FaceConfig, engine: FaceEngine) -> list[tuple[str, str, Image]]:
    """``(person, source, BGR image)`` of every offline identity: the single-face photos as
    they are, and each face of the group photo t1.jpg cropped as a person of its own
    (``t1_face0`` ... ``t1_face5``). Also handy for planting synthetic captures."""
    photos = fetch_photos(config)
    faces: list[tuple[str, str, Image]] = []
    for key, photo in photos.items():
        image = photo.read_bgr()
        if photo.faces == 1:
            faces.append((photo.person, key, image))
            continue
        size = (config.det_size, config.det_size)
        det, _ = engine.load().detector.detect(image, input_size=size)
        for i, row in enumerate(det[: photo.faces]):
            crop = crop_around(image, (float(row[0]), float(row[1]), float(row[2]), float(row[3])))
            faces.append((f"{key}_face{i}", f"{key}_face{i}", crop))
    return faces


def labelled_images(config: FaceConfig, engine: FaceEngine) -> list[LabelledImage]:
    """Every source face (:func:`source_faces`) under every augmentation."""
    return [
        LabelledImage(person, source, name, augment(image))
        for person, source, image in source_faces(config, engine)
        for name, augment in AUGMENTATIONS
    ]


def far_threshold(impostor: NDArray[np.float64], target: float) -> float:
    """Lowest threshold whose false-accept rate (scores >= threshold) is <= ``target``."""
    if impostor.size == 0:
        return -1.0
    ranked = np.sort(impostor)[::-1]
    allowed = int(np.floor(target * ranked.size))
    if allowed >= ranked.size:
        return -1.0
    return float(np.nextafter(ranked[allowed], np.inf))


def check_threshold(
    threshold: float,
    genuine: NDArray[np.float64],
    cross: NDArray[np.float64],
    impostor: NDArray[np.float64],
) -> ThresholdCheck:
    return ThresholdCheck(
        threshold=threshold,
        far=float(np.mean(impostor >= threshold)) if impostor.size else 0.0,
        frr=float(np.mean(genuine < threshold)) if genuine.size else 0.0,
        frr_cross_photo=float(np.mean(cross < threshold)) if cross.size else 0.0,
    )


def equal_error_rate(
    genuine: NDArray[np.float64], impostor: NDArray[np.float64]
) -> tuple[float, float]:
    """(EER, threshold) by sweeping every observed score."""
    candidates = np.unique(np.concatenate([genuine, impostor]))
    best = (1.0, 0.0)
    best_gap = np.inf
    for t in candidates:
        far = float(np.mean(impostor >= t))
        frr = float(np.mean(genuine < t))
        gap = abs(far - frr)
        if gap < best_gap:
            best_gap, best = gap, ((far + frr) / 2.0, float(t))
    return best


def score_pairs(
    people: Sequence[str], sources: Sequence[str], embeddings: Sequence[Embedding]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(genuine, genuine cross-photo, impostor) cosine scores over all unordered pairs."""
    if not embeddings:
        empty = np.zeros(0)
        return empty, empty, empty
    matrix = np.stack([e.vector for e in embeddings]).astype(np.float64)
    sims = matrix @ matrix.T
    person = np.asarray(people)
    source = np.asarray(sources)
    iu, ju = np.triu_indices(len(embeddings), k=1)
    same = person[iu] == person[ju]
    cross = same & (source[iu] != source[ju])
    scores = sims[iu, ju]
    return scores[same], scores[cross], scores[~same]


def run_calibration(
    config: FaceConfig | None = None,
    *,
    engine: FaceEngine | None = None,
    images: Sequence[LabelledImage] | None = None,
) -> CalibrationReport:
    """Embed the labelled images, score all pairs and build the ROC/DET table."""
    cfg = config if config is not None else FaceConfig.from_env()
    eng = engine if engine is not None else FaceEngine(cfg)
    items = list(images) if images is not None else labelled_images(cfg, eng)
    results = eng.embed_images([item.image for item in items])
    failed: Counter[str] = Counter()
    failed_variants: Counter[str] = Counter()
    people: list[str] = []
    sources: list[str] = []
    embeddings: list[Embedding] = []
    for item, result in zip(items, results, strict=True):
        if result.embedding is None:
            failed[result.reasons[0] if result.reasons else "unknown"] += 1
            failed_variants[item.variant] += 1
            continue
        people.append(item.person)
        sources.append(item.source)
        embeddings.append(result.embedding)
    genuine, cross, impostor = score_pairs(people, sources, embeddings)
    roc = tuple(
        RocPoint(
            far_target=target,
            threshold=(t := far_threshold(impostor, target)),
            far=float(np.mean(impostor >= t)) if impostor.size else 0.0,
            tar=float(np.mean(genuine >= t)) if genuine.size else 0.0,
            tar_cross_photo=float(np.mean(cross >= t)) if cross.size else 0.0,
        )
        for target in FAR_TARGETS
    )
    eer, eer_t = (
        equal_error_rate(genuine, impostor) if genuine.size and impostor.size else (0.0, 0.0)
    )
    report = CalibrationReport(
        model_fingerprint=eng.model_fingerprint,
        samples=len(items),
        failed=dict(sorted(failed.items())),
        identities=len(set(people)),
        genuine_pairs=int(genuine.size),
        genuine_cross_photo_pairs=int(cross.size),
        impostor_pairs=int(impostor.size),
        roc=roc,
        eer=eer,
        eer_threshold=eer_t,
        genuine_cross_photo_min=float(cross.min()) if cross.size else float("nan"),
        genuine_cross_photo_median=float(np.median(cross)) if cross.size else float("nan"),
        genuine_min=float(genuine.min()) if genuine.size else float("nan"),
        impostor_max=float(impostor.max()) if impostor.size else float("nan"),
        impostor_p999=float(np.quantile(impostor, 0.999)) if impostor.size else float("nan"),
        at_match_threshold=check_threshold(cfg.match_threshold, genuine, cross, impostor),
        at_fraud_threshold=check_threshold(cfg.fraud_threshold, genuine, cross, impostor),
        failed_variants=dict(sorted(failed_variants.items())),
    )
    for line in format_report(report).splitlines():
        log.info("%s", line)
    return report


def format_report(report: CalibrationReport) -> str:
    """A plain-text table of the report (for logs, the CLI and docs)."""
    lines = [
        f"model fingerprint {report.model_fingerprint[:16]}",
        f"samples {report.samples} (not embedded: {report.failed or 'none'}), "
        f"identities {report.identities}",
        f"pairs: genuine {report.genuine_pairs} (cross-photo {report.genuine_cross_photo_pairs}), "
        f"impostor {report.impostor_pairs}",
        "FAR target | threshold |    FAR    |  TAR   | TAR cross-photo",
    ]
    for p in report.roc:
        lines.append(
            f"{p.far_target:10.0e} | {p.threshold:9.4f} | {p.far:9.5f} | "
            f"{p.tar:6.4f} | {p.tar_cross_photo:6.4f}"
        )
    lines.append(f"EER {report.eer:.4f} at threshold {report.eer_threshold:.4f}")
    lines.append(
        f"genuine min {report.genuine_min:.4f}; "
        f"cross-photo min {report.genuine_cross_photo_min:.4f} "
        f"median {report.genuine_cross_photo_median:.4f}; "
        f"impostor max {report.impostor_max:.4f} "
        f"p99.9 {report.impostor_p999:.4f}"
    )
    for label, check in (
        ("match", report.at_match_threshold),
        ("fraud", report.at_fraud_threshold),
    ):
        lines.append(
            f"{label} threshold {check.threshold:.3f}: FAR {check.far:.5f}, FRR {check.frr:.4f}, "
            f"FRR cross-photo {check.frr_cross_photo:.4f}"
        )
    return "\n".join(lines)


def calibrate_command(config: FaceConfig | None = None, json_out: Path | None = None) -> int:
    """Entry point for ``sitepass face calibrate``: log the table, optionally write JSON."""
    report = run_calibration(config)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
        log.info("calibration report written to %s", json_out)
    return 0
