"""Holdfast registers its own Unipile webhooks (DESIGN T4), idempotently: run it on every deploy, from any
number of places at once, and the end state is one webhook per source pointing at our URL with our secret.

Our webhooks are recognised by name (`holdfast-<source>`), so one whose URL or secret changed is replaced
(the new one is created before the old one is deleted: no event is missed in between), and anything else
registered on the Unipile tenant is left alone."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.common.providers.unipile import UnipileClient, WebhookInfo

# account_status: health (A1); users: new_relation (S9); messaging: replies (V2) and our own sent messages.
SOURCES = ("account_status", "users", "messaging")
MAX_PAGES = 50


def webhook_name(source: str) -> str:
    return f"holdfast-{source}"


@dataclass
class Registration:
    """What a run did, per source."""

    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    # Our webhooks found twice for one source (two runs raced): the extra ones were deleted.
    removed_duplicates: int = 0

    def summary(self) -> str:
        return (
            f"webhooks: created {sorted(self.created)}, replaced {sorted(self.replaced)}, "
            f"kept {sorted(self.kept)}, duplicates removed {self.removed_duplicates}"
        )


async def register_webhooks(client: UnipileClient, request_url: str, header: str, secret: str) -> Registration:
    """Make Unipile's webhooks of every source in SOURCES point at `request_url`, carrying `header: secret`."""
    if not request_url or not header or not secret:
        raise ValueError("request_url, header and secret are required")
    done = Registration()
    existing = await _all_webhooks(client)
    for source in SOURCES:
        ours = [w for w in existing if w.name == webhook_name(source)]
        current = [
            w
            for w in ours
            if w.source in (source, "") and w.request_url == request_url and w.headers.get(header) == secret
        ]
        if current:
            done.kept.append(source)
            keep = current[0]
        else:
            await client.create_webhook(request_url, source, {header: secret}, name=webhook_name(source))
            (done.replaced if ours else done.created).append(source)
            keep = None
        for stale in ours:
            if stale is keep:
                continue
            if keep is not None:
                done.removed_duplicates += 1
            await client.delete_webhook(stale.id)
    return done


async def _all_webhooks(client: UnipileClient) -> list[WebhookInfo]:
    found: list[WebhookInfo] = []
    cursor = None
    for _ in range(MAX_PAGES):
        page = await client.list_webhooks(cursor=cursor)
        found.extend(page.items)
        cursor = page.cursor
        if cursor is None:
            break
    return found
