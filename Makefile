# Partnership Atlas: `make run` serves the demo; `make test` runs every test; `make lint` checks the code.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
VENDOR := geoapp/static/vendor/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup run test lint demo clean

setup: $(STAMP) $(VENDOR)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(VENDOR): package.json package-lock.json tools/vendor_assets.py $(STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	$(PY) tools/vendor_assets.py
	touch $(VENDOR)

demo: setup
	ATLAS_ENV=development $(VENV)/bin/geoapp db upgrade
	ATLAS_ENV=development $(VENV)/bin/geoapp demo --replace

run: demo
	ATLAS_ENV=development $(VENV)/bin/geoapp run --host $(HOST) --port $(PORT)

test: setup
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) node_modules geoapp/static/vendor instance
