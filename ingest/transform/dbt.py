"""Run dbt in-process (``dbtRunner``) with the profile rendered from :class:`Settings`
(:mod:`ingest.transform.profile`, ``$SITEPASS_HOME/dbt-profile/profiles.yml``)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from ingest.config import Settings
from ingest.transform.profile import render as render_profile

#: What a production build leaves out: dbt unit tests run in `make test`, not daily.
NOT_IN_PRODUCTION = "resource_type:unit_test"

log = logging.getLogger(__name__)


class DbtError(RuntimeError):
    """dbt returned failures (model errors or failing tests)."""


@dataclass(frozen=True, slots=True)
class DbtOutcome:
    command: str
    success: bool
    results: list[dict[str, str]]


#: dbt's own switches (not sitepass settings): no usage tracking.
DBT_ENV = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


@contextmanager
def _environ(extra: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_dbt(settings: Settings, args: Sequence[str], *, as_of: date | None = None) -> DbtOutcome:
    """``dbt <args>`` on the project, with ``as_of`` passed as a var; raise on failure."""
    from dbt.cli.main import dbtRunner

    project = str(settings.dbt_project_dir)
    profiles = str(render_profile(settings))
    cli = [*args, "--project-dir", project, "--profiles-dir", profiles]
    if as_of is not None:
        cli += ["--vars", json.dumps({"as_of": as_of.isoformat()})]
    with _environ(DBT_ENV):
        res = dbtRunner().invoke(cli)
    results: list[dict[str, str]] = []
    for r in getattr(res.result, "results", None) or []:
        results.append(
            {
                "node": getattr(r.node, "unique_id", "?"),
                "status": str(r.status),
                "message": str(r.message or ""),
            }
        )
    failed = [r for r in results if r["status"] in {"error", "fail", "runtime error"}]
    if not res.success or res.exception is not None:
        detail = "; ".join(f"{r['node']}: {r['status']} {r['message']}" for r in failed[:10])
        raise DbtError(f"dbt {' '.join(args)} failed: {detail or res.exception}")
    log.info("dbt %s: %d nodes ok", " ".join(args), len(results))
    return DbtOutcome(" ".join(args), True, results)
