"""The DAG folder imports cleanly and every DAG follows the house rules."""

from __future__ import annotations

import os
from pathlib import Path

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
