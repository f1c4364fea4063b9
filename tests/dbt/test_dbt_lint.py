"""SQL lint of the dbt project: sqlfluff, postgres dialect, dbt templater (`.sqlfluff`).

sqlfluff==4.4.0 and sqlfluff-templater-dbt==4.4.0 are pinned dev dependencies. The dbt
templater compiles against the warehouse (models look up optional sources), so the test
runs on the session's stack.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def test_sqlfluff_finds_no_violation(settings: Any) -> None:
    from ingest.transform.dbt import DBT_ENV
    from ingest.transform.profile import render

    # GIVEN the dbt project, the lint configuration at the repository root and the profile
    # rendered from the session's settings
    env = {**os.environ, **DBT_ENV, "DBT_PROFILES_DIR": str(render(settings))}
    # WHEN sqlfluff lints models, macros, tests and snapshots
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sqlfluff",
            "lint",
            "dbt/models",
            "dbt/macros",
            "dbt/tests",
            "dbt/snapshots",
            "--processes",
            "2",
            "--nofail",
            "--format",
            "github-annotation",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    # THEN it reports no violation
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() in {"", "[]"}, proc.stdout[-5000:]
