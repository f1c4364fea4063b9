"""dbt seeds (the code tables) loaded when they change, not every day.

A daily ``marts_build`` used to ``dbt build`` all 23 seeds and their tests whatever
changed: ≈ 6–10 s of a city-day for tables that change with a release. The manifest the
DAG runs from (``dbt/target/manifest.json``) carries each seed's checksum (sha256 of its
CSV); ``ops.dbt_seed_loads`` (migration 0009) records the checksum the warehouse holds. A
seed is loaded (``dbt build`` of it: load, then its tests) when the two differ, when it was
never recorded, or when its table is missing (a new warehouse, a dropped schema). The
checksums are recorded in the same step, after dbt succeeded: a failed load or test is
retried by the next run.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingest.config import Settings
from ingest.transform.dbt import NOT_IN_PRODUCTION, run_dbt
from ingest.warehouse.db import connect

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Seed:
    name: str
    schema: str
    table: str
    checksum: str


@dataclass(frozen=True, slots=True)
class SeedLoad:
    """What one run did with the seeds."""

    loaded: tuple[str, ...]
    unchanged: int

    def to_xcom(self) -> dict[str, object]:
        return {"loaded": list(self.loaded), "unchanged": self.unchanged}


def manifest_path(settings: Settings) -> Path:
    return settings.dbt_project_dir / "target" / "manifest.json"


def manifest_seeds(manifest: Path) -> list[Seed]:
    """Every seed of the project, as the pre-built manifest describes it."""
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return sorted(
        (
            Seed(n["name"], n["schema"], n["alias"] or n["name"], n["checksum"]["checksum"])
            for n in nodes
            if n["resource_type"] == "seed"
        ),
        key=lambda s: s.name,
    )


def stale_seeds(dsn: str, seeds: list[Seed]) -> list[Seed]:
    """The seeds whose recorded checksum differs, was never recorded, or whose table is gone."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("select seed, checksum from ops.dbt_seed_loads")
        recorded = dict(cur.fetchall())
        cur.execute(
            "select s.name from unnest(%s::text[], %s::text[]) as s(name, relation)"
            " where to_regclass(s.relation) is null",
            ([s.name for s in seeds], [f'"{s.schema}"."{s.table}"' for s in seeds]),
        )
        missing = {name for (name,) in cur.fetchall()}
    return [s for s in seeds if s.name in missing or recorded.get(s.name) != s.checksum]


def record(dsn: str, seeds: list[Seed]) -> None:
    with connect(dsn) as conn, conn.cursor() as cur:
        for s in seeds:
            cur.execute(
                "insert into ops.dbt_seed_loads (seed, checksum) values (%s, %s)"
                " on conflict (seed) do update"
                " set checksum = excluded.checksum, loaded_at = clock_timestamp()",
                (s.name, s.checksum),
            )


def load_changed_seeds(settings: Settings, as_of: date | None = None) -> SeedLoad:
    """``dbt build`` the seeds that changed (and their tests); record what is now loaded."""
    seeds = manifest_seeds(manifest_path(settings))
    stale = stale_seeds(settings.warehouse_dsn, seeds)
    if not stale:
        log.info("seeds: all %d unchanged, none loaded", len(seeds))
        return SeedLoad((), len(seeds))
    names = [s.name for s in stale]
    log.info("seeds: loading %d changed or missing: %s", len(stale), ", ".join(names))
    select = ["--select", *(f"resource_type:seed,{n}" for n in names)]
    with tempfile.TemporaryDirectory(prefix="sitepass-seeds-") as target:
        # its own target path: the project's target/ holds the manifest the DAG runs from;
        # --full-refresh recreates the table, so a CSV that gained a column loads too
        # (dbt would truncate and insert into the old columns); the models that read a
        # seed are tables, rebuilt by the `build` task that follows
        args = [
            "build",
            *select,
            "--full-refresh",
            "--exclude",
            NOT_IN_PRODUCTION,
            "--target-path",
            target,
        ]
        run_dbt(settings, args, as_of=as_of)
    record(settings.warehouse_dsn, stale)
    return SeedLoad(tuple(names), len(seeds) - len(stale))
