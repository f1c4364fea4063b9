"""Face verification on real photos: accept, reject, buddy punch, and every reason code."""

from __future__ import annotations

import shutil
import threading
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from ingest.face.config import FaceConfig
from ingest.face.engine import FaceEngine
from ingest.face.errors import ModelPackError
from ingest.face.images import encode_jpeg, encode_png
from ingest.face.modelpack import Manifest
from ingest.face.photos import Photo, crop_around, make_capture, scale_variant
from ingest.face.results import (
    Embedding,
    EmbeddingFormatError,
    find_duplicate_enrolments,
    rank_gallery,
)

OBAMAS = ("obama", "obama2", "obama3")
OTHERS = ("biden", "tom_hanks", "astronaut", "camera")


@pytest.mark.parametrize(("enrolled", "captured"), list(combinations(OBAMAS, 2)))
def test_same_person_different_photos_match(
    face_engine: FaceEngine,
    photos: dict[str, Photo],
    enrolments: dict[str, Embedding],
    enrolled: str,
    captured: str,
) -> None:
    """GIVEN Obama enrolled from one photo
    WHEN a different photo of Obama is verified against it
    THEN the decision is match, with a cosine well above the threshold."""
    result = face_engine.verify(photos[captured].read_bytes(), enrolments[enrolled])
    assert result.decision == "match"
    assert result.reasons == ("match",)
    assert result.similarity is not None and 0.6 < result.similarity <= 1.0
    assert result.threshold == face_engine.config.match_threshold


@pytest.mark.parametrize("other", OTHERS)
def test_different_people_are_rejected(
    face_engine: FaceEngine, photos: dict[str, Photo], enrolments: dict[str, Embedding], other: str
) -> None:
    """GIVEN Obama enrolled
    WHEN a photo of somebody else is verified against him
    THEN the decision is mismatch."""
    result = face_engine.verify(photos[other].read_bytes(), enrolments["obama"])
    assert result.decision == "mismatch"
    assert result.reasons == ("mismatch",)
    assert (
        result.similarity is not None
        and -1.0 <= result.similarity < face_engine.config.match_threshold
    )


def test_capture_like_variants_of_the_enrolled_person_match(
    face_engine: FaceEngine, photos: dict[str, Photo], enrolments: dict[str, Embedding]
) -> None:
    """GIVEN Obama enrolled from obama.jpg
    WHEN site-terminal-like captures (small in a frame, exposure, JPEG) of his other photos arrive
    THEN every one of them matches."""
    captures = [
        make_capture(photos[key].read_bgr(), seed=seed)
        for key in ("obama2", "obama3")
        for seed in range(3)
    ]
    results = face_engine.verify_many([(capture, enrolments["obama"]) for capture in captures])
    assert [r.decision for r in results] == ["match"] * len(captures)


def test_buddy_punch_is_a_mismatch_and_the_real_person_is_named(
    face_engine: FaceEngine, photos: dict[str, Photo], enrolments: dict[str, Embedding]
) -> None:
    """GIVEN workers A (Obama) and B (Biden) enrolled
    WHEN a capture of B is submitted under worker A
    THEN it is a mismatch, and B's enrolment is the only one above the stricter fraud threshold."""
    capture = make_capture(photos["biden"].read_bgr(), seed=7)
    result = face_engine.verify(capture, enrolments["obama"])
    assert result.decision == "mismatch"
    assert result.capture_embedding is not None
    gallery = {
        "worker-A": enrolments["obama"],
        "worker-B": enrolments["biden"],
        "worker-C": enrolments["astronaut"],
    }
    hits = rank_gallery(result.capture_embedding, gallery, face_engine.config.fraud_threshold)
    assert [name for name, _ in hits] == ["worker-B"]


def test_duplicate_enrolment_under_two_identities_is_found(
    face_config: FaceConfig, enrolments: dict[str, Embedding]
) -> None:
    """GIVEN a gallery where one face (Obama) is enrolled under two ID numbers
    WHEN duplicates are searched with the fraud threshold
    THEN exactly that pair is reported."""
    gallery = {
        "id-1": enrolments["obama"],
        "id-2": enrolments["biden"],
        "id-3": enrolments["obama3"],
        "id-4": enrolments["astronaut"],
    }
    pairs = find_duplicate_enrolments(gallery, face_config.fraud_threshold)
    assert [(a, b) for a, b, _ in pairs] == [("id-1", "id-3")]


def test_image_without_a_face_is_no_face(face_engine: FaceEngine, photos: dict[str, Photo]) -> None:
    """GIVEN a synthetic gradient and a real photo region without a face (Obama's suit)
    WHEN they are embedded
    THEN both report no_face and carry no embedding."""
    ramp = np.linspace(0, 255, 640, dtype=np.uint8)
    gradient = np.dstack(
        [np.tile(ramp, (480, 1)), np.tile(ramp[::-1], (480, 1)), np.full((480, 640), 90, np.uint8)]
    )
    suit = np.ascontiguousarray(photos["obama"].read_bgr()[500:, :])
    for image in (encode_png(gradient), encode_jpeg(suit)):
        result = face_engine.embed_enrolment(image)
        assert result.reasons == ("no_face",)
        assert result.embedding is None and result.faces_detected == 0


