"""Which gate captures a run verifies, and the punch and enrolment each belongs to.

A ZKTeco capture is named ``{YYYYMMDDHHMMSS}-{PIN}.jpg`` in its device's partition; a
Hikvision capture is the ``pictureURL`` of its event. A capture whose punch is not (yet)
published is left for a later run (its punch file may arrive late); captures already
verified with the current model fingerprint and threshold version are skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import psycopg2.extensions

from ingest.config import Settings
from ingest.landing.keys import parse_zkteco_capture_name, try_parse_key
from ingest.landing.zkteco import canonical_employee_no
from ingest.storage import list_objects
from ingest.warehouse.db import connect, copy_rows

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CaptureRef:
    key: str
    etag: str
    project_code: str
    device_sn: str
    partition_date: date
    capture_name: str


def list_captures(settings: Settings, day: date, lookback_days: int) -> list[CaptureRef]:
    """Capture photos of partitions ``day - lookback .. day`` in the bucket."""
    out: list[CaptureRef] = []
    start = day - timedelta(days=lookback_days)
    for obj in list_objects(settings.s3, "photos/capture/"):
        k = try_parse_key(obj.key)
        if (
            k is None
            or k.kind != "capture_photo"
            or k.partition_date is None
            or k.project_code is None
            or k.device_sn is None
            or k.capture_name is None
        ):
            continue
        if start <= k.partition_date <= day:
            out.append(
                CaptureRef(
                    obj.key, obj.etag, k.project_code, k.device_sn, k.partition_date, k.capture_name
                )
            )
    return out


def already_verified(
    cur: psycopg2.extensions.cursor, keys: list[str], fingerprint: str, threshold_version: str
) -> set[str]:
    cur.execute(
        "select object_key from raw.face_verifications where object_key = any(%s) "
        "and model_fingerprint = %s and threshold_version = %s",
        (keys, fingerprint, threshold_version),
    )
    return {r[0] for r in cur.fetchall()}


@dataclass(frozen=True, slots=True)
class PunchMatch:
    """The published punch a capture belongs to, and the worker's enrolment photo."""

    capture_key: str
    vendor: str
    project_code: str
    device_sn: str
    partition_date: date
    employee_no: str
    punch_at: object  # datetime (tz-aware) from the warehouse
    work_date: date
    worker_key: str | None
    enrolment_key: str


def match_punches(cur: psycopg2.extensions.cursor, refs: list[CaptureRef]) -> list[PunchMatch]:
    """Join captures to their published punches (and the roster's enrolment photo)."""
    zk_rows = []
    for r in refs:
        parsed = parse_zkteco_capture_name(r.capture_name)
        if parsed is not None:
            ts, pin = parsed  # local time (+08:00), PIN as the device wrote it
            zk_rows.append((r.key, r.device_sn, canonical_employee_no(pin), ts))
    hik_keys = [r.key for r in refs]
    cur.execute(
        """create temporary table if not exists _captures (
               capture_key text, device_sn text, employee_no text, punch_at timestamptz
           ) on commit drop"""
    )
    cur.execute("truncate _captures")
    if zk_rows:
        copy_rows(
            cur, "_captures", ["capture_key", "device_sn", "employee_no", "punch_at"], zk_rows
        )
    cur.execute(
        """with punches as (
               select c.capture_key, 'zkteco' as vendor, p.project_code, p.device_sn,
                      p.partition_date, p.employee_no, p.punch_at, p.work_date
                 from _captures c
                 join raw.zkteco_punches p
                   on p.device_sn = c.device_sn and p.employee_no = c.employee_no
                  and p.punch_at = c.punch_at
               union all
               select e.picture_url, 'hikvision', e.project_code, e.device_sn,
                      e.partition_date, e.employee_no, e.punch_at, e.work_date
                 from raw.hikvision_events e
                where e.picture_url = any(%s)
           ), roster as (
               select distinct on (project_code, employee_no)
                      project_code, employee_no, enrolment_photo
                 from raw.roster_workers
                order by project_code, employee_no, partition_date desc
           )
           select p.capture_key, p.vendor, p.project_code, p.device_sn, p.partition_date,
                  p.employee_no, p.punch_at, p.work_date, rp.worker_key,
                  coalesce(r.enrolment_photo,
                           'photos/enrolment/' || p.project_code || '/' || p.employee_no
                           || '.jpg')
             from punches p
             left join roster r using (project_code, employee_no)
             left join ops.roster_periods rp using (project_code, employee_no)""",
        (hik_keys,),
    )
    return [PunchMatch(*row) for row in cur.fetchall()]


def plan(
    settings: Settings,
    day: date,
    fingerprint: str,
    threshold_version: str,
    lookback_days: int = 7,
    chunk_size: int = 200,
) -> list[list[str]]:
    """Capture keys to verify for a run, in chunks (one mapped task per chunk)."""
    refs = list_captures(settings, day, lookback_days)
    if not refs:
        return []
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        done = already_verified(cur, [r.key for r in refs], fingerprint, threshold_version)
        todo = [r for r in refs if r.key not in done]
        matched = {m.capture_key for m in match_punches(cur, todo)}
    waiting = len(todo) - len(matched)
    if waiting:
        log.info("%d captures wait for their punch to be published", waiting)
    keys = sorted(matched)
    log.info(
        "verification plan for %s: %d captures in window, %d to verify", day, len(refs), len(keys)
    )
    return [keys[i : i + chunk_size] for i in range(0, len(keys), chunk_size)]
