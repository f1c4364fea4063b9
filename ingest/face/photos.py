"""Real face photos for tests, calibration and the synthetic city, fetched offline-safe.

No third-party photo is committed. :func:`fetch_photos` copies them, hash-pinned, into
``config.cache_dir/photos`` from distributions that come through the package registry:

* the ``face_recognition==1.3.0`` sdist (MIT; pip-downloaded, hash-pinned):
  ``obama.jpg``, ``obama2.jpg``, ``obama3.jpg`` (three photos of one person) and
  ``biden.jpg``;
* the installed ``insightface`` package: ``t1.jpg`` (a group of six people) and
  ``Tom_Hanks_54745.png`` (an aligned 112x112 crop);
* the installed ``scikit-image`` (an InsightFace dependency): ``astronaut.png``
  (Eileen Collins, NASA, public domain) and ``camera.png`` (the cameraman).

The ``*_variant`` / :func:`make_capture` helpers turn a photo into what a site terminal
would send: smaller in a larger frame, other exposure, JPEG-compressed. Planting a
genuine capture uses a photo of the enrolled person; a buddy punch uses a capture of
person B submitted under worker A.
"""

from __future__ import annotations

import importlib.resources
import json
import logging
import tarfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from ingest.face.config import FaceConfig
from ingest.face.errors import IntegrityError
from ingest.face.fetch import PinnedDist, fetch_dist, sha256_bytes, sha256_file
from ingest.face.images import decode_image, encode_jpeg

log = logging.getLogger(__name__)

FACE_RECOGNITION_SDIST = PinnedDist(
    project="face_recognition",
    version="1.3.0",
    filename="face_recognition-1.3.0.tar.gz",
    sha256="5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec",
    sdist=True,
)
_FR_PREFIX = "face_recognition-1.3.0/tests/test_images/"


@dataclass(frozen=True, slots=True)
class PhotoSource:
    key: str
    person: str  # identity label; "group" for multi-person photos
    origin: str  # face_recognition | insightface | skimage
    member: str  # path inside the sdist or the installed package
    sha256: str
    faces: int  # number of faces in the photo


PHOTO_SOURCES: tuple[PhotoSource, ...] = (
    PhotoSource(
        "obama",
        "obama",
        "face_recognition",
        _FR_PREFIX + "obama.jpg",
        "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6",
        1,
    ),
    PhotoSource(
        "obama2",
        "obama",
        "face_recognition",
        _FR_PREFIX + "obama2.jpg",
        "a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6",
        1,
    ),
    PhotoSource(
        "obama3",
        "obama",
        "face_recognition",
        _FR_PREFIX + "obama3.jpg",
        "76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3",
        1,
    ),
    PhotoSource(
        "biden",
        "biden",
        "face_recognition",
        _FR_PREFIX + "biden.jpg",
        "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c",
        1,
    ),
    PhotoSource(
        "t1",
        "group",
        "insightface",
        "data/images/t1.jpg",
        "47f682e945b659f93a9e490b9c9c4a2a864abe64dace9e1a2893845ddfd69489",
        6,
    ),
    PhotoSource(
        "tom_hanks",
        "tom_hanks",
        "insightface",
        "data/images/Tom_Hanks_54745.png",
        "8545da294e8c7c79911169c3915fed8528f1960cd0ed99b92453788ca4275083",
        1,
    ),
    PhotoSource(
        "astronaut",
        "eileen_collins",
        "skimage",
        "data/astronaut.png",
        "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
        1,
    ),
    PhotoSource(
        "camera",
        "cameraman",
        "skimage",
        "data/camera.png",
        "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
        1,
    ),
)


@dataclass(frozen=True, slots=True)
class Photo:
    key: str
    person: str
    path: Path
    sha256: str
    faces: int

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    def read_bgr(self) -> NDArray[np.uint8]:
        result = decode_image(self.read_bytes(), max_bytes=1 << 26, max_pixels=1 << 26)
        if result.image is None:
            raise IntegrityError(f"{self.path}: cannot decode ({result.detail})")
        return result.image


def _package_file(package: str, member: str) -> bytes:
    return importlib.resources.files(package).joinpath(member).read_bytes()


def _source_bytes(source: PhotoSource, config: FaceConfig, sdist: list[Path]) -> bytes:
    if source.origin == "face_recognition":
        if not sdist:
            sdist.append(
                fetch_dist(FACE_RECOGNITION_SDIST, config.cache_dir / "sdists", config.pip_command)
            )
        with tarfile.open(sdist[0], "r:gz") as archive:
            member = archive.extractfile(source.member)
            if member is None:
                raise IntegrityError(f"{sdist[0].name} has no {source.member}")
            return member.read()
    return _package_file(source.origin, source.member)


def fetch_photos(config: FaceConfig) -> dict[str, Photo]:
    """Copy the pinned photos into ``cache_dir/photos`` (idempotent) and return them by key."""
    target_dir = config.cache_dir / "photos"
    target_dir.mkdir(parents=True, exist_ok=True)
    sdist: list[Path] = []
    photos: dict[str, Photo] = {}
    for source in PHOTO_SOURCES:
        path = target_dir / f"{source.key}{Path(source.member).suffix}"
        if not (path.is_file() and sha256_file(path) == source.sha256):
            data = _source_bytes(source, config, sdist)
            actual = sha256_bytes(data)
            if actual != source.sha256:
                raise IntegrityError(
                    f"photo {source.key} ({source.member}): "
                    f"SHA-256 {actual} != pinned {source.sha256}"
                )
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
            log.info("cached photo %s -> %s", source.key, path)
        photos[source.key] = Photo(source.key, source.person, path, source.sha256, source.faces)
    record = {
        k: {"person": p.person, "file": p.path.name, "sha256": p.sha256, "faces": p.faces}
        for k, p in photos.items()
    }
    index = target_dir / "photos.json"
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    if not index.is_file() or index.read_text(encoding="utf-8") != text:
        index.write_text(text, encoding="utf-8")
    return photos


# -- variants -------------------------------------------------------------------------


def jpeg_variant(image: NDArray[np.uint8], quality: int) -> NDArray[np.uint8]:
    """Round-trip through JPEG at ``quality``."""
    decoded = cv2.imdecode(np.frombuffer(encode_jpeg(image, quality), np.uint8), cv2.IMREAD_COLOR)
    return np.asarray(decoded, dtype=np.uint8)


def blur_variant(image: NDArray[np.uint8], sigma: float) -> NDArray[np.uint8]:
    """Gaussian blur (defocus / motion-free camera shake)."""
    return np.asarray(cv2.GaussianBlur(image, (0, 0), sigmaX=float(sigma)), dtype=np.uint8)


def scale_variant(image: NDArray[np.uint8], factor: float) -> NDArray[np.uint8]:
    """Downscale by ``factor`` (fewer pixels on the face, as from a distant camera)."""
    h, w = image.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def brightness_variant(
    image: NDArray[np.uint8], gain: float, offset: float = 0.0
) -> NDArray[np.uint8]:
    """``pixel * gain + offset``, clipped (under/over-exposure)."""
    return np.asarray(np.clip(image.astype(np.float32) * gain + offset, 0, 255), dtype=np.uint8)


def make_capture(
    image: NDArray[np.uint8] | bytes,
    seed: int | np.random.Generator = 0,
    *,
    frame: tuple[int, int] = (1280, 720),
    fill: tuple[float, float] = (0.55, 0.9),
    gain: tuple[float, float] = (0.7, 1.25),
    quality: tuple[int, int] = (55, 85),
    noise_sigma: float = 3.0,
) -> bytes:
    """A capture-like JPEG: the photo shrunk into a ``frame`` (w, h) at a random place,
    with random exposure ``gain``, sensor noise and JPEG ``quality``; deterministic per seed.

    ``fill`` is the range of the photo's height as a fraction of the frame height.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if isinstance(image, bytes):
        decoded = decode_image(image, max_bytes=1 << 26, max_pixels=1 << 26)
        if decoded.image is None:
            raise ValueError(f"cannot decode the source photo ({decoded.detail})")
        image = decoded.image
    fw, fh = frame
    h, w = image.shape[:2]
    scale = min(float(rng.uniform(*fill)) * fh / h, 0.95 * fw / w)
    photo = scale_variant(image, scale) if scale < 1.0 else image
    ph, pw = photo.shape[:2]
    ph, pw = min(ph, fh), min(pw, fw)
    # A dull site-like background: vertical gradient plus low-frequency blotches.
    base = np.linspace(
        float(rng.uniform(60, 140)), float(rng.uniform(90, 200)), fh, dtype=np.float32
    )
    canvas = np.repeat(base[:, None, None], fw, axis=1).repeat(3, axis=2)
    blotches = cv2.resize(
        rng.normal(0, 18, (9, 16, 3)).astype(np.float32), (fw, fh), interpolation=cv2.INTER_CUBIC
    )
    canvas = canvas + blotches
    y = int(rng.integers(0, fh - ph + 1))
    x = int(rng.integers(0, fw - pw + 1))
    canvas[y : y + ph, x : x + pw] = photo[:ph, :pw].astype(np.float32)
    canvas = canvas * float(rng.uniform(*gain)) + rng.normal(0, noise_sigma, canvas.shape).astype(
        np.float32
    )
    out = np.clip(canvas, 0, 255).astype(np.uint8)
    return encode_jpeg(out, int(rng.integers(quality[0], quality[1] + 1)))


def crop_around(
    image: NDArray[np.uint8], box: tuple[float, float, float, float], margin: float = 0.8
) -> NDArray[np.uint8]:
    """Crop a face box with ``margin`` (fraction of the box size) on every side."""
    x1, y1, x2, y2 = box
    mw, mh = (x2 - x1) * margin, (y2 - y1) * margin
    h, w = image.shape[:2]
    left, top = max(0, int(x1 - mw)), max(0, int(y1 - mh))
    right, bottom = min(w, int(x2 + mw)), min(h, int(y2 + mh))
    return np.ascontiguousarray(image[top:bottom, left:right])
