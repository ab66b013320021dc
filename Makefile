# The two commands a newcomer needs: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PLAN   ?= plans/kongsbergregionen-2010.yaml

.PHONY: install run test lint format fuzz bench bench-audit bench-growth dashboards dashboards-check messages clean

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
	$(BIN)/python -m bench.growth
	PTRACK_BENCH_GROWTH_PROJECTS=100 PTRACK_BENCH_GROWTH_NAME=growth-100p $(BIN)/python -m bench.growth

# Verify and replay of a 1 000 000-event log beside the raw read (PTRACK_BENCH_AUDIT_EVENTS).
bench-audit: install
	$(BIN)/python -m bench.audit

# Live and as-of-recorded status and replay as the finance log grows to 10 000, 100 000 and
# 1 000 000 events, beside the raw reads (also the second half of `make bench`, with 10 and then
# 100 projects); PTRACK_BENCH_GROWTH_SIZES and PTRACK_BENCH_GROWTH_PROJECTS ask otherwise.
bench-growth: install
	$(BIN)/python -m bench.growth

# The Grafana boards as code (tools/dashboards) into deploy/grafana/dashboards/{nb,en}/*.json, in
# bokmål and English (words from shared/locale/nb/LC_MESSAGES/boards.po); the check writes nothing
# and fails when the files of either language differ from what the code generates.
dashboards: install
	$(BIN)/python -m tools.dashboards

dashboards-check: install
	$(BIN)/python -m tools.dashboards --check

# The office's messages: extracted (services/office/babel.cfg) into the template
# services/office/locale/office.pot and merged into the bokmål catalogue (created when missing),
# whose new messages are then translated by hand. The office reads the .po when it starts, so
# there is nothing to compile; tests/unit/test_office_catalogue.py fails on a message left
# untranslated.
# The report, the board and the charts (domain `present`) likewise: extracted from ptrack/present
# and shared/present (shared/locale/present.cfg) into shared/locale/present.pot and merged into
# shared/locale/nb/LC_MESSAGES/present.po; tests/unit/test_present_catalogue.py checks it.
# The Grafana boards and the alerts' texts (domain `boards`): the words of tools/dashboards and
# the alerts' English annotations (shared/locale/boards.cfg) into shared/locale/boards.pot, merged
# into shared/locale/nb/LC_MESSAGES/boards.po; then `make dashboards`, and copy an alert's new
# translation into ptrack.rules.yml. tests/unit/test_boards_catalogue.py checks both.
# The finance service's project accounts (domain `accounts`): the words of
# services/finance/accounts (its babel.cfg) into shared/locale/accounts.pot, merged into
# shared/locale/nb/LC_MESSAGES/accounts.po; tests/unit/test_accounts_catalogue.py checks it.
OFFICE := services/office
ACCOUNTS := services/finance/accounts
PRESENT_KEYWORDS := -k _ -k N_ -k gettext -k ngettext:1,2
messages: $(VENV)/.installed-run
	$(BIN)/pybabel extract -F $(OFFICE)/babel.cfg -k N_ -k gettext -c Translators: \
		--add-location=file --project=ptrack -o $(OFFICE)/locale/office.pot $(OFFICE)
	$(BIN)/pybabel update -i $(OFFICE)/locale/office.pot -d $(OFFICE)/locale -D office -l nb \
		--init-missing
	$(BIN)/pybabel extract -F shared/locale/present.cfg $(PRESENT_KEYWORDS) -c Translators: \
		--add-location=file --project=ptrack -o shared/locale/present.pot \
		ptrack/present shared/present
	$(BIN)/pybabel update -i shared/locale/present.pot -d shared/locale -D present -l nb \
		--init-missing
	$(BIN)/python -m babel.messages.frontend extract -F shared/locale/boards.cfg -k N_ \
		-c Translators: --add-location=file --project=ptrack -o shared/locale/boards.pot \
		tools/dashboards deploy/prometheus/rules
	$(BIN)/pybabel update -i shared/locale/boards.pot -d shared/locale -D boards -l nb \
		--init-missing
	$(BIN)/pybabel extract -F $(ACCOUNTS)/babel.cfg -k N_ -k gettext -c Translators: \
		--add-location=file --project=ptrack -o shared/locale/accounts.pot $(ACCOUNTS)
	$(BIN)/pybabel update -i shared/locale/accounts.pot -d shared/locale -D accounts -l nb \
		--init-missing

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
