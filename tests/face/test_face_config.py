"""FaceConfig: built from the environment at run time, validated, immutable."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ingest.face.config import FaceConfig, FaceConfigError


def test_defaults_are_rooted_at_sitepass_home(tmp_path: Path) -> None:
    """GIVEN only SITEPASS_HOME
    WHEN the config is read from the environment
    THEN model and cache dirs live under it and the calibrated thresholds apply."""
    config = FaceConfig.from_env({"SITEPASS_HOME": str(tmp_path)})
    assert config.model_dir == tmp_path / "models" / "face"
    assert config.cache_dir == tmp_path / "cache"
    assert config.insightface_pack_dir is None
    assert (config.match_threshold, config.fraud_threshold) == (0.48, 0.60)
    assert config.threshold_version == "cos-m0.480-f0.600"
    assert config.providers == ("CPUExecutionProvider",)


def test_default_home_is_relative_dot_sitepass() -> None:
    """GIVEN an empty environment
    WHEN the config is read
    THEN SITEPASS_HOME defaults to ./.sitepass (made absolute)."""
    config = FaceConfig.from_env({})
    assert config.model_dir == Path("./.sitepass").absolute() / "models" / "face"


def test_every_variable_is_read(tmp_path: Path) -> None:
    """GIVEN all SITEPASS_FACE_* variables
    WHEN the config is read
    THEN each field takes its variable's value."""
    env = {
        "SITEPASS_FACE_MODEL_DIR": str(tmp_path / "m"),
        "SITEPASS_FACE_CACHE_DIR": str(tmp_path / "c"),
        "SITEPASS_FACE_INSIGHTFACE_PACK": str(tmp_path / "buffalo_l"),
        "SITEPASS_FACE_MATCH_THRESHOLD": "0.5",
        "SITEPASS_FACE_FRAUD_THRESHOLD": "0.7",
        "SITEPASS_FACE_THRESHOLD_VERSION": "site-2026-q4",
        "SITEPASS_FACE_MIN_FACE_PX": "64",
        "SITEPASS_FACE_MIN_DET_SCORE": "0.8",
        "SITEPASS_FACE_DET_SIZE": "320",
        "SITEPASS_FACE_MAX_IMAGE_PIXELS": "1000000",
        "SITEPASS_FACE_MAX_IMAGE_BYTES": "2000000",
        "SITEPASS_FACE_PROVIDERS": "CUDAExecutionProvider, CPUExecutionProvider",
        "SITEPASS_FACE_THREADS": "3",
        "SITEPASS_FACE_BATCH": "8",
        "SITEPASS_FACE_PIP": "/usr/bin/python3 -m pip",
    }
    c = FaceConfig.from_env(env)
    assert (c.model_dir, c.cache_dir, c.insightface_pack_dir) == (
        tmp_path / "m",
        tmp_path / "c",
        tmp_path / "buffalo_l",
    )
    assert (c.match_threshold, c.fraud_threshold, c.threshold_version) == (0.5, 0.7, "site-2026-q4")
    assert (c.min_face_px, c.min_det_score, c.det_size) == (64, 0.8, 320)
    assert (c.max_image_pixels, c.max_image_bytes) == (1_000_000, 2_000_000)
    assert c.providers == ("CUDAExecutionProvider", "CPUExecutionProvider")
    assert (c.intra_op_threads, c.batch_size) == (3, 8)
    assert c.pip_command == ("/usr/bin/python3", "-m", "pip")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MATCH_THRESHOLD", "high"),
        ("MATCH_THRESHOLD", "1.5"),
        ("FRAUD_THRESHOLD", "0.3"),  # below the match threshold
        ("MIN_DET_SCORE", "1.0"),
        ("DET_SIZE", "500"),  # not a multiple of 32
        ("MIN_FACE_PX", "2"),
        ("THREADS", "0"),
        ("MAX_IMAGE_BYTES", "ten"),
        ("MATCH_THRESHOLD", "nan"),
    ],
)
def test_invalid_values_are_rejected(name: str, value: str) -> None:
    """GIVEN one invalid SITEPASS_FACE_* value
    WHEN the config is read
    THEN FaceConfigError names the problem."""
    with pytest.raises(FaceConfigError):
        FaceConfig.from_env({"SITEPASS_FACE_" + name: value})


def test_config_is_frozen_and_overrides_rederive_the_version(tmp_path: Path) -> None:
    """GIVEN a config
    WHEN a field is assigned, or a copy with another match threshold is made
    THEN assignment fails and the copy's threshold version follows the new threshold."""
    config = FaceConfig.for_home(tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.match_threshold = 0.1  # type: ignore[misc]
    assert config.with_overrides(match_threshold=0.5).threshold_version == "cos-m0.500-f0.600"
