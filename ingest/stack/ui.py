"""``sitepass ui``: the Airflow UI and scheduler against the embedded stack.

Runs ``api-server`` (127.0.0.1 only), ``scheduler``, ``dag-processor`` and ``triggerer`` as
one process group with the stack's settings: LocalExecutor with parallelism for 2 cores,
the execution API URL matching the chosen port, and no log-server processes (Airflow's
log servers listen on every interface; with the LocalExecutor the API server reads task
logs from local files, so none is needed). Ctrl-C (or ``sitepass down``) stops the whole
group: SIGINT first, then SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ingest.stack.airflow_env import airflow_env
from ingest.stack.proc import StackError, port_in_use, wait_for_port

log = logging.getLogger(__name__)

COMPONENTS: tuple[tuple[str, ...], ...] = (
    ("scheduler", "--skip-serve-logs"),
    ("dag-processor",),
    ("triggerer", "--skip-serve-logs"),
)


def ui_env(home: Path, metadata_url: str, port: int) -> dict[str, str]:
    env = airflow_env(home, metadata_url)
    env.update(
        {
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
        }
    )
    return env


def start(
    home: Path, metadata_url: str, port: int, extra_env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Start the UI group; return ``{"pgid": …, "pids": […], "url": …}``.

    ``extra_env`` overrides settings (e.g. the CeleryExecutor and its broker)."""
    if port_in_use(port):
        raise StackError(f"port {port} is taken: choose another with --port")
    env = {**ui_env(home, metadata_url, port), **(extra_env or {})}
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    airflow = [sys.executable, "-m", "airflow"]
    with (logs / "ui-api-server.log").open("ab") as out:
        leader = subprocess.Popen(
            [*airflow, "api-server", "-H", "127.0.0.1", "-p", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            process_group=0,  # a group of its own that the other components join
        )
    pids = [leader.pid]
    for comp in COMPONENTS:
        with (logs / f"ui-{comp[0]}.log").open("ab") as out:
            proc = subprocess.Popen(
                [*airflow, *comp],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                process_group=leader.pid,
            )
        pids.append(proc.pid)
    wait_for_port(port, timeout=120)
    return {
        "pgid": leader.pid,
        "pids": pids,
        "url": f"http://127.0.0.1:{port}",
        "password_file": str(home / "airflow" / "simple_auth_manager_passwords.json.generated"),
    }


def _reap(pgid: int) -> None:
    """Collect exited members of the group that are our own children (zombies would keep
    the group alive)."""
    while True:
        try:
            pid, _ = os.waitpid(-pgid, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def stop(pgid: int, timeout: float = 20.0) -> None:
    """SIGINT the group (Airflow shuts down cleanly), then SIGTERM, then SIGKILL."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            _reap(pgid)
            time.sleep(0.2)
        log.warning("UI process group %s ignored %s", pgid, sig.name)
