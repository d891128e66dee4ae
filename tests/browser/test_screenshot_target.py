"""`make test` leaves a clone clean: no test module writes into docs/, and the README's screenshots come from
`make screenshots`, whose module pytest does not collect on its own."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_collected_test_writes_the_tracked_screenshots() -> None:
    collected = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "pytest", "--collect-only", "-q", "tests/browser"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "tests/browser/screenshots.py" not in collected
    assert "tests/browser/test_ui.py" in collected
    for module in set((ROOT / "tests").rglob("test_*.py")) - {Path(__file__).resolve()}:
        assert "docs/screenshots" not in module.read_text() and '"screenshots"' not in module.read_text(), module


def test_make_screenshots_runs_the_screenshot_module() -> None:
    makefile = (ROOT / "Makefile").read_text()
    target = makefile.split("\nscreenshots:", 1)[1].split("\n\n", 1)[0]
    assert "tests/browser/screenshots.py" in target
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "screenshots" not in test_recipe
