"""The settings tree: one table of every SITEPASS_* variable, its generated documentation,
and dbt's profile rendered from the same settings."""

from __future__ import annotations

import ast
import json
import re
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from ingest import config, errors
from ingest.config import VARIABLES, ConfigError, Settings

ROOT = Path(__file__).resolve().parents[2]
CODE_TREES = ("ingest", "dags", "plugins", "dbt", "infra", "Makefile")
NAME = re.compile(r"SITEPASS_[A-Z0-9_]+")
SKIP_DIRS = {"target", "logs", "dbt_packages", "__pycache__"}


def _files(*trees: str) -> list[Path]:
    out: list[Path] = []
    for tree in trees:
        base = ROOT / tree
        if base.is_file():
            out.append(base)
            continue
        for p in base.rglob("*"):
            if p.is_file() and not SKIP_DIRS & set(p.relative_to(ROOT).parts):
                out.append(p)
    return sorted(out)


def _names_in(files: list[Path]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for p in files:
        try:
            body = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for name in NAME.findall(body):
            where = p.relative_to(ROOT) if p.is_relative_to(ROOT) else p
            found.setdefault(name, set()).add(str(where))
    return found


def _undeclared(names: dict[str, set[str]]) -> dict[str, list[str]]:
    declared = {v.name for v in VARIABLES}
    return {
        name: sorted(where)
        for name, where in names.items()
        # "SITEPASS_FACE_" and the like are prefixes of declared names, not variables
        if name not in declared
        and not (name.endswith("_") and any(d.startswith(name) for d in declared))
    }


def test_configuration_doc_is_generated_from_the_table() -> None:
    # GIVEN the committed docs/configuration.md
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    # WHEN the table renders it again
    rendered = config.markdown()
    # THEN they are identical (else: python -m ingest.config --markdown > docs/configuration.md)
    assert committed == rendered, "docs/configuration.md is stale"
    # AND every declared variable is in it, once
    for var in VARIABLES:
        assert committed.count(f"| `{var.name}` |") == 1, var.name


def test_every_variable_in_the_code_is_declared_once() -> None:
    # GIVEN every SITEPASS_* name in the code trees (tests may name absent ones on purpose)
    names = _names_in(_files(*CODE_TREES))
    # WHEN they are compared with the table
    undeclared = _undeclared(names)
    # THEN none is missing from it, and no row is declared twice
    assert undeclared == {}
    counts = [v.name for v in VARIABLES]
    assert sorted({n for n in counts if counts.count(n) > 1}) == []
    assert all(v.tree in config.TREES for v in VARIABLES)


def test_the_grep_catches_an_undeclared_variable(tmp_path: Path) -> None:
    # GIVEN a file that reads a variable the table does not declare
    bad = tmp_path / "x.py"
    bad.write_text('os.environ.get("SITEPASS_NOT_DECLARED")\nPREFIX = "SITEPASS_FACE_"\n')
    # WHEN the same check runs on it
    found = _undeclared(_names_in([bad]))
    # THEN the undeclared name is reported and a declared prefix is not
    assert list(found) == ["SITEPASS_NOT_DECLARED"]


def test_no_code_reads_a_sitepass_variable_around_the_table() -> None:
    # GIVEN the Python code of the package, the DAGs and the plugins
    direct = re.compile(r"""(environ\.get\(|environ\[|getenv\()\s*["']SITEPASS_""")
    # WHEN it is searched for direct environment reads of SITEPASS_* names
    offenders = [
        str(p.relative_to(ROOT))
        for p in _files("ingest", "dags", "plugins")
        if p.suffix == ".py"
        and p.name != "config.py"
        and direct.search(p.read_text(encoding="utf-8"))
    ]
    # THEN there is none outside ingest/config.py
    assert offenders == []


def test_no_dbt_variable_family_remains() -> None:
    # GIVEN the repository's code, docs and infra
    files = _files(*CODE_TREES, "docs", "bench", "README.md", ".sqlfluff")
    # WHEN searched for the old SITEPASS_DBT_* variables (dbt's profile is rendered)
    hits = {
        str(p.relative_to(ROOT)) for p in files if "SITEPASS_DBT_" in p.read_text(errors="replace")
    }
    # THEN none is left, and no static profiles.yml with environment lookups either
    assert hits == set()
    assert not (ROOT / "dbt" / "profiles.yml").exists()


def test_config_is_a_foundation_module() -> None:
    # GIVEN ingest/config.py (the face library and the landing parsers may import it)
    tree = ast.parse((ROOT / "ingest" / "config.py").read_text())
    # WHEN its module-level imports are listed
    imported = {
        n.module
        for n in tree.body
        if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("ingest")
    } | {a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names}
    # THEN the only sitepass module it imports is the error policy
    assert {m for m in imported if m.startswith("ingest")} == {"ingest.errors"}
    assert config.ConfigError is errors.ConfigError


@pytest.mark.parametrize(
    ("name", "value", "reader"),
    [
        ("SITEPASS_PG_PORT", "fivefive", config.integer),
        ("SITEPASS_PG_PORT", "70000", config.integer),
        ("SITEPASS_S3_SECURE", "maybe", config.flag),
        ("SITEPASS_TRANSFORM_THREADS", "0", config.integer),
        ("SITEPASS_GX_KEEP_RESULTS", "many", config.integer),
        ("SITEPASS_FACE_MATCH_THRESHOLD", "high", config.number),
    ],
)
def test_invalid_values_raise_config_error(
    name: str, value: str, reader: Callable[[str, Mapping[str, str]], object]
) -> None:
    # GIVEN an invalid value WHEN it is read through the table THEN ConfigError names it
    with pytest.raises(errors.ConfigError, match=name):
        reader(name, {name: value})


def test_undeclared_names_are_refused() -> None:
    # GIVEN a name the table does not declare WHEN read THEN ConfigError, not a silent None
    with pytest.raises(ConfigError, match="not declared"):
        config.text("SITEPASS_NOPE", {})


def test_settings_tree_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN production-style variables and an empty home
    for var in VARIABLES:
        monkeypatch.delenv(var.name, raising=False)
    env = {
        "SITEPASS_HOME": str(tmp_path),
        "SITEPASS_PG_DSN": "postgresql://sp:p%40ss@db.example:6543/wh",
        "SITEPASS_S3_ENDPOINT": "http://minio:9000",
        "SITEPASS_S3_ACCESS_KEY": "ak",
        "SITEPASS_S3_SECRET_KEY": "sk",
        "SITEPASS_S3_SECURE": "true",
        "SITEPASS_PII_SECRET": "k" * 32,
        "SITEPASS_TRANSFORM_THREADS": "4",
        "SITEPASS_GX_DOCS_PREFIX": "dd",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    # WHEN the settings are built
    s = Settings.from_env()
    # THEN the flat attributes the call sites use and the sub-trees carry the values
    assert s.home == tmp_path.resolve()
    assert (s.s3.endpoint, s.s3.bucket, s.s3.secure) == ("minio:9000", "sitepass-landing", True)
    assert s.s3.endpoint_url == "https://minio:9000"
    assert s.pii_secret == b"k" * 32
    assert s.dbt_project_dir == config.REPO_ROOT / "dbt"
    wh = s.warehouse
    assert (wh.host, wh.port, wh.user, wh.password, wh.dbname) == (
        "db.example",
        6543,
        "sp",
        "p@ss",
        "wh",
    )
    assert (s.transform.schema, s.transform.threads) == ("analytics", 4)
    assert s.transform.profile_dir == tmp_path.resolve() / "dbt-profile"
    assert (s.quality.docs_bucket, s.quality.docs_prefix, s.quality.keep_results) == (
        "sitepass-quality",
        "dd/",
        400,
    )
    # AND nothing is configured when neither variables nor a stack exist
    monkeypatch.delenv("SITEPASS_PG_DSN")
    with pytest.raises(ConfigError, match="no stack configured"):
        Settings.from_env()


def test_dbt_profile_is_rendered_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ingest.transform.profile import PROFILE, TARGET, render, write_placeholder

    # GIVEN settings whose DSN has a quoted password
    monkeypatch.setenv("SITEPASS_HOME", str(tmp_path))
    monkeypatch.setenv("SITEPASS_PG_DSN", "postgresql://sp:p%40ss@db:5433/wh")
    monkeypatch.setenv("SITEPASS_S3_ENDPOINT", "s3:9000")
    monkeypatch.setenv("SITEPASS_PII_SECRET", "x")
    monkeypatch.setenv("SITEPASS_TRANSFORM_SCHEMA", "an")
    # WHEN the profile is rendered
    out = render(Settings.from_env())
    # THEN it sits under the home, readable by the owner only, with the parsed connection
    path = out / "profiles.yml"
    assert out == tmp_path.resolve() / "dbt-profile"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    body = path.read_text()
    target = json.loads(body[body.index("{") :])[PROFILE]["outputs"][TARGET]
    assert {k: target[k] for k in ("host", "port", "user", "password", "dbname", "schema")} == {
        "host": "db",
        "port": 5433,
        "user": "sp",
        "password": "p@ss",
        "dbname": "wh",
        "schema": "an",
    }
    # AND the parse-only placeholder carries no secret
    ph = write_placeholder(tmp_path / "ph") / "profiles.yml"
    assert '"password": ""' in ph.read_text()
