"""Verify a chunk of captures and load the results as the ``face`` feed.

For each capture: the worker's enrolment embedding (computed once per photo sha256 and
model fingerprint, cached in ``ops.face_embeddings``), the capture's embedding
(recognition batched over the whole chunk), the decision and its reason codes. The rows
go through staging → gate → publish like every landing feed, one batch per chunk.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg2.extensions

from ingest.config import Settings
from ingest.face.config import FaceConfig
from ingest.face.engine import FaceEngine
from ingest.face.results import NO_ENROLMENT, Embedding, EmbeddingResult, Verification
from ingest.landing.keys import parse_key
from ingest.landing.model import ParseResult
from ingest.storage import get_bytes, get_bytes_or_none
from ingest.verification.captures import CaptureRef, PunchMatch, match_punches
from ingest.warehouse import loader
from ingest.warehouse.db import connect
from ingest.warehouse.pii import PiiKeys

log = logging.getLogger(__name__)

FEED = "face"
_ENGINE: FaceEngine | None = None


def engine(config: FaceConfig | None = None) -> FaceEngine:
    """One engine per process (models load lazily, once)."""
    global _ENGINE  # noqa: PLW0603 - a per-process model cache
    if _ENGINE is None:
        _ENGINE = FaceEngine(config or FaceConfig.from_env())
    return _ENGINE


@dataclass(frozen=True, slots=True)
class Enrolment:
    key: str
    sha256: str
    embedding: Embedding | None
    reasons: tuple[str, ...]


def _cached(
    cur: psycopg2.extensions.cursor, shas: list[str], fingerprint: str
) -> dict[str, tuple[Embedding | None, tuple[str, ...]]]:
    cur.execute(
        "select photo_sha256, embedding, reasons from ops.face_embeddings "
        "where photo_sha256 = any(%s) and model_fingerprint = %s",
        (shas, fingerprint),
    )
    return {
        sha: (Embedding.from_bytes(bytes(emb)) if emb is not None else None, tuple(reasons))
        for sha, emb, reasons in cur.fetchall()
    }


def _enrolment_photos(settings: Settings, matches: list[PunchMatch]) -> dict[str, bytes | None]:
    """Enrolment photo bytes by enrolment key (``None``: no such photo in the bucket)."""
    photos: dict[str, bytes | None] = {}
    for key in sorted({m.enrolment_key for m in matches}):
        photos[key] = get_bytes_or_none(settings.s3, key)
    return photos


def _embed_missing(
    eng: FaceEngine, by_sha: dict[str, bytes], cached: set[str]
) -> dict[str, EmbeddingResult]:
    """Embeddings of the enrolment photos not in the cache (inference: no transaction)."""
    missing = sorted(sha for sha in by_sha if sha not in cached)
    if not missing:
        return {}
    results: list[EmbeddingResult] = eng.embed_many([by_sha[s] for s in missing])
    log.info("computed %d enrolment embeddings (%d cached)", len(missing), len(cached))
    return dict(zip(missing, results, strict=True))


def _store_embeddings(
    cur: psycopg2.extensions.cursor, computed: dict[str, EmbeddingResult], fingerprint: str
) -> None:
    for sha, res in computed.items():
        emb = res.embedding
        cur.execute(
            """insert into ops.face_embeddings (photo_sha256, model_fingerprint, embedding,
                   reasons, faces_detected) values (%s, %s, %s, %s, %s)
               on conflict do nothing""",
            (
                sha,
                fingerprint,
                emb.to_bytes() if emb is not None else None,
                list(res.reasons),
                res.faces_detected,
            ),
        )


def _enrolments(
    photos: dict[str, bytes | None],
    shas: dict[str, str],
    cache: dict[str, tuple[Embedding | None, tuple[str, ...]]],
) -> dict[str, Enrolment]:
    out: dict[str, Enrolment] = {}
    for key, data in photos.items():
        if data is None:
            out[key] = Enrolment(key, "", None, (NO_ENROLMENT,))
            continue
        emb, reasons = cache[shas[key]]
        out[key] = Enrolment(key, shas[key], emb, reasons)
    return out


def _row(m: PunchMatch, enrol: Enrolment, v: Verification, faces: int) -> dict[str, Any]:
    return {
        "record_no": 1,
        "project_code": m.project_code,
        "device_sn": m.device_sn,
        "partition_date": m.partition_date,
        "vendor": m.vendor,
        "employee_no": m.employee_no,
        "punch_at": m.punch_at,
        "work_date": m.work_date,
        "worker_key": m.worker_key,
        "enrolment_key": enrol.key,
        "enrolment_sha256": enrol.sha256 or None,
        "similarity": v.similarity,
        "decision": v.decision,
        "reasons": list(v.reasons),
        "faces_detected": faces,
        "model_fingerprint": v.model_fingerprint,
        "threshold_version": v.threshold_version,
        "threshold": v.threshold,
    }


def verify_chunk(
    settings: Settings, day: date, capture_keys: list[str], eng: FaceEngine | None = None
) -> dict[str, Any]:
    """Verify ``capture_keys`` and stage the results as one ``face`` batch.

    No transaction is open while the models run (parallel chunks must not serialise on
    locks nor hold connections idle in a transaction): short reads, then S3 and inference,
    then one short write transaction (embedding cache, enrolments, the staged batch).
    """
    eng = eng or engine()
    fingerprint = eng.model_fingerprint
    load_id = loader.make_load_id(FEED, day, [f"{k}@{fingerprint}" for k in capture_keys])
    refs = _refs(capture_keys)
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        matches = {m.capture_key: m for m in match_punches(cur, refs)}
    photos = _enrolment_photos(settings, list(matches.values()))
    shas = {k: hashlib.sha256(v).hexdigest() for k, v in photos.items() if v is not None}
    by_sha = {shas[k]: v for k, v in photos.items() if v is not None}
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cache = _cached(cur, sorted(by_sha), fingerprint)
    keys = [k for k in capture_keys if k in matches]
    data = {k: get_bytes(settings.s3, k) for k in keys}

    # Inference, outside any transaction.
    computed = _embed_missing(eng, by_sha, set(cache))
    cache.update({sha: (res.embedding, tuple(res.reasons)) for sha, res in computed.items()})
    enrol = _enrolments(photos, shas, cache)
    captures = eng.embed_many([data[k] for k in keys])  # recognition batched
    rows: dict[str, dict[str, Any]] = {}
    for k, cap in zip(keys, captures, strict=True):
        e = enrol[matches[k].enrolment_key]
        rows[k] = _row(matches[k], e, eng.decide(cap, e.embedding), cap.faces_detected)

    def parse(obj: loader.LandingObject) -> ParseResult:
        result = ParseResult(kind=FEED, encoding="binary", rows_read=1)
        result.rows.append(rows[obj.key])
        return result

    landing = [
        loader.LandingObject(key=k, data=data[k], partition_date=matches[k].partition_date)
        for k in keys
    ]
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        _store_embeddings(cur, computed, fingerprint)
        _record_enrolments(cur, matches, enrol, fingerprint)
        summary = loader.stage(cur, FEED, load_id, landing, parse, PiiKeys(settings.pii_secret))
    decisions: dict[str, int] = {}
    for r in rows.values():
        decisions[r["decision"]] = decisions.get(r["decision"], 0) + 1
    log.info("verified %d captures: %s", len(rows), decisions)
    return {**summary.to_xcom(), "decisions": decisions}


def _refs(capture_keys: list[str]) -> list[CaptureRef]:
    refs = []
    for key in capture_keys:
        k = parse_key(key)
        if (
            k.project_code is None
            or k.device_sn is None
            or k.partition_date is None
            or k.capture_name is None
        ):
            raise ValueError(f"not a capture photo key: {key}")
        refs.append(
            CaptureRef(key, "", k.project_code, k.device_sn, k.partition_date, k.capture_name)
        )
    return refs


def _record_enrolments(
    cur: psycopg2.extensions.cursor,
    matches: dict[str, PunchMatch],
    enrol: dict[str, Enrolment],
    fingerprint: str,
) -> None:
    seen = {(m.project_code, m.employee_no): m for m in matches.values()}
    for (project, emp), m in sorted(seen.items()):
        e = enrol[m.enrolment_key]
        cur.execute(
            """insert into raw.face_enrolments (project_code, employee_no, worker_key,
                   enrolment_key, photo_sha256, model_fingerprint, usable, reasons)
               values (%s, %s, %s, %s, %s, %s, %s, %s)
               on conflict (project_code, employee_no, model_fingerprint) do update set
                   worker_key = excluded.worker_key, enrolment_key = excluded.enrolment_key,
                   photo_sha256 = excluded.photo_sha256, usable = excluded.usable,
                   reasons = excluded.reasons, updated_at = clock_timestamp()
               where raw.face_enrolments.photo_sha256 <> excluded.photo_sha256""",
            (
                project,
                emp,
                m.worker_key,
                e.key,
                e.sha256 or "",
                fingerprint,
                e.embedding is not None,
                list(e.reasons),
            ),
        )
