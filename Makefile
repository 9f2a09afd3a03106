# The two commands of the README: `make demo` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install browser demo test lint typecheck unit bench screenshots catalog clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# The dashboard's browser tests drive Debian's Chromium; install it once when it is missing.
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

demo: install
	$(BIN)/oto demo
	@echo 'oto is in .venv/bin: export PATH="$(CURDIR)/.venv/bin:$$PATH" to type just `oto`'


lint: install
	$(BIN)/ruff check src tests bench

typecheck: install
	$(BIN)/mypy

unit: install browser
	$(BIN)/python -m pytest

test: lint typecheck unit

bench: install
	$(BIN)/python bench/fme_bench.py
	$(BIN)/python bench/fme_bench.py --v2
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/import_load.py
	$(BIN)/python bench/api_wait.py
	$(BIN)/python bench/history_load.py --runs 100000

# the dashboard's screenshots in docs/, retaken by its browser test
screenshots: install browser
	OTO_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest tests/dashboard/test_browser.py

# The tool catalog (docs/catalog.md): the pinned Fig autocomplete specs, evaluated with Node,
# converted into src/oto/tool_catalog/catalog.zip, with Fig's licence beside it.
FIG_VERSION := 2.692.3
catalog: install
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cd "$$tmp" && npm pack --silent @withfig/autocomplete@$(FIG_VERSION) >/dev/null && tar -xzf withfig-autocomplete-$(FIG_VERSION).tgz; \
	cd "$(CURDIR)"; node tools/fig/dump.mjs "$$tmp/package/build" > "$$tmp/dump.json"; \
	cp "$$tmp/package/LICENSE" src/oto/tool_catalog/LICENSE-fig; \
	$(BIN)/python -m oto.services.fig_convert "$$tmp/dump.json" src/oto/tool_catalog/catalog.zip

clean:
	rm -rf $(VENV) build dist src/*.egg-info
