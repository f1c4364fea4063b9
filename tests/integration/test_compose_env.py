"""The compose deployment's wiring, proven without Docker (issue 12).

``infra/compose/docker-compose.yml`` is read as it is: the ``x-airflow`` environment of the
Airflow services, interpolated with ``infra/compose/.env.example``. Only what Docker itself
would provide is mapped: host names and ports (``postgres:5432`` → the test cluster,
``minio:9000`` → the test S3 server), paths inside the image (``/opt/sitepass`` → this
checkout, the state volume → a temporary directory), the object store's key pair (the
one compose starts MinIO with → the test server's own: it checks signatures), and, so as
not to disturb the other tests sharing the servers, the role / database names and the
landing bucket (mapped the same way in the compose init SQL and in the DSNs). Then
``airflow db migrate``, ``landing_daily`` for one day of a tiny city and ``marts_build``
run with *only* that environment (plus PATH / HOME / PYTHONPATH), so a compose
configuration that lacks what dbt, GX or the face engine need fails here. The image's
build steps are read from the Dockerfile, and its ``dbt parse`` step is executed in a
temporary copy of the project.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "infra" / "compose"
DAY = date(2026, 11, 2)
IMAGE_ROOT = "/opt/sitepass"  # WORKDIR of the image
#: Names the compose init SQL creates, mapped to names no other test uses.
RENAMES = {"sitepass": "compose_sitepass", "airflow": "compose_airflow"}
BUCKET_RENAMES = {"sitepass-landing": "compose-landing"}

# A real landing_daily and marts_build: 7.5 min measured on 2 cores shared with 4 other
# sessions (landing_daily 49 s, marts_build 328 s: its ~67 dbt tasks dominate).
pytestmark = pytest.mark.slow


def dotenv(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def interpolate(value: str, values: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:?}``, ``${VAR:-default}``."""

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2) or "", m.group(3) or ""
        if name in values and (values[name] or op not in {":?", ":-"}):
            return values[name]
        if op.endswith("?"):
            raise AssertionError(f"compose needs {name}, which .env.example does not set")
        return arg

    return re.sub(r"\$\{([A-Z0-9_]+)(:?[?-])?([^}]*)\}", one, value)


def compose_airflow_env(values: dict[str, str]) -> dict[str, str]:
    doc = yaml.safe_load((COMPOSE / "docker-compose.yml").read_text(encoding="utf-8"))
    env = doc["x-airflow"]["environment"]
    # THEN every Airflow service uses that one environment
    for name in ("airflow-init", "api-server", "scheduler", "dag-processor", "triggerer"):
        assert doc["services"][name]["environment"] == env, name
    return {k: interpolate(str(v), values) for k, v in env.items()}


def init_sql(values: dict[str, str]) -> list[str]:
    """The SQL of ``initdb/01-sitepass.sh`` (its ``psql <<SQL`` here-document)."""
    script = (COMPOSE / "initdb" / "01-sitepass.sh").read_text(encoding="utf-8")
    m = re.search(r"<<-?\s*'?SQL'?\n(.*?)\nSQL\b", script, re.S)
    assert m, "initdb/01-sitepass.sh has no psql here-document"
    sql = interpolate(m.group(1), values)
    sql = re.sub(
        r"\b(role|database|owner)\s+(\w+)",
        lambda x: f"{x.group(1)} {RENAMES.get(x.group(2), x.group(2))}",
        sql,
    )
    return [s.strip() for s in sql.split(";") if s.strip()]


def map_url(url: str, pg: tuple[str, int]) -> str:
    parts = urlsplit(url)
    assert parts.hostname == "postgres" and (parts.port or 5432) == 5432, url
    user = RENAMES.get(unquote(parts.username or ""), parts.username or "")
    password = parts.password or ""
    db = RENAMES.get(parts.path.lstrip("/"), parts.path.lstrip("/"))
    netloc = f"{quote(user, safe='')}:{password}@{pg[0]}:{pg[1]}"
    return urlunsplit((parts.scheme, netloc, "/" + db, parts.query, parts.fragment))


def minio_credentials(values: dict[str, str]) -> tuple[str, str]:
    """The key pair the compose ``minio`` service is started with (its root user)."""
    doc = yaml.safe_load((COMPOSE / "docker-compose.yml").read_text(encoding="utf-8"))
    minio = doc["services"]["minio"]["environment"]
    return (
        interpolate(str(minio["MINIO_ROOT_USER"]), values),
        interpolate(str(minio["MINIO_ROOT_PASSWORD"]), values),
    )


def map_env(
    env: dict[str, str],
    pg: tuple[str, int],
    s3_endpoint: str,
    state: Path,
    s3_credentials: dict[tuple[str, str], tuple[str, str]] | None = None,
) -> dict[str, str]:
    """Hosts, ports, image paths, names: what Docker (and test isolation) maps; nothing else.
    ``s3_credentials`` maps the compose object store's key pair to the test server's (the
    test server checks signatures: it knows its own pair, not the one compose gives MinIO)."""
    pair = (env.get("SITEPASS_S3_ACCESS_KEY", ""), env.get("SITEPASS_S3_SECRET_KEY", ""))
    mapped = (s3_credentials or {}).get(pair)

    def one(value: str) -> str:
        if "postgres:5432" in value:
            value = map_url(value, pg)
        value = value.replace("minio:9000", s3_endpoint)
        value = BUCKET_RENAMES.get(value, value)
        if value.startswith("/var/lib/sitepass"):
            return str(state) + value.removeprefix("/var/lib/sitepass")
        if value.startswith(IMAGE_ROOT):
            return str(REPO) + value.removeprefix(IMAGE_ROOT)
        return value

    out = {key: one(value) for key, value in env.items()}
    if mapped is not None:
        out["SITEPASS_S3_ACCESS_KEY"], out["SITEPASS_S3_SECRET_KEY"] = mapped
    return out


