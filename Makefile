# Observatoire — usual targets. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install demo dev rematch test test-fast lint format bench clean validate report-shots

$(BIN)/activate:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

$(DAGSTER_HOME)/dagster.yaml: deploy/local/dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp deploy/local/dagster.yaml $@

DEMO_DAYS ?= 7

# The last $(DEMO_DAYS) days of demo captions through every asset, on the instance under
# $(DAGSTER_HOME) (so the runs show in `make dev`): the reference data, then one run for the range.
DEMO_LOG := $(DAGSTER_HOME)/demo-runs.log

demo: install $(DAGSTER_HOME)/dagster.yaml
	@echo "Materialising reference data and the last $(DEMO_DAYS) days (run logs: $(DEMO_LOG))"
	@{ $(BIN)/dagster job execute -m definitions -j reference_data \
	  && $(BIN)/dagster job execute -m definitions -j daily_stages \
	       --tags "$$($(BIN)/python -m assets.partitions $(DEMO_DAYS))"; } >$(DEMO_LOG) 2>&1 \
	  || { tail -n 60 $(DEMO_LOG); echo "demo run failed; full log: $(DEMO_LOG)"; exit 1; }
	@grep -E "ingest_captions - [0-9-]+:" $(DEMO_LOG) | sed -E 's/.* - ingest_captions - /  /'
	$(BIN)/observatoire indicators --days $(DEMO_DAYS)

dev: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml

# Re-match a range of days after a dictionary or stop-phrase change: refresh the reference data,
# then run the `rematch` job directly (no daemon needed), one run per stretch of up to 31 days,
# on the instance under $(DAGSTER_HOME), so the runs show in `make dev`.
rematch: install $(DAGSTER_HOME)/dagster.yaml
	@test -n "$(START)" -a -n "$(END)" || { echo "usage: make rematch START=YYYY-MM-DD END=YYYY-MM-DD"; exit 1; }
	$(BIN)/python -m assets.rematch $(START) $(END)

validate: install
	$(BIN)/dagster definitions validate -w workspace.yaml

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Screenshots of the report (a sample month, and every report in the local lake) into
# report-shots/, to look at before publishing a change to the report. Needs Debian's chromium.
report-shots: install
	$(BIN)/python -m tests.report.shots

bench: install
	$(BIN)/python benchmarks/matcher.py
	$(BIN)/python benchmarks/backfill.py
	$(BIN)/python benchmarks/ingestion_memory.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache data/lake data/warehouse.duckdb
