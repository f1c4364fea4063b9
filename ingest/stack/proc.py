"""Small process helpers shared by the embedded-stack services."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence

log = logging.getLogger(__name__)


class StackError(RuntimeError):
    """The embedded stack could not be started, stopped or inspected."""


def is_root() -> bool:
    return os.geteuid() == 0


def as_postgres(cmd: Sequence[str]) -> list[str]:
    """Prefix ``cmd`` so that it runs as the ``postgres`` OS user when we are root."""
    if not is_root():
        return list(cmd)
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(_quote(c) for c in cmd)]


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\"'\"'") + "'"


def run(cmd: Sequence[str], *, env: dict[str, str] | None = None) -> str:
    """Run a command to completion; raise :class:`StackError` with its output on failure."""
    proc = subprocess.run(list(cmd), capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise StackError(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}{proc.stderr}"
        )
    return proc.stdout


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_in_use(port, host):
            return
        time.sleep(0.1)
    raise StackError(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def pid_alive(pid: int) -> bool:
    try:  # reap it first if it is our own exited child (else it lingers as a zombie)
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_group(pgid: int, timeout: float = 10.0) -> None:
    """SIGTERM a process group we started, then SIGKILL it if it does not go."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pgid):
                return
            time.sleep(0.1)
        log.warning("process group %s ignored %s", pgid, sig.name)
