# Holdfast: `make run` starts the suite, `make test` runs every test. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run demo test screenshots bench proto lint lock clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(PY) deploy/local/run.py

# Against a running `make run`: create and watch a demo campaign in the sandbox.
demo: $(STAMP)
	$(PY) scripts/demo.py

# The browser tests drive Debian's Chromium (installed here through apt when missing; never a download) and inject
# axe-core, pinned in tests/browser/package.json and installed there with npm when missing.
test: $(STAMP)
	bash scripts/ensure_chromium.sh
	test -f tests/browser/node_modules/axe-core/axe.min.js || (cd tests/browser && npm install --no-audit --no-fund)
	$(PY) -m pytest

# The README's screenshots of the web UI at 1440 and 375 px (docs/screenshots/); `make test` never writes them.
screenshots: $(STAMP)
	bash scripts/ensure_chromium.sh
	$(PY) -m pytest -q tests/browser/screenshots.py

# Benchmarks (opt-in: about 15 minutes in all; figures and how to read them in docs/BENCHMARKS.md).
# B5 drives the gateway with Debian's wrk (apt-get install wrk).
bench: $(STAMP)
	$(PY) -m bench.b1_reclamp
	$(PY) -m bench.b2_dispatch --runs 3
	$(PY) -m bench.b3_propagation
	$(PY) -m bench.b4_fanout
	$(PY) -m bench.b5_gateway
	$(PY) -m bench.b6_claim_scale --explain

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/buf lint

proto: $(STAMP)
	$(PY) scripts/protogen.py

# Re-pin every dependency from pyproject.toml (needs the package registry).
lock: $(STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -o requirements.lock

clean:
	rm -rf $(VENV) .holdfast .pytest_cache
