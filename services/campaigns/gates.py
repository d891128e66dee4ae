"""Resume gates (DESIGN P7, P8): for each active reason, whether a member's Resume may clear it now."""

from __future__ import annotations

from services.campaigns.domain import CATALOG, ActiveReason, Campaign, Gate
from services.campaigns.ports import Directory

# Reasons a member's Resume clears by itself: the member is the gate (P7 "cleared by Resume: yes").
_CLEARED_BY_MEMBER = {
    "manual": "member_resume",
    "linkedin_high_failure_rate": "member_confirms_cause_fixed",
    "email_high_bounce_rate": "member_confirms_cause_fixed",
}


class Gates:
    def __init__(self, directory: Directory):
        self._directory = directory

    async def check(self, campaign: Campaign, reason: ActiveReason) -> Gate:
        name = reason.reason
        action = CATALOG[name].action
        if name in _CLEARED_BY_MEMBER:
            return Gate(name, _CLEARED_BY_MEMBER[name], True)
        if name == "subscription_canceled":
            ok = await self._directory.subscription_active(campaign.workspace_id)
            return Gate(name, "subscription_active", ok, "" if ok else "the workspace subscription is not active",
                        action)
        kind = "inbox" if name == "email_account_disconnected" else "linkedin_account"
        health = await self._directory.sender_health(campaign.workspace_id, kind, reason.subject)
        status = health.status if health else "unknown"
        if name == "account_restricted":
            ok = health is not None and status == "connected" and health.restriction_verified
            return Gate(name, "restriction_lifted_and_verified", ok,
                        "" if ok else f"the account is {status} and has not been verified since its restriction",
                        action)
        ok = status in ("connected", "degraded")
        what = "inbox" if kind == "inbox" else "LinkedIn account"
        gate = "inbox_login_works" if kind == "inbox" else "linkedin_account_connected"
        return Gate(name, gate, ok, "" if ok else f"the {what} is {status}", action)
