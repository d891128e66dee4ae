"""SQL of the workspace suppression lists (schema campaigns, migration 004), beside `repository.py`: writes run
on a `Transaction`'s connection so an entry and the event that carries it to the scheduler commit together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.campaigns.repository import Repository, Transaction
from services.campaigns.suppression_entries import Entry


@dataclass(frozen=True, slots=True)
class Suppression:
    id: str
    seq: int
    kind: str
    value: str
    source: str
    actor: str
    created_at: datetime


def _suppression(r: asyncpg.Record) -> Suppression:
    return Suppression(str(r["id"]), r["seq"], r["kind"], r["value"], r["source"], r["actor"], r["created_at"])


def _conn(tx: Transaction) -> asyncpg.Connection:
    return tx._conn  # noqa: SLF001 - this module is part of the repository layer


class SuppressionStore:
    def __init__(self, repository: Repository):
        self._pool: asyncpg.Pool = repository._pool  # noqa: SLF001 - part of the repository layer

    async def add(
        self, tx: Transaction, workspace_id: str, entries: Sequence[Entry], source: str, actor: str, now: datetime
    ) -> list[Entry]:
        """Insert the entries not yet listed; returns those (an entry listed already keeps its first source)."""
        rows = await _conn(tx).fetch(
            """INSERT INTO campaigns.suppressions (workspace_id, kind, value, source, actor, created_at)
               SELECT $1, t.kind, t.value, $4, $5, $6 FROM unnest($2::text[], $3::text[]) WITH ORDINALITY
                   AS t(kind, value, n) ORDER BY t.n
               ON CONFLICT (workspace_id, kind, value) DO NOTHING RETURNING kind, value""",
            workspace_id,
            [e.kind for e in entries],
            [e.value for e in entries],
            source,
            actor[:200],
            now,
        )
        return [Entry(r["kind"], r["value"]) for r in rows]

    async def delete(self, tx: Transaction, workspace_id: str, suppression_id: str) -> Suppression | None:
        r = await _conn(tx).fetchrow(
            "DELETE FROM campaigns.suppressions WHERE workspace_id = $1 AND id = $2 RETURNING *",
            workspace_id,
            suppression_id,
        )
        return None if r is None else _suppression(r)

    async def page(self, workspace_id: str, query: str, limit: int, before_seq: int | None) -> list[Suppression]:
        """Newest first; `query` matches anywhere in the value (case-insensitive, taken literally)."""
        pattern = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self._pool.fetch(
            """SELECT * FROM campaigns.suppressions
                WHERE workspace_id = $1 AND ($2 = '%%' OR lower(value) LIKE $2)
                  AND ($4::bigint IS NULL OR seq < $4)
                ORDER BY seq DESC LIMIT $3""",
            workspace_id,
            pattern,
            limit,
            before_seq,
        )
        return [_suppression(r) for r in rows]

    async def prospect(self, workspace_id: str, prospect_id: str) -> tuple[str | None, str | None] | None:
        """A prospect of the workspace as (email, LinkedIn provider id), or None."""
        r = await self._pool.fetchrow(
            """SELECT p.email, p.linkedin_provider_id FROM campaigns.prospects p
                 JOIN campaigns.campaigns c ON c.id = p.campaign_id
                WHERE p.id = $2 AND c.workspace_id = $1""",
            workspace_id,
            prospect_id,
        )
        return None if r is None else (r["email"], r["linkedin_provider_id"])

    async def matching(
        self, workspace_id: str, emails: Sequence[str], domains: Sequence[str], linkedin: Sequence[str]
    ) -> set[Entry]:
        """Which of these candidate entries the workspace's list holds."""
        rows = await self._pool.fetch(
            """SELECT kind, value FROM campaigns.suppressions WHERE workspace_id = $1 AND (
                   (kind = 'email' AND value = ANY($2::text[])) OR (kind = 'domain' AND value = ANY($3::text[]))
                   OR (kind = 'linkedin' AND value = ANY($4::text[])))""",
            workspace_id,
            list(emails),
            list(domains),
            list(linkedin),
        )
        return {Entry(r["kind"], r["value"]) for r in rows}
