"""Run-time configuration: one table of every ``SITEPASS_*`` variable, one settings tree.

:data:`VARIABLES` declares every environment variable sitepass reads (name, default, type,
meaning, sub-tree), once; nothing else in the code reads ``SITEPASS_*`` from the
environment: it asks this module (:func:`text`, :func:`integer`, :func:`number`,
:func:`flag`, :func:`path`), which refuses undeclared names and raises
:class:`ConfigError` on invalid values. ``docs/configuration.md`` is generated from the
table (``python -m ingest.config --markdown``; a test keeps it current).

:meth:`Settings.from_env` builds the tree at run time (never at import): explicit
variables first (production: real MinIO / Postgres), then the embedded stack's state file
``$SITEPASS_HOME/state.json`` (``sitepass up``), then defaults. The face library keeps
its own validated :class:`ingest.face.config.FaceConfig` and reads its values from the
same table.

This module is a foundation declaration: it imports nothing of sitepass but
:mod:`ingest.errors`, so every layer (the face library too) may use it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlparse

from ingest.errors import ConfigError

if TYPE_CHECKING:
    from ingest.face.config import FaceConfig

__all__ = [
    "DEFAULT_BUCKET",
    "DEFAULT_PG_PORT",
    "DEFAULT_S3_PORT",
    "REPO_ROOT",
    "VARIABLES",
    "ConfigError",
    "DbtSettings",
    "ExportSettings",
    "GxSettings",
    "S3Settings",
    "Settings",
    "Variable",
    "WarehouseSettings",
    "explicit",
    "flag",
    "integer",
    "load_state",
    "markdown",
    "number",
    "path",
    "sitepass_home",
    "text",
]

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUCKET = "sitepass-landing"
DEFAULT_PG_PORT = 55432
DEFAULT_S3_PORT = 59000

Kind = Literal["str", "secret", "int", "port", "float", "bool", "path", "dsn"]
#: Sub-trees of the settings, in the order of the generated documentation.
TREES: dict[str, str] = {
    "stack": "Embedded stack (`sitepass up`) and the home directory",
    "warehouse": "Warehouse (PostgreSQL)",
    "s3": "Object storage (S3 / MinIO)",
    "airflow": "Airflow",
    "dbt": "dbt (the profile is rendered from these and the warehouse DSN)",
    "gx": "Great Expectations (quality gate)",
    "face": "Face verification (`ingest.face.config.FaceConfig`)",
    "export": "National OpenAPI export",
    "landing": "Landing-zone parsers",
    "deploy": "Deployment only (`infra/compose`, never read by Python)",
    "test": "Tests only",
}


@dataclass(frozen=True, slots=True)
class Variable:
    """One environment variable: declared once, documented from here."""

    name: str
    tree: str
    kind: Kind
    default: str | None  # text form, parsed like a value; None: unset or derived
    meaning: str
    shown_default: str = ""  # how the docs show a derived default
    low: float | None = None  # bounds of int/float values (inclusive)
    high: float | None = None
    set_by_sitepass: bool = False  # written by sitepass for a tool to read (GX config)

    @property
    def doc_default(self) -> str:
        if self.shown_default:
            return self.shown_default
        return "unset" if self.default is None else f"`{self.default}`"


def _v(name: str, tree: str, kind: Kind, default: str | None, meaning: str, **kw: Any) -> Variable:
    return Variable(name, tree, kind, default, meaning, **kw)


#: Every ``SITEPASS_*`` variable, declared once.
VARIABLES: tuple[Variable, ...] = (
    # stack
    _v("SITEPASS_HOME", "stack", "path", None,
       "state directory: embedded stack, logs, dbt profile, GX results, model pack; several "
       "stacks coexist with different homes and ports",
       shown_default="`<repo>/.sitepass` (face library alone: `./.sitepass`)"),
    _v("SITEPASS_PG_PORT", "stack", "port", str(DEFAULT_PG_PORT),
       "embedded Postgres port (127.0.0.1 only)", low=1, high=65535),
    _v("SITEPASS_S3_PORT", "stack", "port", str(DEFAULT_S3_PORT),
       "embedded S3 port (127.0.0.1 only)", low=1, high=65535),
    _v("SITEPASS_PG_BIN", "stack", "path", None, "PostgreSQL server binaries (initdb, pg_ctl)",
       shown_default="newest `/usr/lib/postgresql/<n>/bin`, else `pg_config --bindir`"),
    # warehouse
    _v("SITEPASS_PG_DSN", "warehouse", "dsn", None,
       "warehouse DSN `postgresql://user:pw@host:port/db`: set it for production",
       shown_default="from the stack"),
    _v("SITEPASS_PII_SECRET", "warehouse", "secret", None,
       "HMAC key of `worker_key` (keyed hash of the ID number) and of PII encryption",
       shown_default="generated per stack"),
    # s3
    _v("SITEPASS_S3_ENDPOINT", "s3", "str", None,
       "`host:port` of MinIO / any S3 endpoint (a leading `http://` is dropped)",
       shown_default="from the stack"),
    _v("SITEPASS_S3_ACCESS_KEY", "s3", "str", None, "S3 access key",
       shown_default="from the stack"),
    _v("SITEPASS_S3_SECRET_KEY", "s3", "secret", None, "S3 secret key",
       shown_default="from the stack"),
    _v("SITEPASS_S3_BUCKET", "s3", "str", DEFAULT_BUCKET, "landing bucket"),
    _v("SITEPASS_S3_SECURE", "s3", "bool", "false", "use TLS to reach the S3 endpoint"),
    _v("SITEPASS_S3_REGION", "s3", "str", "us-east-1", "S3 region"),
    _v("SITEPASS_S3_CONCURRENCY", "s3", "int", "16",
       "parallel object downloads of one batch (a city-day is tens of thousands of small "
       "device files: latency-bound)", low=1, high=256),
    _v("SITEPASS_S3_LISTING", "s3", "str", "prefix",
       "how discovery lists a day's objects: `prefix` (per project and device folder from "
       "the look-back day on, `StartAfter`: independent of history) or `bucket` (one "
       "listing of the whole bucket, which also reports stray keys outside the layout's "
       "folders; docs/orchestration.md)"),
    # airflow
    _v("SITEPASS_AIRFLOW_DSN", "airflow", "dsn", None,
       "SQLAlchemy URL of Airflow's metadata DB (embedded stack; production sets "
       "`AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`)", shown_default="from the stack"),
    _v("SITEPASS_WORKER_NAME", "airflow", "str", None,
       "name of a local Celery worker, appended to the host name task instances show"),
    # dbt
    _v("SITEPASS_TRANSFORM_SCHEMA", "dbt", "str", "analytics",
       "dbt target schema (models set their own `staging` / `intermediate` / `marts`)"),
    _v("SITEPASS_TRANSFORM_THREADS", "dbt", "int", "2", "dbt threads", low=1, high=64),
    # gx
    _v("SITEPASS_GX_PG_OPTIONS", "gx", "str", "-c jit=off -c work_mem=64MB",
       "session options of the validation connection (JIT costs more than most gate queries)"),
    _v("SITEPASS_GX_DOCS_BUCKET", "gx", "str", "sitepass-quality",
       "bucket of the GX Data Docs and dbt docs mirror"),
    _v("SITEPASS_GX_DOCS_PREFIX", "gx", "str", "data-docs/", "key prefix of the Data Docs"),
    _v("SITEPASS_GX_KEEP_RESULTS", "gx", "int", "400",
       "validation results (and their pages) kept before each Data Docs build", low=1),
    _v("SITEPASS_GX_PG_URL", "gx", "str", None,
       "SQLAlchemy URL `great_expectations.yml` refers to", set_by_sitepass=True,
       shown_default="set by sitepass from the warehouse DSN"),
    _v("SITEPASS_GX_RESULTS_DIR", "gx", "path", None, "GX validation results store",
       set_by_sitepass=True, shown_default="set by sitepass: `$SITEPASS_HOME/gx/validations/`"),
    _v("SITEPASS_GX_DOCS_DIR", "gx", "path", None, "GX Data Docs local site",
       set_by_sitepass=True, shown_default="set by sitepass: `$SITEPASS_HOME/gx-docs/`"),
    # face
    _v("SITEPASS_FACE_MODEL_DIR", "face", "path", None, "converted model pack",
       shown_default="`$SITEPASS_HOME/models/face`"),
    _v("SITEPASS_FACE_CACHE_DIR", "face", "path", None,
       "downloaded wheels / sdists / photos", shown_default="`$SITEPASS_HOME/cache`"),
    _v("SITEPASS_FACE_INSIGHTFACE_PACK", "face", "path", None,
       "operator-placed InsightFace pack dir (e.g. `buffalo_l`); replaces the default "
       "YuNet+SFace pack"),
    _v("SITEPASS_FACE_MATCH_THRESHOLD", "face", "float", "0.48",
       "cosine similarity at/above which a capture matches"),
    _v("SITEPASS_FACE_FRAUD_THRESHOLD", "face", "float", "0.60",
       "stricter cosine for \"same person under two identities\" (>= match threshold)"),
    _v("SITEPASS_FACE_THRESHOLD_VERSION", "face", "str", None,
       "label stamped on every decision", shown_default="`cos-m{match:.3f}-f{fraud:.3f}`"),
    _v("SITEPASS_FACE_MIN_FACE_PX", "face", "int", "40",
       "shorter side of the face box, in source pixels"),
    _v("SITEPASS_FACE_MIN_DET_SCORE", "face", "float", "0.70",
       "detector confidence needed to decide"),
    _v("SITEPASS_FACE_DET_SIZE", "face", "int", "640",
       "detector input: longest side in pixels, multiple of 32"),
    _v("SITEPASS_FACE_MAX_IMAGE_PIXELS", "face", "int", "40000000",
       "decompression-bomb guard (width*height)"),
    _v("SITEPASS_FACE_MAX_IMAGE_BYTES", "face", "int", "20971520", "encoded size guard"),
    _v("SITEPASS_FACE_PROVIDERS", "face", "str", "CPUExecutionProvider",
       "comma-separated onnxruntime providers"),
    _v("SITEPASS_FACE_THREADS", "face", "int", None,
       "onnxruntime intra-op threads per session", shown_default="`min(cpu_count, 4)`"),
    _v("SITEPASS_FACE_BATCH", "face", "int", "32", "recognition batch size"),
    _v("SITEPASS_FACE_PIP", "face", "str", None,
       "command used to `pip download` (e.g. `python3 -m pip`)", shown_default="auto"),
    # export
    _v("SITEPASS_NATIONAL_APPID", "export", "str", None,
       "appid of the national OpenAPI platform", shown_default="demo value of the stack"),
    _v("SITEPASS_NATIONAL_APPSECRET", "export", "secret", None,
       "appsecret (32 characters; AES key of field encryption)",
       shown_default="demo value of the stack"),
    # landing
    _v("SITEPASS_CODES_DIR", "landing", "path", None,
       "code tables the parsers validate against", shown_default="`<repo>/dbt/seeds/codes`"),
    # deploy
    _v("SITEPASS_DB_PASSWORD", "deploy", "secret", None,
       "password of the `sitepass` role (compose `.env`; `initdb/01-sitepass.sh` creates the "
       "role, the services' `SITEPASS_PG_DSN` embeds it)"),
    # test
    _v("SITEPASS_FACE_TEST_HOME", "test", "path", None,
       "home whose face cache / model pack the face tests reuse",
       shown_default="`<repo>/.sitepass`"),
)  # fmt: skip

VARS: dict[str, Variable] = {v.name: v for v in VARIABLES}


# --- reading -----------------------------------------------------------------------------


def variable(name: str) -> Variable:
    try:
        return VARS[name]
    except KeyError:
        raise ConfigError(f"{name} is not declared in ingest.config.VARIABLES") from None


def explicit(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable's value as set (stripped; an empty value is returned as ""), or None."""
    variable(name)
    raw = (os.environ if environ is None else environ).get(name)
    return None if raw is None else raw.strip()


