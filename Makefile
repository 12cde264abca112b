# mentionflow — one command per habit. Everything a fresh machine needs is installed here.
SHELL := /bin/bash
PYTHON ?= python3
# The interpreter of .venv and of the peer's environment (PYTHON only runs uv): Debian's
# python3.11 when there is one. Like the python:3.11 images the services ship in, it is built
# with profile-guided and link-time optimisation, which a plain source build first on PATH
# (pyenv's) is not: the Python processes of `make bench` used a tenth less CPU a mention on it.
VENV_PYTHON ?= $(firstword $(wildcard /usr/bin/python3.11) $(PYTHON))
UV_VERSION := 0.13.9
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
TEST_INFRA := $(CURDIR)/.infra/test
PYTEST_ARGS ?=

.PHONY: help audit install system-deps infra-up infra-up-3 infra-down test test-fast test-browser run model lint typecheck clean

help:
	@echo "make install     create .venv from uv.lock (idempotent, fast when nothing changed)"
	@echo "make test        start Kafka + PostgreSQL, run the whole suite, stop them (also on failure)"
	@echo "make infra-up    local Kafka (1 node) + PostgreSQL under .infra/ ; make infra-up-3 for 3 brokers"
	@echo "make infra-down  stop them"
	@echo "make run         the whole system with demo brands and traffic (Ctrl-C stops it)"
	@echo "make model       retrain the classifier's sentiment model, then its category models (reads ../shared/data)"
	@echo "make lint / typecheck"
	@echo "make bench       end-to-end throughput and latency (QUICK=1: under 3 minutes)"
	@echo "make console-load  200 CM sessions on live updates while the pipeline takes 1,000 mentions/s:"
	@echo "                 page, API and commit -> live update p50/p95/p99, no dropped update"
	@echo "                 (CONSOLE_LOAD_SESSIONS, CONSOLE_LOAD_RATE, CONSOLE_LOAD_S scale it)"
	@echo "make chaos       faults one scenario at a time (see bench/chaos/__main__.py)"

