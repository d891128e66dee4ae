"""The repository layer of the accounts service: the connection (`Repository`, `Tx`), the sender reads every seam
shares, and the row mappers. Each seam's SQL lives in its own part beside this one (`linkedin_repository.py`,
`inbox_repository.py`, `oauth_repository.py`, `secret_repository.py`, `inbox_poll_repository.py`,
`health_repository.py`, `workspace_repository.py`), each a class wrapping a `Tx`, as the scheduler's `BounceTx(tx)`:
its queries run on that transaction's connection."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import asyncpg

from services.accounts.domain import ACTION_TYPES, HistoryEntry, Inbox, LinkedInAccount, SendingLimit, ServerConfig
from services.accounts.health_domain import HISTORY_LENGTH
from services.common import db, outbox
from services.common.errors import AlreadyExists, NotFound

SCHEMA = "accounts"
# The table of each sender kind (fixed names, never from input).
_TABLE = {"linkedin_account": "accounts.linkedin_accounts", "inbox": "accounts.inboxes"}
# A sender's limits ride along as one array, so a sender is read in one round trip.
_LIMITS = """COALESCE((SELECT array_agg(ROW(l.action_type, l.daily_cap, l.weekly_cap, l.ramp_start, l.ramp_step,
                                              l.pacing_min_seconds, l.pacing_max_seconds))
                        FROM accounts.sending_limits l
                       WHERE l.sender_kind = '{kind}' AND l.sender_id = s.id), '{{}}') AS limits"""
# The last HISTORY_LENGTH health changes, newest first, ride along the same way.
_HISTORY = f"""COALESCE((SELECT array_agg(ROW(h.status, h.detail, h.source, h.at) ORDER BY h.id DESC)
                         FROM (SELECT h0.id, h0.status, h0.detail, h0.source, h0.at FROM accounts.health_history h0
                                WHERE h0.sender_kind = '{{kind}}' AND h0.sender_id = s.id
                                ORDER BY h0.id DESC LIMIT {HISTORY_LENGTH}) h), '{{{{}}}}') AS history"""
LINKEDIN_SELECT = f"""SELECT s.id, s.workspace_id, s.unipile_account_id, s.name, s.timezone, s.status, s.status_since,
                       s.status_detail, s.restriction_kind, s.restriction_verified, s.version, s.created_at,
                       {_LIMITS.format(kind="linkedin_account")}, {_HISTORY.format(kind="linkedin_account")}
                  FROM accounts.linkedin_accounts s"""
INBOX_SELECT = f"""SELECT s.id, s.workspace_id, s.email, s.display_name, s.timezone, s.auth_kind, s.smtp_host,
                    s.smtp_port, s.smtp_security, s.smtp_username, s.imap_host, s.imap_port, s.imap_security,
                    s.imap_username, s.status, s.status_since, s.status_detail, s.version, s.created_at,
                    s.last_bounce_poll_error, s.next_probe_at, s.auth_failures,
                    {_LIMITS.format(kind="inbox")}, {_HISTORY.format(kind="inbox")}
               FROM accounts.inboxes s"""
_DUPLICATES = {
    "linkedin_accounts_unipile_account_id_key": (
        "this Unipile account is already connected to a workspace",
        "unipile_account_id",
    ),
    "inboxes_workspace_id_email_key": ("an inbox with this email address already exists in this workspace", "email"),
}


def _limits(rows: Iterable[asyncpg.Record]) -> tuple[SendingLimit, ...]:
    limits = [SendingLimit(*row[1:], action_type=row[0]) for row in rows]
    return tuple(sorted(limits, key=lambda limit: ACTION_TYPES.index(limit.action_type)))


def linkedin_account_row(row: asyncpg.Record) -> LinkedInAccount:
    return LinkedInAccount(
        id=str(row["id"]),
        workspace_id=str(row["workspace_id"]),
        unipile_account_id=row["unipile_account_id"],
        name=row["name"],
        timezone=row["timezone"],
        status=row["status"],
        status_since=row["status_since"],
        status_detail=row["status_detail"],
        restriction_kind=row["restriction_kind"],
        restriction_verified=row["restriction_verified"],
        version=row["version"],
        created_at=row["created_at"],
        limits=_limits(row["limits"]),
        history=tuple(HistoryEntry(*h) for h in row["history"]),
    )


def server_config(row: asyncpg.Record, prefix: str) -> ServerConfig | None:
    if row[f"{prefix}_host"] is None:
        return None
    return ServerConfig(
        host=row[f"{prefix}_host"],
        port=row[f"{prefix}_port"],
        security=row[f"{prefix}_security"],
        username=row[f"{prefix}_username"],
    )


def inbox_row(row: asyncpg.Record) -> Inbox:
    return Inbox(
        id=str(row["id"]),
        workspace_id=str(row["workspace_id"]),
        email=row["email"],
        display_name=row["display_name"],
        timezone=row["timezone"],
        auth_kind=row["auth_kind"],
        smtp=server_config(row, "smtp"),
        imap=server_config(row, "imap"),
        status=row["status"],
        status_since=row["status_since"],
        status_detail=row["status_detail"],
        version=row["version"],
        created_at=row["created_at"],
        limits=_limits(row["limits"]),
        history=tuple(HistoryEntry(*h) for h in row["history"]),
        bounce_poll_error=row["last_bounce_poll_error"],
        # T7: a disconnected inbox whose password was refused is not probed again until it changes.
        next_probe_at=None if row["status"] == "disconnected" and row["auth_failures"] > 0 else row["next_probe_at"],
    )


@asynccontextmanager
async def refusing_duplicates() -> AsyncIterator[None]:
    """Turn the unique and foreign-key violations of a sender insert into the domain's errors."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        message, field = _DUPLICATES.get(exc.constraint_name or "", ("this sender already exists", ""))
        raise AlreadyExists(message, details={"field": field} if field else None) from None
    except asyncpg.ForeignKeyViolationError:
        raise NotFound("workspace not found") from None


