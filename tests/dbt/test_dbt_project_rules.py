"""Project-structure checks of the dbt project, at error severity.

dbt-project-evaluator is a dbt-hub package that cannot be installed here (no hub, and its
code is not ours to vendor), so its checks that matter for this project are re-implemented
over ``target/manifest.json``. Each check is named after the evaluator's model (without
the ``fct_`` prefix); accepted exceptions live in ``dbt/seeds/evaluator/
evaluator_exceptions.csv``, each with a reason. The manifest comes from ``dbt parse`` (no
database needed).
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DBT = ROOT / "dbt"
EXCEPTIONS = DBT / "seeds" / "evaluator" / "evaluator_exceptions.csv"
LAYERS = {"staging": 0, "intermediate": 1, "marts": 2}
PREFIXES = {"staging": ("stg_",), "intermediate": ("int_",), "marts": ("fct_", "dim_", "rpt_")}
MODEL_FANOUT_THRESHOLD = 3
TOO_MANY_JOINS = 7
CHAINED_VIEWS_THRESHOLD = 4
#: Models that implement a rule of docs/rules.md: each needs at least one unit test.
RULE_MODELS = (
    "int_punches__verified",
    "int_punches__directed",
    "int_punches__paired",
    "int_punches__project_days",
    "int_attendance__worker_days",
    "int_roster__workers_latest",
    "int_wages__worker_months",
    "fct_attendance_daily",
    "fct_attendance_monthly",
    "fct_wage_arrears",
    "fct_project_wage_warning",
    "fct_inspection_score",
    "rpt_random_inspection_sample",
    "fct_alerts",
)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """GIVEN the parsed dbt project (``dbt parse``, no database connection)."""
    from dbt.cli.main import dbtRunner

    from ingest.transform.profile import write_placeholder

    target = tmp_path_factory.mktemp("dbt-target")
    profiles = write_placeholder(tmp_path_factory.mktemp("dbt-profile"))
    env = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        res = dbtRunner().invoke(
            [
                "parse",
                "--project-dir",
                str(DBT),
                "--profiles-dir",
                str(profiles),
                "--target-path",
                str(target),
                "--quiet",
            ]
        )
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert res.success, res.exception
    return json.loads((target / "manifest.json").read_text())


def _exceptions() -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    with EXCEPTIONS.open(newline="") as fh:
        for row in csv.DictReader(fh):
            assert row["reason"].strip(), f"exception without a reason: {row}"
            out[row["check_name"]].add(row["resource"])
    return out


def _models(m: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for node in m["nodes"].values():
        if node["resource_type"] == "model" and node["package_name"] == "sitepass":
            yield node


def _layer(node: dict[str, Any]) -> str:
    return Path(node["original_file_path"]).parts[1]


def _report(check: str, violations: list[str]) -> None:
    allowed = _exceptions().get(check, set())
    remaining = sorted(v for v in violations if v.split(" ", 1)[0] not in allowed)
    assert not remaining, f"{check}:\n  " + "\n  ".join(remaining)


def _children(m: dict[str, Any]) -> dict[str, list[str]]:
    return {k: [c for c in v if c.startswith("model.")] for k, v in m["child_map"].items()}


def test_exceptions_each_have_a_reason_and_a_known_check() -> None:
    # GIVEN the exceptions seed
    # THEN every row names a check implemented here and gives a reason
    known = {name[len("test_") :] for name in globals() if name.startswith("test_")}
    for check in _exceptions():
        assert check in known, f"exception for unknown check {check!r}"


def test_model_naming_conventions(manifest: dict[str, Any]) -> None:
    # THEN every model is prefixed for its layer: stg_ / int_ / fct_, dim_, rpt_
    bad = [
        f"{n['unique_id']} in {_layer(n)}"
        for n in _models(manifest)
        if _layer(n) not in PREFIXES or not n["name"].startswith(PREFIXES[_layer(n)])
    ]
    _report("model_naming_conventions", bad)


def test_model_directories(manifest: dict[str, Any]) -> None:
    # THEN staging models sit in staging/<source>/ and are named stg_<source>__<entity>,
    # selecting from that source only; marts sit in marts/<domain>/
    bad = []
    for n in _models(manifest):
        parts = Path(n["original_file_path"]).parts
        if _layer(n) == "staging":
            folder = parts[2] if len(parts) > 3 else ""
            if not re.fullmatch(rf"stg_{folder}__[a-z0-9_]+", n["name"]):
                bad.append(f"{n['unique_id']} not stg_{folder}__<entity>")
            sources = {p.split(".")[2] for p in n["depends_on"]["nodes"] if p.startswith("source.")}
            if sources != {folder}:
                bad.append(
                    f"{n['unique_id']} selects from sources {sorted(sources)}, folder {folder}"
                )
        if _layer(n) == "marts" and len(parts) < 4:
            bad.append(f"{n['unique_id']} not in marts/<domain>/")
    _report("model_directories", bad)


def test_source_directories(manifest: dict[str, Any]) -> None:
    # THEN a source is declared in models/staging/<source>/_<source>__sources.yml
    bad = []
    for s in manifest["sources"].values():
        expected = f"models/staging/{s['source_name']}/_{s['source_name']}__sources.yml"
        if s["original_file_path"] != expected:
            bad.append(f"{s['unique_id']} declared in {s['original_file_path']}")
    _report("source_directories", bad)


def test_one_yaml_per_folder(manifest: dict[str, Any]) -> None:
    # THEN every model folder has one models YAML named _<folder>__models.yml (plus, in
    # staging, _<source>__sources.yml; in marts/, the exposures)
    bad = []
    for n in _models(manifest):
        folder = Path(n["original_file_path"]).parent.name
        if n["patch_path"] is None:
            bad.append(f"{n['unique_id']} has no YAML")
        elif not n["patch_path"].endswith(f"/_{folder}__models.yml"):
            bad.append(f"{n['unique_id']} documented in {n['patch_path']}")
    for d in (DBT / "models").rglob("*"):
        if d.is_dir():
            ymls = {p.name for p in d.glob("*.yml")}
            allowed = {
                f"_{d.name}__models.yml",
                f"_{d.name}__sources.yml",
                f"_{d.name}__exposures.yml",
            }
            if ymls - allowed:
                bad.append(f"{d.relative_to(DBT)} has {sorted(ymls - allowed)}")
    _report("one_yaml_per_folder", bad)


def test_staging_dependent_on_staging_or_downstream(manifest: dict[str, Any]) -> None:
    # THEN staging models select from sources only (and seeds), never from other models
    bad = [
        f"{n['unique_id']} -> {p}"
        for n in _models(manifest)
        if _layer(n) == "staging"
        for p in n["depends_on"]["nodes"]
        if p.startswith("model.")
    ]
    _report("staging_dependent_on_staging_or_downstream", bad)


def test_marts_or_intermediate_dependent_on_source(manifest: dict[str, Any]) -> None:
    # THEN only staging models read sources (no direct join to a source)
    bad = [
        f"{n['unique_id']} -> {p}"
        for n in _models(manifest)
        if _layer(n) != "staging"
        for p in n["depends_on"]["nodes"]
        if p.startswith("source.")
    ]
    _report("marts_or_intermediate_dependent_on_source", bad)


def test_downstream_layer_dependency(manifest: dict[str, Any]) -> None:
    # THEN no model depends on a model of a later layer (intermediate on marts, …)
    nodes = manifest["nodes"]
    bad = []
    for n in _models(manifest):
        for p in n["depends_on"]["nodes"]:
            if p.startswith("model.") and LAYERS[_layer(nodes[p])] > LAYERS[_layer(n)]:
                bad.append(f"{n['unique_id']} -> {p}")
    _report("downstream_layer_dependency", bad)


def test_undocumented_models_and_columns(manifest: dict[str, Any]) -> None:
    # THEN every model and every column it documents has a description, and a model
    # documents at least one column
    bad = []
    for n in _models(manifest):
        if not n["description"].strip():
            bad.append(f"{n['unique_id']} has no description")
        if not n["columns"]:
            bad.append(f"{n['unique_id']} documents no column")
        bad += [
            f"{n['unique_id']}.{c}"
            for c, col in n["columns"].items()
            if not col["description"].strip()
        ]
    _report("undocumented_models_and_columns", bad)


def test_undocumented_sources_and_seeds(manifest: dict[str, Any]) -> None:
    # THEN every source, source table and seed has a description
    bad = [
        s["unique_id"]
        for s in manifest["sources"].values()
        if not s["description"].strip() or not s["source_description"].strip()
    ]
    bad += [
        n["unique_id"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "seed" and not n["description"].strip()
    ]
    _report("undocumented_sources_and_seeds", bad)


def test_unused_sources(manifest: dict[str, Any]) -> None:
    # THEN every declared source table is read by a model
    used = {p for n in _models(manifest) for p in n["depends_on"]["nodes"]}
    _report("unused_sources", [s for s in manifest["sources"] if s not in used])


def test_missing_primary_key_tests(manifest: dict[str, Any]) -> None:
    # THEN every model (and snapshot-free seed-free) has a primary-key test: unique (with
    # not_null) on a column, or the local unique-combination test on its key columns
    tested: dict[str, set[str]] = defaultdict(set)
    for t in manifest["nodes"].values():
        if t["resource_type"] == "test" and t.get("test_metadata"):
            name = t["test_metadata"]["name"]
            attached = t.get("attached_node")
            if attached:
                tested[attached].add(name)
    bad = [
        n["unique_id"]
        for n in _models(manifest)
        if not ({"unique", "dbt_utils_free_unique_combination"} & tested[n["unique_id"]])
    ]
    _report("missing_primary_key_tests", bad)


def test_public_models_without_contract(manifest: dict[str, Any]) -> None:
    # THEN every model in schema marts is a table (or incremental) with an enforced
    # contract, persist_docs on, and a data type for every column
    bad = []
    for n in _models(manifest):
        if n["schema"] != "marts":
            continue
        cfg = n["config"]
        if not cfg["contract"]["enforced"]:
            bad.append(f"{n['unique_id']} contract not enforced")
        if cfg["materialized"] not in {"table", "incremental"}:
            bad.append(f"{n['unique_id']} is a {cfg['materialized']}")
        if not (cfg["persist_docs"].get("relation") and cfg["persist_docs"].get("columns")):
            bad.append(f"{n['unique_id']} persist_docs off")
        bad += [
            f"{n['unique_id']}.{c} has no data_type"
            for c, col in n["columns"].items()
            if not col.get("data_type")
        ]
    _report("public_models_without_contract", bad)


def test_model_fanout(manifest: dict[str, Any]) -> None:
    # THEN no model feeds more than 3 marts directly (exceptions: shared lookups)
    nodes = manifest["nodes"]
    bad = []
    for n in _models(manifest):
        leaf_children = [
            c for c in _children(manifest).get(n["unique_id"], []) if _layer(nodes[c]) == "marts"
        ]
        if _layer(n) != "marts" and len(leaf_children) > MODEL_FANOUT_THRESHOLD:
            bad.append(f"{n['unique_id']} feeds {len(leaf_children)} marts")
    _report("model_fanout", bad)


def test_rejoining_of_upstream_concepts(manifest: dict[str, Any]) -> None:
    # THEN a model does not select from both a parent and that parent's only-child parent
    nodes = manifest["nodes"]
    children = _children(manifest)
    bad = []
    for n in _models(manifest):
        parents = {p for p in n["depends_on"]["nodes"] if p.startswith("model.")}
        for p in parents:
            for gp in nodes[p]["depends_on"]["nodes"]:
                if gp in parents and children.get(p) == [n["unique_id"]]:
                    bad.append(f"{n['unique_id']} rejoins {gp} through {p}")
    _report("rejoining_of_upstream_concepts", bad)


def test_hard_coded_references(manifest: dict[str, Any]) -> None:
    # THEN models select through ref()/source(), never schema-qualified names
    pattern = re.compile(r"\b(?:from|join)\s+(?:raw|ops|stg|int|marts|ref|staging)\.\w+", re.I)
    bad = [n["unique_id"] for n in _models(manifest) if pattern.search(n["raw_code"])]
    _report("hard_coded_references", bad)


def test_too_many_joins(manifest: dict[str, Any]) -> None:
    # THEN no model selects from 7 or more relations (models, sources, seeds)
    bad = [
        f"{n['unique_id']} ({len(set(n['depends_on']['nodes']))})"
        for n in _models(manifest)
        if len(set(n["depends_on"]["nodes"])) >= TOO_MANY_JOINS
    ]
    _report("too_many_joins", bad)


def test_chained_views_dependencies(manifest: dict[str, Any]) -> None:
    # THEN no chain of 4 or more views feeds a model (views recompute on every read)
    nodes = manifest["nodes"]

    def depth(uid: str) -> int:
        n = nodes[uid]
        if n["config"]["materialized"] != "view":
            return 0
        ups = [p for p in n["depends_on"]["nodes"] if p.startswith("model.")]
        return 1 + max((depth(p) for p in ups), default=0)

    bad = [
        f"{n['unique_id']} ({depth(n['unique_id'])})"
        for n in _models(manifest)
        if depth(n["unique_id"]) >= CHAINED_VIEWS_THRESHOLD
    ]
    _report("chained_views_dependencies", bad)


def test_exposure_parents_materializations(manifest: dict[str, Any]) -> None:
    # THEN exposures read public marts (tables in schema marts), never views or sources
    nodes = manifest["nodes"]
    bad = []
    assert manifest["exposures"], "no exposures declared"
    for e in manifest["exposures"].values():
        for p in e["depends_on"]["nodes"]:
            n = nodes.get(p)
            if n is None or n["schema"] != "marts" or n["config"]["materialized"] == "view":
                bad.append(f"{e['unique_id']} -> {p}")
    _report("exposure_parents_materializations", bad)


def test_rule_models_have_unit_tests(manifest: dict[str, Any]) -> None:
    # THEN every model implementing a rule of docs/rules.md has a unit test
    tested = {u["model"] for u in manifest.get("unit_tests", {}).values()}
    bad = [m for m in RULE_MODELS if m not in tested]
    _report("rule_models_have_unit_tests", bad)


def test_tests_of_daily_growing_tables_check_the_incremental_window(
    manifest: dict[str, Any],
) -> None:
    # GIVEN the models that grow by a day's punches every day
    growing = {
        "stg_zkteco__punches",
        "stg_hikvision__events",
        "stg_face__verifications",
        "int_punches__verified",
        "int_punches__directed",
        "int_punches__paired",
        "int_attendance__worker_days",
        "fct_attendance_daily",
    }
    # THEN every data test on them reads the incremental window only
    # (macros/test_window.sql), so a daily build's tests do not scan all of history
    tests = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test" and n.get("attached_node", "").split(".")[-1] in growing
    ]
    assert {n["attached_node"].split(".")[-1] for n in tests} == growing
    unwindowed = [
        n["unique_id"]
        for n in tests
        if "__incremental_window__" not in (n["config"].get("where") or "")
    ]
    assert not unwindowed, unwindowed