# uv itself comes from PyPI, pinned; the lock file pins everything else.
$(BIN)/python: pyproject.toml uv.lock libs/mentionflow/pyproject.toml tools/pyproject.toml $(wildcard services/*/pyproject.toml)
	@$(UV) --version 2>/dev/null | grep -q "$(UV_VERSION)" || $(PYTHON) -m pip install -q "uv==$(UV_VERSION)"
	$(UV) sync --frozen --all-packages --all-groups --no-group embed --python $(VENV_PYTHON)
	@touch $(BIN)/python

# The classifier's hot path compiled with mypyc (mentionflow.classify.native): rebuilt whenever a
# module of the classifier changes; until then the changed source runs as Python, never stale.
NATIVE_DIGEST := libs/mentionflow/.native/sources.sha256
$(NATIVE_DIGEST): $(BIN)/python $(wildcard libs/mentionflow/mentionflow/classify/*.py)
	$(BIN)/python -m mentionflow_tools.build_native

install: $(BIN)/python $(NATIVE_DIGEST)

# The benchmark's Quix Streams peer has an environment of its own (bench/peer: quixstreams pins
# pydantic<2.14); the suite runs the peer pipeline, so `make test` syncs it too (fast once cached).
.PHONY: peer-env
peer-env: install
	$(UV) sync --frozen --project bench/peer --python $(VENV_PYTHON) -q

# Debian packages the suite and `make run` use: promtool/prometheus (alert rules, local
# scraping), Chromium (browser tests), PostgreSQL 15 (throwaway clusters), Java + Maven (Kafka).
# Pango (+ its HarfBuzz, fontconfig) and a font: WeasyPrint lays out the client report's PDF.
SYSTEM_PACKAGES := prometheus chromium postgresql-15 default-jre-headless maven libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
system-deps:
	@missing=""; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	test -x /usr/lib/postgresql/15/bin/initdb || missing="$$missing postgresql-15"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	command -v mvn >/dev/null || missing="$$missing maven"; \
	ldconfig -p | grep -q libpangoft2-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	fc-list 2>/dev/null | grep -qi dejavu || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

infra-up: install
	$(BIN)/mentionflow infra up --nodes 1 --dir .infra/dev

infra-up-3: install
	$(BIN)/mentionflow infra up --nodes 3 --dir .infra/dev

infra-down: install
	$(BIN)/mentionflow infra down --dir .infra/dev

# The suite runs against a real broker and a real database started here and always stopped.
test: install system-deps peer-env
	@set -o pipefail; \
	trap '$(BIN)/mentionflow infra down --dir $(TEST_INFRA)' EXIT; \
	$(BIN)/mentionflow infra up --nodes 1 --dir $(TEST_INFRA) && \
	MENTIONFLOW_TEST_INFRA_DIR=$(TEST_INFRA) $(BIN)/pytest $(PYTEST_ARGS)

# Everything but the slow multi-process / multi-broker tests (for quick iteration).
test-fast: install system-deps
	@set -o pipefail; \
	trap '$(BIN)/mentionflow infra down --dir $(TEST_INFRA)' EXIT; \
	$(BIN)/mentionflow infra up --nodes 1 --dir $(TEST_INFRA) && \
	MENTIONFLOW_TEST_INFRA_DIR=$(TEST_INFRA) $(BIN)/pytest -m "not slow and not network" $(PYTEST_ARGS)

# The browser tests alone (they also run inside `make test`).
test-browser: install system-deps
	@set -o pipefail; \
	trap '$(BIN)/mentionflow infra down --dir $(TEST_INFRA)' EXIT; \
	$(BIN)/mentionflow infra up --nodes 1 --dir $(TEST_INFRA) && \
	MENTIONFLOW_TEST_INFRA_DIR=$(TEST_INFRA) $(BIN)/pytest tests/browser $(PYTEST_ARGS)

run: install system-deps
	$(BIN)/mentionflow run

# pip-audit of every locked package; needs pypi.org's vulnerability (JSON) API.
audit: install
	$(BIN)/pytest tests/audit -m network

# The `embed` group (sentence-transformers, PyTorch: gigabytes) is only for rebuilding the model:
# word vectors are computed at training time and folded into the committed weights.
model: install
	$(UV) sync --frozen --all-packages --all-groups --python $(VENV_PYTHON)
	$(BIN)/python -m mentionflow_tools.training.train
	$(BIN)/python -m mentionflow_tools.training.train_category

lint: install
	$(BIN)/ruff check libs services tools tests

typecheck: install
	$(BIN)/mypy libs/mentionflow/mentionflow tools/mentionflow_tools

clean:
	rm -rf $(VENV) libs/mentionflow/.native .infra .pytest_cache .hypothesis .mypy_cache .ruff_cache

# Faults one scenario at a time (kill -9 each service, a broker, PostgreSQL restart, a SIGSTOP
# rebalance, X answering 429/5xx) on 3 brokers + PostgreSQL; writes bench/out/chaos.json.
# Scale down: CHAOS_MENTIONS=5000 CHAOS_REPLIES=100 CHAOS_STREAM_S=15 make chaos
# (CHAOS_SCENARIOS="kill -9 publish,kill -9 broker" picks scenarios; see bench/chaos/__main__.py).
.PHONY: chaos
chaos: install
	$(BIN)/python -m bench.chaos

# End-to-end benchmark (bench/e2e.py): bench/out/latest.json, details.json and report.html with
# plots. QUICK=1: 20,000 mentions and a 20 s latency run (under 3 minutes). Uses the stack named by
# MENTIONFLOW_BENCH_INFRA_DIR when set, else starts its own under .infra/bench. The Quix Streams
# peer (each stage alone and its pipeline end to end) has its own environment (bench/peer:
# quixstreams pins pydantic<2.14); without it the peer is skipped and says why.
.PHONY: bench
bench: install
	-$(UV) sync --frozen --project bench/peer --python $(VENV_PYTHON) -q
	$(BIN)/python -m bench.e2e $(if $(QUICK),--quick,)

# The console under load (bench/console_load): CONSOLE_LOAD_SESSIONS (200) CM sessions, each logged
# in and holding the queue page's live stream while reloading the page and listing the API, as the
# pipeline takes CONSOLE_LOAD_RATE (1,000) mentions/s for CONSOLE_LOAD_S (60) s. Writes
# bench/out/console_load.json and prints page, API and row commit -> live update p50/p95/p99 and
# the live updates dropped (each session's received ids against the rows). Uses the stack named by
# MENTIONFLOW_BENCH_INFRA_DIR when set, else starts its own under .infra/console-load.
.PHONY: console-load
console-load: install
	$(BIN)/python -m bench.console_load

# The monthly client report over 1,000,000 items (bench/report_render.py): report page, API figures
# and PDF timed over HTTP against the real console; writes bench/out/report_render.json (target ≤ 2 s).
# Uses the stack named by MENTIONFLOW_BENCH_INFRA_DIR when set; REPORT_ITEMS=100000 scales it down.
.PHONY: bench-report
bench-report: install system-deps
	$(BIN)/python -m bench.report_render
