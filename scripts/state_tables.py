"""Print the tables of pause reasons and of why-not-now values, generated from the code, as they stand in
docs/HEALTH.md and docs/SCHEDULING.md (between `<!-- generated: NAME -->` and `<!-- end generated -->`).
`python scripts/state_tables.py --write` rewrites those sections; a test fails when they are stale."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from services.campaigns.domain import CATALOG, PRECEDENCE
from services.campaigns.gates import RESUME_GATES
from services.scheduler.why_not_now import WHY_NOT_NOW

ROOT = Path(__file__).resolve().parent.parent


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def reasons() -> list[str]:
    lines = [
        "| precedence | reason | scope | cleared by the system when | resume gate | explanation | action |",
        "|---|---|---|---|---|---|---|",
    ]
    for rank, name in enumerate(PRECEDENCE, 1):
        info = CATALOG[name]
        lines.append(
            f"| {rank} | `{name}` | {info.scope} | {_cell(info.clears_when)} | `{RESUME_GATES[name]}` | "
            f"{_cell(info.explanation)} | {_cell(info.action)} |"
        )
    return lines


def why_not_now() -> list[str]:
    lines = ["| value | meaning |", "|---|---|"]
    lines += [f"| `{value}` | {_cell(meaning)} |" for value, meaning in WHY_NOT_NOW.items()]
    return lines


TABLES = {"reasons": ("docs/HEALTH.md", reasons), "why-not-now": ("docs/SCHEDULING.md", why_not_now)}


def section(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated: {name} -->\n)(.*?)(<!-- end generated -->)", re.S)


def documented(name: str) -> list[str]:
    """The table as it stands in its document."""
    path, _ = TABLES[name]
    found = section(name).search((ROOT / path).read_text())
    return found.group(2).strip().splitlines() if found else []


def write() -> None:
    for name, (path, build) in TABLES.items():
        text = (ROOT / path).read_text()
        updated, n = section(name).subn(lambda m, b=build: m.group(1) + "\n".join(b()) + "\n" + m.group(3), text)
        assert n == 1, f"{path} has no `<!-- generated: {name} -->` section"
        (ROOT / path).write_text(updated)


if __name__ == "__main__":
    if "--write" in sys.argv:
        write()
    else:
        for name, (_, build) in TABLES.items():
            print(f"{name}:\n" + "\n".join(build()) + "\n")
