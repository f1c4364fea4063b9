"""Environment for Airflow processes that run against the embedded stack."""

from __future__ import annotations

import os
from pathlib import Path

from ingest.config import REPO_ROOT


def airflow_env(home: Path, metadata_url: str, *, parallelism: int = 4) -> dict[str, str]:
    """Return ``os.environ`` plus the Airflow settings of the embedded stack.

    LocalExecutor with parallelism sized for 2 cores; the metadata DB lives in the stack's
    Postgres; DAGs and plugins come from the repository.
    """
    env = dict(os.environ)
    # dbt inside tasks (Cosmos) renders its profile from the same settings as every task.
    env.update(
        {
            "SITEPASS_HOME": str(home),
            "AIRFLOW_HOME": str(home / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(parallelism),
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(parallelism),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
            "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "DO_NOT_TRACK": "1",
            "SCARF_ANALYTICS": "false",
            "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
        }
    )
    return env
