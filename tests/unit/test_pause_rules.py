"""DESIGN P1-P2 as pure rules."""

from __future__ import annotations

import itertools

import pytest

from services.campaigns.domain import CATALOG, PRECEDENCE, REASONS, displayed_reason, status_for


def test_every_reason_has_an_explanation_and_an_action():
    assert set(CATALOG) == set(REASONS)
    for info in CATALOG.values():
        assert len(info.explanation) > 40 and len(info.action) > 20


@pytest.mark.parametrize("size", [1, 2, 3])
def test_displayed_reason_is_the_highest_in_precedence(size):
    for combo in itertools.combinations(REASONS, size):
        shown = displayed_reason(list(combo))
        assert shown in combo
        assert all(PRECEDENCE.index(shown) <= PRECEDENCE.index(r) for r in combo)


def test_documented_order():
    assert displayed_reason(["manual", "linkedin_account_disconnected", "subscription_canceled"]) == \
        "subscription_canceled"
    assert displayed_reason(["manual", "account_restricted", "subscription_canceled"]) == "account_restricted"
    assert displayed_reason(["linkedin_high_failure_rate", "email_account_disconnected"]) == \
        "email_account_disconnected"
    assert displayed_reason([]) is None


def test_paused_exactly_when_a_reason_is_active():
    assert status_for([]) == "active"
    assert all(status_for([r]) == "paused" for r in REASONS)
