# sitepass: the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
BIN := $(VENV)/bin
# The demo city: 12 sites in 6 districts of Shenzhen (4403). September's wages are due in
# October, so October is the first month whose report has both attendance and 欠薪预警.
DEMO_SIZE ?= small
DEMO_START ?= 2026-09-01
DEMO_END ?= 2026-10-31
DEMO_MONTH ?= 2026-10
DEMO_CITY ?= 4403
# `make bench BENCH_PROFILE=quick`: P1 and P3 at full city-day size (bench/README.md).
BENCH_PROFILE ?= full

.PHONY: help setup demo test bench up down status lint clean

help:
	@echo "make demo   - install, start the embedded stack, seed a city (2 months), run every DAG, build the report"
	@echo "make test   - install, run the whole test suite on throwaway Postgres + S3"
	@echo "make bench  - side-by-side benchmarks on a throwaway stack (BENCH_PROFILE=quick|full)"
	@echo "make setup  - install only (system packages + locked Python environment)"
	@echo "make down   - stop the embedded stack started by 'make demo'"

setup: $(BIN)/sitepass dbt/target/manifest.json
	@bash infra/scripts/system-deps.sh
	@$(BIN)/sitepass face build >/dev/null  # converts the pinned face models (offline-ready)

# The marts_build DAG renders its tasks from this manifest (no `dbt ls` at parse time).
# `dbt parse` needs a profile but never connects: a placeholder rendered from the defaults
# (ingest/transform/profile.py; the real one is rendered from the settings at run time).
dbt/target/manifest.json: $(BIN)/sitepass $(shell find dbt -name '*.sql' -o -name '*.yml' -o -name '*.csv' | grep -v target)
	$(BIN)/python -m ingest.transform.profile --placeholder dbt/target/parse-profile >/dev/null
	cd dbt && DO_NOT_TRACK=1 ../$(BIN)/dbt parse --project-dir . --profiles-dir target/parse-profile --quiet

$(BIN)/sitepass: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

demo: setup
	$(BIN)/sitepass up
	$(BIN)/sitepass seed --size $(DEMO_SIZE) --start $(DEMO_START) --end $(DEMO_END)
	$(BIN)/sitepass run --start $(DEMO_START) --end $(DEMO_END) --city $(DEMO_CITY)
	$(BIN)/sitepass monthly --city $(DEMO_CITY) --month $(DEMO_MONTH)
	@$(BIN)/sitepass status

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m bench.run --profile $(BENCH_PROFILE)

up down status: setup
	$(BIN)/sitepass $@

lint: setup
	$(BIN)/ruff check ingest dags plugins tests bench
	$(BIN)/ruff format --check ingest dags plugins tests bench
	$(BIN)/mypy ingest

clean:
	-$(BIN)/sitepass down
	rm -rf .sitepass dbt/target dbt/logs
