"""Run-time configuration, built from the environment when asked for (never at import).

The embedded stack (``sitepass up``) records what it started in ``$SITEPASS_HOME/state.json``;
:func:`Settings.from_env` reads explicit ``SITEPASS_*`` variables first (production: real
MinIO / Postgres), then that state file, then defaults.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUCKET = "sitepass-landing"
DEFAULT_PG_PORT = 55432
DEFAULT_S3_PORT = 59000


class ConfigError(RuntimeError):
    """The configuration is missing or inconsistent."""


def sitepass_home() -> Path:
    """State directory of the embedded stack (``SITEPASS_HOME``, default ``./.sitepass``)."""
    return Path(os.environ.get("SITEPASS_HOME", REPO_ROOT / ".sitepass")).resolve()


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc
    if not 0 < value < 65536:
        raise ConfigError(f"{name} must be a TCP port, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class S3Settings:
    endpoint: str  # host:port, no scheme (minio client style)
    access_key: str
    secret_key: str
    bucket: str
    secure: bool = False
    region: str = "us-east-1"

    @property
    def endpoint_url(self) -> str:
        return f"{'https' if self.secure else 'http'}://{self.endpoint}"


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    warehouse_dsn: str  # libpq URI of the warehouse database
    airflow_dsn: str  # SQLAlchemy URL of Airflow's metadata database
    s3: S3Settings
    pii_secret: bytes  # HMAC key for worker_key; never logged
    dbt_project_dir: Path
    dags_dir: Path
    national_appid: str = ""
    national_appsecret: str = ""  # 32 characters; AES key of the national export

    @classmethod
    def from_env(cls) -> Settings:
        home = sitepass_home()
        state = load_state(home)
        pg = state.get("postgres", {})
        s3 = state.get("s3", {})
        warehouse_dsn = os.environ.get("SITEPASS_PG_DSN") or pg.get("dsn")
        airflow_dsn = os.environ.get("SITEPASS_AIRFLOW_DSN") or pg.get("airflow_dsn")
        endpoint = os.environ.get("SITEPASS_S3_ENDPOINT") or s3.get("endpoint")
        if not warehouse_dsn or not endpoint:
            raise ConfigError(
                "no stack configured: run `sitepass up` (embedded) or set "
                "SITEPASS_PG_DSN and SITEPASS_S3_ENDPOINT (production)"
            )
        secret = os.environ.get("SITEPASS_PII_SECRET") or state.get("pii_secret", "")
        if not secret:
            raise ConfigError("SITEPASS_PII_SECRET is not set and the stack state has none")
        return cls(
            home=home,
            warehouse_dsn=warehouse_dsn,
            airflow_dsn=airflow_dsn or "",
            s3=S3Settings(
                endpoint=endpoint.removeprefix("http://").removeprefix("https://"),
                access_key=os.environ.get("SITEPASS_S3_ACCESS_KEY") or s3.get("access_key", ""),
                secret_key=os.environ.get("SITEPASS_S3_SECRET_KEY") or s3.get("secret_key", ""),
                bucket=os.environ.get("SITEPASS_S3_BUCKET") or s3.get("bucket", DEFAULT_BUCKET),
                secure=os.environ.get("SITEPASS_S3_SECURE", "").lower() in {"1", "true", "yes"},
            ),
            pii_secret=secret.encode(),
            dbt_project_dir=Path(os.environ.get("SITEPASS_DBT_DIR", REPO_ROOT / "dbt")),
            dags_dir=REPO_ROOT / "dags",
            national_appid=os.environ.get("SITEPASS_NATIONAL_APPID")
            or state.get("national", {}).get("appid", ""),
            national_appsecret=os.environ.get("SITEPASS_NATIONAL_APPSECRET")
            or state.get("national", {}).get("appsecret", ""),
        )


def state_path(home: Path) -> Path:
    return home / "state.json"


def load_state(home: Path) -> dict:  # type: ignore[type-arg]
    path = state_path(home)
    if not path.exists():
        return {}
    return json.loads(path.read_text())  # type: ignore[no-any-return]
