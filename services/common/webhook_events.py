"""The outbound webhook event types a workspace's endpoints may subscribe to, written once: accounts validates
subscriptions against them, the gateway's API documents and checks them (docs/API.md lists what each carries)."""

from __future__ import annotations

from typing import Literal, get_args

WebhookEventType = Literal[
    "campaign.paused",
    "campaign.resumed",
    "campaign.completed",
    "prospect.accepted",
    "prospect.replied",
    "prospect.out_of_office",
    "prospect.opted_out",
    "prospect.bounced",
    "sender.disconnected",
    "sender.reconnected",
]
# In the order deliveries and listings name them.
EVENT_TYPES: tuple[str, ...] = get_args(WebhookEventType)
