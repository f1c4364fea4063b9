"""A batch is staged in chunks (the next chunk parses while the current one is COPYed), on
the columnar path (punches) and on the row path (rosters: personal data scrubbed):
chunking must not change a single staged row, reject or audit count."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from ingest.landing.keys import try_parse_key

DAY = date(2026, 11, 2)
FEEDS = ("zkteco", "hikvision", "roster")


def _day_objects() -> dict[str, list[Any]]:
    from ingest.pipeline import landing_object
    from ingest.seed.city import CitySpec, generate

    spec = dataclasses.replace(
        CitySpec.preset("medium", start=DAY, days=1, seed=3), photos=False, plant_cases=False
    )
    out: dict[str, list[Any]] = {f: [] for f in FEEDS}

    def put(key: str, data: bytes) -> None:
        k = try_parse_key(key)
        if k is not None and k.kind in out:
            out[k.kind].append(landing_object(k.kind, key, data, "test"))

    generate(put, spec)
    # Rejects on both punch paths: in every 4th object one punch a month early (the
    # columnar checks reject it), in every 7th a line or event the strict reader refuses
    # (the whole object goes to the row parser); in every 7th roster a worker without the
    # required fields and a line that is not JSON.
    for objs in out.values():
        for i, o in enumerate(objs):
            data = o.data
            if i % 4 == 0:
                data = data.replace(b"\t2026-11-02", b"\t2026-10-02", 1)
                data = data.replace(b'"time": "2026-11-02', b'"time": "2026-10-02', 1)
            if i % 7 == 0:
                data = data.replace(b'"major": 5', b'"major": "5"', 1)
                if b"\t" in data:
                    data += b"not a punch line\n"
                if o.key.startswith("roster/"):
                    data += b'{"employeeNo": "X1", "not": "a worker"}\n{broken\n'
            objs[i] = dataclasses.replace(o, data=data)
    return out


def _staged(settings: Any, feed: str, objects: list[Any]) -> tuple[Any, dict[str, Any]]:
    """Stage ``objects`` in a transaction that is rolled back; return the result and
    fingerprints of everything the batch wrote (encrypted text excluded: its nonce is
    random)."""
    from ingest import feeds
    from ingest.pipeline import stage_objects
    from ingest.warehouse import loader
    from ingest.warehouse.db import connect
    from ingest.warehouse.pii import PiiKeys

    table = feeds.feed(feed).main.name
    load_id = loader.make_load_id(feed, DAY, [o.key for o in objects])
    tables = {
        "rows": f"select * from staging.{table} where load_id = %(l)s",
        "rejects": "select object_key, reject_no, entity, record_no, record_key, reasons, "
        "raw_text from ops.quarantine where load_id = %(l)s",
        "audit": "select object_key, object_sha256, rows_read, rows_quarantined, duplicates, "
        "ignored, ignored_by from ops.load_audit where load_id = %(l)s",
        "entities": "select object_key, entity, rows_read, rows_quarantined, duplicates, "
        "ignored from ops.load_audit_entity where load_id = %(l)s",
        "children": "select 'c', object_key, record_no, child_no "
        "from staging.roster_certifications where load_id = %(l)s "
        "union all select 't', object_key, record_no, child_no "
        "from staging.roster_trainings where load_id = %(l)s",
        "identities": "select worker_key, id_card_type from staging.worker_identity "
        "where load_id = %(l)s",
    }
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        result = stage_objects(cur, PiiKeys(settings.pii_secret), feed, DAY, load_id, objects)
        prints = {}
        for name, sql in tables.items():
            cur.execute(
                f"select count(*), md5(coalesce(string_agg(t::text, '|' order by t::text), '')) "
                f"from ({sql}) t",
                {"l": load_id},
            )
            prints[name] = cur.fetchone()
        conn.rollback()
    return result, prints


@pytest.mark.parametrize("feed", FEEDS)
def test_chunked_staging_writes_exactly_what_one_pass_writes(
    settings: Any, monkeypatch: pytest.MonkeyPatch, feed: str
) -> None:
    from ingest.warehouse import loader

    # GIVEN a day of punches of a 60-site city (resends, door events, bad records)
    objects = _day_objects()[feed]
    # WHEN the batch is staged in one pass, then in six chunks
    monkeypatch.setattr(loader, "_CHUNK_MIN_BYTES", 1 << 40)
    assert len(loader._chunks(objects)) == 1
    one, one_prints = _staged(settings, feed, objects)
    monkeypatch.setattr(loader, "_CHUNK_MIN_BYTES", 1)
    chunks = loader._chunks(objects)
    assert len(chunks) == loader._CHUNKS_MAX
    sizes = [sum(len(o.data) for o in c) for c in chunks]
    assert sizes[0] < min(sizes[1:])  # a short head: the first COPY starts early
    assert [o.key for c in chunks for o in c] == [o.key for o in objects]
    chunked, chunked_prints = _staged(settings, feed, objects)
    # THEN every staged row, reject and audit count is the same
    assert one.rows_read > 3_000 and one.rows_quarantined > 10
    assert chunked == one
    assert chunked_prints == one_prints
    from ingest import feeds

    assert one_prints["rows"][0] == one.datasets[feeds.feed(feed).main.name]
