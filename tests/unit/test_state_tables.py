"""Every pause reason and every why-not-now value is documented, and the docs' tables are the code's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts import state_tables
from services.campaigns.domain import CATALOG, PRECEDENCE, REASONS, SENDER_REASONS
from services.campaigns.gates import RESUME_GATES
from services.scheduler import why_not_now

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", list(state_tables.TABLES))
def test_the_documented_table_is_generated_from_the_code(name):
    _, build = state_tables.TABLES[name]
    assert state_tables.documented(name) == build(), (
        f"the {name} table is stale: run `python scripts/state_tables.py --write`"
    )


def test_every_reason_has_a_precedence_a_gate_and_the_scope_its_senders_hold():
    assert set(PRECEDENCE) == set(REASONS) == set(CATALOG) == set(RESUME_GATES)
    for reason, scope in SENDER_REASONS.values():
        assert CATALOG[reason].scope == scope


def test_every_value_the_code_can_build_is_in_the_catalog():
    """The scheduler and the campaigns service write why-not-now values only as catalog entries."""
    sources = {
        "services/scheduler/service.py": r'why\("([^"]+)"',
        "services/campaigns/server.py": r'why_not_now=.*\["([a-z_]+)"\]',
    }
    for path, pattern in sources.items():
        for key in re.findall(pattern, (ROOT / path).read_text()):
            assert key in why_not_now.WHY_NOT_NOW, f"{path} builds {key!r}, which no table documents"
    assert why_not_now.documented("paused:linkedin_account_disconnected")
    assert why_not_now.documented("sender_reported_restricted") and not why_not_now.documented("sender")
    with pytest.raises(KeyError):
        why_not_now.value("not_a_value")