def test_verify_without_face_is_inconclusive(
    face_engine: FaceEngine, enrolments: dict[str, Embedding]
) -> None:
    """GIVEN an enrolment
    WHEN the capture shows no face
    THEN the decision is inconclusive with reason no_face and no similarity."""
    gray = encode_jpeg(np.full((480, 640, 3), 128, np.uint8))
    result = face_engine.verify(gray, enrolments["obama"])
    assert (result.decision, result.reasons, result.similarity) == (
        "inconclusive",
        ("no_face",),
        None,
    )


def test_truncated_jpeg_is_unreadable(
    face_engine: FaceEngine, photos: dict[str, Photo], enrolments: dict[str, Embedding]
) -> None:
    """GIVEN a real JPEG cut in half (libjpeg would return a grey-filled image)
    WHEN it is verified
    THEN the result is inconclusive with unreadable_image."""
    data = photos["obama2"].read_bytes()
    result = face_engine.verify(data[: len(data) // 2], enrolments["obama"])
    assert result.decision == "inconclusive"
    assert result.reasons == ("unreadable_image",)
    assert result.detail == "truncated"


def test_group_photo_flags_multiple_faces_and_verifies_the_largest(
    face_engine: FaceEngine, photos: dict[str, Photo]
) -> None:
    """GIVEN t1.jpg (six people) and an enrolment made from a crop of its largest face
    WHEN t1.jpg is verified against that enrolment
    THEN the decision is still match, and the reasons include multiple_faces."""
    group = photos["t1"].read_bgr()
    embedded = face_engine.embed_images([group])[0]
    assert embedded.faces_detected == 6 and "multiple_faces" in embedded.reasons
    assert embedded.face is not None
    largest = crop_around(
        group, (embedded.face.x1, embedded.face.y1, embedded.face.x2, embedded.face.y2)
    )
    enrolment = face_engine.embed_enrolment(encode_jpeg(largest, 95))
    assert enrolment.embedding is not None and enrolment.reasons == ()
    result = face_engine.verify(photos["t1"].read_bytes(), enrolment.embedding)
    assert result.decision == "match"
    assert result.reasons == ("match", "multiple_faces")


def test_small_face_is_face_too_small(
    face_engine: FaceEngine, photos: dict[str, Photo], enrolments: dict[str, Embedding]
) -> None:
    """GIVEN the astronaut photo shrunk until her face is ~26 px wide (min is 40 px)
    WHEN it is verified
    THEN the result is inconclusive with face_too_small."""
    tiny = encode_jpeg(scale_variant(photos["astronaut"].read_bgr(), 0.3))
    result = face_engine.verify(tiny, enrolments["astronaut"])
    assert result.decision == "inconclusive"
    assert result.reasons == ("face_too_small",)
    assert result.face is not None and result.face.short_side < face_engine.config.min_face_px


def test_low_detector_confidence_is_low_det_score(
    face_config: FaceConfig, model_pack: Manifest, photos: dict[str, Photo]
) -> None:
    """GIVEN an engine that demands detector confidence 0.99 (Obama's face scores ~0.95)
    WHEN his photo is embedded
    THEN it reports low_det_score and no embedding."""
    strict = FaceEngine(face_config.with_overrides(min_det_score=0.99))
    result = strict.embed_enrolment(photos["obama"].read_bytes())
    assert result.reasons == ("low_det_score",)
    assert result.embedding is None


def test_missing_or_foreign_enrolment_is_no_enrolment(
    face_engine: FaceEngine, photos: dict[str, Photo], enrolments: dict[str, Embedding]
) -> None:
    """GIVEN no enrolment, or one made by another model pack
    WHEN a good capture is verified
    THEN the result is inconclusive with no_enrolment (plus model_mismatch for the foreign one)."""
    capture = photos["obama2"].read_bytes()
    assert face_engine.verify(capture, None).reasons == ("no_enrolment",)
    foreign = Embedding(enrolments["obama"].vector, "0" * 64)
    result = face_engine.verify(capture, foreign)
    assert (result.decision, result.reasons) == ("inconclusive", ("no_enrolment", "model_mismatch"))


def test_results_are_stamped_with_fingerprint_and_threshold_version(
    face_engine: FaceEngine,
    model_pack: Manifest,
    photos: dict[str, Photo],
    enrolments: dict[str, Embedding],
) -> None:
    """GIVEN the engine on the built pack
    WHEN a capture is verified
    THEN result and embeddings carry the pack fingerprint and the configured threshold version."""
    result = face_engine.verify(photos["obama3"].read_bytes(), enrolments["obama"])
    assert result.model_fingerprint == model_pack.fingerprint == face_engine.model_fingerprint
    assert enrolments["obama"].model_fingerprint == model_pack.fingerprint
    assert result.threshold_version == face_engine.config.threshold_version == "cos-m0.480-f0.600"


def test_batch_verification_equals_single_verification(
    face_engine: FaceEngine, photos: dict[str, Photo], enrolments: dict[str, Embedding]
) -> None:
    """GIVEN a mix of good, faceless and broken captures
    WHEN they are verified as one batch and one by one
    THEN decisions, reasons and similarities agree."""
    pairs = [
        (photos["obama2"].read_bytes(), enrolments["obama"]),
        (b"not an image", enrolments["obama"]),
        (photos["biden"].read_bytes(), enrolments["obama"]),
        (photos["t1"].read_bytes(), enrolments["t1"]),
        (photos["astronaut"].read_bytes(), None),
    ]
    batch = face_engine.verify_many(pairs)
    single = [face_engine.verify(capture, enrolment) for capture, enrolment in pairs]
    for b, s in zip(batch, single, strict=True):
        assert (b.decision, b.reasons) == (s.decision, s.reasons)
        if b.similarity is not None and s.similarity is not None:
            assert abs(b.similarity - s.similarity) < 1e-4
    assert [b.decision for b in batch] == [
        "match",
        "inconclusive",
        "mismatch",
        "match",
        "inconclusive",
    ]


def test_embedding_serialisation_round_trip(enrolments: dict[str, Embedding]) -> None:
    """GIVEN an enrolment embedding
    WHEN it is serialised to bytes and back
    THEN vector and fingerprint are identical; corrupt bytes raise EmbeddingFormatError."""
    original = enrolments["obama"]
    data = original.to_bytes()
    assert len(data) == 40 + 4 * original.dim
    restored = Embedding.from_bytes(data)
    assert restored.model_fingerprint == original.model_fingerprint
    assert np.array_equal(restored.vector, original.vector) and restored.vector.dtype == np.float32
    assert abs(float(np.linalg.norm(restored.vector)) - 1.0) < 1e-5
    with pytest.raises(EmbeddingFormatError):
        Embedding.from_bytes(data[:-4])
    with pytest.raises(EmbeddingFormatError):
        Embedding.from_bytes(b"XXXX" + data[4:])
    with pytest.raises(EmbeddingFormatError):
        Embedding.from_bytes(
            data[:40] + (np.ones(original.dim, "<f4")).tobytes()
        )  # not unit length


def test_concurrent_first_use_loads_models_once(
    face_config: FaceConfig, model_pack: Manifest
) -> None:
    """GIVEN a fresh engine
    WHEN eight threads call load() at the same time
    THEN they all get the very same loaded models."""
    fresh = FaceEngine(face_config)
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(fresh.load())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and all(item is seen[0] for item in seen)


def test_operator_placed_insightface_pack_is_loaded(
    face_config: FaceConfig,
    model_pack: Manifest,
    photos: dict[str, Photo],
    enrolments: dict[str, Embedding],
    tmp_path: Path,
) -> None:
    """GIVEN an operator-placed InsightFace-style pack dir (plain ONNX files, no manifest;
    here our own two converted models, as buffalo_l cannot be downloaded)
    WHEN an engine is configured with SITEPASS_FACE_INSIGHTFACE_PACK pointing at it
    THEN InsightFace's model router loads it, the fingerprint covers its files, and it
    reproduces the default engine's embeddings."""
    pack = tmp_path / "operator_pack"
    pack.mkdir()
    for item in model_pack.files:
        shutil.copyfile(model_pack.pack_dir / item.name, pack / item.name)
    config = FaceConfig.from_env(
        {"SITEPASS_HOME": str(tmp_path), "SITEPASS_FACE_INSIGHTFACE_PACK": str(pack)}
    )
    operator = FaceEngine(config)
    assert operator.manifest.kind == "insightface"
    assert {f.role for f in operator.manifest.files} == {"detection", "recognition"}
    assert operator.model_fingerprint == model_pack.fingerprint  # same files, same fingerprint
    result = operator.embed_enrolment(photos["obama"].read_bytes())
    assert result.embedding is not None
    assert result.embedding.similarity(enrolments["obama"]) > 0.999
    assert not (tmp_path / "models").exists()  # the default pack was not built


def test_operator_pack_without_a_detector_is_refused(
    face_config: FaceConfig, model_pack: Manifest, tmp_path: Path
) -> None:
    """GIVEN an operator pack dir holding only a recogniser
    WHEN the engine loads
    THEN ModelPackError says a detection model is missing."""
    shutil.copyfile(model_pack.recogniser_path, tmp_path / model_pack.recogniser_path.name)
    engine = FaceEngine(face_config.with_overrides(insightface_pack_dir=tmp_path))
    with pytest.raises(ModelPackError, match="need a detection and a recognition model"):
        engine.load()
