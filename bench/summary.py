"""One table for a whole `make bench`: each benchmark records its figure, its same-run baseline, the ratio, the
target and whether it was met (plus CPU per unit where it measures it) as a JSON line in
`.holdfast/bench/results.jsonl` (untracked); `python -m bench.summary` prints them as a Markdown table with the
machine's load average at the time of each figure, ready for docs/BENCHMARKS.md.

    .venv/bin/python -m bench.summary            # the table of what was recorded since the last --reset
    .venv/bin/python -m bench.summary --reset    # start a new run (make bench does this first)
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / ".holdfast" / "bench" / "results.jsonl"
COLUMNS = ("#", "what", "result", "baseline (same run)", "ratio", "target", "met?", "CPU per unit", "load")


def record(
    bench: str, what: str, result: str, baseline: str, ratio: float | None, target: str, met: bool | None, cpu: str = ""
) -> None:
    """Append one figure for the summary (`met` None: measured, no target). The load average is read now."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "bench": bench,
        "what": what,
        "result": result,
        "baseline": baseline,
        "ratio": ratio,
        "target": target,
        "met": met,
        "cpu": cpu,
        "load": round(os.getloadavg()[0], 1),
        "at": time.strftime("%Y-%m-%d %H:%M"),
    }
    with RESULTS.open("a") as out:
        out.write(json.dumps(line) + "\n")


def table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        met = "—" if r["met"] is None else ("**yes**" if r["met"] else "**no**")
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
        cells = (
            r["bench"],
            r["what"],
            r["result"],
            r["baseline"],
            ratio,
            r["target"],
            met,
            r["cpu"] or "—",
            f"{r['load']:.1f}",
        )
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def read() -> list[dict]:
    if not RESULTS.exists():
        return []
    return [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reset", action="store_true", help="forget what was recorded (a new run starts)")
    args = parser.parse_args()
    if args.reset:
        RESULTS.unlink(missing_ok=True)
        return
    rows = read()
    if not rows:
        raise SystemExit(f"nothing recorded yet in {RESULTS} (run a benchmark first)")
    print(
        f"Benchmarks recorded {rows[0]['at']} to {rows[-1]['at']} (load: 1-minute load average at each figure; "
        f"the machine has {os.cpu_count()} cores)\n"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
