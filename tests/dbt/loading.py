"""Drive a planted city through the real pipeline day by day (shared by tests and benches)."""

from __future__ import annotations

import inspect
from datetime import date, timedelta
from typing import Any

from tests.dbt.minicity import END, START, City

#: What the face pipeline will publish (columns as agreed for raw.face_verifications).
FACE_DDL = """
create table if not exists raw.face_verifications (
    load_id text not null, object_key text not null, object_sha256 text not null,
    record_no integer not null, punch_id text not null, project_code text not null,
    device_sn text not null, employee_no text not null, work_date date not null,
    capture_key text, enrolment_key text, similarity real, decision text not null,
    reasons text[] not null, model_fingerprint text, threshold_version text,
    published_at timestamptz not null default clock_timestamp()
)
"""


def load_city(settings: Any, city: City, first: date = START, last: date = END) -> None:
    """Put each object in the bucket on its arrival day, then ingest that day."""
    from ingest.pipeline import ingest_day
    from ingest.storage import ensure_bucket, put_bytes

    ensure_bucket(settings.s3)
    day = first
    while day <= last:
        for arrival, key, data in city.objects:
            if arrival == day:
                put_bytes(settings.s3, key, data)
        if "faces" in inspect.signature(ingest_day).parameters:
            ingest_day(settings, day, faces=False)  # no photos: verifications are planted
        else:
            ingest_day(settings, day)
        day += timedelta(days=1)


def publish_face(settings: Any, city: City, until: date = END) -> int:
    """Publish the planted face verifications as the face pipeline would, into whichever
    columns raw.face_verifications has (the agreed interface, or the face pipeline's
    dataset, which derives the punch from device, worker and punch time)."""
    from ingest.warehouse.db import connect

    rows = [r for r in city.face if r["work_date"] <= until]
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(FACE_DDL)
        cur.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'face_verifications'"
        )
        have = {r[0] for r in cur.fetchall()}
        cur.execute("delete from raw.face_verifications where load_id = 'face:minicity'")
        for no, r in enumerate(rows, start=1):
            values = {
                "load_id": "face:minicity",
                "object_key": f"faces/{no}",
                "object_sha256": "x",
                "record_no": no,
                "punch_id": r["punch_id"],
                "project_code": r["project_code"],
                "device_sn": r["device_sn"],
                "partition_date": r["work_date"],
                "vendor": "hikvision",
                "employee_no": r["employee_no"],
                "punch_at": r["punch_at"],
                "work_date": r["work_date"],
                "similarity": r["similarity"],
                "decision": r["decision"],
                "reasons": r["reasons"],
                "model_fingerprint": "sface-2021dec",
                "threshold_version": "v1",
                "threshold": 0.36,
                "faces_detected": 1,
            }
            cols = [c for c in values if c in have]
            cur.execute(
                f"insert into raw.face_verifications ({', '.join(cols)}) "
                f"values ({', '.join(['%s'] * len(cols))})",
                tuple(values[c] for c in cols),
            )
    return len(rows)
