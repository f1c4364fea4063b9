"""The steps the DAGs run, as plain functions keyed by the data interval.

Tasks pass object keys and load ids between each other, never local files. Every step is
idempotent: running it again for the same interval and the same bucket content changes
nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ingest.config import Settings
from ingest.landing.context import ParseContext
from ingest.landing.model import ParseResult
from ingest.landing.zkteco import parse_zkteco
from ingest.quality import gate as gx_gate
from ingest.storage import get_bytes, list_objects
from ingest.warehouse import loader
from ingest.warehouse.datasets import DATASETS
from ingest.warehouse.db import connect
from ingest.warehouse.schema import ensure_schema

log = logging.getLogger(__name__)

ATTLOG_KEY = re.compile(
    r"^punches/(?P<project>[^/]+)/(?P<device>[^/]+)/dt=(?P<dt>\d{4}-\d{2}-\d{2})/attlog\.dat$"
)


class DataError(RuntimeError):
    """Bad data (not a transient failure): retrying the task cannot help."""


@dataclass(frozen=True, slots=True)
class Discovered:
    key: str
    etag: str
    partition_date: date

    def as_dict(self) -> dict[str, str]:
        return {
            "key": self.key,
            "etag": self.etag,
            "partition_date": self.partition_date.isoformat(),
        }


def prepare_warehouse(settings: Settings) -> None:
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        ensure_schema(cur)


def discover_attlogs(settings: Settings, day: date, lookback_days: int = 7) -> list[dict[str, str]]:
    """Attlog objects of partitions ``day - lookback .. day`` not yet published as they are.

    Late files (a device that uploads days later into the partition of the punch day) are
    picked up by the next run whose window covers their partition.
    """
    window_start = day - timedelta(days=lookback_days)
    found: list[Discovered] = []
    for obj in list_objects(settings.s3, "punches/"):
        m = ATTLOG_KEY.match(obj.key)
        if not m:
            continue
        dt = date.fromisoformat(m["dt"])
        if window_start <= dt <= day:
            found.append(Discovered(obj.key, obj.etag, dt))
    if not found:
        return []
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        ensure_schema(cur)
        cur.execute(
            "select object_key, object_etag from ops.load_audit "
            "where object_key = any(%s) and status = 'published'",
            ([d.key for d in found],),
        )
        published = set(cur.fetchall())
    fresh = [d for d in found if (d.key, d.etag) not in published]
    log.info("discovered %d attlog objects for %s (%d new or changed)", len(found), day, len(fresh))
    return [d.as_dict() for d in sorted(fresh, key=lambda d: d.key)]


def _parse_zkteco(obj: loader.LandingObject) -> ParseResult:
    return parse_zkteco(obj.data, ParseContext.from_key(obj.key))


def stage_attlogs(settings: Settings, day: date, objects: list[dict[str, str]]) -> dict[str, Any]:
    dataset = DATASETS["zkteco_punches"]
    load_id = loader.make_load_id(dataset.name, day, [f"{o['key']}@{o['etag']}" for o in objects])
    landing: list[loader.LandingObject] = []
    for o in objects:
        m = ATTLOG_KEY.match(o["key"])
        if m is None:
            raise DataError(f"not an attlog key: {o['key']}")
        landing.append(
            loader.LandingObject(
                key=o["key"],
                data=get_bytes(settings.s3, o["key"]),
                partition_date=date.fromisoformat(o["partition_date"]),
                etag=o["etag"],
                context={
                    "project_code": m["project"],
                    "device_sn": m["device"],
                    "partition_date": date.fromisoformat(m["dt"]),
                },
            )
        )
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        ensure_schema(cur)
        summary = loader.stage(cur, dataset, load_id, landing, _parse_zkteco)
    return summary.as_dict()


def gate_batch(settings: Settings, dataset: str, load_id: str) -> dict[str, Any]:
    """Validate a staged batch; record the result; raise :class:`GateFailed` on failure."""
    result = gx_gate.run_gate(settings.warehouse_dsn, dataset, load_id)
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        gx_gate.record(cur, result)
        if not result.success:
            loader.mark_gate_failed(cur, load_id)
    if not result.success:
        raise gx_gate.GateFailed(result)
    return result.as_dict()


def publish_batch(settings: Settings, dataset: str, load_id: str) -> dict[str, Any]:
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute("select 1 from ops.gate_results where load_id = %s and success", (load_id,))
        if cur.fetchone() is None:
            raise DataError(f"batch {load_id} has no passing gate result: refusing to publish")
        summary = loader.publish(cur, DATASETS[dataset], load_id)
    return summary.as_dict()
