"""Benchmark: gate time vs load time on a synthetic city-day of ZKTeco punches.

``python bench/gate_vs_load.py --rows 200000`` (needs a running stack; it works in a
throwaway database ``sitepass_gxbench_<pid>`` on the same server, dropped at the end).
The gate itself reports no load time: this script times every step here, side by side,
with ``time.perf_counter`` (median of ``--repeat`` runs of each):

1. publishes a registry (one project and device per 300 punches) and rosters (150 workers
   per project) into ``raw``, and a trailing week of published punch batches of the same
   size into ``ops.load_audit`` (so the referential and volume checks do real work);
2. **load**: parses the day's attlog files and stages them with the real loader
   (:func:`ingest.warehouse.loader.stage`: parse + ``COPY`` + audit; no S3 download, so
   the load time is an underestimate and the ratio conservative); every run but the last
   is rolled back;
3. **copy**: the same rows ``COPY``-ed again into staging under another load id (the bare
   ``COPY`` the loader does, without parsing);
4. **gate**: :func:`ingest.quality.gate.run_gate` on the staged batch (the checkpoint as
   run in production: ``BOOLEAN_ONLY``; the first run included: a task process runs each
   checkpoint once), and for comparison the ``SUMMARY`` checkpoint.

It prints one JSON object: rows, seconds of each step and the ratios gate/load, gate/copy.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ingest.config import Settings, gx_settings

log = logging.getLogger("bench.gate_vs_load")

DAY = date(2026, 11, 2)
WORKERS_PER_PROJECT = 150
PUNCHES_PER_FILE = 2 * WORKERS_PER_PROJECT


def _dsn_for(dsn: str, dbname: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + dbname))


def _admin(dsn: str, sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(dsn)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def _project(i: int) -> str:
    return f"440303{DAY - timedelta(days=400):%Y%m%d}{i + 1:04d}"


def _seed_reference(dsn: str, projects: int, rows: int, *, roster_index: bool = True) -> None:
    from bench.cityday import MEMBERS_OF_VERSIONS
    from ingest.warehouse.db import connect
    from ingest.warehouse.migrate import migrate

    codes = [_project(i) for i in range(projects)]
    migrate(dsn)  # a fresh database: create the schema as a deploy does
    with connect(dsn) as conn, conn.cursor() as cur:
        reg_key = f"registry/dt={DAY}/projects.json"
        cur.execute(
            """insert into raw.registry_projects (load_id, object_key, object_sha256, record_no,
                   partition_date, project_code, name, category, area_code, prj_status)
               select 'registry:bench', %s, 'x', n, %s, c, 'bench', '01', '440303', '003'
                 from unnest(%s::text[]) with ordinality as t(c, n)""",
            (reg_key, DAY, codes),
        )
        cur.execute(
            """insert into raw.registry_devices (load_id, object_key, object_sha256, record_no,
                   partition_date, child_no, project_code, device_sn, vendor, role)
               select 'registry:bench', %s, 'x', n, %s, 1, c, 'ZK-B' || n, 'zkteco', 'both'
                 from unnest(%s::text[]) with ordinality as t(c, n)""",
            (reg_key, DAY, codes),
        )
        cur.execute(
            """insert into raw.roster_worker_versions (load_id, object_key, object_sha256,
                   record_no, project_code, partition_date, employee_no, entry_date,
                   worker_key, id_card_type, work_type, work_role, member_hash)
               select 'roster:bench', 'roster/' || c || '/dt=' || %s || '/workers.jsonl', 'x',
                      w, c, %s, w::text, %s, md5(c || w) || md5(w || c), '01', '010', '20',
                      'bench:' || c || '/' || w
                 from unnest(%s::text[]) as t(c), generate_series(1, %s) as w""",
            (
                str(DAY - timedelta(days=30)),
                DAY - timedelta(days=30),
                DAY - timedelta(days=90),
                codes,
                WORKERS_PER_PROJECT,
            ),
        )
        for back in range(1, 8):  # a trailing week of published batches of the same size
            day = DAY - timedelta(days=back)
            key = f"punches/bench/ZK-B/dt={day}/attlog.dat"
            load = f"zkteco:{day:%Y%m%d}:bench"
            cur.execute(
                """insert into ops.load_audit (object_key, object_sha256, object_size, feed,
                       partition_date, load_id, rows_read, rows_loaded, status)
                   values (%s, 'x', 0, 'zkteco', %s, %s, %s, %s, 'published')""",
                (key, day, load, rows, rows),
            )
            cur.execute(
                """insert into ops.load_audit_entity (object_key, object_sha256, entity,
                       dataset, load_id, rows_read, rows_loaded, rows_quarantined,
                       duplicates, ignored)
                   values (%s, 'x', 'zkteco', 'zkteco_punches', %s, %s, %s, 0, 0, 0)""",
                (key, load, rows, rows),
            )
        cur.execute(MEMBERS_OF_VERSIONS)
        cur.execute("insert into ops.roster_periods select * from ops.roster_periods_live")
        if roster_index:
            # Recommended for the warehouse migrations: without it ops.roster_periods is
            # quadratic in the roster size (its exit-date subquery scans raw.roster_workers
            # per worker): 6 s for 10k roster lines, which both the parser and the gate use.
            cur.execute(
                "create index if not exists roster_members_project_date "
                "on raw.roster_members (project_code, partition_date)"
            )
        cur.execute("analyze")


def _objects(rows: int) -> list[Any]:
    from ingest.warehouse.loader import LandingObject

    out = []
    start = datetime.combine(DAY, dtime(7, 0))
    for i in range((rows + PUNCHES_PER_FILE - 1) // PUNCHES_PER_FILE):
        n = min(PUNCHES_PER_FILE, rows - i * PUNCHES_PER_FILE)
        lines = []
        for j in range(n):
            w, second = j % WORKERS_PER_PROJECT + 1, j // WORKERS_PER_PROJECT
            ts = start + timedelta(hours=10 * second, seconds=j * 7 % 1800)
            lines.append(f"{w:06d}\t{ts:%Y-%m-%d %H:%M:%S}\t1\t{second}\t15\t0\n")
        project, device = _project(i), f"ZK-B{i + 1}"
        out.append(
            LandingObject(
                key=f"punches/{project}/{device}/dt={DAY}/attlog.dat",
                data="".join(lines).encode(),
                partition_date=DAY,
                etag="bench",
                context={"project_code": project, "device_sn": device, "partition_date": DAY},
            )
        )
    return out


def _stage(dsn: str, secret: bytes, objects: list[Any], *, keep: bool) -> tuple[str, float]:
    """Stage the day's objects; return the load id and the seconds of parse + COPY + audit
    (measured inside the transaction); roll back unless ``keep``."""
    from ingest.pipeline import stage_objects
    from ingest.warehouse import loader
    from ingest.warehouse.db import connect
    from ingest.warehouse.pii import PiiKeys

    load_id = loader.make_load_id("zkteco", DAY, [o.key for o in objects])
    t0 = time.perf_counter()
    with connect(dsn) as conn, conn.cursor() as cur:
        stage_objects(cur, PiiKeys(secret), "zkteco", DAY, load_id, objects)
        seconds = time.perf_counter() - t0
        if not keep:
            conn.rollback()
    return load_id, seconds


def _copy_only(dsn: str, load_id: str) -> float:
    """Time a bare COPY of the batch's rows (as the loader encodes them) under another id."""
    from ingest.warehouse.datasets import BOOKKEEPING, DATASETS
    from ingest.warehouse.db import connect, copy_rows

    ds = DATASETS["zkteco_punches"]
    cols = [c.name for c in BOOKKEEPING] + list(ds.column_names)
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            f"select {', '.join(cols)} from staging.zkteco_punches where load_id = %s", (load_id,)
        )
        rows = [["copy:" + load_id, *r[1:]] for r in cur.fetchall()]
        t0 = time.perf_counter()
        copy_rows(cur, "staging.zkteco_punches", cols, rows)
        seconds = time.perf_counter() - t0
        cur.execute("delete from staging.zkteco_punches where load_id = %s", ("copy:" + load_id,))
    return seconds