def text(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable's value (stripped), else its declared default, else None."""
    return explicit(name, environ) or variable(name).default


def _bounded(var: Variable, value: float, raw: str) -> None:
    if (var.low is not None and value < var.low) or (var.high is not None and value > var.high):
        lo = "" if var.low is None else f"{var.low:g}"
        hi = "" if var.high is None else f"{var.high:g}"
        raise ConfigError(f"{var.name} must be in [{lo}, {hi}], got {raw!r}")


def integer(name: str, environ: Mapping[str, str] | None = None) -> int | None:
    var = variable(name)
    raw = text(name, environ)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        what = "a TCP port" if var.kind == "port" else "an integer"
        raise ConfigError(f"{name} must be {what}, got {raw!r}") from None
    _bounded(var, value, raw)
    return value


def number(name: str, environ: Mapping[str, str] | None = None) -> float | None:
    var = variable(name)
    raw = text(name, environ)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    _bounded(var, value, raw)
    return value


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def flag(name: str, environ: Mapping[str, str] | None = None) -> bool:
    raw = text(name, environ)
    if raw is None:
        return False
    low = raw.lower()
    if low not in _TRUE | _FALSE:
        raise ConfigError(f"{name} must be a boolean (true/false), got {raw!r}")
    return low in _TRUE


def path(name: str, environ: Mapping[str, str] | None = None) -> Path | None:
    raw = text(name, environ)
    return None if raw is None else Path(raw).expanduser()


def sitepass_home(environ: Mapping[str, str] | None = None) -> Path:
    """State directory of the embedded stack (``SITEPASS_HOME``, default ``<repo>/.sitepass``)."""
    return (path("SITEPASS_HOME", environ) or REPO_ROOT / ".sitepass").resolve()


def _int_env(name: str, default: int) -> int:
    """A declared integer variable, or ``default`` (e.g. the port in the state file)."""
    value = integer(name)
    return value if explicit(name) and value is not None else default


# --- the settings tree -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class S3Settings:
    endpoint: str  # host:port, no scheme (minio client style)
    access_key: str
    secret_key: str
    bucket: str
    secure: bool = False
    region: str = "us-east-1"
    concurrency: int = 16  # parallel downloads of one batch
    listing: str = "prefix"  # discovery: "prefix" (per folder) or "bucket" (one full listing)

    @property
    def endpoint_url(self) -> str:
        return f"{'https' if self.secure else 'http'}://{self.endpoint}"


@dataclass(frozen=True, slots=True)
class WarehouseSettings:
    """Connection parts of the warehouse DSN (what a dbt profile needs)."""

    host: str
    port: int
    user: str
    password: str
    dbname: str

    @classmethod
    def from_dsn(cls, dsn: str) -> WarehouseSettings:
        url = urlparse(dsn)
        if url.scheme not in {"postgresql", "postgres"}:
            raise ConfigError("the warehouse DSN must be a postgresql:// URI")
        try:
            port = url.port or 5432
        except ValueError as exc:
            raise ConfigError(f"the warehouse DSN has an invalid port: {exc}") from None
        return cls(
            host=url.hostname or "127.0.0.1",
            port=port,
            user=unquote(url.username or ""),
            password=unquote(url.password or ""),
            dbname=url.path.lstrip("/") or "sitepass",
        )


@dataclass(frozen=True, slots=True)
class DbtSettings:
    project_dir: Path
    profile_dir: Path  # rendered profiles.yml (ingest.transform.profile)
    schema: str
    threads: int


@dataclass(frozen=True, slots=True)
class GxSettings:
    pg_options: str
    docs_bucket: str
    docs_prefix: str  # ends with "/" (or is empty)
    keep_results: int


@dataclass(frozen=True, slots=True)
class ExportSettings:
    national_appid: str
    national_appsecret: str


#: Ways discovery can list the bucket (``SITEPASS_S3_LISTING``).
LISTINGS = ("prefix", "bucket")


def _listing(value: str | None) -> str:
    if value not in LISTINGS:
        raise ConfigError(f"SITEPASS_S3_LISTING={value!r}: choose one of {', '.join(LISTINGS)}")
    return value


def _declared(value: Any, name: str) -> Any:
    if value is None:  # a variable whose row declares a default is never None
        raise ConfigError(f"{name} has no value and no declared default")
    return value


def dbt_settings(home: Path, environ: Mapping[str, str] | None = None) -> DbtSettings:
    schema = "SITEPASS_TRANSFORM_SCHEMA"
    threads = "SITEPASS_TRANSFORM_THREADS"
    return DbtSettings(
        project_dir=REPO_ROOT / "dbt",
        profile_dir=home / "dbt-profile",
        schema=str(_declared(text(schema, environ), schema)),
        threads=int(_declared(integer(threads, environ), threads)),
    )


def gx_settings(environ: Mapping[str, str] | None = None) -> GxSettings:
    bucket, keep = "SITEPASS_GX_DOCS_BUCKET", "SITEPASS_GX_KEEP_RESULTS"
    prefix = text("SITEPASS_GX_DOCS_PREFIX", environ) or ""
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    # An explicitly empty SITEPASS_GX_PG_OPTIONS means "no options" (not the default).
    options = explicit("SITEPASS_GX_PG_OPTIONS", environ)
    if options is None:
        options = text("SITEPASS_GX_PG_OPTIONS", environ)
    return GxSettings(
        pg_options=options or "",
        docs_bucket=str(_declared(text(bucket, environ), bucket)),
        docs_prefix=prefix,
        keep_results=int(_declared(integer(keep, environ), keep)),
    )


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
    dbt: DbtSettings | None = field(default=None, repr=False)
    gx: GxSettings | None = field(default=None, repr=False)

    @property
    def warehouse(self) -> WarehouseSettings:
        return WarehouseSettings.from_dsn(self.warehouse_dsn)

    @property
    def export(self) -> ExportSettings:
        return ExportSettings(self.national_appid, self.national_appsecret)

    @property
    def transform(self) -> DbtSettings:
        """The dbt sub-tree (``dbt`` when built by :meth:`from_env`, else the defaults)."""
        return self.dbt or dbt_settings(self.home, {})

    @property
    def quality(self) -> GxSettings:
        return self.gx or gx_settings({})

    def face(self) -> FaceConfig:
        """The face library's :class:`~ingest.face.config.FaceConfig` (same table)."""
        from ingest.face.config import FaceConfig

        return FaceConfig.from_env()

    @classmethod
    def from_env(cls) -> Settings:
        home = sitepass_home()
        state = load_state(home)
        pg = state.get("postgres", {})
        s3 = state.get("s3", {})
        warehouse_dsn = text("SITEPASS_PG_DSN") or pg.get("dsn")
        airflow_dsn = text("SITEPASS_AIRFLOW_DSN") or pg.get("airflow_dsn")
        endpoint = text("SITEPASS_S3_ENDPOINT") or s3.get("endpoint")
        if not warehouse_dsn or not endpoint:
            raise ConfigError(
                "no stack configured: run `sitepass up` (embedded) or set "
                "SITEPASS_PG_DSN and SITEPASS_S3_ENDPOINT (production)"
            )
        WarehouseSettings.from_dsn(warehouse_dsn)  # validate early
        secret = text("SITEPASS_PII_SECRET") or state.get("pii_secret", "")
        if not secret:
            raise ConfigError("SITEPASS_PII_SECRET is not set and the stack state has none")
        national = state.get("national", {})
        bucket = explicit("SITEPASS_S3_BUCKET") or s3.get("bucket")
        return cls(
            home=home,
            warehouse_dsn=warehouse_dsn,
            airflow_dsn=airflow_dsn or "",
            s3=S3Settings(
                endpoint=endpoint.removeprefix("http://").removeprefix("https://"),
                access_key=text("SITEPASS_S3_ACCESS_KEY") or s3.get("access_key", ""),
                secret_key=text("SITEPASS_S3_SECRET_KEY") or s3.get("secret_key", ""),
                bucket=bucket or text("SITEPASS_S3_BUCKET") or DEFAULT_BUCKET,
                secure=flag("SITEPASS_S3_SECURE"),
                region=text("SITEPASS_S3_REGION") or "us-east-1",
                concurrency=int(
                    _declared(integer("SITEPASS_S3_CONCURRENCY"), "SITEPASS_S3_CONCURRENCY")
                ),
                listing=_listing(text("SITEPASS_S3_LISTING")),
            ),
            pii_secret=secret.encode(),
            dbt_project_dir=REPO_ROOT / "dbt",
            dags_dir=REPO_ROOT / "dags",
            national_appid=text("SITEPASS_NATIONAL_APPID") or national.get("appid", ""),
            national_appsecret=text("SITEPASS_NATIONAL_APPSECRET") or national.get("appsecret", ""),
            dbt=dbt_settings(home),
            gx=gx_settings(),
        )


def state_path(home: Path) -> Path:
    return home / "state.json"


def load_state(home: Path) -> dict[str, Any]:
    path_ = state_path(home)
    if not path_.exists():
        return {}
    data = json.loads(path_.read_text())
    return data if isinstance(data, dict) else {}


# --- documentation -----------------------------------------------------------------------

_DOC_HEAD = """\
# Configuration

<!-- GENERATED by `python -m ingest.config --markdown > docs/configuration.md` from the
table `VARIABLES` in ingest/config.py; do not edit by hand (tests/unit/test_config.py
fails when this file is stale). -->

Every environment variable sitepass reads is declared once, in `ingest/config.py`
(`VARIABLES`), and read only through it; an invalid value raises `ConfigError` naming the
variable. `Settings.from_env()` builds the settings tree at run time: explicit variables
win over the embedded stack's state file (`$SITEPASS_HOME/state.json`, written by
`sitepass up`), which wins over the defaults, so the same code runs on real MinIO /
Postgres / Airflow by setting the variables (see `infra/compose/docker-compose.yml`).

dbt has no variables of its own: its `profiles.yml` is rendered from the same settings
(`ingest/transform/profile.py`: host, port, user, password and database from
`SITEPASS_PG_DSN` or the stack, schema and threads from the dbt rows below) into
`$SITEPASS_HOME/dbt-profile/profiles.yml` (mode 0600); the `marts_build` DAG gets the same
profile through a Cosmos profile mapping at task run time.
"""


def markdown() -> str:
    """``docs/configuration.md`` (deterministic)."""
    out = [_DOC_HEAD]
    for tree, title in TREES.items():
        rows = [v for v in VARIABLES if v.tree == tree]
        if not rows:
            continue
        out.append(f"\n## {title}\n\n| variable | type | default | meaning |\n|---|---|---|---|\n")
        for v in rows:
            meaning = v.meaning + (" (set by sitepass, not by you)" if v.set_by_sitepass else "")
            out.append(f"| `{v.name}` | {v.kind} | {v.doc_default} | {meaning} |\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.config", description=__doc__)
    parser.add_argument("--markdown", action="store_true", help="print docs/configuration.md")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(markdown())
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
