"""Face verification for sitepass (see docs/face.md).

Public API (imported lazily, so ``import ingest.face`` stays cheap for DAG parsing)::

    from ingest.face import FaceConfig, FaceEngine, build_model_pack

    config = FaceConfig.from_env()
    build_model_pack(config)                 # once, at install / first use
    engine = FaceEngine(config)
    enrolment = engine.embed_enrolment(jpeg_bytes).embedding
    result = engine.verify(capture_bytes, enrolment)   # result.decision, .reasons, ...
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.face.calibrate import CalibrationReport, calibrate_command, run_calibration
    from ingest.face.config import FaceConfig, FaceConfigError
    from ingest.face.engine import FaceEngine
    from ingest.face.errors import FaceError, FetchError, IntegrityError, ModelPackError
    from ingest.face.images import DecodeResult, decode_image
    from ingest.face.modelpack import Manifest, build_model_pack, verify_model_pack
    from ingest.face.photos import fetch_photos, make_capture
    from ingest.face.results import (
        Embedding,
        EmbeddingResult,
        FaceBox,
        Verification,
        find_duplicate_enrolments,
        rank_gallery,
    )

_EXPORTS = {
    "CalibrationReport": "calibrate",
    "calibrate_command": "calibrate",
    "run_calibration": "calibrate",
    "FaceConfig": "config",
    "FaceConfigError": "config",
    "FaceEngine": "engine",
    "FaceError": "errors",
    "FetchError": "errors",
    "IntegrityError": "errors",
    "ModelPackError": "errors",
    "DecodeResult": "images",
    "decode_image": "images",
    "Manifest": "modelpack",
    "build_model_pack": "modelpack",
    "verify_model_pack": "modelpack",
    "fetch_photos": "photos",
    "make_capture": "photos",
    "Embedding": "results",
    "EmbeddingResult": "results",
    "FaceBox": "results",
    "Verification": "results",
    "find_duplicate_enrolments": "results",
    "rank_gallery": "results",
}
__all__ = [
    "CalibrationReport",
    "DecodeResult",
    "Embedding",
    "EmbeddingResult",
    "FaceBox",
    "FaceConfig",
    "FaceConfigError",
    "FaceEngine",
    "FaceError",
    "FetchError",
    "IntegrityError",
    "Manifest",
    "ModelPackError",
    "Verification",
    "build_model_pack",
    "calibrate_command",
    "decode_image",
    "fetch_photos",
    "find_duplicate_enrolments",
    "make_capture",
    "rank_gallery",
    "run_calibration",
    "verify_model_pack",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ingest.face' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ingest.face.{module}"), name)
