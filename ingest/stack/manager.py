"""``sitepass up / down / status``: the embedded stack's lifecycle and its state file."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ingest.config import (
    DEFAULT_BUCKET,
    DEFAULT_PG_PORT,
    DEFAULT_S3_PORT,
    S3Settings,
    _int_env,
    load_state,
    state_path,
    text,
)
from ingest.stack.airflow_env import airflow_env
from ingest.stack.postgres import PgCluster, cluster_root, find_bindir, new_password
from ingest.stack.proc import StackError, pid_alive, port_in_use
from ingest.stack.s3server import READY_TIMEOUT_S, start_s3, stop_s3
from ingest.warehouse.migrate import migrate

log = logging.getLogger(__name__)


def _write_state(home: Path, state: dict[str, Any]) -> None:
    path = state_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def _cluster(state: dict[str, Any]) -> PgCluster:
    pg = state["postgres"]
    return PgCluster(Path(pg["root"]), int(pg["port"]), pg["password"], Path(pg["bindir"]))


def up(home: Path, *, fast: bool = False, migrate_airflow: bool = True) -> dict[str, Any]:
    """Start (or resume) the embedded stack in ``home``; return its state."""
    home.mkdir(parents=True, exist_ok=True)
    state = load_state(home)
    pg_port = _int_env(
        "SITEPASS_PG_PORT", int(state.get("postgres", {}).get("port", DEFAULT_PG_PORT))
    )
    s3_port = _int_env("SITEPASS_S3_PORT", int(state.get("s3", {}).get("port", DEFAULT_S3_PORT)))
    state.setdefault("pii_secret", secrets.token_hex(32))
    # Demo credentials for the national-platform export (production: set the env vars).
    state.setdefault("national", {"appid": "sitepass-demo", "appsecret": secrets.token_hex(16)})

    # PostgreSQL
    if "postgres" not in state:
        state["postgres"] = {
            "root": str(cluster_root(home)),
            "password": new_password(),
            "bindir": str(find_bindir()),
        }
    state["postgres"]["port"] = pg_port
    _write_state(home, state)  # the password must survive a failure below
    cluster = _cluster(state)
    if not cluster.initialised():
        log.info("initialising PostgreSQL cluster in %s", cluster.data_dir)
        cluster.init(fast=fast)
    pid = cluster.postmaster_pid()
    if pid is None or not pid_alive(pid):
        if port_in_use(pg_port):
            raise StackError(f"port {pg_port} is taken: set SITEPASS_PG_PORT to a free port")
        log.info("starting PostgreSQL on 127.0.0.1:%s", pg_port)
        pid = cluster.start()
    cluster.create_databases()
    state["postgres"].update(
        {
            "pid": pid,
            "dsn": cluster.dsn(),
            "airflow_dsn": cluster.sqlalchemy_url("airflow"),
            "warehouse_url": cluster.sqlalchemy_url("sitepass"),
        }
    )
    _write_state(home, state)
    # The warehouse schema: created or migrated here, once, never by a data step.
    log.info("warehouse schema at revision %s", migrate(state["postgres"]["dsn"]))

    # S3 (SeaweedFS, on disk under home/s3)
    s3 = state.setdefault(
        "s3",
        {
            "access_key": "sitepass",
            "secret_key": secrets.token_hex(16),
            "bucket": text("SITEPASS_S3_BUCKET") or DEFAULT_BUCKET,
        },
    )
    s3["port"] = s3_port
    s3["endpoint"] = f"127.0.0.1:{s3_port}"
    if not (s3.get("pid") and pid_alive(int(s3["pid"])) and port_in_use(s3_port)):
        if port_in_use(s3_port):
            raise StackError(f"port {s3_port} is taken: set SITEPASS_S3_PORT to a free port")
        log.info("starting S3 endpoint on 127.0.0.1:%s", s3_port)
        s3["pid"] = start_s3(
            home, s3_port, s3["access_key"], s3["secret_key"], home / "logs" / "s3.log"
        )
    _write_state(home, state)
    _ensure_bucket_when_ready(
        S3Settings(s3["endpoint"], s3["access_key"], s3["secret_key"], s3["bucket"])
    )

    if migrate_airflow and not state.get("airflow_migrated"):
        log.info("migrating Airflow metadata database")
        env = airflow_env(home, state["postgres"]["airflow_dsn"])
        proc = subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise StackError(
                f"airflow db migrate failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
            )
        state["airflow_migrated"] = True
        _write_state(home, state)
    return state


def remember_ui(home: Path, pgid: int | None) -> None:
    """Record (or forget) the process group of a running `sitepass ui`."""
    state = load_state(home)
    state["ui"] = {"pgid": pgid}
    _write_state(home, state)


def _ensure_bucket_when_ready(s3: S3Settings) -> None:
    """Create the landing bucket once the gateway answers signed requests (its port
    listens a little before its filer is ready)."""
    from ingest.storage import StorageUnavailable, ensure_bucket

    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        try:
            ensure_bucket(s3)
            return
        except StorageUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def down(home: Path) -> list[str]:
    """Stop exactly the processes ``up`` (and ``ui``) started in ``home``."""
    from ingest.stack import ui

    state = load_state(home)
    stopped: list[str] = []
    ui_pgid = state.get("ui", {}).get("pgid")
    if ui_pgid and pid_alive(int(ui_pgid)):
        ui.stop(int(ui_pgid))
        stopped.append(f"airflow ui (process group {ui_pgid})")
    state.pop("ui", None)
    s3 = state.get("s3", {})
    if s3.get("pid") and pid_alive(int(s3["pid"])):
        stop_s3(int(s3["pid"]))
        stopped.append(f"s3 (pid {s3['pid']})")
    if "postgres" in state:
        cluster = _cluster(state)
        pid = cluster.postmaster_pid()
        if pid is not None and pid_alive(pid):
            cluster.stop()
            stopped.append(f"postgres (pid {pid})")
    for svc in ("s3", "postgres"):
        if svc in state:
            state[svc]["pid"] = None
    if state:
        _write_state(home, state)
    return stopped


def status(home: Path) -> dict[str, Any]:
    """What runs in ``home``: DSNs, S3 endpoint, bucket, credentials, liveness."""
    state = load_state(home)
    pg = state.get("postgres", {})
    s3 = state.get("s3", {})
    pg_running = (
        bool(pg) and _cluster(state).postmaster_pid() is not None and port_in_use(int(pg["port"]))
    )
    s3_running = bool(s3.get("pid")) and pid_alive(int(s3["pid"])) and port_in_use(int(s3["port"]))
    return {
        "home": str(home),
        "running": pg_running and s3_running,
        "postgres": {
            "running": pg_running,
            "host": "127.0.0.1",
            "port": pg.get("port"),
            "user": "sitepass",
            "password": pg.get("password"),
            "dsn": pg.get("dsn"),
            "warehouse_url": pg.get("warehouse_url"),
            "airflow_dsn": pg.get("airflow_dsn"),
            "data_dir": str(Path(pg["root"]) / "data") if pg else None,
            "pid": _cluster(state).postmaster_pid() if pg else None,
        },
        "s3": {
            "running": s3_running,
            "endpoint": s3.get("endpoint"),
            "endpoint_url": f"http://{s3['endpoint']}" if s3.get("endpoint") else None,
            "bucket": s3.get("bucket"),
            "access_key": s3.get("access_key"),
            "secret_key": s3.get("secret_key"),
            "pid": s3.get("pid"),
        },
        "airflow": {"home": str(home / "airflow"), "metadata_dsn": pg.get("airflow_dsn")},
    }
