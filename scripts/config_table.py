"""Print the environment variables every process reads, as the Markdown table in the README."""

from __future__ import annotations

from services.accounts.config import Settings as Accounts
from services.campaigns.config import Settings as Campaigns
from services.common.config import describe
from services.gateway.config import Settings as Gateway
from services.scheduler.config import Settings as Scheduler

PROCESSES = {"accounts": Accounts, "campaigns": Campaigns, "scheduler": Scheduler, "gateway": Gateway}


def rows() -> list[str]:
    readers: dict[str, dict[str, dict]] = {}
    for name, cls in PROCESSES.items():
        for row in describe(cls):
            readers.setdefault(row["env"], {})[name] = row
    lines = ["| variable | read by | default | meaning |", "|---|---|---|---|"]
    for env, by_reader in readers.items():
        first = next(iter(by_reader.values()))
        who = "all" if len(by_reader) == len(PROCESSES) else ", ".join(by_reader)
        defaults = {name: row["default"] for name, row in by_reader.items()}
        if first["required"]:
            default = "**required**"
        elif len(set(defaults.values())) == 1:
            default = f"`{first['default']}`"
        else:
            default = ", ".join(f"{name} `{value}`" for name, value in defaults.items())
        meaning = first["help"].replace("the accounts ", "the ") if len(by_reader) > 1 else first["help"]
        lines.append(f"| `{env}` | {who} | {default} | {meaning} |")
    return lines


if __name__ == "__main__":
    print("\n".join(rows()))
