"""CeleryExecutor on one machine: a Redis broker and N Celery workers, for the scale-out
check (the same DAGs, tasks spread over workers). Production runs the same roles on
several machines (``infra/compose/docker-compose.celery.yml``).

Everything starts in one process group of its own (stopped with :func:`ingest.stack.ui.stop`).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from ingest.config import text
from ingest.stack.airflow_env import airflow_env
from ingest.stack.proc import StackError, wait_for_port


def worker_hostname() -> str:
    """``[core] hostname_callable`` for local workers: the machine name plus the worker's
    name, so task instances show which of several workers on one machine ran them."""
    name = text("SITEPASS_WORKER_NAME")
    return f"{socket.getfqdn()}-{name}" if name else socket.getfqdn()


def celery_env(metadata_url: str, broker_port: int) -> dict[str, str]:
    backend = "db+" + metadata_url.replace("postgresql+psycopg2://", "postgresql://")
    return {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{broker_port}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": backend,
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
        "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
    }


def start_redis(port: int, home: Path, pgid: int | None = None) -> int:
    redis = shutil.which("redis-server")
    if redis is None:
        raise StackError(
            "redis-server not found: install the Debian package redis-server (`make setup` does)"
        )
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "redis.log").open("ab") as out:
        proc = subprocess.Popen(
            [
                redis,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            process_group=pgid if pgid is not None else 0,
        )
    wait_for_port(port, timeout=20)
    return proc.pid


def start_workers(
    home: Path, metadata_url: str, env: dict[str, str], names: list[str], pgid: int
) -> list[int]:
    """``airflow celery worker`` per name (hostname ``name@sitepass``), log servers off."""
    pids = []
    for name in names:
        full = {
            **airflow_env(home, metadata_url),
            **env,
            "SITEPASS_WORKER_NAME": name,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "ingest.stack.celery.worker_hostname",
        }
        with (home / "logs" / f"celery-{name}.log").open("ab") as out:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "airflow",
                    "celery",
                    "worker",
                    "--celery-hostname",
                    f"{name}@sitepass",
                    "--concurrency",
                    "2",
                    "--skip-serve-logs",
                ],
                env=full,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                process_group=pgid,
            )
        pids.append(proc.pid)
    return pids


def describe(info: dict[str, Any]) -> str:
    return f"celery group {info['pgid']}: {len(info['pids'])} processes"
