"""Resume gates (DESIGN P7, P8): for each active reason, whether a member's Resume may clear it now."""

from __future__ import annotations

from services.campaigns.domain import CATALOG, ActiveReason, Campaign, Gate

# Reasons a member's Resume clears by itself: the member is the gate (P7 "cleared by Resume: yes").
_CLEARED_BY_MEMBER = {
    "manual": "member_resume",
    "linkedin_high_failure_rate": "member_confirms_cause_fixed",
    "email_high_bounce_rate": "member_confirms_cause_fixed",
}
# Reasons whose gate is a fact about an account or the subscription, and the message when it blocks.
_HEALTH_GATES = {
    "linkedin_account_disconnected": ("linkedin_account_connected", "the LinkedIn account is not connected"),
    "email_account_disconnected": ("inbox_login_works", "the inbox cannot log in"),
    "account_restricted": ("restriction_lifted_and_verified",
                           "the account's restriction has not been lifted and verified"),
    "subscription_canceled": ("subscription_active", "the workspace subscription is not active"),
}


async def check_gate(campaign: Campaign, reason: ActiveReason) -> Gate:
    if reason.reason in _CLEARED_BY_MEMBER:
        return Gate(reason.reason, _CLEARED_BY_MEMBER[reason.reason], True)
    # Health gates are cleared by the health events that report recovery; until the account-health
    # checks land, such a reason is never cleared by a member (never resume what is not verified).
    gate, message = _HEALTH_GATES[reason.reason]
    return Gate(reason.reason, gate, False, message, CATALOG[reason.reason].action)
