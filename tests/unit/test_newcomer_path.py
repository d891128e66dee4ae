"""What a newcomer runs first works as the README says: `make demo` finds the suite `make run` started (same port
variables) and explains itself when there is none; documented commands are the ones that run."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_without_a_running_suite_says_to_start_make_run_at_the_port_make_run_would_use() -> None:
    port = free_port()  # nothing listens there
    env = {"PATH": "/usr/bin:/bin", "HOLDFAST_HTTP_PORT": str(port)}
    done = subprocess.run(
        [sys.executable, "scripts/demo.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert f"nothing answers at http://127.0.0.1:{port}/api/v1/workspaces" in done.stderr
    assert "start `make run` first" in done.stderr
    assert "Traceback" not in done.stderr and "URLError" not in done.stderr


def test_the_readme_names_the_config_table_command_that_runs_as_written() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "`.venv/bin/python scripts/config_table.py`" in readme
    assert "`python scripts/config_table.py`" not in readme
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "scripts/config_table.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("| variable | read by | default | meaning |")
