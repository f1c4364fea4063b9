"""A local PostgreSQL cluster under the state directory (``initdb`` + ``pg_ctl``).

``initdb`` and ``postgres`` refuse to run as root: when we are root the cluster belongs to
the ``postgres`` OS user and every server command runs through ``runuser``. If that user
cannot reach the state directory (e.g. it lives under a mode-700 ``/root``), the cluster's
files go to ``/var/lib/postgresql/sitepass/<hash>`` and the state file records where.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ingest.config import path
from ingest.stack.proc import StackError, as_postgres, is_root, run

log = logging.getLogger(__name__)

SUPERUSER = "sitepass"
WAREHOUSE_DB = "sitepass"
AIRFLOW_DB = "airflow"


def find_bindir() -> Path:
    """Locate the PostgreSQL server binaries (``SITEPASS_PG_BIN`` wins)."""
    explicit = path("SITEPASS_PG_BIN")
    candidates = [str(explicit)] if explicit else []
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True
    )
    pg_config = shutil.which("pg_config")
    if pg_config:
        candidates.append(
            subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=False
            ).stdout.strip()
        )
    for cand in candidates:
        if cand and (Path(cand) / "initdb").exists() and (Path(cand) / "pg_ctl").exists():
            return Path(cand)
    raise StackError(
        "PostgreSQL server binaries not found (initdb, pg_ctl). Install the Debian package "
        "`postgresql` (`make setup` does it) or set SITEPASS_PG_BIN."
    )


#: The server's own settings, one place. A warehouse that bulk-loads a city-day writes
#: ≈ 2.3 GB of WAL in one marts build: with the default max_wal_size (1 GB) that forced 21
#: checkpoints, each followed by full-page images of every page touched again
#: (docs/scale.md, "Checkpoints"). Written to SETTINGS_CONF at every start, so an existing
#: cluster picks up a change at its next start.
TUNING = (
    "max_connections = 200",
    "shared_buffers = '256MB'",
    "work_mem = '32MB'",
    "maintenance_work_mem = '256MB'",
    # JIT compiles a plan once its estimated cost passes jit_above_cost: the marts' large
    # queries cross it as history grows, and compiling them cost more than running them
    # (fct_alerts at 12 months: 2.7 s of JIT in 8.4 s; docs/scale.md)
    "jit = off",
    "max_wal_size = '4GB'",
    "min_wal_size = '512MB'",
    "checkpoint_timeout = '15min'",
    "timezone = 'UTC'",
    "log_timezone = 'UTC'",
)
#: Throwaway test clusters (``up(fast=True)``): durability is not needed. Written once.
THROWAWAY_SETTINGS = ("fsync = off", "synchronous_commit = off", "full_page_writes = off")
SETTINGS_CONF = "sitepass.conf"
DURABILITY_CONF = "sitepass-throwaway.conf"


def server_settings(port: int, socket_dir: Path, major: int) -> tuple[str, ...]:
    """Every setting sitepass gives the server: where it listens, then TUNING."""
    return (
        "listen_addresses = '127.0.0.1'",
        f"port = {port}",
        f"unix_socket_directories = '{socket_dir}'",
        *TUNING,
        # full-page images compressed: lz4 (cheaper on CPU) from PostgreSQL 15 on
        f"wal_compression = {'lz4' if major >= 15 else 'on'}",
    )


@dataclass(frozen=True, slots=True)
class PgCluster:
    root: Path  # holds data/, run/ (socket), server.log
    port: int
    password: str
    bindir: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def dsn(self, database: str = WAREHOUSE_DB) -> str:
        return (
            f"postgresql://{SUPERUSER}:{quote(self.password, safe='')}"
            f"@127.0.0.1:{self.port}/{database}"
        )

    def sqlalchemy_url(self, database: str) -> str:
        return (
            f"postgresql+psycopg2://{SUPERUSER}:{quote(self.password, safe='')}"
            f"@127.0.0.1:{self.port}/{database}"
        )

    def _pg(self, tool: str) -> str:
        return str(self.bindir / tool)

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self, *, fast: bool) -> None:
        """Create the cluster (once) owned by the right OS user."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        os.chmod(pwfile, 0o600)
        if is_root():
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.socket_dir, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        try:
            run(
                as_postgres(
                    [
                        self._pg("initdb"),
                        "-D",
                        str(self.data_dir),
                        "-U",
                        SUPERUSER,
                        "--pwfile",
                        str(pwfile),
                        "--auth-local=trust",
                        "--auth-host=scram-sha-256",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                    ]
                )
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if fast:  # throwaway test clusters: durability is not needed
            self._write_conf(DURABILITY_CONF, THROWAWAY_SETTINGS)

    def _write_conf(self, name: str, settings: tuple[str, ...]) -> None:
        conf = self.data_dir / name
        conf.write_text(
            "# GENERATED by ingest.stack.postgres (edit TUNING there)\n"
            + "\n".join(settings)
            + "\n"
        )
        if is_root():
            shutil.chown(conf, "postgres", "postgres")

    def configure(self) -> None:
        """Write this version's server settings (read at the next start).

        A cluster initialised before SETTINGS_CONF existed kept its settings in
        ``postgresql.auto.conf`` (read last, so it would win): the settings sitepass now
        manages are taken out of it once, and ``postgresql.conf`` gains the includes.
        """
        major = int((self.data_dir / "PG_VERSION").read_text().split(".")[0])
        settings = server_settings(self.port, self.socket_dir, major)
        self._write_conf(SETTINGS_CONF, settings)
        main = self.data_dir / "postgresql.conf"
        text = main.read_text()
        if f"include_if_exists = '{SETTINGS_CONF}'" not in text:
            main.write_text(
                text + f"\n# sitepass: {SETTINGS_CONF} is rewritten at every start\n"
                f"include_if_exists = '{DURABILITY_CONF}'\n"
                f"include_if_exists = '{SETTINGS_CONF}'\n"
            )
        auto = self.data_dir / "postgresql.auto.conf"
        managed = {line.split("=", 1)[0].strip() for line in settings}
        lines = auto.read_text().splitlines() if auto.exists() else []
        kept = [ln for ln in lines if ln.split("=", 1)[0].strip() not in managed]
        if kept != lines:
            auto.write_text("\n".join(kept) + "\n")

    def start(self) -> int:
        """Start the server with this version's settings; return the postmaster pid."""
        self.configure()
        if is_root():
            self.log_file.touch()
            shutil.chown(self.log_file, "postgres", "postgres")
        run(
            as_postgres(
                [
                    self._pg("pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            )
        )
        return self.postmaster_pid() or 0

    def postmaster_pid(self) -> int | None:
        pidfile = self.data_dir / "postmaster.pid"
        try:
            return int(pidfile.read_text().splitlines()[0])
        except (FileNotFoundError, IndexError, ValueError, PermissionError):
            return None

    def stop(self) -> None:
        if self.postmaster_pid() is None:
            return
        run(as_postgres([self._pg("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"]))

    def create_databases(self) -> None:
        import psycopg2

        conn = psycopg2.connect(self.dsn("postgres"))
        try:
            conn.autocommit = True  # CREATE DATABASE cannot run in a transaction block
            with conn.cursor() as cur:
                for db in (WAREHOUSE_DB, AIRFLOW_DB):
                    cur.execute("select 1 from pg_database where datname = %s", (db,))
                    if cur.fetchone() is None:
                        cur.execute(f'create database "{db}"')
        finally:
            conn.close()


def cluster_root(home: Path) -> Path:
    """Where the cluster's files live: under ``home`` unless ``postgres`` cannot reach it."""
    preferred = home / "pg"
    if not is_root():
        return preferred
    home.mkdir(parents=True, exist_ok=True)
    probe = subprocess.run(as_postgres(["test", "-x", str(home)]), check=False)
    if probe.returncode == 0:
        return preferred
    digest = hashlib.sha1(str(home).encode(), usedforsecurity=False).hexdigest()[:12]
    fallback = Path("/var/lib/postgresql/sitepass") / digest
    log.info("postgres cannot reach %s; the cluster lives in %s", home, fallback)
    fallback.parent.mkdir(parents=True, exist_ok=True)
    shutil.chown(fallback.parent, "postgres", "postgres")
    return fallback


def new_password() -> str:
    return secrets.token_urlsafe(18)
