"""Throughput benchmark: engine vs bare onnxruntime vs a naive InsightFace loop.

All three paths embed the same single-face images (the offline photos turned into
capture-like JPEGs); best of ``repeats`` interleaved timed runs after one warm-up:

* ``engine``: :meth:`FaceEngine.embed_many` on the JPEG bytes, end to end (safe decode,
  detection, alignment, recognition batched across images);
* ``bare_onnxruntime``: the same two onnxruntime sessions driven directly on
  pre-decoded images (YuNet pre/post-processing, ``norm_crop``, one batched SFace run);
* ``insightface_loop``: ``insightface.app.FaceAnalysis.get`` per pre-decoded image
  (the converted pack loaded through its manifest, YuNet plugged in as ``det_model``;
  recognition one face at a time).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from insightface.app import FaceAnalysis
from numpy.typing import NDArray

from ingest.face.align import norm_crop
from ingest.face.config import FaceConfig
from ingest.face.engine import FaceEngine, session_options
from ingest.face.errors import ModelPackError
from ingest.face.photos import fetch_photos, make_capture
from ingest.face.yunet import YuNetDetector

log = logging.getLogger(__name__)

Image = NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class PathResult:
    name: str
    images: int
    faces: int
    seconds: float

    @property
    def faces_per_second(self) -> float:
        return self.faces / self.seconds if self.seconds > 0 else float("inf")

    @property
    def ms_per_image(self) -> float:
        return 1000.0 * self.seconds / self.images if self.images else 0.0


@dataclass(frozen=True, slots=True)
class BenchResult:
    threads: int
    providers: tuple[str, ...]
    det_size: int
    paths: tuple[PathResult, ...]

    def format(self) -> str:
        lines = [
            f"threads={self.threads} providers={','.join(self.providers)} det_size={self.det_size}"
        ]
        lines += [
            f"{p.name:18s} {p.faces_per_second:7.1f} faces/s  {p.ms_per_image:6.1f} ms/image  "
            f"({p.faces} faces / {p.images} images in {p.seconds:.3f} s)"
            for p in self.paths
        ]
        return "\n".join(lines)


def bench_images(config: FaceConfig, per_photo: int = 4) -> list[bytes]:
    """Capture-like JPEGs of every single-face offline photo (deterministic)."""
    photos = [p for p in fetch_photos(config).values() if p.faces == 1]
    return [
        make_capture(p.read_bgr(), seed=1000 * i + j)
        for i, p in enumerate(photos)
        for j in range(per_photo)
    ]


def _interleaved(
    runners: dict[str, Callable[[], int]], repeats: int
) -> dict[str, tuple[float, int]]:
    """Best wall time per runner; runs are interleaved so load spikes hit all paths alike."""
    faces = {name: run() for name, run in runners.items()}  # warm-up (first shapes, caches)
    best = dict.fromkeys(runners, float("inf"))
    for _ in range(repeats):
        for name, run in runners.items():
            start = time.perf_counter()
            faces[name] = run()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: (best[name], faces[name]) for name in runners}


def bare_onnxruntime(engine: FaceEngine) -> Callable[[Sequence[Image]], int]:
    """Detector + recogniser sessions driven directly; returns a runner over decoded images."""
    models = engine.load()
    detector = models.detector
    if not isinstance(detector, YuNetDetector):
        raise ModelPackError("the bare onnxruntime path needs the default YuNet+SFace pack")
    rec_session = models.recogniser.session  # type: ignore[attr-defined]
    rec_input = rec_session.get_inputs()[0].name
    size = engine.config.det_size
    floor = min(0.5, engine.config.min_det_score)

    def run(images: Sequence[Image]) -> int:
        crops = []
        for img in images:
            blob, scale = detector.preprocess(img, size)
            out = detector.session.run(detector.output_names, {detector.input_name: blob})
            det, kps = detector.decode(
                dict(zip(detector.output_names, out, strict=True)),
                blob.shape[2],
                blob.shape[3],
                floor,
            )
            if det.shape[0]:
                i = int(np.argmax((det[:, 2] - det[:, 0]) * (det[:, 3] - det[:, 1])))
                crop = norm_crop(img, kps[i] / scale, image_size=112)
                if crop is not None:
                    crops.append(crop)
        if crops:
            batch = cv2.dnn.blobFromImages(crops, 1.0, (112, 112), (0, 0, 0), swapRB=True)
            rec_session.run(None, {rec_input: batch})
        return len(crops)

    return run


def insightface_loop(engine: FaceEngine) -> Callable[[Sequence[Image]], int]:
    """A naive ``FaceAnalysis.get`` loop over the same pack; returns a runner."""
    models = engine.load()
    cfg = engine.config
    app = FaceAnalysis(
        name=str(models.manifest.pack_dir),
        providers=list(cfg.providers),
        sess_options=session_options(cfg),
        allowed_modules=["detection", "recognition"],
    )
    app.prepare(ctx_id=0, det_thresh=0.5, det_size=(cfg.det_size, cfg.det_size))
    if models.manifest.kind == "yunet-sface":
        # InsightFace routes the detection task to SCRFD, which cannot decode YuNet.
        yunet = YuNetDetector(
            app.models["detection"].session, input_size=cfg.det_size, det_thresh=0.5
        )
        app.models["detection"] = yunet
        app.det_model = yunet

    def run(images: Sequence[Image]) -> int:
        with warnings.catch_warnings():  # norm_crop's deprecated skimage call, once per face
            warnings.simplefilter("ignore", FutureWarning)
            return sum(len(app.get(img)) for img in images)

    return run


def run_benchmark(
    config: FaceConfig | None = None,
    *,
    images: Sequence[bytes] | None = None,
    repeats: int = 3,
) -> BenchResult:
    """Measure faces/s of the three paths on the same images and log the table."""
    cfg = config if config is not None else FaceConfig.from_env()
    engine = FaceEngine(cfg)
    encoded = list(images) if images is not None else bench_images(cfg)
    decoded = [
        np.asarray(cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR), dtype=np.uint8)
        for b in encoded
    ]
    bare = bare_onnxruntime(engine)
    naive = insightface_loop(engine)
    runners: dict[str, Callable[[], int]] = {
        "engine": lambda: sum(r.ok for r in engine.embed_many(encoded)),
        "bare_onnxruntime": lambda: bare(decoded),
        "insightface_loop": lambda: naive(decoded),
    }
    timings = _interleaved(runners, repeats)
    paths = tuple(
        PathResult(name, len(encoded), faces, seconds) for name, (seconds, faces) in timings.items()
    )
    result = BenchResult(cfg.intra_op_threads, cfg.providers, cfg.det_size, paths)
    for line in result.format().splitlines():
        log.info("%s", line)
    return result
