# The two commands a newcomer needs: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PLAN   ?= plans/kongsbergregionen-2010.yaml

.PHONY: install run test lint format fuzz bench bench-audit dashboards dashboards-check messages clean

# `make run` needs only the runtime; tests, linters and benchmarks need the extras too.
install: $(VENV)/.installed-dev

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/ptrack up --plan $(PLAN) --demo

test: install lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The fuzz tests with many more examples than `make test` draws (about 25 minutes).
fuzz: install
	PTRACK_FUZZ_EXAMPLES=$${PTRACK_FUZZ_EXAMPLES:-500} PTRACK_UNICODE_EXAMPLES=$${PTRACK_UNICODE_EXAMPLES:-100} \
		$(BIN)/pytest -p no:cacheprovider --timeout=0 -s tests/fuzz

bench: install
	$(BIN)/python -m bench.run

# Verify and replay of a 1 000 000-event log beside the raw read (PTRACK_BENCH_AUDIT_EVENTS).
bench-audit: install
	$(BIN)/python -m bench.audit

# The Grafana boards as code (tools/dashboards) into deploy/grafana/dashboards/*.json; the check
# writes nothing and fails when the files differ from what the code generates.
dashboards: install
	$(BIN)/python -m tools.dashboards

dashboards-check: install
	$(BIN)/python -m tools.dashboards --check

# The office's messages: extracted (services/office/babel.cfg) into the template
# services/office/locale/office.pot and merged into the bokmål catalogue (created when missing),
# whose new messages are then translated by hand. The office reads the .po when it starts, so
# there is nothing to compile; tests/unit/test_office_catalogue.py fails on a message left
# untranslated.
OFFICE := services/office
messages: $(VENV)/.installed-run
	$(BIN)/pybabel extract -F $(OFFICE)/babel.cfg -k N_ -k gettext -c Translators: \
		--add-location=file --project=ptrack -o $(OFFICE)/locale/office.pot $(OFFICE)
	$(BIN)/pybabel update -i $(OFFICE)/locale/office.pot -d $(OFFICE)/locale -D office -l nb \
		--init-missing

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
