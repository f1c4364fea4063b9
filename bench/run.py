"""``make bench``: side-by-side ratios on a throwaway stack.

Starts its own embedded stack under ``$SITEPASS_HOME/bench`` on the ports
``SITEPASS_PG_PORT`` / ``SITEPASS_S3_PORT`` name (stop a demo stack first, or point those
at free ports), builds a city-day of punches in memory, runs each pair alternately
(ours, reference, ours, …; medians of ``--repeat`` runs, peak memory), stops the stack,
prints the table and writes ``bench/results/latest.json`` (a list of rows
``{"id", "what", "ours", "reference", "unit", "ratio", "target", "met", …}``) and
``BENCHMARKS.md``.

Profiles: ``quick`` = P1, P1-pandas, P3 at full city-day size; ``full`` adds the growth
rows P1-x4, P1-x16, P4 (the daily marts run with 12 months of history vs 1 month,
:mod:`bench.p4_history`) and P5 (a large city's second day end to end through Airflow and
dbt on a durable stack of its own, :mod:`bench.p5_cityday`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import cityday
from bench.p1_ingest import growth, p1, p1_pandas
from bench.p3_gate import p3
from bench.p4_history import p4
from bench.p5_cityday import p5
from ingest.config import Settings, sitepass_home
from ingest.stack.manager import down, up
from ingest.warehouse.db import connect
from ingest.warehouse.migrate import migrate
from ingest.warehouse.pii import PiiKeys

log = logging.getLogger("bench")
REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "latest.json"
REPORT = REPO / "BENCHMARKS.md"
#: P1-pandas runs on every PANDAS_EVERY-th site: ``to_sql`` of a whole city-day takes
#: many minutes, and both sides of the pair see the same subset.
PANDAS_EVERY = 8


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
    }


#: Row ids each profile runs (``--rows`` picks a subset).
PROFILES = {
    "quick": ("P1", "P1-pandas", "P3"),
    "full": ("P1", "P1-pandas", "P3", "P1-x4", "P1-x16", "P4", "P5"),
}
#: The rows issue 13 asks BENCHMARKS.md to hold; the report names those it lacks.
REQUIRED = ("P1", "P1-pandas", "P3", "P4", "P5", "P1-x4", "P1-x16", "P4-x4", "P4-x16")


def run(profile: str, repeat: int, size: str, only: tuple[str, ...]) -> list[dict[str, Any]]:
    home = sitepass_home() / "bench"
    rows: list[dict[str, Any]] = []
    if set(only) - {"P5"}:
        rows += _on_throwaway_stack(home, repeat, size, only)
    if "P5" in only:
        rows.append(p5(home / "p5", size))
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    for r in rows:
        r.update(profile=profile, size=size, repeat=1 if r["id"] == "P5" else repeat)
        r.update(measured_at=stamp)
    return rows


def _on_throwaway_stack(
    home: Path, repeat: int, size: str, only: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Every row but P5, on one stack without durability (fsync off) or Airflow."""
    shutil.rmtree(home, ignore_errors=True)
    os.environ["SITEPASS_HOME"] = str(home)
    up(home, fast=True, migrate_airflow=False)
    try:
        settings = Settings.from_env()
        migrate(settings.warehouse_dsn)
        with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
            cur.execute("show server_version")
            row = cur.fetchone()
        log.info("PostgreSQL %s", row[0] if row else "?")
        rows: list[dict[str, Any]] = []
        if {"P1", "P1-pandas", "P3", "P1-x4", "P1-x16"} & set(only):
            keys = PiiKeys(settings.pii_secret)
            city = cityday.make(size)
            with connect(settings.warehouse_dsn) as conn, conn.cursor() as cur:
                cityday.publish_reference(cur, keys, city)
            cityday.quiesce(settings.warehouse_dsn)
            dsn = settings.warehouse_dsn
            if "P1" in only:
                rows.append(p1(dsn, keys, city, repeat))
            if "P1-pandas" in only:
                rows.append(p1_pandas(dsn, keys, city.subset(PANDAS_EVERY), repeat))
            if "P3" in only:
                rows.append(p3(settings, city, repeat))
            if {"P1-x4", "P1-x16"} & set(only):
                rows += [r for r in growth(dsn, keys, city, repeat) if r["id"] in only]
        if "P4" in only:
            rows.append(p4(settings, repeat))
        return rows
    finally:
        down(home)
        shutil.rmtree(home, ignore_errors=True)


