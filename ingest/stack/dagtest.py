"""Run one DAG for a series of logical dates in one process, as ``airflow dags test`` does.

``airflow dags test <dag> <date>`` parses the DAG bag, syncs it to the metadata DB and
calls ``DAG.test(logical_date=...)``: a real DagRun whose tasks run in-process through the
task SDK, recorded in Airflow's DB like any other run. Starting that command once per day
costs ~10 s of interpreter start-up, DAG parsing, Great Expectations and face-model
imports and shutdown, which is more than a small city's day of work. This module parses
the DAG once and calls the same ``DAG.test`` for every date in turn, so a month-long
backfill pays the start-up once and the face model and GX context are loaded once.

Usage (in the environment of :func:`ingest.stack.airflow_env.airflow_env`)::

    python -m ingest.stack.dagtest landing_daily 2026-10-02T00:00:00+08:00 ... [--conf JSON]

For every finished run one line ``SITEPASS-DAGRUN {"logical_date": ..., "state": ...,
"seconds": ...}`` is written to stdout (the parent shows progress from them); the first
failed run stops the series (later days depend on earlier ones) with exit status 1.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

MARKER = "SITEPASS-DAGRUN "


@dataclass(frozen=True, slots=True)
class DagRunOutcome:
    """One finished DAG run of a series (the payload of a ``SITEPASS-DAGRUN`` line)."""

    dag_id: str
    logical_date: str  # ISO, with offset
    run_id: str | None
    state: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.state == "success"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> DagRunOutcome:
        data = json.loads(text)
        return cls(
            dag_id=str(data["dag_id"]),
            logical_date=str(data["logical_date"]),
            run_id=data.get("run_id"),
            state=str(data["state"]),
            seconds=float(data["seconds"]),
        )


@dataclass(frozen=True, slots=True)
class SeriesResult:
    """Outcome of :func:`run_series_subprocess`: the finished runs, in order."""

    runs: tuple[DagRunOutcome, ...]
    returncode: int
    log_path: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and all(r.ok for r in self.runs)

    def failure(self) -> str:
        """The error lines of the run's log, for the message of a failed series."""
        return failure_excerpt(self.log_path.read_text(encoding="utf-8", errors="replace"))


def run_series_subprocess(
    env: dict[str, str],
    dag_id: str,
    logical_dates: Sequence[datetime],
    log_path: Path,
    *,
    conf: dict[str, object] | None = None,
    on_run: Callable[[DagRunOutcome], None] | None = None,
) -> SeriesResult:
    """Run ``python -m ingest.stack.dagtest`` in ``env``; stream its output to ``log_path``.

    ``on_run`` is called with each run's marker payload as soon as the run finishes.
    """
    cmd = [
        sys.executable,
        "-m",
        "ingest.stack.dagtest",
        dag_id,
        *(d.isoformat() for d in logical_dates),
    ]
    if conf:
        cmd += ["--conf", json.dumps(conf)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    runs: list[DagRunOutcome] = []
    with (
        log_path.open("w", encoding="utf-8") as sink,
        subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        ) as proc,
    ):
        if proc.stdout is None:  # pragma: no cover - PIPE always gives a stream
            raise RuntimeError("no stdout from the DAG runner")
        for line in proc.stdout:
            sink.write(line)
            if line.startswith(MARKER):
                run = DagRunOutcome.from_json(line[len(MARKER) :])
                runs.append(run)
                if on_run is not None:
                    on_run(run)
        returncode = proc.wait()
    return SeriesResult(runs=tuple(runs), returncode=returncode, log_path=log_path)


def failure_excerpt(output: str, limit: int = 40) -> str:
    """The error lines of a DAG test run (its tail is a list of skipped tasks)."""
    keep = [
        line
        for line in output.splitlines()
        if "[error" in line
        or "Error" in line
        or "ERROR" in line
        or "FAIL" in line
        or "Traceback" in line
    ]
    return "\n".join(keep[-limit:]) or output[-3000:]


def _emit(outcome: DagRunOutcome) -> None:
    sys.stdout.write(MARKER + outcome.to_json() + "\n")
    sys.stdout.flush()


def run_series(
    dag_id: str, logical_dates: Sequence[datetime], conf: dict[str, object] | None
) -> int:
    """Run ``dag_id`` once per logical date; 0 when every run succeeded."""
    from airflow.providers_manager import ProvidersManager
    from airflow.utils.cli import get_bagged_dag
    from airflow.utils.state import DagRunState

    ProvidersManager().initialize_providers_configuration()  # type: ignore[no-untyped-call]
    dag = get_bagged_dag(None, dag_id)
    for logical in logical_dates:
        t0 = time.monotonic()
        dr = dag.test(logical_date=logical, run_conf=conf)
        state = str(getattr(dr, "state", "unknown"))
        ok = dr is not None and dr.state == DagRunState.SUCCESS
        _emit(
            DagRunOutcome(
                dag_id=dag_id,
                logical_date=logical.isoformat(),
                run_id=getattr(dr, "run_id", None),
                state=state,
                seconds=round(time.monotonic() - t0, 1),
            )
        )
        if not ok:
            return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.stack.dagtest", description=__doc__)
    parser.add_argument("dag_id")
    parser.add_argument("logical_dates", nargs="+", type=datetime.fromisoformat)
    parser.add_argument("--conf", type=json.loads, default=None, help="run conf (JSON object)")
    args = parser.parse_args(argv)
    for d in args.logical_dates:
        if d.tzinfo is None:
            parser.error(f"logical date {d.isoformat()} has no UTC offset")
    return run_series(args.dag_id, args.logical_dates, args.conf)


if __name__ == "__main__":
    sys.exit(main())
