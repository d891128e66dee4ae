"""The container test needs a Docker engine and root (it may start dockerd and builds the image), so it is its
own suite: `make test-image` runs it (CI: .ci/run, after `make test`). A bare `pytest` leaves it out."""

import os

if os.environ.get("HOLDFAST_CONTAINER_TEST") != "1":
    collect_ignore_glob = ["test_*.py"]
