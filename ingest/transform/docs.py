"""dbt docs of the warehouse: one self-contained page, local and in S3.

``dbt docs generate --static`` writes ``static_index.html`` with the manifest and the
catalog (columns, types and row counts read from the live warehouse) embedded, so the page
opens from a file or an S3 link without ``dbt docs serve``. It is written to
``$SITEPASS_HOME/dbt-docs/`` (a separate target path: the project's own ``target/``
holds the manifest the ``marts_build`` DAG renders from) and copied to
``s3://<docs bucket>/dbt-docs/index.html``, next to the GX Data Docs.

The page documents the project (models, columns, lineage), so it is rebuilt when the
project changed: ``dbt-docs/project.sha256`` beside it in S3 holds the fingerprint of the
dbt sources it was built from (:func:`project_fingerprint`), and a daily run whose project
is the same skips the ≈ 4 s ``docs generate``. The catalog's row counts are then those of
the day the page was built (the marts themselves have today's).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from pathlib import Path

from ingest.config import Settings

log = logging.getLogger(__name__)

S3_KEY = "dbt-docs/index.html"
FINGERPRINT_KEY = "dbt-docs/project.sha256"
#: The files a dbt project is made of (what `make` rebuilds the manifest from).
PROJECT_SUFFIXES = (".sql", ".yml", ".csv", ".md")
GENERATED_DIRS = ("target", "logs", "dbt_packages")


def docs_dir(settings: Settings) -> Path:
    return settings.home / "dbt-docs"


def project_fingerprint(project: Path) -> str:
    """sha256 over the project's source files (paths and contents), generated dirs aside."""
    digest = hashlib.sha256()
    for path in sorted(project.rglob("*")):
        rel = path.relative_to(project)
        if rel.parts[0] in GENERATED_DIRS or path.suffix not in PROJECT_SUFFIXES:
            continue
        if path.is_file():
            digest.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_dbt_docs(settings: Settings) -> dict[str, str]:
    """Generate the static dbt docs page unless the project is unchanged since the last
    one; return its local path and S3 location (and ``rebuilt``: "yes" or "no")."""
    from ingest.quality.docs import target
    from ingest.storage import ensure_bucket, get_bytes_or_none, put_bytes
    from ingest.transform.dbt import run_dbt

    out = docs_dir(settings)
    out.mkdir(parents=True, exist_ok=True)
    bucket, _prefix = target()
    s3 = dataclasses.replace(settings.s3, bucket=bucket)
    ensure_bucket(s3)
    fingerprint = project_fingerprint(settings.dbt_project_dir)
    page = out / "static_index.html"
    where = {"path": str(page), "s3": f"s3://{bucket}/{S3_KEY}"}
    built_from = get_bytes_or_none(s3, FINGERPRINT_KEY)
    if page.is_file() and built_from is not None and built_from.decode() == fingerprint:
        log.info("dbt docs: project unchanged since %s was built, not rebuilt", page)
        return {**where, "rebuilt": "no"}
    run_dbt(settings, ["docs", "generate", "--static", "--target-path", str(out)])
    if not page.is_file():
        raise FileNotFoundError(f"dbt docs generate wrote no {page}")
    put_bytes(s3, S3_KEY, page.read_bytes(), "text/html; charset=utf-8")
    put_bytes(s3, FINGERPRINT_KEY, fingerprint.encode(), "text/plain")
    log.info("dbt docs: %s and s3://%s/%s", page, bucket, S3_KEY)
    return {**where, "rebuilt": "yes"}
