"""Benchmark: parse + validate + COPY of a city-day of punches vs plain COPY of the same rows.

Runs against the stack `sitepass status --json` describes (start one with `sitepass up`).
Both paths load into the same Postgres, side by side in one run:

- **sitepass**: attlog bytes → `parse_zkteco` (decoding, field checks, roster lookup,
  partition/future checks, dedupe) → `loader.stage` (COPY into the staging table, quarantine,
  audit rows) — what a daily run does per feed, without the gate;
- **plain COPY**: the already-parsed rows as CSV → `COPY ... FROM STDIN (FORMAT csv)` into an
  unindexed table of the same columns — the floor for getting rows into Postgres.

Usage: python bench/ingest_copy.py [--devices 3000] [--workers 150] [--repeats 2]
"""

from __future__ import annotations

import argparse
import io
import logging
import random
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime

from ingest.config import Settings
from ingest.landing.context import ParseContext
from ingest.landing.zkteco import parse_zkteco
from ingest.schedule import SHANGHAI
from ingest.warehouse import loader
from ingest.warehouse.db import connect
from ingest.warehouse.migrate import migrate
from ingest.warehouse.pii import PiiKeys

log = logging.getLogger("bench.ingest_copy")
DAY = date(2026, 11, 2)


def make_files(devices: int, workers: int, seed: int = 1) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    files = []
    for d in range(devices):
        project = f"440305{DAY - timedelta(days=300):%Y%m%d}{d:04d}"
        lines = []
        for w in range(workers):
            if rng.random() < 0.06:
                continue
            t_in = datetime.combine(DAY, dtime(7, 0)) + timedelta(seconds=rng.randrange(2400))
            t_out = datetime.combine(DAY, dtime(17, 30)) + timedelta(seconds=rng.randrange(2400))
            for ts, st in ((t_in, 0), (t_out, 1)):
                lines.append(f"{w + 1:06d}\t{ts:%Y-%m-%d %H:%M:%S}\t1\t{st}\t15\t0")
        key = f"punches/{project}/ZK-{d:05d}/dt={DAY}/attlog.dat"
        files.append((key, ("\n".join(lines) + "\n").encode()))
    return files


def run_sitepass(settings: Settings, files: list[tuple[str, bytes]], workers: int) -> float:
    interval_end = datetime.combine(DAY + timedelta(days=1), dtime(0), tzinfo=SHANGHAI)
    roster = {str(w + 1) for w in range(workers)}

    def lookup(project: str, employee_no: str, day: date) -> bool:
        return employee_no in roster

    def parse(obj: loader.LandingObject):  # type: ignore[no-untyped-def]
        ctx = ParseContext.from_key(obj.key, interval_end=interval_end, roster_lookup=lookup)
        return parse_zkteco(obj.data, ctx)

    objects = [
        loader.LandingObject(
            key=k,
            data=b,
            partition_date=DAY,
            context={
                "project_code": k.split("/")[1],
                "device_sn": k.split("/")[2],
                "partition_date": DAY,
            },
        )
        for k, b in files
    ]
    t0 = time.perf_counter()
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        summary = loader.stage(
            cur, "zkteco", "bench:zkteco", objects, parse, PiiKeys(settings.pii_secret)
        )
        conn.rollback()  # leave the warehouse as it was
    elapsed = time.perf_counter() - t0
    log.info("sitepass path: %d rows staged in %.2fs", summary.rows_staged, elapsed)
    return elapsed


def run_plain_copy(settings: Settings, files: list[tuple[str, bytes]]) -> tuple[int, float]:
    rows = io.StringIO()
    n = 0
    for key, data in files:
        project, device = key.split("/")[1:3]
        for line in data.decode().splitlines():
            pin, ts, verified, status, mode, work_code = line.split("\t")
            rows.write(f"{project},{device},{pin},{ts}+08,{verified},{status},{mode},{work_code}\n")
            n += 1
    with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "create temporary table bench_plain (project_code text, device_sn text, "
            "pin text, punch_at timestamptz, verified smallint, status smallint, "
            "verify_mode smallint, work_code text)"
        )
        rows.seek(0)
        t0 = time.perf_counter()
        cur.copy_expert("copy bench_plain from stdin (format csv)", rows)
        elapsed = time.perf_counter() - t0
        conn.rollback()
    log.info("plain COPY: %d rows in %.2fs", n, elapsed)
    return n, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings.from_env()
    migrate(settings.warehouse_dsn)
    files = make_files(args.devices, args.workers)
    best_sp, best_plain, rows = float("inf"), float("inf"), 0
    for _ in range(args.repeats):  # interleaved, best of N
        best_sp = min(best_sp, run_sitepass(settings, files, args.workers))
        rows, plain = run_plain_copy(settings, files)
        best_plain = min(best_plain, plain)
    sys.stdout.write(
        f"city-day punches: {rows} rows in {len(files)} files\n"
        f"  sitepass parse+validate+COPY: {best_sp:.2f}s  {rows / best_sp:,.0f} rows/s\n"
        f"  plain COPY from CSV:          {best_plain:.2f}s  {rows / best_plain:,.0f} rows/s\n"
        f"  ratio (sitepass / plain):     {best_sp / best_plain:.1f}x\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
