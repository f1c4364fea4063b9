"""Python lint and types, as CI gates: ruff (with the Airflow ``AIR`` rules) over every
Python tree, mypy (strict settings of ``pyproject.toml``) over ``ingest/``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = ("ingest", "dags", "plugins", "tests", "bench")


def test_ruff_finds_no_violation() -> None:
    # WHEN ruff checks the package, the DAGs, the plugins, the tests and the benchmarks
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            *TREES,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN it reports nothing
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]


def test_ruff_format_leaves_every_file_as_it_is() -> None:
    # WHEN ruff's formatter checks the same trees
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", *TREES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN no file would be reformatted
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]


def test_mypy_finds_no_error(tmp_path: Path) -> None:
    # WHEN mypy checks ingest/ from a cold cache
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy"), "ingest"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN it finds no error
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
