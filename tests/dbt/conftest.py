"""Fixtures of the dbt tests: a warehouse loaded with the hand-planted mini city."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import empty_stack
from tests.dbt.minicity import END

AS_OF = END + timedelta(days=1)  # 2026-11-01: data up to 2026-10-31


def querier(settings: Any) -> Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]:
    from ingest.warehouse.db import connect

    def q(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    return q


def build(settings: Any, as_of: date, *args: str) -> Any:
    from ingest.transform.dbt import run_dbt

    return run_dbt(settings, ["build", *args], as_of=as_of)


@pytest.fixture(scope="module")
def minicity(stack: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """GIVEN the mini city loaded day by day through the real pipeline (2026-08-01 ..
    2026-10-31), its face verifications published, and a full `dbt build` as of
    2026-11-01."""
    import time

    from ingest.config import Settings
    from tests.dbt.loading import load_city, publish_face
    from tests.dbt.minicity import build as build_city

    settings = Settings.from_env()
    empty_stack(settings)
    city = build_city()
    load_city(settings, city)
    publish_face(settings, city)
    t0 = time.monotonic()
    build(settings, AS_OF, "--full-refresh")
    yield {
        "settings": settings,
        "city": city,
        "as_of": AS_OF,
        "build_seconds": time.monotonic() - t0,
        "q": querier(settings),
    }
