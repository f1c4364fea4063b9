"""Session fixtures: a throwaway embedded stack (real Postgres + real S3 server).

The session starts its own PostgreSQL cluster and SeaweedFS S3 server on free ports in a fresh
state directory, exactly as `sitepass up` does, and stops them at the end.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
# Face models and the offline photos are downloaded once per checkout (not per test stack).
os.environ.setdefault("SITEPASS_FACE_CACHE_DIR", str(REPO / ".sitepass" / "cache"))
os.environ.setdefault("SITEPASS_FACE_MODEL_DIR", str(REPO / ".sitepass" / "models" / "face"))


@pytest.fixture(scope="session")
def stack() -> Iterator[dict[str, Any]]:
    """GIVEN a running embedded stack of our own (Postgres + S3 + migrated Airflow DB)."""
    from ingest.stack.manager import down, status, up
    from ingest.stack.proc import free_port

    home = Path(tempfile.mkdtemp(prefix="sitepass-test-"))
    os.chmod(home, 0o755)  # the postgres OS user must reach the cluster when we are root
    saved = {
        k: os.environ.get(k)
        for k in (
            "SITEPASS_HOME",
            "SITEPASS_PG_PORT",
            "SITEPASS_S3_PORT",
            "SITEPASS_PG_DSN",
            "SITEPASS_S3_ENDPOINT",
        )
    }
    os.environ.update(
        {
            "SITEPASS_HOME": str(home),
            "SITEPASS_PG_PORT": str(free_port()),
            "SITEPASS_S3_PORT": str(free_port()),
        }
    )
    os.environ.pop("SITEPASS_PG_DSN", None)
    os.environ.pop("SITEPASS_S3_ENDPOINT", None)
    try:
        up(home, fast=True)
        yield status(home)
    finally:
        down(home)
        shutil.rmtree(home, ignore_errors=True)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


#: The modules that share the session's planted city (``planted_city``), in the order they
#: run. Every other module that needs a warehouse empties the stack for a city of its own,
#: so these must run back to back: first the marts tests (read-only checks, the monthly
#: run, and a re-run of a week that must leave every mart, audit row and quarantine entry
#: as it was), then the ingest tests, which re-ingest, replace, add and break files and so
#: change raw rows the marts were built from.
SHARED_CITY_MODULES = (
    "tests/dbt/test_marts_planted.py",
    "tests/integration/test_ingest_city.py",
    "tests/integration/test_roster_deltas.py",  # in rolled-back transactions
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the modules of ``SHARED_CITY_MODULES`` back to back, in that order, where the
    first of them would have run; every other test keeps its place."""

    def module(item: pytest.Item) -> str:
        return Path(item.path).resolve().relative_to(REPO).as_posix()

    shared = [i for i in items if module(i) in SHARED_CITY_MODULES]
    if not shared:
        return
    shared.sort(key=lambda i: SHARED_CITY_MODULES.index(module(i)))  # stable: file order kept
    first = next(n for n, i in enumerate(items) if module(i) in SHARED_CITY_MODULES)
    rest = [i for i in items if module(i) not in SHARED_CITY_MODULES]
    items[:] = rest[:first] + shared + rest[first:]


@pytest.fixture(scope="session")
def planted_city(stack: dict[str, Any]) -> dict[str, Any]:
    """GIVEN the small seeded city (seed 7, 92 days from 2026-08-01, every bad input and
    planted case) loaded once per session: two months through the pipeline functions, the
    third through Airflow with marts_build (``tests/shared_city.py``). Shared by
    ``SHARED_CITY_MODULES``, which run back to back."""
    from tests.shared_city import build_planted_city

    return build_planted_city()


@pytest.fixture()
def settings(stack: dict[str, Any]) -> Any:
    from ingest.config import Settings

    return Settings.from_env()


#: Every schema the pipeline, dbt and the monthly freeze create.
WAREHOUSE_SCHEMAS = (
    "raw, staging, ops, restricted, stg, int, marts, ref, analytics, snapshots, archive"
)


def empty_stack(settings: Any) -> None:
    """Empty the landing bucket, drop every warehouse schema and migrate the warehouse
    again (as `sitepass up` / deploy does: data steps assume the schema)."""
    from ingest.storage import client, ensure_bucket
    from ingest.warehouse.db import connect
    from ingest.warehouse.migrate import migrate

    mc = client(settings.s3)
    ensure_bucket(settings.s3)
    for obj in mc.list_objects(settings.s3.bucket, recursive=True):
        mc.remove_object(settings.s3.bucket, obj.object_name)
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(f"drop schema if exists {WAREHOUSE_SCHEMAS} cascade")
    migrate(settings.warehouse_dsn)


@pytest.fixture()
def clean(settings: Any) -> Any:
    """GIVEN an empty bucket and an empty warehouse (schemas dropped)."""
    empty_stack(settings)
    return settings


def query(settings: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    from ingest.warehouse.db import connect

    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())
