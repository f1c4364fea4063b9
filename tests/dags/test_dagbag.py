"""The DAG folder imports cleanly and every DAG follows the house rules."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
from pathlib import Path
from types import ModuleType

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag():  # type: ignore[no-untyped-def]
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_no_import_errors(dagbag) -> None:  # type: ignore[no-untyped-def]
    # WHEN the DAG folder is parsed THEN nothing fails to import
    assert dagbag.import_errors == {}
    assert "landing_daily" in dagbag.dags


def test_house_rules(dagbag) -> None:  # type: ignore[no-untyped-def]
    for dag_id, dag in dagbag.dags.items():
        # one DAG per file, named after its dag_id
        assert Path(dag.fileloc).stem == dag_id
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md, f"{dag_id} has no doc_md"
        for t in dag.tasks:
            # transient S3/Postgres errors retry; data errors raise AirflowFailException
            assert t.retries >= 1, f"{dag_id}.{t.task_id} has no retries"


def test_landing_feeds_load_in_dependency_order(dagbag) -> None:  # type: ignore[no-untyped-def]
    # GIVEN punches are validated against published rosters, rosters against the registry
    from ingest.feeds import LOAD_ORDER

    dag = dagbag.dags["landing_daily"]
    order = list(LOAD_ORDER)
    assert order[:5] == ["registry", "roster", "zkteco", "hikvision", "payroll"]
    assert {"wage_account", "inspections"} <= set(order)
    # THEN each feed's first task waits for the previous feed's publish
    for prev, feed in itertools.pairwise(order):
        assert f"{prev}.publish" in dag.get_task(f"{feed}.stage").upstream_task_ids
    # AND faces are verified only after every feed is published; the day is marked loaded last
    assert f"{order[-1]}.publish" in dag.get_task("faces.plan_faces").upstream_task_ids
    assert dag.get_task("mark_loaded").trigger_rule == "none_failed"
    assert "faces.identity_fraud" in dag.get_task("mark_loaded").upstream_task_ids


def _module(name: str) -> ModuleType:
    """A DAG file's module (its constants), imported on its own."""
    spec = importlib.util.spec_from_file_location(f"_dag_{name}", DAGS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _selected(node: dict[str, str], selector: str) -> bool:
    """The two dbt selector methods the marts_build tasks use."""
    method, _, value = selector.partition(":")
    if method == "resource_type":
        return node["resource_type"] == value
    assert method == "path", selector
    return node["original_file_path"].startswith(value + "/")


def test_marts_build_covers_the_project_seeds_first(dagbag) -> None:  # type: ignore[no-untyped-def]
    # GIVEN the dbt manifest the marts_build tasks run against
    marts_build = _module("marts_build")
    manifest = json.loads((DAGS.parent / "dbt" / "target" / "manifest.json").read_text())
    nodes = {
        uid: n
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] in ("seed", "model", "snapshot")
    }
    # THEN the build task selects every model and snapshot and no seed (the seeds task
    # loads those, when they change)
    for uid, node in nodes.items():
        built = any(_selected(node, selector) for selector in marts_build.BUILD)
        assert built == (node["resource_type"] != "seed"), uid
    # AND the DAG resolves as_of, loads changed seeds, builds, then publishes and documents
    dag = dagbag.dags["marts_build"]
    assert dag.get_task("seeds").upstream_task_ids == {"resolve_as_of"}
    assert dag.get_task("build").upstream_task_ids == {"seeds"}
    assert {"done", "docs"} == dag.get_task("build").downstream_task_ids