def bench(
    settings: Settings,
    rows: int = 200_000,
    *,
    summary: bool = True,
    roster_index: bool = True,
    repeat: int = 3,
) -> dict[str, Any]:
    from ingest.quality import project
    from ingest.quality.gate import run_gate
    from ingest.quality.suites import SUITES

    repeat = max(1, repeat)

    dbname = f"sitepass_gxbench_{os.getpid()}"
    _admin(settings.warehouse_dsn, f"create database {dbname}")
    dsn = _dsn_for(settings.warehouse_dsn, dbname)
    try:
        projects = (rows + PUNCHES_PER_FILE - 1) // PUNCHES_PER_FILE
        _seed_reference(dsn, projects, rows, roster_index=roster_index)
        objects = _objects(rows)
        load_times = []
        for i in range(repeat):  # the last run is kept: the gate validates its batch
            load_id, seconds = _stage(dsn, settings.pii_secret, objects, keep=i == repeat - 1)
            load_times.append(seconds)
        copy_times = [_copy_only(dsn, load_id) for _ in range(repeat)]
        t0 = time.perf_counter()
        project.quiet_gx()
        import great_expectations  # noqa: F401  (import time reported apart)

        import_s = time.perf_counter() - t0
        project.checkpoint(project.get_context(dsn), SUITES["zkteco_punches"]())  # deploy step
        times, runs = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            runs.append(run_gate(dsn, "zkteco_punches", load_id, docs=False))
            times.append(time.perf_counter() - t0)
        first = runs[0]
        load_s = statistics.median(load_times)
        copy_s = statistics.median(copy_times)
        gate_s = statistics.median(times)
        out: dict[str, Any] = {
            "rows": rows,
            "files": len(objects),
            "load_seconds": round(load_s, 3),
            "load_runs_seconds": [round(t, 3) for t in load_times],
            "copy_seconds": round(copy_s, 3),
            "gx_import_seconds": round(import_s, 3),
            "gate_seconds": round(gate_s, 3),
            "gate_runs_seconds": [round(t, 3) for t in times],
            "gate_success": first.success,
            "gate_failures": [f["check"] for f in first.failures],
            "expectations": first.evaluated,
            "gate_to_load": round(gate_s / load_s, 3),
            "gate_to_copy": round(gate_s / copy_s, 3),
        }
        if summary:
            context = project.get_context(dsn)
            cp = project.checkpoint(context, SUITES["zkteco_punches"](), project.DETAIL)
            t0 = time.perf_counter()
            with project.lock(exclusive=False):
                cp.run(
                    batch_parameters={"load_id": load_id},
                    expectation_parameters=_params(dsn, load_id),
                )
            out["gate_summary_format_seconds"] = round(time.perf_counter() - t0, 3)
        return out
    finally:
        _dispose(dsn)
        _admin(settings.warehouse_dsn, f"drop database if exists {dbname} with (force)")


def _params(dsn: str, load_id: str) -> dict[str, Any]:
    from ingest.quality.gate import _parameters
    from ingest.quality.suites import SUITES

    return _parameters(dsn, SUITES["zkteco_punches"](), load_id).params


def _dispose(dsn: str) -> None:
    """Close the GX engine's pooled connections to the bench database."""
    from ingest.quality import project

    for key, ctx in list(project._CONTEXTS.items()):
        if key[1] != project.sqlalchemy_url(dsn, gx_settings().pg_options):
            continue
        try:
            ds = ctx.data_sources.get(project.DATASOURCE)
            ds.get_engine().dispose()
        except Exception as exc:  # best effort: the database is force-dropped anyway
            log.debug("dispose: %s", exc)
        del project._CONTEXTS[key]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/gate_vs_load.py", description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--no-roster-index",
        action="store_true",
        help="bench the current schema (no index behind ops.roster_periods)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of load, copy and gate (medians reported)"
    )
    parser.add_argument(
        "--no-summary", action="store_true", help="skip the SUMMARY-format comparison run"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    out = bench(
        Settings.from_env(),
        args.rows,
        summary=not args.no_summary,
        roster_index=not args.no_roster_index,
        repeat=args.repeat,
    )
    sys.stdout.write(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
