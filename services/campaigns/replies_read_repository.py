"""SQL of the replies each member has read, per campaign (issue 17; table campaigns.replies_read, migration 008):
what the home view's "replies to read" compares the campaigns' replied counts with. Keyed by workspace and member:
one member's reading never marks another's, and a member of two workspaces reads each apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.campaigns.repository import Repository


@dataclass(frozen=True, slots=True)
class Read:
    campaign_id: str
    replied: int
    read_at: datetime


class RepliesReadStore:
    def __init__(self, repository: Repository):
        self._pool: asyncpg.Pool = repository._pool  # noqa: SLF001 - part of the repository layer

    async def mark(self, workspace_id: str, member_id: str, campaign_id: str, replied: int, now: datetime) -> Read:
        """The last reading counts, as on a page: a count that went down (a reply re-classified) too."""
        row = await self._pool.fetchrow(
            """INSERT INTO campaigns.replies_read (workspace_id, member_id, campaign_id, replied, read_at)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (workspace_id, member_id, campaign_id)
               DO UPDATE SET replied = EXCLUDED.replied, read_at = EXCLUDED.read_at
               RETURNING campaign_id::text, replied, read_at""",
            workspace_id,
            member_id,
            campaign_id,
            replied,
            now,
        )
        return Read(row[0], row[1], row[2])

    async def of_member(self, workspace_id: str, member_id: str) -> list[Read]:
        """What the member has read in this workspace, one entry per campaign they read."""
        rows = await self._pool.fetch(
            """SELECT campaign_id::text, replied, read_at FROM campaigns.replies_read
                WHERE workspace_id = $1 AND member_id = $2 ORDER BY campaign_id""",
            workspace_id,
            member_id,
        )
        return [Read(r[0], r[1], r[2]) for r in rows]
