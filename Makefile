# The README's two commands are `make demo` and `make test`; each sets up .venv from the lock (uv.lock) first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat uv.lock pyproject.toml plugins/pyproject.toml include/pyproject.toml local_engine/pyproject.toml | cksum | cut -d' ' -f1)
UV_VERSION := 0.13.8
VAR := var
LMS_DB := include/data/lms.db
CHROMIUM := /usr/bin/chromium

.PHONY: docker install demo test browser postgres lint dist airflow local-aws local-aws-stop bench bench-data bench-engine reliability sample-db clean

install: $(STAMP)

# One venv for development: the three workspace members (provider, pipeline, engine + dev tooling) installed
# editable, and the dev group, exactly as uv.lock pins them. --compile-bytecode: uv skips bytecode by default, and
# without it every fresh interpreter (each DAG parse, each `airflow` subprocess of the tests) compiles Airflow,
# boto3 & co. from source again.
$(STAMP): uv.lock pyproject.toml plugins/pyproject.toml include/pyproject.toml local_engine/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --quiet --frozen --all-packages --compile-bytecode --python $(BIN)/python
	rm -f $(VENV)/.installed-*
	touch $@

# The wheels a deployment installs (provider, pipeline) and the per-platform bundles built from them and from
# dags/, include/, expectations/: dist/mwaa (dags folder, plugins.zip, requirements.txt as MWAA reads them),
# dist/astro (an Astro project). See README, Deploy.
dist: $(STAMP)
	$(BIN)/python -m personalize_dev.dist

sample-db: $(STAMP)
	test -s $(LMS_DB) || $(BIN)/python -m personalize_dev.sample_data --out $(LMS_DB)

demo: $(STAMP) sample-db
	$(BIN)/python -m personalize_dev.demo

# Two workers: most of the suite's time is waiting on Airflow, the engine and the compose stack, not CPU. Each test
# file stays whole on one worker (--dist loadfile: module fixtures are built once, a file's tests keep their
# order); TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 2
test: $(STAMP) browser postgres docker
	$(BIN)/python -m pytest -q $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

# The scheduler tests (backfill under `airflow standalone`) and `make airflow` keep Airflow's metadata in a local
# PostgreSQL server (Debian's package), as the compose stack does: installed here when missing (as root, with apt-get).
postgres:
	@if command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing PostgreSQL (Debian package) for the scheduler tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			postgresql >/dev/null; \
	else \
		echo "The scheduler tests need PostgreSQL's server: run 'sudo apt-get install postgresql'" >&2; \
	fi

# The compose stack test (tests/deploy/test_compose_stack.py) runs its own dockerd and builds its base images with
# debootstrap; the compose checks use a real docker-compose. Debian's packages, installed here when missing (as
# root, with apt-get); without them those tests skip.
docker:
	@if command -v dockerd >/dev/null && command -v debootstrap >/dev/null && command -v docker-compose >/dev/null; \
	then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Docker, debootstrap and docker-compose (Debian packages) for the compose stack test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			docker.io debootstrap docker-compose >/dev/null; \
	else \
		echo "The compose stack test needs root and 'apt-get install docker.io debootstrap docker-compose'" >&2; \
	fi

# The browser test (tests/browser) drives Debian's Chromium: installed here when missing (as root, with apt-get);
# otherwise a message says how, and the test fails unless PERSONALIZE_SKIP_BROWSER=1.
browser:
	@if [ -x $(CHROMIUM) ] || [ "$$PERSONALIZE_SKIP_BROWSER" = 1 ]; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Chromium (Debian package) for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium >/dev/null; \
	else \
		echo "The browser test needs Chromium at $(CHROMIUM): run 'sudo apt-get install chromium'," \
			"or set PERSONALIZE_SKIP_BROWSER=1 to skip that test" >&2; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Airflow standalone (UI on http://127.0.0.1:8080) with the local S3 server and Personalize engine.
airflow: $(STAMP) sample-db
	$(BIN)/python -m personalize_dev.standalone

# Start moto S3 and the local Personalize engine in the background (state under var/local-aws); stop with local-aws-stop.
local-aws: $(STAMP)
	$(BIN)/python -m personalize_local.stack start --data-dir $(VAR)/local-aws

local-aws-stop: $(STAMP)
	$(BIN)/python -m personalize_local.stack stop --data-dir $(VAR)/local-aws

# Every performance figure in one table (stdout, var/reports/bench.md and bench.json): DAG parse time, data stage,
# engine, make demo, AWS API calls of a nightly run. BENCH_FULL=1 adds the data stage at 10M source events.
bench: $(STAMP) sample-db
	$(BIN)/python -m personalize_dev.bench $(if $(BENCH_FULL),--full)

bench-data: $(STAMP)
	$(BIN)/python -m personalize_dev.bench_data

# Engine quality per data shape (in process, 3 seeds, 100k) and throughput over HTTP (1M); BENCH_ENGINE_ARGS=--in-process
# for the quality table alone (see python -m personalize_dev.bench_engine --help).
BENCH_ENGINE_ARGS ?=
bench-engine: $(STAMP)
	$(BIN)/python -m personalize_dev.bench_engine $(BENCH_ENGINE_ARGS)

# The fault-injection tests (tests/reliability, also part of make test), then the table of what they measured
# (var/reports/reliability.json): faults injected, runs, runs ended as expected, duplicates, rows lost.
reliability: $(STAMP)
	$(BIN)/python -m pytest -q tests/reliability; status=$$?; \
		$(BIN)/python -m personalize_dev.reliability_report; exit $$status

clean:
	rm -rf $(VAR) dist .pytest_cache .mypy_cache .ruff_cache
