#!/bin/bash
# Creates the warehouse and Airflow metadata databases with their own roles. `sitepass`
# needs CREATEROLE: dbt's on-run-end hook creates the regulator roles of the marts' row-level
# security (dbt_project.yml `rls_manage_roles`).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
create role sitepass login createrole password '${SITEPASS_DB_PASSWORD}';
create database sitepass owner sitepass;
create role airflow login password '${AIRFLOW_DB_PASSWORD}';
create database airflow owner airflow;
SQL
