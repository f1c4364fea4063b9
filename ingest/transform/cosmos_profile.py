"""The Cosmos profile mapping of the ``marts_build`` DAG: the dbt profile rendered from
:class:`~ingest.config.Settings` at task run time (:mod:`ingest.transform.profile`), so
Cosmos needs neither an Airflow connection nor a ``profiles.yml`` at DAG parse time.

Cosmos writes the profile it gets here into its own (cached) ``profiles.yml``; the
password is not in that file but in an environment variable Cosmos sets for the dbt call
(``{{ env_var(...) }}``), as its own Postgres mapping does.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cosmos.profiles.base import BaseProfileMapping

from ingest.transform import profile as dbt_profile


class SettingsProfileMapping(BaseProfileMapping):  # type: ignore[misc]
    """dbt's Postgres profile from the sitepass settings (``SITEPASS_PG_DSN`` or the stack)."""

    airflow_connection_type: str = "postgres"
    dbt_profile_type: str = "postgres"
    required_fields: ClassVar[list[str]] = ["host", "user", "password", "dbname"]
    secret_fields: ClassVar[list[str]] = ["password"]

    def __init__(self) -> None:
        # No Airflow connection is looked up: ``conn`` is never used by this mapping.
        super().__init__(conn_id="sitepass_settings")

    def _output(self) -> dict[str, Any]:
        from ingest.config import Settings

        settings = Settings.from_env()
        return dbt_profile.output(settings.warehouse, settings.transform)

    @property
    def profile(self) -> dict[str, Any]:
        out = self._output()
        out["password"] = self.get_env_var_format("password")
        return out

    @property
    def mock_profile(self) -> dict[str, Any]:
        return {**super().mock_profile, "port": 5432, "schema": "analytics", "threads": 1}

    @property
    def env_vars(self) -> dict[str, str]:
        return {self.get_env_var_name("password"): str(self._output()["password"])}