class Tx:
    """Repository operations bound to one connection inside one transaction; the seams' parts wrap it. A `Tx` of
    `Repository.pool_tx()` runs each statement on its own pooled connection (reads that need no transaction)."""

    def __init__(self, conn: asyncpg.Connection | asyncpg.Pool):
        self.conn = conn
        self._conn = conn

    async def put_limits(self, kind: str, sender_id: str, limits: Iterable[SendingLimit]) -> None:
        """Insert or replace the limits of the given action types; the others are kept."""
        limits = list(limits)
        await self._conn.execute(
            """INSERT INTO accounts.sending_limits (sender_kind, sender_id, action_type, daily_cap, weekly_cap,
                                                    ramp_start, ramp_step, pacing_min_seconds, pacing_max_seconds)
               SELECT $1, $2, * FROM unnest($3::text[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[],
                                             $9::int[])
               ON CONFLICT (sender_kind, sender_id, action_type) DO UPDATE
                  SET daily_cap = excluded.daily_cap, weekly_cap = excluded.weekly_cap,
                      ramp_start = excluded.ramp_start, ramp_step = excluded.ramp_step,
                      pacing_min_seconds = excluded.pacing_min_seconds,
                      pacing_max_seconds = excluded.pacing_max_seconds""",
            kind,
            sender_id,
            [x.action_type for x in limits],
            [x.daily_cap for x in limits],
            [x.weekly_cap for x in limits],
            [x.ramp_start for x in limits],
            [x.ramp_step for x in limits],
            [x.pacing_min_seconds for x in limits],
            [x.pacing_max_seconds for x in limits],
        )

    async def lock_sender(self, kind: str, workspace_id: str, sender_id: str) -> bool:
        """Lock the sender's row (changes of one sender happen one at a time); False if it is not there."""
        found = await self._conn.fetchval(
            f"SELECT true FROM {_TABLE[kind]} WHERE id = $1 AND workspace_id = $2 FOR UPDATE", sender_id, workspace_id
        )
        return bool(found)

    async def bump_version(self, kind: str, sender_id: str) -> None:
        await self._conn.execute(f"UPDATE {_TABLE[kind]} SET version = version + 1 WHERE id = $1", sender_id)

    async def get_linkedin_account(self, workspace_id: str, account_id: str) -> LinkedInAccount | None:
        row = await self._conn.fetchrow(
            f"{LINKEDIN_SELECT} WHERE s.id = $1 AND s.workspace_id = $2", account_id, workspace_id
        )
        return None if row is None else linkedin_account_row(row)

    async def get_inbox(self, workspace_id: str, inbox_id: str) -> Inbox | None:
        row = await self._conn.fetchrow(
            f"{INBOX_SELECT} WHERE s.id = $1 AND s.workspace_id = $2", inbox_id, workspace_id
        )
        return None if row is None else inbox_row(row)

    async def enqueue(self, destination: str, ordering_key: str, payload: bytes) -> int:
        return await outbox.enqueue(self._conn, SCHEMA, destination, ordering_key, payload)


class Repository:
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        return db.transaction(self._pool, Tx)

    def pool_tx(self) -> Tx:
        """A `Tx` outside any transaction: each statement takes a pooled connection of its own."""
        return Tx(self._pool)
