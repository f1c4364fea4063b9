"""dbt docs of the warehouse: one self-contained page, local and in S3.

``dbt docs generate --static`` writes ``static_index.html`` with the manifest and the
catalog (columns, types and row counts read from the live warehouse) embedded, so the page
opens from a file or an S3 link without ``dbt docs serve``. It is written to
``$SITEPASS_HOME/dbt-docs/`` (a separate target path: the project's own ``target/``
holds the manifest the ``marts_build`` DAG renders from) and copied to
``s3://<docs bucket>/dbt-docs/index.html``, next to the GX Data Docs.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from ingest.config import Settings

log = logging.getLogger(__name__)

S3_KEY = "dbt-docs/index.html"


def docs_dir(settings: Settings) -> Path:
    return settings.home / "dbt-docs"


def build_dbt_docs(settings: Settings) -> dict[str, str]:
    """Generate the static dbt docs page; return its local path and S3 location."""
    from ingest.quality.docs import target
    from ingest.storage import ensure_bucket, put_bytes
    from ingest.transform.dbt import run_dbt

    out = docs_dir(settings)
    out.mkdir(parents=True, exist_ok=True)
    run_dbt(settings, ["docs", "generate", "--static", "--target-path", str(out)])
    page = out / "static_index.html"
    if not page.is_file():
        raise FileNotFoundError(f"dbt docs generate wrote no {page}")
    bucket, _prefix = target()
    s3 = dataclasses.replace(settings.s3, bucket=bucket)
    ensure_bucket(s3)
    put_bytes(s3, S3_KEY, page.read_bytes(), "text/html; charset=utf-8")
    log.info("dbt docs: %s and s3://%s/%s", page, bucket, S3_KEY)
    return {"path": str(page), "s3": f"s3://{bucket}/{S3_KEY}"}
