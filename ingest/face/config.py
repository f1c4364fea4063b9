"""Face-verification configuration, read from the environment at run time.

Nothing here touches the environment at import time: call :meth:`FaceConfig.from_env`
(or build a :class:`FaceConfig` directly, e.g. in tests) when the engine is created.

Environment variables (all optional): ``SITEPASS_HOME`` and ``SITEPASS_FACE_*``, declared
with their defaults and meanings in :data:`ingest.config.VARIABLES` (sub-tree ``face``;
listed in ``docs/configuration.md``) and read through that table.
"""

from __future__ import annotations

import math
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest import config as table
from ingest.errors import ConfigError

# Chosen from the calibration run documented in docs/face.md (SFace, dequantised).
DEFAULT_MATCH_THRESHOLD = 0.48
DEFAULT_FRAUD_THRESHOLD = 0.60
DEFAULT_MIN_FACE_PX = 40
DEFAULT_MIN_DET_SCORE = 0.70
DEFAULT_DET_SIZE = 640
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000
DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
DEFAULT_PROVIDERS: tuple[str, ...] = ("CPUExecutionProvider",)
DEFAULT_BATCH_SIZE = 32
MAX_THREADS_DEFAULT = 4

ENV_PREFIX = "SITEPASS_FACE_"


class FaceConfigError(ConfigError):
    """A face configuration value is missing, malformed or out of range."""


def _derived_threshold_version(match: float, fraud: float) -> str:
    return f"cos-m{match:.3f}-f{fraud:.3f}"


@dataclass(frozen=True, slots=True)
class FaceConfig:
    """Validated, immutable settings of the face-verification library."""

    model_dir: Path
    cache_dir: Path
    insightface_pack_dir: Path | None = None
    match_threshold: float = DEFAULT_MATCH_THRESHOLD
    fraud_threshold: float = DEFAULT_FRAUD_THRESHOLD
    threshold_version: str = ""
    min_face_px: int = DEFAULT_MIN_FACE_PX
    min_det_score: float = DEFAULT_MIN_DET_SCORE
    det_size: int = DEFAULT_DET_SIZE
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    providers: tuple[str, ...] = DEFAULT_PROVIDERS
    intra_op_threads: int = 1
    batch_size: int = DEFAULT_BATCH_SIZE
    pip_command: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("match_threshold", "fraud_threshold", "min_det_score"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise FaceConfigError(f"{name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise FaceConfigError(f"{name} must be finite, got {value!r}")
        if not -1.0 <= self.match_threshold <= 1.0:
            raise FaceConfigError(f"match_threshold must be in [-1, 1], got {self.match_threshold}")
        if not self.match_threshold <= self.fraud_threshold <= 1.0:
            raise FaceConfigError(
                "fraud_threshold must be in [match_threshold, 1] "
                f"(got fraud={self.fraud_threshold}, match={self.match_threshold})"
            )
        if not 0.0 < self.min_det_score < 1.0:
            raise FaceConfigError(f"min_det_score must be in (0, 1), got {self.min_det_score}")
        _check_int("min_face_px", self.min_face_px, 8, 4096)
        _check_int("det_size", self.det_size, 160, 1920)
        if self.det_size % 32:
            raise FaceConfigError(f"det_size must be a multiple of 32, got {self.det_size}")
        _check_int("max_image_pixels", self.max_image_pixels, 64 * 64, 400_000_000)
        _check_int("max_image_bytes", self.max_image_bytes, 1024, 1 << 30)
        _check_int("intra_op_threads", self.intra_op_threads, 1, 256)
        _check_int("batch_size", self.batch_size, 1, 1024)
        if not self.providers or not all(isinstance(p, str) and p for p in self.providers):
            raise FaceConfigError(
                f"providers must be non-empty provider names, got {self.providers!r}"
            )
        if not all(isinstance(p, str) and p for p in self.pip_command):
            raise FaceConfigError(
                f"pip_command must be a sequence of strings, got {self.pip_command!r}"
            )
        for name in ("model_dir", "cache_dir"):
            if not isinstance(getattr(self, name), Path):
                raise FaceConfigError(f"{name} must be a pathlib.Path")
        if self.insightface_pack_dir is not None and not isinstance(
            self.insightface_pack_dir, Path
        ):
            raise FaceConfigError("insightface_pack_dir must be a pathlib.Path or None")
        if not self.threshold_version:
            object.__setattr__(
                self,
                "threshold_version",
                _derived_threshold_version(self.match_threshold, self.fraud_threshold),
            )

    @classmethod
    def for_home(cls, home: Path, **overrides: object) -> FaceConfig:
        """Defaults rooted at ``home`` (``home/models/face``, ``home/cache``)."""
        values: dict[str, object] = {
            "model_dir": home / "models" / "face",
            "cache_dir": home / "cache",
            "intra_op_threads": _default_threads(),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FaceConfig:
        """Build the configuration from ``SITEPASS_HOME`` and ``SITEPASS_FACE_*``."""
        env = os.environ if environ is None else environ
        home = (table.path("SITEPASS_HOME", env) or Path("./.sitepass")).absolute()

        def get(name: str) -> str | None:
            return table.text(ENV_PREFIX + name, env)

        def where(name: str) -> Path | None:
            found = table.path(ENV_PREFIX + name, env)
            return None if found is None else found.absolute()

        providers = get("PROVIDERS") or ",".join(DEFAULT_PROVIDERS)
        pip = get("PIP")
        try:
            return cls(
                model_dir=where("MODEL_DIR") or home / "models" / "face",
                cache_dir=where("CACHE_DIR") or home / "cache",
                insightface_pack_dir=where("INSIGHTFACE_PACK"),
                match_threshold=_float(env, "MATCH_THRESHOLD", DEFAULT_MATCH_THRESHOLD),
                fraud_threshold=_float(env, "FRAUD_THRESHOLD", DEFAULT_FRAUD_THRESHOLD),
                threshold_version=get("THRESHOLD_VERSION") or "",
                min_face_px=_int(env, "MIN_FACE_PX", DEFAULT_MIN_FACE_PX),
                min_det_score=_float(env, "MIN_DET_SCORE", DEFAULT_MIN_DET_SCORE),
                det_size=_int(env, "DET_SIZE", DEFAULT_DET_SIZE),
                max_image_pixels=_int(env, "MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS),
                max_image_bytes=_int(env, "MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES),
                providers=tuple(p.strip() for p in providers.split(",") if p.strip()),
                intra_op_threads=_int(env, "THREADS", _default_threads()),
                batch_size=_int(env, "BATCH", DEFAULT_BATCH_SIZE),
                pip_command=tuple(shlex.split(pip)) if pip else (),
            )
        except ConfigError as exc:
            if isinstance(exc, FaceConfigError):
                raise
            raise FaceConfigError(str(exc)) from exc

    def with_overrides(self, **changes: object) -> FaceConfig:
        """A copy with some fields replaced (re-validated; version re-derived if unset)."""
        if (
            "match_threshold" in changes or "fraud_threshold" in changes
        ) and "threshold_version" not in changes:
            changes["threshold_version"] = ""
        return replace(self, **changes)  # type: ignore[arg-type]


def _default_threads() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_THREADS_DEFAULT))


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FaceConfigError(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise FaceConfigError(f"{name} must be in [{low}, {high}], got {value}")


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    value = table.number(ENV_PREFIX + name, env)
    return default if value is None else value


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = table.integer(ENV_PREFIX + name, env)
    return default if value is None else value
