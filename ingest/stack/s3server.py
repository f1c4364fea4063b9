"""A local S3 endpoint: moto's S3 server on 127.0.0.1 (in-memory; gone when stopped)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from ingest.stack.proc import StackError, wait_for_port

log = logging.getLogger(__name__)


def start_moto(port: int, log_file: Path) -> int:
    """Start ``moto.server`` in its own session; return its pid (= process group id)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        wait_for_port(port, timeout=30)
    except StackError:
        proc.kill()
        raise StackError(f"moto S3 server did not come up; see {log_file}") from None
    return proc.pid
