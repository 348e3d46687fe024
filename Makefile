# Every target creates .venv itself, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help install run test lint bench bench-quick bench-compare bench-compare-reads bench-engine bench-export bench-pagination bench-wallet bench-seeds bench-posting-parts

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install Tallybook with its dev tools

run: $(STAMP) ## migrate a SQLite file under ./var, load demo data, print a key, serve on :8000
	$(BIN)/tallybook migrate
	$(BIN)/tallybook demo
	$(BIN)/tallybook serve --host 127.0.0.1 --port 8000

test: $(STAMP) ## run the tests (SQLite; PostgreSQL too when TALLYBOOK_TEST_DATABASE_URL is set)
	$(BIN)/pytest -q

lint: $(STAMP) ## ruff and mypy --strict
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(STAMP) ## issue 7's suite: Tallybook beside pgbench, DRF, django-hordak, raw drivers (needs PostgreSQL on 127.0.0.1:5432)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-quick: $(STAMP) ## the same suite with short runs and a smaller history (under 3 minutes)
	$(BIN)/python bench/run.py --quick $(BENCH_ARGS)

bench-compare: $(STAMP) ## the suite's W1-W3 for BASELINE (a git revision) and this tree (or CANDIDATE), taking turns on fresh databases
	$(BIN)/python bench/compare_writes.py --baseline $(BASELINE) $(if $(CANDIDATE),--candidate $(CANDIDATE)) $(BENCH_ARGS)

bench-compare-reads: $(STAMP) ## the suite's W5-W6 for BASELINE and this tree (or CANDIDATE), taking turns on one history
	$(BIN)/python bench/compare_reads.py --baseline $(BASELINE) $(if $(CANDIDATE),--candidate $(CANDIDATE)) $(BENCH_ARGS)

bench-engine: $(STAMP) ## group commit vs one transaction per command (SQLite; PostgreSQL with BENCH_POSTGRESQL_URL)
	$(BIN)/python bench/engine_group_commit.py $(if $(BENCH_POSTGRESQL_URL),--postgresql-url $(BENCH_POSTGRESQL_URL))

bench-export: $(STAMP) ## export 1,000,000 entries: peak memory streamed vs loaded whole (SQLite; PostgreSQL with BENCH_POSTGRESQL_URL)
	$(BIN)/python bench/export_memory.py $(if $(BENCH_POSTGRESQL_URL),--postgresql-url $(BENCH_POSTGRESQL_URL))

bench-pagination: $(STAMP) ## history pages deep down: keyset vs OFFSET, exact counts vs COUNT(*) (SQLite; PostgreSQL with BENCH_POSTGRESQL_URL)
	$(BIN)/python bench/history_pagination.py $(if $(BENCH_POSTGRESQL_URL),--postgresql-url $(BENCH_POSTGRESQL_URL))

bench-wallet: $(STAMP) ## order payments as wallet steps vs raw transfers (SQLite; PostgreSQL with BENCH_POSTGRESQL_URL)
	$(BIN)/python bench/wallet_steps.py $(if $(BENCH_POSTGRESQL_URL),--postgresql-url $(BENCH_POSTGRESQL_URL))

bench-seeds: $(STAMP) ## seed surfaces (offset pages, counts) beside native /v1/entries (SQLite; PostgreSQL with BENCH_POSTGRESQL_URL)
	$(BIN)/python bench/seed_surfaces.py $(if $(BENCH_POSTGRESQL_URL),--postgresql-url $(BENCH_POSTGRESQL_URL))

bench-posting-parts: $(STAMP) ## the lock statements, the account lock's Python and the request hash, before session 17 and now (needs PostgreSQL on 127.0.0.1:5432)
	$(BIN)/python bench/posting_parts.py
