"""Gates (DESIGN P5-P8): for each active reason, whether a member's Resume may clear it now; and the one check
every path that starts sending goes through (activate, resume, prospects added, a stopped prospect back in its
sequence, a sender's health changing): which reasons the campaign's senders and subscription call for on the
channels it is about to send on. (A campaign's senders are set when it is created; no path adds one later.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.campaigns.domain import CATALOG, SENDER_REASONS, ActiveReason, Actor, Campaign, Gate
from services.campaigns.ports import Directory

# Reasons a member's Resume clears by itself: the member is the gate (P7 "cleared by Resume: yes").
_CLEARED_BY_MEMBER = {
    "manual": "member_resume",
    "linkedin_high_failure_rate": "member_confirms_cause_fixed",
    "email_high_bounce_rate": "member_confirms_cause_fixed",
}
_GATE_OF_SENDER_REASON = {
    "linkedin_account_disconnected": "linkedin_account_connected",
    "email_account_disconnected": "inbox_login_works",
    "account_restricted": "restriction_lifted_and_verified",
}
# Every reason's resume gate (P8), as documented in the reasons table.
RESUME_GATES = {**_CLEARED_BY_MEMBER, **_GATE_OF_SENDER_REASON, "subscription_canceled": "subscription_active"}
# Who adds a reason the gate check finds missing, in the pause history.
GATE_CHECK = Actor(kind="system", source="gate_check")


@dataclass(frozen=True, slots=True)
class Needed:
    """A reason the campaign's senders or subscription call for now, and the gate that clears it."""

    reason: str
    scope: str
    subject: str
    detail: str

    def gate(self) -> Gate:
        name = "subscription_active" if self.reason == "subscription_canceled" else _GATE_OF_SENDER_REASON[self.reason]
        return Gate(self.reason, name, False, self.detail, CATALOG[self.reason].action)


class Gates:
    def __init__(self, directory: Directory):
        self._directory = directory

    async def needed(self, campaign: Campaign, channels: Iterable[str]) -> list[Needed]:
        """The reasons a campaign about to send on `channels` must have now: a lapsed subscription, and each
        sender of those channels that is unusable (P5, P6). Whether the campaign has them already is not asked."""
        out: list[Needed] = []
        if not await self._directory.subscription_active(campaign.workspace_id):
            out.append(Needed("subscription_canceled", "campaign", "", "the workspace subscription is not active"))
        for channel in sorted(set(channels)):
            kind, ids = (
                ("linkedin_account", campaign.senders.linkedin_account_ids)
                if channel == "linkedin"
                else ("inbox", campaign.senders.inbox_ids)
            )
            what = "LinkedIn account" if kind == "linkedin_account" else "inbox"
            for sender_id in ids:
                health = await self._directory.sender_health(campaign.workspace_id, kind, sender_id)
                found = SENDER_REASONS.get((kind, health.status if health else ""))
                if found is not None:
                    assert health is not None
                    out.append(Needed(found[0], found[1], sender_id, f"the {what} is {health.status}"))
        return out

    async def check(self, campaign: Campaign, reason: ActiveReason) -> Gate:
        name = reason.reason
        action = CATALOG[name].action
        if name in _CLEARED_BY_MEMBER:
            return Gate(name, _CLEARED_BY_MEMBER[name], True)
        if name == "subscription_canceled":
            ok = await self._directory.subscription_active(campaign.workspace_id)
            return Gate(
                name, "subscription_active", ok, "" if ok else "the workspace subscription is not active", action
            )
        kind = "inbox" if name == "email_account_disconnected" else "linkedin_account"
        health = await self._directory.sender_health(campaign.workspace_id, kind, reason.subject)
        status = health.status if health else "unknown"
        if name == "account_restricted":
            ok = health is not None and status == "connected" and health.restriction_verified
            return Gate(
                name,
                "restriction_lifted_and_verified",
                ok,
                "" if ok else f"the account is {status} and has not been verified since its restriction",
                action,
            )
        ok = status in ("connected", "degraded")
        what = "inbox" if kind == "inbox" else "LinkedIn account"
        return Gate(name, _GATE_OF_SENDER_REASON[name], ok, "" if ok else f"the {what} is {status}", action)


def missing(campaign: Campaign, needed: Iterable[Needed]) -> list[Needed]:
    """Of the needed reasons, those the campaign does not have yet."""
    have = {(r.reason, r.subject) for r in campaign.reasons}
    return [n for n in needed if (n.reason, n.subject) not in have]
