"""`sitepass ui`: the Airflow UI on the embedded stack, loopback only, stopped as a group."""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Any


def _listening_ports_on_all_interfaces() -> set[int]:
    """TCP ports in LISTEN state bound to 0.0.0.0 or [::] (from /proc/net)."""
    ports = set()
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as fh:
            for line in fh.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                addr, port = local.split(":")
                if state == "0A" and set(addr) == {"0"}:
                    ports.add(int(port, 16))
    return ports


def test_ui_serves_on_loopback_and_stops_as_a_group(stack: dict[str, Any]) -> None:
    from ingest.config import Settings
    from ingest.stack import ui
    from ingest.stack.proc import free_port, pid_alive

    settings = Settings.from_env()
    before = _listening_ports_on_all_interfaces()
    port = free_port()
    # WHEN the UI starts against the test stack
    info = ui.start(settings.home, settings.airflow_dsn, port)
    try:
        with urllib.request.urlopen(f"{info['url']}/api/v2/version", timeout=10) as resp:
            version = json.load(resp)["version"]
        # THEN it answers on 127.0.0.1 and opened no port on every interface
        assert version.startswith("3.")
        assert port not in _listening_ports_on_all_interfaces()
        assert _listening_ports_on_all_interfaces() <= before
    finally:
        ui.stop(info["pgid"])
    # AND after stop no process of the group is left
    assert not any(pid_alive(pid) for pid in info["pids"])
    try:
        os.killpg(info["pgid"], 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive
