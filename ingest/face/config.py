"""Face-verification configuration, read from the environment at run time.

Nothing here touches the environment at import time: call :meth:`FaceConfig.from_env`
(or build a :class:`FaceConfig` directly, e.g. in tests) when the engine is created.

Environment variables (all optional):

=================================  ===================================================
``SITEPASS_HOME``                  base dir, default ``./.sitepass``
``SITEPASS_FACE_MODEL_DIR``        converted model pack, default ``$SITEPASS_HOME/models/face``
``SITEPASS_FACE_CACHE_DIR``        downloaded wheels/sdists/photos, default ``$SITEPASS_HOME/cache``
``SITEPASS_FACE_INSIGHTFACE_PACK`` operator-placed InsightFace pack dir (e.g. ``buffalo_l``);
                                   when set it replaces the default YuNet+SFace pack
``SITEPASS_FACE_MATCH_THRESHOLD``  cosine similarity at/above which a capture matches
``SITEPASS_FACE_FRAUD_THRESHOLD``  stricter cosine for "same person under two identities"
``SITEPASS_FACE_THRESHOLD_VERSION`` label stamped on every decision (derived if unset)
``SITEPASS_FACE_MIN_FACE_PX``      shorter side of the face box, in source pixels
``SITEPASS_FACE_MIN_DET_SCORE``    detector confidence needed to decide
``SITEPASS_FACE_DET_SIZE``         detector input: longest side in pixels, multiple of 32
``SITEPASS_FACE_MAX_IMAGE_PIXELS`` decompression-bomb guard (width*height)
``SITEPASS_FACE_MAX_IMAGE_BYTES``  encoded size guard
``SITEPASS_FACE_PROVIDERS``        comma-separated onnxruntime providers
``SITEPASS_FACE_THREADS``          onnxruntime intra-op threads per session
``SITEPASS_FACE_BATCH``            recognition batch size
``SITEPASS_FACE_PIP``              command used to ``pip download`` (e.g. ``python3 -m pip``)
=================================  ===================================================
"""

from __future__ import annotations

import math
import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

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


class FaceConfigError(ValueError):
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
        home = Path(env.get("SITEPASS_HOME") or "./.sitepass").expanduser().absolute()

        def get(name: str) -> str | None:
            raw = env.get(ENV_PREFIX + name)
            if raw is None or not raw.strip():
                return None
            return raw.strip()

        model_dir = get("MODEL_DIR")
        cache_dir = get("CACHE_DIR")
        pack = get("INSIGHTFACE_PACK")
        providers = get("PROVIDERS")
        pip = get("PIP")
        return cls(
            model_dir=Path(model_dir).expanduser().absolute()
            if model_dir
            else home / "models" / "face",
            cache_dir=Path(cache_dir).expanduser().absolute() if cache_dir else home / "cache",
            insightface_pack_dir=Path(pack).expanduser().absolute() if pack else None,
            match_threshold=_float(get, "MATCH_THRESHOLD", DEFAULT_MATCH_THRESHOLD),
            fraud_threshold=_float(get, "FRAUD_THRESHOLD", DEFAULT_FRAUD_THRESHOLD),
            threshold_version=get("THRESHOLD_VERSION") or "",
            min_face_px=_int(get, "MIN_FACE_PX", DEFAULT_MIN_FACE_PX),
            min_det_score=_float(get, "MIN_DET_SCORE", DEFAULT_MIN_DET_SCORE),
            det_size=_int(get, "DET_SIZE", DEFAULT_DET_SIZE),
            max_image_pixels=_int(get, "MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS),
            max_image_bytes=_int(get, "MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES),
            providers=(
                tuple(p.strip() for p in providers.split(",") if p.strip())
                if providers
                else DEFAULT_PROVIDERS
            ),
            intra_op_threads=_int(get, "THREADS", _default_threads()),
            batch_size=_int(get, "BATCH", DEFAULT_BATCH_SIZE),
            pip_command=tuple(shlex.split(pip)) if pip else (),
        )

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


def _float(get: Callable[[str], str | None], name: str, default: float) -> float:
    raw = get(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise FaceConfigError(f"{ENV_PREFIX}{name} must be a number, got {raw!r}") from exc


def _int(get: Callable[[str], str | None], name: str, default: int) -> int:
    raw = get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise FaceConfigError(f"{ENV_PREFIX}{name} must be an integer, got {raw!r}") from exc
