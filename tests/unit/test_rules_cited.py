"""Every domain rule code cited anywhere in the repository (P4, S8, A5, ...) is defined in docs/RULES.md, and what
RULES.md names as enforcing or proving a rule still exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "docs" / "RULES.md"
# A citation: one of the rule families and a number from 1 (T0 or A0 are names of other things, e.g. a start time).
CITATION = re.compile(r"\b([PSAVT][1-9][0-9]?)\b")
SCANNED = ("services", "sandbox", "tests", "docs", "deploy", "scripts", "bench", "protos")
TEXT = {".py", ".md", ".sql", ".js", ".html", ".css", ".yaml", ".yml", ".toml", ".sh", ".proto", ".pyi"}
ROW = re.compile(r"^\| ([PSAVT][1-9][0-9]?) \| (.+?) \| (built|partly[^|]*|not built) \| (.+?) \| (.+?) \|$")


def rules() -> dict[str, tuple[str, str, str, str]]:
    found: dict[str, tuple[str, str, str, str]] = {}
    for line in RULES.read_text().splitlines():
        row = ROW.match(line)
        if row:
            code, text, status, enforced, proven = row.groups()
            assert code not in found, f"{code} is defined twice"
            found[code] = (text, status, enforced, proven)
    return found


def scanned_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "Makefile"]
    for folder in SCANNED:
        files += [
            p
            for p in (ROOT / folder).rglob("*")
            if p.suffix in TEXT
            and p.is_file()
            and not p.name.endswith(("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"))
            and ".venv" not in p.parts
        ]
    return files


def test_rules_md_defines_each_family_in_full():
    defined = set(rules())
    expected = (
        {f"P{n}" for n in range(1, 10)}
        | {f"S{n}" for n in range(1, 12)}
        | {f"A{n}" for n in range(1, 7)}
        | {f"V{n}" for n in range(1, 10)}
        | {f"T{n}" for n in range(1, 9)}
    )
    assert defined == expected, sorted(defined ^ expected)


def test_every_cited_rule_code_is_defined_in_rules_md():
    defined = set(rules())
    unknown: dict[str, list[str]] = {}
    for path in scanned_files():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            for code in CITATION.findall(line):
                if code not in defined:
                    unknown.setdefault(code, []).append(f"{path.relative_to(ROOT)}:{number}")
    assert not unknown, f"rule codes cited but not in docs/RULES.md: {unknown}"


def test_the_scan_sees_the_code_base_citations():
    cited = {code for path in scanned_files() for code in CITATION.findall(path.read_text(errors="replace"))}
    assert {"P4", "S8", "A5"} <= cited, "the scan reads services/, tests/ and docs/"


def test_what_rules_md_names_exists():
    problems = []
    for code, (_text, status, enforced, proven) in rules().items():
        if status == "not built":
            assert enforced == proven == "—", f"{code} is not built: it names nothing"
            continue
        paths = re.findall(r"`([^`]+)`", enforced)
        tests = re.findall(r"`([^`]+)`", proven)
        assert paths and tests, f"{code} ({status}) names where it is enforced and the test proving it"
        for path in paths:
            if not (ROOT / path).exists():
                problems.append(f"{code}: {path} does not exist")
        for test in tests:
            file, _, name = test.partition("::")
            if not (ROOT / file).is_file():
                problems.append(f"{code}: {file} does not exist")
            elif name and not re.search(rf"def {re.escape(name)}\(", (ROOT / file).read_text()):
                problems.append(f"{code}: no test {name} in {file}")
    assert not problems, problems
