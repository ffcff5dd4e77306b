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

# The countries measured (profiles in observatoire/data/countries/): `make demo COUNTRIES=fr,be`
# runs Belgium's demo next to France's, `make dev COUNTRIES=fr,be` shows both in the UI.
comma := ,
COUNTRIES ?= $(or $(OBSERVATOIRE_COUNTRIES),fr)
export OBSERVATOIRE_COUNTRIES := $(COUNTRIES)
COUNTRY_LIST := $(subst $(comma), ,$(COUNTRIES))
ROLLUP_ASSET := environmental_share_across_countries

# The last $(DEMO_DAYS) days of demo captions through every asset of each country, on the instance
# under $(DAGSTER_HOME) (so the runs show in `make dev`): per country its reference data, then one
# run for the range of its broadcast days (France's jobs are unprefixed, another country's carry
# its code: be_reference_data, be_daily_stages); with several countries, then the rollup.
DEMO_LOG := $(DAGSTER_HOME)/demo-runs.log

demo: install $(DAGSTER_HOME)/dagster.yaml
	@echo "Materialising reference data and the last $(DEMO_DAYS) days of $(COUNTRIES) (run logs: $(DEMO_LOG))"
	@( for country in $(COUNTRY_LIST); do \
	     prefix=$$([ "$$country" = fr ] || echo "$${country}_"); \
	     $(BIN)/dagster job execute -m definitions -j $${prefix}reference_data \
	     && $(BIN)/dagster job execute -m definitions -j $${prefix}daily_stages \
	          --tags "$$($(BIN)/python -m assets.partitions $(DEMO_DAYS) $$country)" || exit 1; \
	   done $(if $(word 2,$(COUNTRY_LIST)),\
	   && $(BIN)/dagster asset materialize -m definitions --select $(ROLLUP_ASSET)) ) \
	  >$(DEMO_LOG) 2>&1 \
	  || { tail -n 60 $(DEMO_LOG); echo "demo run failed; full log: $(DEMO_LOG)"; exit 1; }
	@grep -E "ingest_captions - [0-9-]+:" $(DEMO_LOG) \
	  | sed -E -e 's/.* - ([a-z]+)_ingest_captions - /  \1 /' -e 's/.* - ingest_captions - /  /'
	@for country in $(COUNTRY_LIST); do \
	   if [ "$$country" = fr ]; then $(BIN)/observatoire indicators --days $(DEMO_DAYS) || exit 1; \
	   else echo; echo "Country $$country:"; \
	     $(BIN)/observatoire indicators --days $(DEMO_DAYS) \
	       --lake "$${OBSERVATOIRE_LAKE_URL:-./data/lake}/$$country" || exit 1; fi; \
	 done
	@grep -E "$(ROLLUP_ASSET) - [0-9]+ common day" $(DEMO_LOG) | sed -E 's/.* - $(ROLLUP_ASSET) - /Across countries: /' || true

dev: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml

# Re-match a range of days after a dictionary or stop-phrase change: refresh the reference data,
# then run the `rematch` job directly (no daemon needed), one run per stretch of up to 31 days,
# on the instance under $(DAGSTER_HOME), so the runs show in `make dev`.
rematch: install $(DAGSTER_HOME)/dagster.yaml
	@test -n "$(START)" -a -n "$(END)" || { echo "usage: make rematch START=YYYY-MM-DD END=YYYY-MM-DD"; exit 1; }
	$(BIN)/python -m assets.rematch $(START) $(END) $(if $(COUNTRY),--country $(COUNTRY))

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
