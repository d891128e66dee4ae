"""The first steps of the README, as a newcomer takes them, against the real `make run` runner: its banner says
what to do next, the "By hand" block runs twice in a row, and `make demo` finds the suite through the same port
variables."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_sandbox_runner import ROOT, free_port, make_run


def by_hand_block() -> str:
    readme = (ROOT / "README.md").read_text()
    after = readme.split("By hand, against `make run`", 1)[1]
    return after.split("```bash\n", 1)[1].split("```", 1)[0]


def sandbox_ports() -> dict[str, str]:
    return {f"HOLDFAST_SANDBOX_{name}_PORT": str(free_port()) for name in ("UNIPILE", "SMTP", "IMAP")}


def test_by_hand_block_runs_twice_in_a_row_and_the_banner_says_what_next(tmp_path: Path) -> None:
    ports = sandbox_ports()
    with make_run(tmp_path, **ports) as suite:
        http = suite.env["HOLDFAST_HTTP_PORT"]
        assert f"next, open http://127.0.0.1:{http} in a browser" in suite.output
        assert "`make demo` in another terminal" in suite.output
        # The block as written, on this suite's ports (a developer's own `make run` may hold the defaults).
        script = (
            by_hand_block()
            .replace("localhost:8080", f"localhost:{http}")
            .replace("localhost:8090", f"localhost:{ports['HOLDFAST_SANDBOX_UNIPILE_PORT']}")
        )
        for run in (1, 2):
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, f"run {run}: {done.stderr}\n{done.stdout}"
            # curl prints each answer without a newline; the OpenAPI document comes last (and describes errors).
            answers, openapi = done.stdout.split('{"openapi"', 1)
            assert '"error"' not in answers, f"run {run}: {answers}"
            statuses = re.findall(r'"status":\s*"(\w+)"', answers)
            assert "paused" in statuses and statuses[-1] == "active", f"run {run}: {answers}"
            assert json.loads('{"openapi"' + openapi)["paths"]


def test_make_demo_follows_make_runs_port_variables(tmp_path: Path) -> None:
    with make_run(tmp_path, **sandbox_ports()) as suite:
        ports = {k: v for k, v in suite.env.items() if k.endswith("_PORT") or k == "HOLDFAST_HTTP_HOST"}
        done = subprocess.run(
            [sys.executable, "scripts/demo.py", "--minutes", "0.1", "--prospects", "2"],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", **ports},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert re.search(r"campaign [0-9a-f-]{36} is active", done.stdout), done.stdout
        assert "Prospect0" in done.stdout and "Prospect1" in done.stdout, done.stdout
