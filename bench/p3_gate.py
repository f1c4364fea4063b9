"""P3: the quality gate's time against the load time of the same batch.

A batch is loaded in two writes with the gate between them (write → audit → publish):
*stage* (parse, check, ``COPY`` into ``staging``, quarantine, audit rows; committed, since
the gate reads the batch through its own connection) and *publish* (``staging`` → ``raw``:
supersession, cross-file duplicates, audit counts). Each repetition times the stage of
the city-day's punch batches, then the production gate entry
(:func:`ingest.quality.gate.gate`, every expectation of every dataset, results recorded,
no Data Docs) on each batch, then their publish (rolled back, so every repetition meets
the same empty ``raw``); the batch is then removed. Each repetition starts on vacuumed
tables (not timed: :func:`bench.cityday.settle`). Ratio = median gate seconds / median
load seconds, load = stage + publish (target ≤ 0.25); the stage and publish medians are
recorded beside it, and so is the ratio to the stage alone. The first gate run of the
process includes building the GX context (a task process pays that once per batch).
"""

from __future__ import annotations

import logging
from typing import Any

from bench.cityday import PUNCH_FEEDS, CityDay, feeds_table, settle
from bench.measure import measure, median
from ingest.config import Settings
from ingest.errors import GateFailed
from ingest.pipeline import stage_objects
from ingest.quality import gate as gx_gate
from ingest.warehouse import loader
from ingest.warehouse.db import connect
from ingest.warehouse.pii import PiiKeys

log = logging.getLogger(__name__)


def _load(settings: Settings, city: CityDay) -> dict[str, str]:
    keys = PiiKeys(settings.pii_secret)
    ids = {}
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        for feed in PUNCH_FEEDS:
            objs = city.objects[feed]
            ids[feed] = loader.make_load_id(feed, city.day, [o.key for o in objs])
            stage_objects(cur, keys, feed, city.day, ids[feed], objs)
    return ids


def _gate(settings: Settings, ids: dict[str, str]) -> list[str]:
    failures = []
    for feed, load_id in ids.items():
        try:
            gx_gate.gate(settings, feed, load_id, docs=False)
        except GateFailed as exc:
            failures.append(f"{feed}: {exc}")
    return failures


def _publish(settings: Settings, ids: dict[str, str]) -> None:
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        for feed, load_id in ids.items():
            loader.publish(cur, feed, load_id)
        conn.rollback()


def _remove(settings: Settings, ids: dict[str, str]) -> None:
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        for feed, load_id in ids.items():
            cur.execute(f"delete from staging.{feeds_table(feed)} where load_id = %s", (load_id,))
            for table in ("ops.quarantine", "ops.load_audit_entity", "ops.load_audit"):
                cur.execute(f"delete from {table} where load_id = %s", (load_id,))
            cur.execute("delete from ops.gate_results where load_id = %s", (load_id,))


def p3(settings: Settings, city: CityDay, repeat: int) -> dict[str, Any]:
    stages, publishes, loads, gates = [], [], [], []
    failures: list[str] = []
    for _ in range(repeat):
        settle(settings.warehouse_dsn)
        ids, s = measure(lambda: _load(settings, city))
        failures, g = measure(lambda i=ids: _gate(settings, i))  # type: ignore[misc]
        _, p = measure(lambda i=ids: _publish(settings, i))  # type: ignore[misc]
        _remove(settings, ids)
        stages.append(s.seconds)
        publishes.append(p.seconds)
        loads.append(s.seconds + p.seconds)
        gates.append(g.seconds)
    ratio = median(gates) / median(loads)
    log.info(
        "P3: gate %.2fs, load %.2fs (stage %.2fs + publish %.2fs)",
        median(gates),
        median(loads),
        median(stages),
        median(publishes),
    )
    return {
        "id": "P3",
        "what": "quality gate (GX, in the database) vs the load (stage + publish) of the "
        "same city-day batches",
        "ours": round(median(gates), 3),
        "reference": round(median(loads), 3),
        "unit": "s",
        "ratio": round(ratio, 3),
        "target": "<= 0.25",
        "met": ratio <= 0.25,
        "gate_seconds": [round(t, 3) for t in gates],
        "load_seconds": [round(t, 3) for t in loads],
        "stage_seconds": [round(t, 3) for t in stages],
        "publish_seconds": [round(t, 3) for t in publishes],
        "ratio_to_stage": round(median(gates) / median(stages), 3),
        "gate_failures": failures,
    }
