#!/bin/bash
# Creates the warehouse and Airflow metadata databases with their own roles.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
create role sitepass login password '${SITEPASS_DB_PASSWORD}';
create database sitepass owner sitepass;
create role airflow login password '${AIRFLOW_DB_PASSWORD}';
create database airflow owner airflow;
SQL
