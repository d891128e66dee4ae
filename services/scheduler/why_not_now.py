"""S11: every value a prospect's `why_not_now` can take, in the order they are listed. The scheduler builds
its values only through `value`, which refuses one not here; docs/SCHEDULING.md's table is generated from
this catalog (scripts/state_tables.py) and a test keeps the two in step. `<…>` marks the variable part."""

from __future__ import annotations

import re

WHY_NOT_NOW: dict[str, str] = {
    "enrolling": "just added: the scheduler has not planned the prospect yet (set by the campaigns service)",
    "replied": "the prospect replied: nothing more is sent to it (V1)",
    "opted_out": "the prospect asked to hear no more: nothing more is sent to it (V1)",
    "suppressed": "the prospect is on the workspace's suppression list: nothing is sent to it (V1)",
    "done": "the prospect went through every step; nothing more is planned",
    "stopped:<reason>": "the prospect was stopped and gets nothing more: a refusal by the provider (its error "
    "type), `provider_failures` after repeated failures, or a bounce",
    "not_found:<reason>": "no LinkedIn member answers to the profile URL or identifier given (the provider's "
    "answer, e.g. `errors/resource_not_found`): nothing is sent",
    "resolving_linkedin_profile": "the prospect was given by LinkedIn profile URL or identifier; its provider id is "
    "being looked up (paced per sender, with a daily cap) before it is planned",
    "waiting_for_acceptance": "the invitation was sent; the next LinkedIn step waits for the prospect to accept",
    "sending_now": "the action is at the provider right now",
    "out_of_office": "the prospect's auto-reply said it is away: the action is parked until its return (V3)",
    "campaign_not_active": "the campaign is a draft or has finished",
    "paused:<reason>": "the campaign is paused on this prospect's channel by that reason (the campaigns service "
    "names the reason; see the reasons table)",
    "held:<channel>": "the channel is held and the campaigns service could not name the reason (shown only "
    "when no active reason covers the channel)",
    "sender_<status>": "the sender cannot send: `sender_disconnected`, `sender_restricted`, or "
    "`sender_unknown` (its state has not reached the scheduler yet)",
    "day_not_in_schedule": "today is not one of the campaign's days",
    "window_closed": "today is a campaign day but outside its window",
    "daily_cap_reached": "the sender used its daily cap for this action today",
    "ramp_limit_reached": "the sender used today's ramp-up allowance, below the daily cap",
    "provider_usage_<n>_percent": "LinkedIn reported the sender at that share of its invitation limit: Holdfast "
    "sends fewer invitations today than the cap allows (T3)",
    "weekly_cap_reached": "the sender used its rolling 7-day cap for this action",
    "sender_reported_<block>": "the provider answered a send with an account-level error (`disconnected`, "
    "`restricted`); the sender waits before trying again",
    "sender_cooldown:<type>": "the provider told the sender to wait (e.g. `errors/limit_exceeded`, "
    "`errors/insufficient_credits`); its sends resume after the cool-down (T3)",
    "rate_limited:<type>": "the provider rate-limited the sender; it tries again later",
    "pacing": "the sender's pacing gap since its last send has not passed",
    "recipient_cooldown:<type>": "the provider will not take this action for this recipient for a while (e.g. "
    "`errors/cannot_resend_yet`); the sender and other prospects go on (T3)",
    "scheduled_later": "nothing blocks: the action is planned for `next_action_at`",
}
# A key's `<…>` part matches a word, a number or a provider's error type ("errors/limit_exceeded").
_PATTERNS = [
    re.compile("^" + r"[A-Za-z0-9_./-]+".join(re.escape(part) for part in re.split(r"<[^>]+>", key)) + "$")
    for key in WHY_NOT_NOW
]


def value(key: str, part: str = "") -> str:
    """The value for a catalog entry, its `<…>` filled with `part`."""
    if key not in WHY_NOT_NOW:
        raise KeyError(f"why_not_now value {key!r} is not in the catalog")
    return re.sub(r"<[^>]+>", part, key) if "<" in key else key


def documented(found: str) -> bool:
    """Whether a value seen in an answer is one the catalog lists."""
    return any(p.match(found) for p in _PATTERNS)
