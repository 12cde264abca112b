# mentionflow — one command per habit. Everything a fresh machine needs is installed here.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
TEST_INFRA := $(CURDIR)/.infra/test
PYTEST_ARGS ?=

.PHONY: help install infra-up infra-up-3 infra-down test test-fast lint typecheck clean

help:
	@echo "make install     create .venv from uv.lock (idempotent, fast when nothing changed)"
	@echo "make test        start Kafka + PostgreSQL, run the whole suite, stop them (also on failure)"
	@echo "make infra-up    local Kafka (1 node) + PostgreSQL under .infra/ ; make infra-up-3 for 3 brokers"
	@echo "make infra-down  stop them"
	@echo "make lint / typecheck"

# uv itself comes from PyPI, pinned; the lock file pins everything else.
$(BIN)/python: pyproject.toml uv.lock libs/mentionflow/pyproject.toml $(wildcard services/*/pyproject.toml)
	@$(UV) --version 2>/dev/null | grep -q "$(UV_VERSION)" || $(PYTHON) -m pip install -q "uv==$(UV_VERSION)"
	$(UV) sync --frozen --all-packages --all-groups --python $(PYTHON)
	@touch $(BIN)/python

install: $(BIN)/python

infra-up: install
	$(BIN)/mentionflow infra up --nodes 1 --dir .infra/dev

infra-up-3: install
	$(BIN)/mentionflow infra up --nodes 3 --dir .infra/dev

infra-down: install
	$(BIN)/mentionflow infra down --dir .infra/dev

# The suite runs against a real broker and a real database started here and always stopped.
test: install
	@set -o pipefail; \
	trap '$(BIN)/mentionflow infra down --dir $(TEST_INFRA)' EXIT; \
	$(BIN)/mentionflow infra up --nodes 1 --dir $(TEST_INFRA) && \
	MENTIONFLOW_TEST_INFRA_DIR=$(TEST_INFRA) $(BIN)/pytest $(PYTEST_ARGS)

# Everything but the slow multi-process / multi-broker tests (for quick iteration).
test-fast: install
	@set -o pipefail; \
	trap '$(BIN)/mentionflow infra down --dir $(TEST_INFRA)' EXIT; \
	$(BIN)/mentionflow infra up --nodes 1 --dir $(TEST_INFRA) && \
	MENTIONFLOW_TEST_INFRA_DIR=$(TEST_INFRA) $(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check libs services tests

typecheck: install
	$(BIN)/mypy libs/mentionflow/mentionflow

clean:
	rm -rf $(VENV) .infra .pytest_cache .hypothesis .mypy_cache .ruff_cache
