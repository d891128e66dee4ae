# Holdfast: `make run` starts the suite, `make test` runs every test. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run demo test soak screenshots bench proto proto-baseline lint lock clean image test-image

# requirements.lock pins what the services run on (the image installs only it); requirements-dev.lock pins the
# dev and test tools on top, at the same versions for everything the two share.
$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(PY) deploy/local/run.py

# Against a running `make run`: create and watch a demo campaign in the sandbox.
demo: $(STAMP)
	$(PY) scripts/demo.py

# Lint first (fast, and the tests assume it), then every test. The browser tests drive Debian's Chromium and
# inject axe-core (pinned in tests/browser/package.json, installed there with npm when missing); the email tests
# drive Debian's Dovecot and Postfix (installed here through apt when missing; never a download).
test: lint
	bash scripts/ensure_chromium.sh
	bash scripts/ensure_mailservers.sh
	test -f tests/browser/node_modules/axe-core/axe.min.js || (cd tests/browser && npm install --no-audit --no-fund)
	bash scripts/ensure_node_sdk.sh
	$(PY) -m pytest

# The model-based test (tests/model) for longer, with a random seed (printed; HOLDFAST_MODEL_SEED=N repeats it).
soak: $(STAMP)
	HOLDFAST_MODEL_SEED=random HOLDFAST_MODEL_SHRINK=1 HOLDFAST_MODEL_SEQUENCES=$${HOLDFAST_MODEL_SEQUENCES:-1000} \
		$(PY) -m pytest tests/model -x -q -s

# The README's screenshots of the web UI at 1440 and 375 px (docs/screenshots/); `make test` never writes them.
screenshots: $(STAMP)
	bash scripts/ensure_chromium.sh
	$(PY) -m pytest -q tests/browser/screenshots.py

# Benchmarks (opt-in: about 20 minutes in all, the two browser benchmarks of issue 17 included; figures and how to read them in docs/BENCHMARKS.md).
# B5 drives the gateway with Debian's wrk (apt-get install wrk). Each records its figures; the last step prints
# them as one table (bench/summary.py; kept in .holdfast/bench/, untracked).
bench: $(STAMP)
	$(PY) -m bench.summary --reset
	$(PY) -m bench.b1_reclamp
	$(PY) -m bench.b2_dispatch --runs 3
	$(PY) -m bench.b3_propagation
	$(PY) -m bench.b4_fanout
	$(PY) -m bench.b5_gateway
	$(PY) -m bench.b6_claim_scale --explain
	$(PY) -m bench.b7_replies
	$(PY) -m bench.b11_many_senders
	bash scripts/ensure_chromium.sh
	test -f tests/browser/node_modules/axe-core/axe.min.js || (cd tests/browser && npm install --no-audit --no-fund)
	$(PY) -m pytest -q -s -p no:cacheprovider tests/browser/bench_import.py tests/browser/bench_campaign_page.py
	$(PY) -m bench.summary

# ruff, ruff format (the whole tree), mypy (strict: services/common and every domain.py, see pyproject.toml), buf.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/buf lint
	$(VENV)/bin/buf breaking --against protos/baseline.binpb

# After a deliberate breaking change to a .proto (agreed with every caller): make it the new reference.
proto-baseline: $(STAMP)
	$(VENV)/bin/buf build -o protos/baseline.binpb

proto: $(STAMP)
	$(PY) scripts/protogen.py

# Re-pin every dependency from pyproject.toml (needs the package registry): the runtime set, then the dev set
# constrained to the runtime pins.
lock: $(STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --no-header -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev -c requirements.lock --python-version 3.11 --no-header \
		-o requirements-dev.lock

# The service image from deploy/Dockerfile (on the pinned base, or a local Debian base where it cannot be
# pulled; docs/OPERATIONS.md). Needs a running dockerd; `make test-image` starts one when none runs.
IMAGE ?= holdfast:dev
image: $(STAMP)
	bash scripts/ensure_docker.sh
	PYTHON=$(PY) bash scripts/image_build.sh $(IMAGE)

# The image run as the prod overlay runs it, against an embedded PostgreSQL (tests/container).
test-image: $(STAMP)
	bash scripts/ensure_docker.sh
	HOLDFAST_CONTAINER_TEST=1 $(PY) -m pytest tests/container -q
	@cat .holdfast/container-test.json

clean:
	rm -rf $(VENV) .holdfast .pytest_cache
