"""Calibration, photo cache and benchmark on the real offline photos."""

from __future__ import annotations

import json

import numpy as np

from ingest.face.bench import run_benchmark
from ingest.face.calibrate import far_threshold, format_report, run_calibration
from ingest.face.config import FaceConfig
from ingest.face.engine import FaceEngine
from ingest.face.images import decode_image
from ingest.face.photos import PHOTO_SOURCES, Photo, fetch_photos, make_capture


def test_calibration_supports_the_default_thresholds(
    face_config: FaceConfig, face_engine: FaceEngine
) -> None:
    """GIVEN the offline photos with their degradations (the documented calibration set)
    WHEN the ROC/DET table is computed
    THEN it matches docs/face.md: no impostor reaches the match threshold, no cross-photo
    genuine pair misses it, and TAR at FAR 1e-3 is at least 0.98."""
    report = run_calibration(face_config, engine=face_engine)
    assert report.identities == 11
    assert report.impostor_pairs > 5000 and report.genuine_cross_photo_pairs > 300
    assert report.at_match_threshold.far == 0.0
    assert report.at_match_threshold.frr_cross_photo == 0.0
    assert report.at_match_threshold.frr < 0.03
    assert report.at_fraud_threshold.far == 0.0
    assert report.impostor_max < face_config.match_threshold < report.genuine_cross_photo_min
    by_target = {p.far_target: p for p in report.roc}
    assert by_target[1e-3].tar >= 0.98 and by_target[1e-3].far <= 1e-3
    assert report.eer < 0.01
    text = format_report(report)
    assert "FAR target" in text and "EER" in text
    json.dumps(report.to_dict())  # serialisable for the CLI's --json


def test_far_threshold_counts_false_accepts() -> None:
    """GIVEN 1000 impostor scores 0.000..0.999
    WHEN the threshold for FAR 1e-2 is asked
    THEN exactly 10 impostors score at or above it."""
    impostor = np.arange(1000) / 1000.0
    t = far_threshold(impostor, 1e-2)
    assert int((impostor >= t).sum()) == 10


def test_photo_cache_is_idempotent_and_hash_pinned(
    face_config: FaceConfig, photos: dict[str, Photo]
) -> None:
    """GIVEN the photos already fetched
    WHEN they are fetched again
    THEN nothing changes and photos.json records every pinned SHA-256."""
    before = {k: p.path.stat().st_mtime_ns for k, p in photos.items()}
    again = fetch_photos(face_config)
    assert {k: p.path.stat().st_mtime_ns for k, p in again.items()} == before
    index = json.loads((face_config.cache_dir / "photos" / "photos.json").read_text())
    assert {k: v["sha256"] for k, v in index.items()} == {s.key: s.sha256 for s in PHOTO_SOURCES}


def test_make_capture_is_deterministic_and_capture_like(photos: dict[str, Photo]) -> None:
    """GIVEN a photo
    WHEN a capture is made twice with one seed and once with another
    THEN equal seeds give equal JPEG bytes, other seeds differ, and the frame is 1280x720."""
    source = photos["biden"].read_bgr()
    a, b, c = make_capture(source, 3), make_capture(source, 3), make_capture(source, 4)
    assert a == b and a != c
    decoded = decode_image(a, max_bytes=1 << 24, max_pixels=1 << 24)
    assert decoded.image is not None and decoded.image.shape == (720, 1280, 3)


def test_benchmark_runs_all_three_paths(face_config: FaceConfig, photos: dict[str, Photo]) -> None:
    """GIVEN a few capture-like images
    WHEN the benchmark runs once
    THEN the engine, bare onnxruntime and InsightFace-loop paths all embed every face."""
    images = [
        make_capture(photos[k].read_bgr(), seed=i)
        for i, k in enumerate(("obama", "biden", "astronaut"))
    ]
    result = run_benchmark(face_config, images=images, repeats=1)
    assert [p.name for p in result.paths] == ["engine", "bare_onnxruntime", "insightface_loop"]
    for path in result.paths:
        assert path.faces >= 3 and path.faces_per_second > 0