def merged(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with the rows of the previous results that this run did not measure (a
    ``--rows`` subset keeps the others, each with its own ``measured_at``)."""
    ran = {r["id"] for r in rows}
    try:
        previous = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        previous = []
    kept = [r for r in previous if isinstance(r, dict) and r.get("id") not in ran]
    return kept + rows


def table(rows: list[dict[str, Any]]) -> str:
    head = "| id | what | ours | reference | unit | ratio | target | met |\n"
    head += "|---|---|---:|---:|---|---:|---|---|\n"
    return head + "".join(
        f"| {r['id']} | {r['what']} | {r['ours']:,} | {r['reference']:,} | {r['unit']} "
        f"| {r['ratio']} | {r['target']} | {'yes' if r['met'] else '**no**'} |\n"
        for r in rows
    )


def _runs(rows: list[dict[str, Any]]) -> list[str]:
    """One line per run the rows come from (a ``--rows`` run keeps the others' rows)."""
    runs: dict[tuple[str, str, int], list[str]] = {}
    for r in rows:
        key = (str(r.get("measured_at", "")), str(r.get("profile", "")), int(r.get("repeat", 0)))
        runs.setdefault(key, []).append(str(r["id"]))
    return [
        f"Run: profile `{profile}`, {stamp}; medians of {repeat} alternating repetitions: "
        + ", ".join(ids)
        + "."
        for (stamp, profile, repeat), ids in sorted(runs.items())
    ]


def report(rows: list[dict[str, Any]], info: dict[str, Any]) -> str:
    met = [r["id"] for r in rows if r["met"]]
    missed = [r["id"] for r in rows if not r["met"]]
    absent = [i for i in REQUIRED if i not in {r["id"] for r in rows}]
    lines = [
        "# Benchmarks",
        "",
        "<!-- written by `make bench` (bench/run.py); numbers from the run below -->",
        "",
        *_runs(rows),
        "",
        f"Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory_gib']} GiB, "
        f"Python {info['python']}, {info['os']}.",
        "",
        table(rows),
        f"Met: {', '.join(met) or 'none'}. Missed: {', '.join(missed) or 'none'}. "
        f"Not measured by this bench yet: {', '.join(absent) or 'none'}"
        + (" (P5 runs in the full profile: `--rows P5`)." if "P5" in absent else "."),
        "",
        "Row details (seconds of every repetition, rows, peak memory) are in "
        "`bench/results/latest.json`; what each row measures is in `bench/README.md`.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--profile", choices=("quick", "full"), default="full")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--size", default="large", help="city preset (tiny … large)")
    parser.add_argument(
        "--rows",
        default="",
        help="comma-separated row ids to measure (default: every row of the profile); "
        "the other rows of the previous results are kept",
    )
    args = parser.parse_args(argv)
    only = tuple(r for r in args.rows.split(",") if r) or PROFILES[args.profile]
    unknown = set(only) - set(PROFILES["full"])
    if unknown:
        parser.error(f"unknown row ids {sorted(unknown)}; choose from {PROFILES['full']}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("ingest.warehouse.loader", "great_expectations", "ingest.quality"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    rows = merged(run(args.profile, max(3, args.repeat), args.size, only))
    info = machine()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    REPORT.write_text(report(rows, info))
    sys.stdout.write(table(rows))
    sys.stdout.write(f"\nwrote {RESULTS.relative_to(REPO)} and {REPORT.relative_to(REPO)}\n")
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
