"""The code tables (dbt seeds) load when they change, not on every daily marts build
(``ingest.transform.seeds``, ``ops.dbt_seed_loads``)."""

from __future__ import annotations

from typing import Any

from tests.conftest import query


def _execute(settings: Any, sql: str) -> None:
    from ingest.warehouse.db import connect

    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(sql)


def test_seeds_load_once_then_only_when_changed_or_missing(clean: Any) -> None:
    from ingest.transform.seeds import load_changed_seeds, manifest_path, manifest_seeds

    settings = clean
    seeds = {s.name: s for s in manifest_seeds(manifest_path(settings))}
    # GIVEN an empty warehouse
    # WHEN marts_build's seeds step runs the first time
    first = load_changed_seeds(settings)
    # THEN every seed is loaded (and tested), and its checksum recorded
    assert set(first.loaded) == set(seeds) and first.unchanged == 0
    assert dict(query(settings, "select seed, checksum from ops.dbt_seed_loads")) == {
        name: s.checksum for name, s in seeds.items()
    }
    banks = query(settings, "select count(*) from ref.code_bank")
    assert banks[0][0] > 0

    # WHEN it runs again on the same project
    again = load_changed_seeds(settings)
    # THEN nothing is loaded
    assert again.loaded == () and again.unchanged == len(seeds)

    # GIVEN one seed's CSV changed since it was loaded (its recorded checksum differs)
    # and another's table was dropped
    _execute(settings, "update ops.dbt_seed_loads set checksum = 'old' where seed = 'ref_province'")
    _execute(settings, "drop table ref.code_bank")
    # WHEN the step runs
    third = load_changed_seeds(settings)
    # THEN exactly those two are loaded again, and recorded as the project has them
    assert sorted(third.loaded) == ["code_bank", "ref_province"]
    assert third.unchanged == len(seeds) - 2
    assert query(settings, "select count(*) from ref.code_bank") == banks
    recorded = dict(query(settings, "select seed, checksum from ops.dbt_seed_loads"))
    assert recorded["ref_province"] == seeds["ref_province"].checksum
