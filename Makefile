# Every target creates .venv itself, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help install run test lint bench-engine

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install Tallybook with its dev tools

run: $(STAMP) ## migrate a SQLite file under ./var, load demo data and verify it
	$(BIN)/tallybook migrate
	$(BIN)/tallybook demo
	$(BIN)/tallybook verify

test: $(STAMP) ## run the tests (SQLite; PostgreSQL too when TALLYBOOK_TEST_DATABASE_URL is set)
	$(BIN)/pytest -q

lint: $(STAMP) ## ruff and mypy --strict
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench-engine: $(STAMP) ## group commit vs one transaction per command (SQLite; PostgreSQL with BENCH_POSTGRESQL_URL)
	$(BIN)/python bench/engine_group_commit.py $(if $(BENCH_POSTGRESQL_URL),--postgresql-url $(BENCH_POSTGRESQL_URL))
