"""GX Data Docs: a local site under ``$SITEPASS_HOME/gx-docs``, mirrored to S3.

GX 1.24 builds sites on a filesystem store only, so the local site is the build target and
every file the build (re)wrote is uploaded to ``s3://$SITEPASS_GX_DOCS_BUCKET/<prefix>``
(default bucket ``sitepass-quality``, prefix ``data-docs/``; endpoint and credentials are
the stack's S3 settings: SeaweedFS locally, MinIO in production). The docs bucket is separate
from the landing bucket so the landing zone only holds contract objects.

Open ``$SITEPASS_HOME/gx-docs/index.html`` in a browser, or run
``python -m ingest.quality.docs --presign`` for a link to the S3 copy. Publishing never
fails a gate: errors are logged and returned.

Retention: GX re-renders the index from every stored validation result, so an unbounded
store makes every gate slower (0.47 s → 0.9 s per gate over 61 days of the small city).
Before each build the store keeps the newest ``$SITEPASS_GX_KEEP_RESULTS`` results
(default 400, about two months of daily batches) and their pages; older ones are deleted
locally (the S3 mirror keeps its copies). The durable record of every gate is
``ops.gate_results`` in the warehouse, which is never pruned.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import sys
import time
from pathlib import Path
from typing import Any

from ingest.config import ConfigError, explicit, gx_settings
from ingest.quality import project

log = logging.getLogger(__name__)

ENV_KEEP = "SITEPASS_GX_KEEP_RESULTS"
SITE = "local_site"

_BUCKETS_READY: set[tuple[str, str]] = set()
_STATIC_DONE: set[tuple[str, str, str]] = set()  # (endpoint, bucket, prefix): assets uploaded


def target() -> tuple[str, str]:
    gx = gx_settings()
    return gx.docs_bucket, gx.docs_prefix


def _s3() -> Any:
    from ingest.config import Settings
    from ingest.storage import client

    s3 = Settings.from_env().s3
    return client(s3), s3.endpoint


def mirror(since: float | None = None, site_dir: Path | None = None) -> dict[str, Any]:
    """Upload the site's files written at or after ``since`` (all when None) to S3."""
    site = site_dir or project.docs_dir()
    bucket, prefix = target()
    mc, endpoint = _s3()
    if (endpoint, bucket) not in _BUCKETS_READY:
        if not mc.bucket_exists(bucket):
            mc.make_bucket(bucket)
        _BUCKETS_READY.add((endpoint, bucket))
    uploaded = 0
    static_done = (endpoint, bucket, prefix) in _STATIC_DONE
    for path in sorted(site.rglob("*")):
        if not path.is_file() or (since is not None and path.stat().st_mtime < since):
            continue
        rel = path.relative_to(site).as_posix()
        if static_done and rel.startswith("static/"):
            continue  # GX rewrites its assets on every build; they never change
        data = path.read_bytes()
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        mc.put_object(bucket, prefix + rel, io.BytesIO(data), len(data), content_type=ctype)
        uploaded += 1
    _STATIC_DONE.add((endpoint, bucket, prefix))
    return {
        "bucket": bucket,
        "prefix": prefix,
        "uploaded": uploaded,
        "url": f"s3://{bucket}/{prefix}index.html",
    }


def keep_results() -> int:
    """``SITEPASS_GX_KEEP_RESULTS`` (a :class:`~ingest.errors.ConfigError`, which is a
    ``ValueError``, when it is not a whole number of at least 1)."""
    raw = explicit(ENV_KEEP)
    try:
        return gx_settings().keep_results
    except ConfigError as exc:
        reason = "at least 1" if raw and raw.lstrip("-").isdigit() else "a whole number"
        raise ConfigError(f"{ENV_KEEP} must be {reason}, got {raw!r}") from exc


def prune(keep: int, results: Path | None = None, site: Path | None = None) -> int:
    """Delete all but the newest ``keep`` validation results and their Data Docs pages.

    A result is stored as ``<suite>/<batch>/<run time>/<id>.json``; "newest" is by run time
    (GX's ``YYYYMMDDTHHMMSS.ffffffZ`` directory name), ties broken by path. Returns how
    many results were deleted.
    """
    results = results or project.results_dir()
    site = site or project.docs_dir()
    if not results.is_dir():
        return 0
    stored = [p for p in results.rglob("*.json") if len(p.relative_to(results).parts) == 4]
    stored.sort(key=lambda p: (p.parent.name, p.as_posix()), reverse=True)
    doomed = stored[keep:]
    for path in doomed:
        rel = path.relative_to(results)
        path.unlink(missing_ok=True)
        (site / "validations" / rel.with_suffix(".html")).unlink(missing_ok=True)
        for base in (results, site / "validations"):
            parent = (base / rel).parent
            while parent != base and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
    if doomed:
        log.info(
            "GX store: deleted %d validation results older than the newest %d", len(doomed), keep
        )
    return len(doomed)


def publish(
    warehouse_dsn: str, result_ids: list[Any] | None = None, *, s3: bool = True
) -> dict[str, Any]:
    """Build the pages of ``result_ids`` (all pages when None) and the index; mirror to S3."""
    out: dict[str, Any] = {}
    started = time.time() - 1.0  # file mtimes have coarse resolution on some filesystems
    t0 = time.perf_counter()
    try:
        context = project.get_context(warehouse_dsn)
        # stores read shared; the site's files (index.html) written by one process at a time
        with project.lock(exclusive=True), project.lock(exclusive=True, name="docs"):
            out["pruned"] = prune(keep_results())  # deleting is writing: exclusive
        with project.lock(exclusive=False), project.lock(exclusive=True, name="docs"):
            urls = context.build_data_docs(
                site_names=[SITE], resource_identifiers=result_ids or None
            )
        out["local"] = urls.get(SITE)
    except Exception as exc:  # docs are evidence, not the gate: never fail a load on them
        log.warning("Data Docs build failed: %s", exc)
        out["error"] = f"build: {exc}"
        return out
    if s3:
        try:
            out["s3"] = mirror(started)
        except Exception as exc:
            log.warning("Data Docs upload to S3 failed: %s", exc)
            out["error"] = f"s3: {exc}"
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out


def presigned_index(expires_s: int = 3600) -> str:
    from datetime import timedelta

    bucket, prefix = target()
    mc, _ = _s3()
    return str(
        mc.presigned_get_object(bucket, prefix + "index.html", expires=timedelta(seconds=expires_s))
    )


def main(argv: list[str] | None = None) -> int:
    import argparse

    from ingest.config import Settings

    parser = argparse.ArgumentParser(
        prog="python -m ingest.quality.docs", description="(Re)build GX Data Docs and mirror to S3"
    )
    parser.add_argument("--no-s3", action="store_true", help="local site only")
    parser.add_argument(
        "--presign", action="store_true", help="print a presigned URL of the S3 index page"
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    out = publish(settings.warehouse_dsn, None, s3=False)
    if not args.no_s3 and "error" not in out:
        out["s3"] = mirror(None)
    print(f"local: {out.get('local')}")
    if out.get("s3"):
        print(f"s3:    {out['s3']['url']} ({out['s3']['uploaded']} files)")
    if args.presign:
        print(f"link:  {presigned_index()}")
    if out.get("error"):
        print(f"error: {out['error']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
