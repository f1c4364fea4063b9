"""Identity fraud no single site can see.

- ``face``: one face enrolled under different ID numbers (worker_keys): enrolment
  embeddings compared across the whole city with the stricter fraud threshold.
- ``multi_site``: one worker_key with accepted punches at two projects on the same day.

Results replace the previous detection for the same inputs in ``raw.identity_fraud``;
``detected_at`` is the end of the run's data interval (never the wall clock).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

import numpy as np

from ingest.config import Settings
from ingest.face.config import FaceConfig
from ingest.face.results import Embedding
from ingest.warehouse.db import connect

log = logging.getLogger(__name__)
BLOCK = 4096  # rows per block of the similarity matrix (memory: BLOCK x N float32)


def face_duplicates(
    settings: Settings, detected_at: datetime, config: FaceConfig | None = None
) -> int:
    """Pairs of different worker_keys whose enrolment faces match above the fraud threshold."""
    cfg = config or FaceConfig.from_env()
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            """select e.worker_key, e.project_code, e.employee_no, f.embedding,
                      f.model_fingerprint
                 from raw.face_enrolments e
                 join ops.face_embeddings f
                   on f.photo_sha256 = e.photo_sha256
                  and f.model_fingerprint = e.model_fingerprint
                where e.usable and e.worker_key is not null and f.embedding is not null
                order by e.worker_key, e.project_code, e.employee_no"""
        )
        rows = cur.fetchall()
        found = 0
        for fingerprint in sorted({r[4] for r in rows}):
            group = [r for r in rows if r[4] == fingerprint]
            mat = np.stack([Embedding.from_bytes(bytes(r[3])).vector for r in group])
            for start in range(0, len(group), BLOCK):
                sims = mat[start : start + BLOCK] @ mat.T
                ii, jj = np.nonzero(sims >= cfg.fraud_threshold)
                for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
                    a, b = group[start + i], group[j]
                    if a[0] >= b[0]:  # each unordered pair of different keys once
                        continue
                    cur.execute(
                        """insert into raw.identity_fraud (fraud_kind, worker_key,
                               other_worker_key, project_code, other_project_code,
                               employee_no, other_employee_no, similarity,
                               model_fingerprint, threshold_version, detected_at)
                           values ('face', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                           on conflict do nothing""",
                        (
                            a[0],
                            b[0],
                            a[1],
                            b[1],
                            a[2],
                            b[2],
                            float(sims[i, j]),
                            fingerprint,
                            cfg.threshold_version,
                            detected_at,
                        ),
                    )
                    found += cur.rowcount
    log.info("identity fraud (face): %d new pairs", found)
    return found


def multi_site(settings: Settings, detected_at: datetime, since: date) -> int:
    """One worker_key with accepted punches at two different projects on one day, for the
    work dates from ``since`` (the run's lookback window)."""
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            """with punches as (
                   select project_code, employee_no, work_date from raw.zkteco_punches
                    where work_date >= %(since)s
                   union
                   select project_code, employee_no, work_date from raw.hikvision_events
                    where work_date >= %(since)s
               ), keyed as (
                   select distinct rp.worker_key, p.project_code, p.employee_no, p.work_date
                     from punches p
                     join ops.roster_periods rp using (project_code, employee_no)
                    where rp.worker_key is not null
               )
               insert into raw.identity_fraud (fraud_kind, worker_key, other_worker_key,
                   project_code, other_project_code, employee_no, other_employee_no,
                   work_date, detected_at)
               select 'multi_site', a.worker_key, null, a.project_code, b.project_code,
                      a.employee_no, b.employee_no, a.work_date, %(at)s
                 from keyed a
                 join keyed b
                   on a.worker_key = b.worker_key and a.work_date = b.work_date
                  and a.project_code < b.project_code
               on conflict do nothing""",
            {"since": since, "at": detected_at},
        )
        found = int(cur.rowcount)
    log.info("identity fraud (multi-site): %d new worker-days", found)
    return found