def dockerfile_runs() -> list[str]:
    """The Dockerfile's RUN steps (continuation lines joined)."""
    text = (COMPOSE / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.strip()[4:].strip() for line in text.splitlines() if line.startswith("RUN ")]


@pytest.fixture()
def compose_databases(stack: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """GIVEN the compose init SQL run as the superuser against the test cluster (roles and
    databases renamed so the other tests' ``sitepass`` / ``airflow`` stay untouched)."""
    import psycopg2

    values = dotenv(COMPOSE / ".env.example")
    pg = (str(stack["postgres"]["host"]), int(stack["postgres"]["port"]))
    admin = stack["postgres"]["dsn"]

    def drop() -> None:
        conn = psycopg2.connect(admin)
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in RENAMES.values():
                cur.execute(f"drop database if exists {name} with (force)")
            for name in RENAMES.values():
                cur.execute(f"drop role if exists {name}")
        conn.close()

    drop()
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        for statement in init_sql(values):
            cur.execute(statement)
    conn.close()
    try:
        yield pg
    finally:
        drop()


def test_the_image_builds_the_dbt_manifest(tmp_path: Path) -> None:
    # GIVEN the Dockerfile's RUN steps
    runs = dockerfile_runs()
    parse = [r for r in runs if "dbt parse" in r]
    # THEN one of them builds the manifest marts_build renders its tasks from
    assert parse, f"the image never runs `dbt parse`: {runs}"
    # AND the face model pack is built into the image (landing_daily verifies faces)
    assert any("face build" in r for r in runs), runs
    # WHEN that step runs in a copy of the image's working directory
    work = tmp_path / "image"
    shutil.copytree(REPO / "dbt", work / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPO),
    }
    proc = subprocess.run(
        ["bash", "-c", parse[0]], cwd=work, env=env, capture_output=True, text=True, check=False
    )
    # THEN it succeeds with no database, and writes dbt/target/manifest.json
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (work / "dbt" / "target" / "manifest.json").is_file()


def test_compose_environment_runs_landing_and_marts(
    compose_databases: tuple[str, int], stack: dict[str, Any], tmp_path: Path
) -> None:
    from ingest import schedule
    from ingest.config import S3Settings
    from ingest.seed.city import CitySpec, write_city
    from ingest.stack.dagtest import run_series_subprocess

    # GIVEN the Airflow services' environment from docker-compose.yml and .env.example,
    # with hosts, ports, image paths and names mapped to the test servers
    values = dotenv(COMPOSE / ".env.example")
    compose = compose_airflow_env(values)
    state = tmp_path / "state"
    # (the Airflow services sign with the key pair compose starts MinIO with)
    minio = minio_credentials(values)
    assert (compose["SITEPASS_S3_ACCESS_KEY"], compose["SITEPASS_S3_SECRET_KEY"]) == minio
    env = map_env(
        compose,
        compose_databases,
        str(stack["s3"]["endpoint"]),
        state,
        {minio: (str(stack["s3"]["access_key"]), str(stack["s3"]["secret_key"]))},
    )
    assert not any(k.startswith("SITEPASS_DBT_") for k in env)
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(tmp_path / "home"),
            "PYTHONPATH": str(REPO),
        }
    )
    (tmp_path / "home").mkdir()
    # AND a tiny city in the (mapped) landing bucket, written with those credentials
    s3 = S3Settings(
        endpoint=env["SITEPASS_S3_ENDPOINT"],
        access_key=env["SITEPASS_S3_ACCESS_KEY"],
        secret_key=env["SITEPASS_S3_SECRET_KEY"],
        bucket=env["SITEPASS_S3_BUCKET"],
        secure=False,
    )
    report = write_city(s3, CitySpec.preset("tiny", start=DAY, days=1, seed=7))
    present = report["present"][DAY.isoformat()]

    # WHEN the airflow-init service's command runs
    init = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stdout[-3000:] + init.stderr[-3000:]
    # AND landing_daily runs for the day, then marts_build
    logical = [schedule.run_after_day(DAY)]
    landing = run_series_subprocess(env, "landing_daily", logical, tmp_path / "landing.log")
    assert landing.ok, landing.failure()
    marts = run_series_subprocess(env, "marts_build", logical, tmp_path / "marts.log")
    assert marts.ok, marts.failure()

    # THEN the compose warehouse has the day's attendance, one row per present worker
    import psycopg2

    conn = psycopg2.connect(env["SITEPASS_PG_DSN"])
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select project_code, employee_no, punch_count, is_present "
                "from marts.fct_attendance_daily where work_date = %s order by 1, 2",
                (DAY,),
            )
            rows = cur.fetchall()
            cur.execute(
                "select rows_read, rows_loaded, rows_quarantined, duplicates, ignored, "
                "status from ops.load_audit"
            )
            audit = cur.fetchall()
    finally:
        conn.close()
    # THEN the daily attendance mart has exactly one row per present worker, each with the
    # day's two punches
    expected = sorted((p, e.lstrip("0")) for p, emps in present.items() for e in emps)
    assert [(r[0], r[1]) for r in rows] == expected
    assert all(r[2] == 2 and r[3] for r in rows)
    # AND every landed row is accounted for in the audit, every batch published
    assert audit and all(r[0] == r[1] + r[2] + r[3] + r[4] and r[5] == "published" for r in audit)
    # AND the run kept its state in the (mapped) state volume, not in the checkout
    assert state.exists()
