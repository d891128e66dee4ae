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
    assert (
        displayed_reason(["manual", "linkedin_account_disconnected", "subscription_canceled"])
        == "subscription_canceled"
    )
    assert displayed_reason(["manual", "account_restricted", "subscription_canceled"]) == "account_restricted"
    assert (
        displayed_reason(["linkedin_high_failure_rate", "email_account_disconnected"]) == "email_account_disconnected"
    )
    assert displayed_reason([]) is None


def test_paused_exactly_when_a_reason_is_active():
    assert status_for([]) == "active"
    assert all(status_for([r]) == "paused" for r in REASONS)


def _campaign(*reasons, resumed=None):
    from datetime import UTC, datetime

    from services.campaigns.domain import Campaign, Schedule

    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    return Campaign(
        "c",
        "w",
        "n",
        "outreach",
        "paused",
        reasons[0].reason,
        Schedule(("mon",), "09:00", "17:00", "UTC", False),
        at,
        at,
        1,
        reasons=reasons,
        last_auto_resumed_at=resumed,
    )


def test_texts_match_the_state_other_reasons_and_cool_downs():
    from datetime import UTC, datetime, timedelta

    from services.campaigns.domain import ActiveReason, describe

    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    down = ActiveReason("linkedin_account_disconnected", "linkedin", "acc", at, "")
    manual = ActiveReason("manual", "campaign", "", at, "")
    alone = describe(_campaign(down), down, cooldown=timedelta(minutes=10), now=at)
    assert alone.action == CATALOG["linkedin_account_disconnected"].action and alone.clears_at is None
    both = describe(_campaign(down, manual), down, cooldown=timedelta(minutes=10), now=at)
    assert both.action.endswith("The campaign also stays paused for: manual.")
    assert (
        describe(_campaign(down, manual), manual, cooldown=timedelta(minutes=10), now=at).action
        == CATALOG["manual"].action
    ), "manual never resumes by itself: nothing to add"
    waiting = ActiveReason(
        "linkedin_account_disconnected",
        "linkedin",
        "acc",
        at,
        "",
        clear_pending=True,
        recent_adds=(at - timedelta(minutes=4), at),
    )
    view = describe(
        _campaign(waiting, resumed=at - timedelta(minutes=1)),
        waiting,
        cooldown=timedelta(minutes=10),
        now=at + timedelta(minutes=1),
    )
    assert view.clears_at == at + timedelta(minutes=9)
    assert view.cooldown == "the cause appeared 2 times in 5 minutes"
    assert "within seconds" not in view.explanation + view.action and "09:09 UTC" in view.action
