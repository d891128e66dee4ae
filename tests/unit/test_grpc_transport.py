"""Every Holdfast process serves gRPC on grpc.aio's poller (services/__init__.py, docs/OPERATIONS.md): the setting is
in place before grpc loads, and an operator's own GRPC_EXPERIMENTS wins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What a service's entry point does first: `python -m services.<name>` imports the package, then grpc.
PROBE = "import services, grpc, os; print(os.environ.get('GRPC_EXPERIMENTS', '<unset>'))"


def _experiments(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def test_a_process_that_imports_the_services_runs_grpc_without_event_engine_threads() -> None:
    env = {k: v for k, v in os.environ.items() if k != "GRPC_EXPERIMENTS"}
    assert _experiments(env).split(",") == [
        "-event_engine_client",
        "-event_engine_listener",
        "-event_engine_for_all_other_endpoints",
        "-event_engine_callback_cq",
    ]


def test_an_operators_own_setting_wins_even_empty() -> None:
    assert _experiments({**os.environ, "GRPC_EXPERIMENTS": "-event_engine_client"}) == "-event_engine_client"
    assert _experiments({**os.environ, "GRPC_EXPERIMENTS": ""}) == ""
