# Holdfast: `make run` starts the suite, `make test` runs every test. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run demo test soak bench proto lint lock clean

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

# The browser tests drive Debian's Chromium (installed here through apt when missing; never a download).
test: $(STAMP)
	bash scripts/ensure_chromium.sh
	$(PY) -m pytest

# The model-based test (tests/model) for longer, with a random seed (printed; HOLDFAST_MODEL_SEED=N repeats it).
soak: $(STAMP)
	HOLDFAST_MODEL_SEED=random HOLDFAST_MODEL_SEQUENCES=$${HOLDFAST_MODEL_SEQUENCES:-200} \
		$(PY) -m pytest tests/model -x -q -s

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
