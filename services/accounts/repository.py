"""All SQL of the accounts service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg

from services.accounts.domain import (
    ACTION_TYPES,
    HISTORY_LENGTH,
    BouncePollClaim,
    HealthChange,
    HealthEvent,
    Inbox,
    InboxProbeClaim,
    InboxProbeState,
    LinkedInAccount,
    Principal,
    SenderHealthEvent,
    SendingLimit,
    ServerConfig,
    SubscriptionHealthEvent,
    Workspace,
)
from services.common import outbox
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
_LINKEDIN = f"""SELECT s.id, s.workspace_id, s.unipile_account_id, s.name, s.timezone, s.status, s.status_since,
                       s.status_detail, s.restriction_kind, s.restriction_verified, s.version, s.created_at,
                       {_LIMITS.format(kind="linkedin_account")}, {_HISTORY.format(kind="linkedin_account")}
                  FROM accounts.linkedin_accounts s"""
_INBOX = f"""SELECT s.id, s.workspace_id, s.email, s.display_name, s.timezone, s.auth_kind, s.smtp_host, s.smtp_port,
                    s.smtp_security, s.smtp_username, s.imap_host, s.imap_port, s.imap_security, s.imap_username,
                    s.status, s.status_since, s.status_detail, s.version, s.created_at,
                    {_LIMITS.format(kind="inbox")}, {_HISTORY.format(kind="inbox")}
               FROM accounts.inboxes s"""
_DUPLICATES = {
    "linkedin_accounts_unipile_account_id_key": (
        "this Unipile account is already connected to a workspace",
        "unipile_account_id",
    ),
    "inboxes_workspace_id_email_key": ("an inbox with this email address already exists in this workspace", "email"),
}


def _workspace(row: asyncpg.Record) -> Workspace:
    return Workspace(
        id=str(row["id"]),
        name=row["name"],
        subscription_status=row["subscription_status"],
        created_at=row["created_at"],
    )


def _limits(rows: Iterable[asyncpg.Record]) -> tuple[SendingLimit, ...]:
    limits = [SendingLimit(*row) for row in rows]
    return tuple(sorted(limits, key=lambda limit: ACTION_TYPES.index(limit.action_type)))


def _linkedin_account(row: asyncpg.Record) -> LinkedInAccount:
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
        history=tuple(HealthChange(*h) for h in row["history"]),
    )


def _server(row: asyncpg.Record, prefix: str) -> ServerConfig | None:
    if row[f"{prefix}_host"] is None:
        return None
    return ServerConfig(
        host=row[f"{prefix}_host"],
        port=row[f"{prefix}_port"],
        security=row[f"{prefix}_security"],
        username=row[f"{prefix}_username"],
    )


def _inbox(row: asyncpg.Record) -> Inbox:
    return Inbox(
        id=str(row["id"]),
        workspace_id=str(row["workspace_id"]),
        email=row["email"],
        display_name=row["display_name"],
        timezone=row["timezone"],
        auth_kind=row["auth_kind"],
        smtp=_server(row, "smtp"),
        imap=_server(row, "imap"),
        status=row["status"],
        status_since=row["status_since"],
        status_detail=row["status_detail"],
        version=row["version"],
        created_at=row["created_at"],
        limits=_limits(row["limits"]),
        history=tuple(HealthChange(*h) for h in row["history"]),
    )


def _probe_claim(row: asyncpg.Record) -> InboxProbeClaim:
    smtp, imap = _server(row, "smtp"), _server(row, "imap")
    assert smtp is not None and imap is not None  # only password inboxes are probed
    return InboxProbeClaim(
        inbox_id=str(row["id"]),
        workspace_id=str(row["workspace_id"]),
        smtp=smtp,
        smtp_secret=row["smtp_password"],
        imap=imap,
        imap_secret=row["imap_password"],
    )


@asynccontextmanager
async def _refusing_duplicates() -> AsyncIterator[None]:
    """Turn the unique and foreign-key violations of a sender insert into the domain's errors."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        message, field = _DUPLICATES.get(exc.constraint_name or "", ("this sender already exists", ""))
        raise AlreadyExists(message, details={"field": field} if field else None) from None
    except asyncpg.ForeignKeyViolationError:
        raise NotFound("workspace not found") from None


# True when the secret in {col} is not under the key id $1 (malformed secrets count as not under it).
_SECRET_COLUMNS = {
    "smtp": "smtp_password",
    "imap": "imap_password",
    "oauth": "oauth_refresh_token",
    "oauth_access": "oauth_access_token",
}
_STALE = (
    "({col} IS NOT NULL AND CASE WHEN length({col}) < 2 THEN true"
    " ELSE substring({col} FROM 3 FOR get_byte({col}, 1)) <> $1::bytea END)"
)


class Transaction:
    """Repository operations bound to one connection inside one transaction."""

    def __init__(self, conn: asyncpg.Connection):
        self._conn = conn

    async def insert_linkedin_account(
        self, workspace_id: str, unipile_account_id: str, name: str, timezone: str, now: datetime
    ) -> str:
        async with _refusing_duplicates():
            account_id = await self._conn.fetchval(
                "INSERT INTO accounts.linkedin_accounts (workspace_id, unipile_account_id, name, timezone,"
                " status_since, created_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                workspace_id,
                unipile_account_id,
                name,
                timezone,
                now,
            )
        return str(account_id)

    async def insert_inbox(
        self,
        inbox_id: str,
        workspace_id: str,
        email: str,
        display_name: str,
        timezone: str,
        auth_kind: str,
        smtp: ServerConfig | None,
        smtp_password: bytes | None,
        imap: ServerConfig | None,
        imap_password: bytes | None,
        now: datetime,
    ) -> None:
        def server(config: ServerConfig | None) -> tuple[object, ...]:
            if config is None:
                return (None, None, None, None)
            return (config.host, config.port, config.security, config.username)

        async with _refusing_duplicates():
            await self._conn.execute(
                "INSERT INTO accounts.inboxes (id, workspace_id, email, display_name, timezone, auth_kind,"
                " smtp_host, smtp_port, smtp_security, smtp_username, smtp_password,"
                " imap_host, imap_port, imap_security, imap_username, imap_password, status_since, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)",
                inbox_id,
                workspace_id,
                email,
                display_name,
                timezone,
                auth_kind,
                *server(smtp),
                smtp_password,
                *server(imap),
                imap_password,
                now,
            )

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
            f"{_LINKEDIN} WHERE s.id = $1 AND s.workspace_id = $2", account_id, workspace_id
        )
        return None if row is None else _linkedin_account(row)

    async def get_inbox(self, workspace_id: str, inbox_id: str) -> Inbox | None:
        row = await self._conn.fetchrow(f"{_INBOX} WHERE s.id = $1 AND s.workspace_id = $2", inbox_id, workspace_id)
        return None if row is None else _inbox(row)

    async def enqueue(self, destination: str, ordering_key: str, payload: bytes) -> int:
        return await outbox.enqueue(self._conn, SCHEMA, destination, ordering_key, payload)

    async def inbox_secrets_to_rotate(
        self, active_key_id: str, after_id: str | None, limit: int, *, skip_locked: bool
    ) -> list[tuple[str, dict[str, bytes | None]]]:
        """Inboxes in id order after `after_id` with a secret not under `active_key_id`, locked (rows another
        transaction holds are skipped when `skip_locked`), with their encrypted secrets by name (smtp, imap,
        oauth), for key rotation.

        A stored secret starts `version | key id length | key id` (services/common/crypto.py), so the key id is
        read in SQL and rows already under the active key are not even locked."""
        lock = "FOR UPDATE SKIP LOCKED" if skip_locked else "FOR UPDATE"
        stale = " OR ".join(_STALE.format(col=c) for c in _SECRET_COLUMNS.values())
        rows = await self._conn.fetch(
            f"SELECT id, {', '.join(_SECRET_COLUMNS.values())} FROM accounts.inboxes"
            f" WHERE ($2::uuid IS NULL OR id > $2::uuid) AND ({stale})"
            f" ORDER BY id LIMIT $3 {lock}",
            active_key_id.encode(),
            after_id,
            limit,
        )
        return [(str(r["id"]), {name: r[col] for name, col in _SECRET_COLUMNS.items()}) for r in rows]

    async def set_inbox_secrets(self, inbox_id: str, secrets: dict[str, bytes | None]) -> None:
        """Write re-encrypted secrets (by name: smtp, imap, oauth); the others are left as they are."""
        given = [(col, secrets[name]) for name, col in _SECRET_COLUMNS.items() if name in secrets]
        assignments = ", ".join(f"{col} = ${n}" for n, (col, _) in enumerate(given, 2))
        await self._conn.execute(
            f"UPDATE accounts.inboxes SET {assignments} WHERE id = $1", inbox_id, *(v for _, v in given)
        )

    # OAuth inboxes (DESIGN A4)

    async def insert_oauth_state(
        self,
        state_hash: bytes,
        inbox_id: str,
        workspace_id: str,
        provider: str,
        redirect_uri: str,
        code_verifier: bytes,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        await self._conn.execute("DELETE FROM accounts.oauth_states WHERE expires_at <= $1", now)
        await self._conn.execute(
            "INSERT INTO accounts.oauth_states (state_hash, inbox_id, workspace_id, provider, redirect_uri,"
            " code_verifier, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            state_hash,
            inbox_id,
            workspace_id,
            provider,
            redirect_uri,
            code_verifier,
            now,
            expires_at,
        )

    async def take_oauth_state(self, state_hash: bytes) -> asyncpg.Record | None:
        """Remove and return a pending authorization request (single use), expired or not."""
        return await self._conn.fetchrow(
            "DELETE FROM accounts.oauth_states WHERE state_hash = $1"
            " RETURNING inbox_id::text, workspace_id::text, provider, redirect_uri, code_verifier, expires_at",
            state_hash,
        )

    async def set_inbox_oauth(
        self, inbox_id: str, auth_kind: str, refresh_token: bytes, now: datetime, interval_s: float
    ) -> None:
        """Store a refresh token that just worked: the probe counters start over, the next probe an interval away."""
        await self._conn.execute(
            """UPDATE accounts.inboxes
                  SET auth_kind = $2, oauth_refresh_token = $3,
                      oauth_access_token = NULL, oauth_access_expires_at = NULL,
                      auth_failures = 0, network_failing_since = NULL, last_probe_error = '',
                      last_probe_at = $4::timestamptz,
                      next_probe_at = $4::timestamptz + make_interval(secs => $5 * (0.8 + 0.4 * random()))
                WHERE id = $1""",
            inbox_id,
            auth_kind,
            refresh_token,
            now,
            interval_s,
        )

    async def claim_due_oauth_inboxes(
        self, now: datetime, interval_s: float, limit: int
    ) -> list[tuple[str, str, str, bytes]]:
        """Like claim_due_inboxes, for OAuth inboxes: (id, workspace id, auth kind, encrypted refresh token)."""
        rows = await self._conn.fetch(
            """UPDATE accounts.inboxes i
                  SET next_probe_at = $1::timestamptz + make_interval(secs => $2 * (0.8 + 0.4 * random())),
                      last_probe_at = $1
                WHERE i.id IN (SELECT id FROM accounts.inboxes
                                WHERE auth_kind <> 'password' AND (next_probe_at IS NULL OR next_probe_at <= $1)
                                ORDER BY next_probe_at NULLS FIRST, id LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING i.id::text, i.workspace_id::text, i.auth_kind, i.oauth_refresh_token""",
            now,
            interval_s,
            limit,
        )
        return [(r["id"], r["workspace_id"], r["auth_kind"], r["oauth_refresh_token"]) for r in rows]

    async def lock_inbox_oauth(self, inbox_id: str) -> asyncpg.Record | None:
        """Lock an inbox's row and read its probe counters and refresh token."""
        return await self._conn.fetchrow(
            "SELECT status, auth_failures, network_failing_since, auth_kind, oauth_refresh_token"
            " FROM accounts.inboxes WHERE id = $1 FOR UPDATE",
            inbox_id,
        )

    async def replace_oauth_refresh_token(self, inbox_id: str, refresh_token: bytes) -> None:
        await self._conn.execute(
            "UPDATE accounts.inboxes SET oauth_refresh_token = $2 WHERE id = $1", inbox_id, refresh_token
        )

    async def lock_oauth_access(self, inbox_id: str) -> asyncpg.Record | None:
        """Lock an inbox's row (its access token is refreshed once at a time) and read its encrypted refresh token
        and cached access token with the latter's expiry."""
        return await self._conn.fetchrow(
            "SELECT oauth_refresh_token, oauth_access_token, oauth_access_expires_at"
            " FROM accounts.inboxes WHERE id = $1 FOR UPDATE",
            inbox_id,
        )

    async def store_oauth_access(
        self, inbox_id: str, access_token: bytes, expires_at: datetime, refresh_token: bytes | None
    ) -> None:
        """Cache a fresh (encrypted) access token; a new refresh token (Microsoft rotates them) replaces the old."""
        await self._conn.execute(
            "UPDATE accounts.inboxes SET oauth_access_token = $2, oauth_access_expires_at = $3,"
            " oauth_refresh_token = COALESCE($4, oauth_refresh_token) WHERE id = $1",
            inbox_id,
            access_token,
            expires_at,
            refresh_token,
        )

    async def forget_oauth_access(self, inbox_id: str) -> None:
        await self._conn.execute(
            "UPDATE accounts.inboxes SET oauth_access_token = NULL, oauth_access_expires_at = NULL WHERE id = $1",
            inbox_id,
        )

    # Health (DESIGN A1-A3, A6)

    async def lock_linkedin_account(self, account_id: str, workspace_id: str | None = None) -> LinkedInAccount | None:
        """Lock an account's row (its health changes one at a time) and read it; any workspace when None."""
        found = await self._conn.fetchval(
            "SELECT workspace_id FROM accounts.linkedin_accounts WHERE id = $1"
            " AND ($2::uuid IS NULL OR workspace_id = $2::uuid) FOR UPDATE",
            account_id,
            workspace_id,
        )
        if found is None:
            return None
        return await self.get_linkedin_account(str(found), account_id)

    async def claim_degraded(self, account_id: str, degraded_before: datetime) -> LinkedInAccount | None:
        """Claim an account still degraded since before the instant, unless another replica holds it."""
        found = await self._conn.fetchval(
            "SELECT workspace_id FROM accounts.linkedin_accounts WHERE id = $1 AND status = 'degraded'"
            " AND status_since <= $2 FOR UPDATE SKIP LOCKED",
            account_id,
            degraded_before,
        )
        if found is None:
            return None
        return await self.get_linkedin_account(str(found), account_id)

    async def next_health_sequence(self) -> int:
        """The next number of the global change sequence. The row stays locked until commit, so numbers are
        handed out in commit order (see migration 003)."""
        return await self._conn.fetchval("UPDATE accounts.health_sequence SET value = value + 1 RETURNING value")

    async def set_linkedin_health(
        self,
        account_id: str,
        status: str,
        detail: str,
        restriction_kind: str | None,
        restriction_verified: bool,
        now: datetime,
        sequence: int,
        event_id: str,
    ) -> int:
        """Write a health change (status_since moves only when the status does); returns the new version."""
        return await self._conn.fetchval(
            """UPDATE accounts.linkedin_accounts
                  SET status_since = CASE WHEN status = $2 THEN status_since ELSE $6 END, status = $2,
                      status_detail = $3, restriction_kind = $4, restriction_verified = $5, version = version + 1,
                      health_sequence = $7, health_event_id = $8
                WHERE id = $1 RETURNING version""",
            account_id,
            status,
            detail,
            restriction_kind,
            restriction_verified,
            now,
            sequence,
            event_id,
        )

    async def add_health_history(
        self,
        kind: str,
        sender_id: str,
        status: str,
        detail: str,
        source: str,
        actor: str,
        restriction_kind: str | None,
        version: int,
        at: datetime,
    ) -> None:
        await self._conn.execute(
            "INSERT INTO accounts.health_history (sender_kind, sender_id, status, detail, source, actor,"
            " restriction_kind, version, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            kind,
            sender_id,
            status,
            detail,
            source,
            actor[:200],
            restriction_kind,
            version,
            at,
        )

    # Inbox health (DESIGN A4)

    async def claim_due_inboxes(self, now: datetime, interval_s: float, limit: int) -> list[InboxProbeClaim]:
        """Claim password inboxes due for a login probe, unless another replica holds them, and move their next
        probe a jittered interval (±20 %) ahead in the same statement: once this commits, no replica claims them
        again before then."""
        rows = await self._conn.fetch(
            """UPDATE accounts.inboxes i
                  SET next_probe_at = $1::timestamptz + make_interval(secs => $2 * (0.8 + 0.4 * random())),
                      last_probe_at = $1
                WHERE i.id IN (SELECT id FROM accounts.inboxes
                                WHERE auth_kind = 'password' AND (next_probe_at IS NULL OR next_probe_at <= $1)
                                ORDER BY next_probe_at NULLS FIRST, id LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING i.id, i.workspace_id, i.smtp_host, i.smtp_port, i.smtp_security, i.smtp_username,
                      i.smtp_password, i.imap_host, i.imap_port, i.imap_security, i.imap_username, i.imap_password""",
            now,
            interval_s,
            limit,
        )
        return [_probe_claim(r) for r in rows]

    async def lock_inbox_probe_state(self, inbox_id: str) -> InboxProbeState | None:
        """Lock an inbox's row (its health changes one at a time) and read its probe state and credentials."""
        row = await self._conn.fetchrow(
            """SELECT id, workspace_id, smtp_host, smtp_port, smtp_security, smtp_username, smtp_password,
                      imap_host, imap_port, imap_security, imap_username, imap_password, status, auth_failures,
                      network_failing_since
                 FROM accounts.inboxes WHERE id = $1 FOR UPDATE""",
            inbox_id,
        )
        if row is None:
            return None
        return InboxProbeState(
            claim=_probe_claim(row),
            status=row["status"],
            auth_failures=row["auth_failures"],
            network_failing_since=row["network_failing_since"],
        )

    async def lock_inbox(self, inbox_id: str, workspace_id: str) -> InboxProbeState | None:
        """Lock an inbox of the workspace and read its probe state and credentials; None if it is not there."""
        found = await self._conn.fetchval(
            "SELECT true FROM accounts.inboxes WHERE id = $1 AND workspace_id = $2", inbox_id, workspace_id
        )
        return await self.lock_inbox_probe_state(inbox_id) if found else None

    async def probe_inbox_soon(self, inbox_id: str, now: datetime) -> bool:
        """Make a password inbox due for a probe now (unless it already is); False if there is no such inbox."""
        found = await self._conn.fetchval(
            "UPDATE accounts.inboxes SET next_probe_at = LEAST(COALESCE(next_probe_at, $2), $2) WHERE id = $1"
            " RETURNING true",
            inbox_id,
            now,
        )
        return bool(found)

    # Bounce detection: the IMAP INBOX of each inbox (password or OAuth), read periodically for delivery reports.

    async def claim_due_bounce_polls(self, now: datetime, interval_s: float, limit: int) -> list[BouncePollClaim]:
        """Claim inboxes due for a bounce poll, unless another replica holds them, moving their next poll a jittered
        interval (±20 %) ahead in the same statement, as the login probe's claim does."""
        rows = await self._conn.fetch(
            """UPDATE accounts.inboxes i
                  SET next_bounce_poll_at = $1::timestamptz + make_interval(secs => $2 * (0.8 + 0.4 * random()))
                WHERE i.id IN (SELECT id FROM accounts.inboxes
                                WHERE status <> 'disconnected'
                                  AND (next_bounce_poll_at IS NULL OR next_bounce_poll_at <= $1)
                                ORDER BY next_bounce_poll_at NULLS FIRST, id LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING i.id, i.imap_host, i.imap_port, i.imap_security, i.imap_username, i.imap_password,
                      i.bounce_uidvalidity, i.bounce_last_uid, i.auth_kind, i.email""",
            now,
            interval_s,
            limit,
        )
        claims = []
        for row in rows:
            if row["auth_kind"] != "password":
                # An OAuth inbox's stored IMAP login (if any) is unused: it is read from its provider's server.
                claims.append(BouncePollClaim(str(row["id"]), None, None, row["bounce_uidvalidity"],
                                              row["bounce_last_uid"], row["auth_kind"], row["email"]))
                continue
            imap = _server(row, "imap")
            assert imap is not None  # a password inbox has its IMAP login (inboxes_password_auth_complete)
            claims.append(BouncePollClaim(str(row["id"]), imap, row["imap_password"], row["bounce_uidvalidity"],
                                          row["bounce_last_uid"], row["auth_kind"], row["email"]))
        return claims

    async def advance_bounce_cursor(self, claim: BouncePollClaim, uidvalidity: int, last_uid: int) -> bool:
        """Move the inbox's cursor on from where the claim read it; False when it moved meanwhile (a slower poll
        of an earlier round finished after this one started) or the credentials changed (another IMAP password, or
        the inbox moved between a password and OAuth): nothing is saved. An OAuth inbox's refresh token may rotate
        meanwhile (Microsoft's does on each refresh): that is the same mailbox, so it does not count."""
        return await self._conn.fetchval(
            """UPDATE accounts.inboxes SET bounce_uidvalidity = $4, bounce_last_uid = $5, last_bounce_poll_error = ''
                WHERE id = $1 AND bounce_uidvalidity IS NOT DISTINCT FROM $2 AND bounce_last_uid = $3
                  AND auth_kind = $7 AND (auth_kind <> 'password' OR imap_password = $6) RETURNING true""",
            claim.inbox_id,
            claim.uidvalidity,
            claim.last_uid,
            uidvalidity,
            last_uid,
            claim.imap_secret,
            claim.auth_kind,
        ) is not None

    async def record_bounce_poll_error(self, inbox_id: str, error: str) -> None:
        await self._conn.execute(
            "UPDATE accounts.inboxes SET last_bounce_poll_error = $2 WHERE id = $1", inbox_id, error[:1000]
        )

    async def record_probe(
        self, inbox_id: str, auth_failures: int, network_failing_since: datetime | None, error: str
    ) -> None:
        await self._conn.execute(
            "UPDATE accounts.inboxes SET auth_failures = $2, network_failing_since = $3, last_probe_error = $4"
            " WHERE id = $1",
            inbox_id,
            auth_failures,
            network_failing_since,
            error[:1000],
        )

    async def set_inbox_credentials(
        self,
        inbox_id: str,
        smtp: ServerConfig,
        smtp_password: bytes,
        imap: ServerConfig,
        imap_password: bytes,
        now: datetime,
        interval_s: float,
    ) -> None:
        """Store checked credentials: the probe counters start over and the next probe is an interval away."""
        await self._conn.execute(
            """UPDATE accounts.inboxes
                  SET smtp_host = $2, smtp_port = $3, smtp_security = $4, smtp_username = $5, smtp_password = $6,
                      imap_host = $7, imap_port = $8, imap_security = $9, imap_username = $10, imap_password = $11,
                      auth_kind = 'password', oauth_refresh_token = NULL,
                      oauth_access_token = NULL, oauth_access_expires_at = NULL,
                      auth_failures = 0, network_failing_since = NULL, last_probe_error = '',
                      last_probe_at = $12::timestamptz,
                      next_probe_at = $12::timestamptz + make_interval(secs => $13 * (0.8 + 0.4 * random()))
                WHERE id = $1""",
            inbox_id,
            smtp.host,
            smtp.port,
            smtp.security,
            smtp.username,
            smtp_password,
            imap.host,
            imap.port,
            imap.security,
            imap.username,
            imap_password,
            now,
            interval_s,
        )

    async def set_inbox_health(
        self, inbox_id: str, status: str, detail: str, now: datetime, sequence: int, event_id: str
    ) -> int:
        """Write an inbox health change (status_since moves only when the status does); returns the new version."""
        return await self._conn.fetchval(
            """UPDATE accounts.inboxes
                  SET status_since = CASE WHEN status = $2 THEN status_since ELSE $4 END, status = $2,
                      status_detail = $3, version = version + 1, health_sequence = $5, health_event_id = $6
                WHERE id = $1 RETURNING version""",
            inbox_id,
            status,
            detail,
            now,
            sequence,
            event_id,
        )

    async def claim_failure_report(self, attempt_id: str, sender_id: str, status: str, now: datetime) -> bool | None:
        """Record a failure report by its attempt id: None if it is new, else what the first report changed.
        A concurrent report of the same attempt waits here until the first one commits."""
        inserted = await self._conn.fetchval(
            "INSERT INTO accounts.account_failure_reports (attempt_id, sender_id, status, changed, received_at)"
            " VALUES ($1, $2, $3, false, $4) ON CONFLICT (attempt_id) DO NOTHING RETURNING true",
            attempt_id,
            sender_id,
            status,
            now,
        )
        if inserted:
            return None
        return await self._conn.fetchval(
            "SELECT changed FROM accounts.account_failure_reports WHERE attempt_id = $1", attempt_id
        )

    async def set_failure_report_changed(self, attempt_id: str, changed: bool) -> None:
        await self._conn.execute(
            "UPDATE accounts.account_failure_reports SET changed = $2 WHERE attempt_id = $1", attempt_id, changed
        )

    async def record_billing_event(
        self, event_id: str, type_: str, workspace_id: str | None, occurred_at: datetime, now: datetime
    ) -> bool:
        """Remember a billing event; False if it was seen before (a replay). A concurrent replay waits here
        until the first one commits."""
        inserted = await self._conn.fetchval(
            "INSERT INTO accounts.billing_events (event_id, workspace_id, type, occurred_at, received_at, applied)"
            " VALUES ($1, $2, $3, $4, $5, false) ON CONFLICT (event_id) DO NOTHING RETURNING true",
            event_id,
            workspace_id,
            type_,
            occurred_at,
            now,
        )
        return bool(inserted)

    async def mark_billing_event_applied(self, event_id: str) -> None:
        await self._conn.execute("UPDATE accounts.billing_events SET applied = true WHERE event_id = $1", event_id)

    async def lock_workspace_subscription(self, workspace_id: str) -> asyncpg.Record | None:
        return await self._conn.fetchrow(
            "SELECT subscription_status, subscription_version, billing_event_at FROM accounts.workspaces"
            " WHERE id = $1 FOR UPDATE",
            workspace_id,
        )

    async def set_billing_event_at(self, workspace_id: str, occurred_at: datetime) -> None:
        await self._conn.execute(
            "UPDATE accounts.workspaces SET billing_event_at = $2 WHERE id = $1", workspace_id, occurred_at
        )

    async def set_subscription(
        self, workspace_id: str, status: str, now: datetime, sequence: int, event_id: str
    ) -> int:
        """Change the subscription status; returns its new version."""
        return await self._conn.fetchval(
            """UPDATE accounts.workspaces
                  SET subscription_status = $2, subscription_since = $3,
                      subscription_version = subscription_version + 1, health_sequence = $4, health_event_id = $5
                WHERE id = $1 RETURNING subscription_version""",
            workspace_id,
            status,
            now,
            sequence,
            event_id,
        )


class Repository:
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield Transaction(conn)

    async def create_workspace(
        self, name: str, owner_email: str, token_hash: bytes, now: datetime
    ) -> tuple[Workspace, str]:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "INSERT INTO accounts.workspaces (name, created_at, subscription_since)"
                " VALUES ($1, $2, $2) RETURNING *",
                name,
                now,
            )
            member_id = await conn.fetchval(
                "INSERT INTO accounts.members (workspace_id, email, role, created_at)"
                " VALUES ($1, $2, 'owner', $3) RETURNING id",
                row["id"],
                owner_email,
                now,
            )
            await conn.execute(
                "INSERT INTO accounts.api_tokens (member_id, workspace_id, token_hash, created_at)"
                " VALUES ($1, $2, $3, $4)",
                member_id,
                row["id"],
                token_hash,
                now,
            )
        return _workspace(row), str(member_id)

    async def principal_for(self, token_hash: bytes) -> Principal | None:
        row = await self._pool.fetchrow(
            "SELECT workspace_id, member_id FROM accounts.api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
            token_hash,
        )
        if row is None:
            return None
        return Principal(workspace_id=str(row["workspace_id"]), member_id=str(row["member_id"]))

    async def get_workspace(self, workspace_id: str) -> Workspace | None:
        row = await self._pool.fetchrow("SELECT * FROM accounts.workspaces WHERE id = $1", workspace_id)
        return None if row is None else _workspace(row)

    async def list_linkedin_accounts(self, workspace_id: str) -> list[LinkedInAccount]:
        rows = await self._pool.fetch(
            f"{_LINKEDIN} WHERE s.workspace_id = $1 ORDER BY s.created_at, s.id", workspace_id
        )
        return [_linkedin_account(r) for r in rows]

    async def get_linkedin_account(self, workspace_id: str, account_id: str) -> LinkedInAccount | None:
        async with self._pool.acquire() as conn:
            return await Transaction(conn).get_linkedin_account(workspace_id, account_id)

    async def list_inboxes(self, workspace_id: str) -> list[Inbox]:
        rows = await self._pool.fetch(f"{_INBOX} WHERE s.workspace_id = $1 ORDER BY s.created_at, s.id", workspace_id)
        return [_inbox(r) for r in rows]

    async def get_inbox(self, workspace_id: str, inbox_id: str) -> Inbox | None:
        async with self._pool.acquire() as conn:
            return await Transaction(conn).get_inbox(workspace_id, inbox_id)

    async def unipile_account_of(self, account_id: str) -> str | None:
        return await self._pool.fetchval(
            "SELECT unipile_account_id FROM accounts.linkedin_accounts WHERE id = $1", account_id
        )

    async def inbox_login(self, inbox_id: str) -> tuple[Inbox, bytes | None] | None:
        """An inbox (any workspace: for the scheduler's sends) and its encrypted SMTP password."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT q.*, i.smtp_password FROM ({_INBOX} WHERE s.id = $1) q JOIN accounts.inboxes i ON i.id = q.id",
                inbox_id,
            )
        return None if row is None else (_inbox(row), row["smtp_password"])

    async def oauth_access(self, inbox_id: str) -> asyncpg.Record | None:
        """An inbox's cached (encrypted) OAuth access token and its expiry, read without a lock."""
        return await self._pool.fetchrow(
            "SELECT oauth_access_token, oauth_access_expires_at FROM accounts.inboxes WHERE id = $1", inbox_id
        )

    # Health

    async def linkedin_account_by_unipile(self, unipile_account_id: str) -> str | None:
        """Our id of the LinkedIn account connected as this Unipile account (any workspace)."""
        found = await self._pool.fetchval(
            "SELECT id FROM accounts.linkedin_accounts WHERE unipile_account_id = $1", unipile_account_id
        )
        return None if found is None else str(found)

    async def degraded_before(self, instant: datetime, limit: int) -> list[str]:
        """Accounts degraded since before the instant (their grace period is over), oldest first."""
        rows = await self._pool.fetch(
            "SELECT id FROM accounts.linkedin_accounts WHERE status = 'degraded' AND status_since <= $1"
            " ORDER BY status_since LIMIT $2",
            instant,
            limit,
        )
        return [str(r["id"]) for r in rows]

    async def health_after(self, after_sequence: int, limit: int) -> list[tuple[int, HealthEvent]]:
        """The current health of every sender and subscription changed after the sequence number, in order."""
        rows = await self._pool.fetch(
            """SELECT * FROM (
                 SELECT 'linkedin_account' AS kind, id, workspace_id, version, status_since AS at, status,
                        restriction_kind, restriction_verified, status_detail, health_sequence, health_event_id
                   FROM accounts.linkedin_accounts WHERE health_sequence > $1
                 UNION ALL
                 SELECT 'inbox', id, workspace_id, version, status_since, status, NULL, false, status_detail,
                        health_sequence, health_event_id
                   FROM accounts.inboxes WHERE health_sequence > $1
                 UNION ALL
                 SELECT 'workspace', id, id, subscription_version, subscription_since, subscription_status, NULL,
                        false, '', health_sequence, health_event_id
                   FROM accounts.workspaces WHERE health_sequence > $1) changed
               ORDER BY health_sequence LIMIT $2""",
            after_sequence,
            limit,
        )
        found: list[tuple[int, HealthEvent]] = []
        for r in rows:
            event: HealthEvent
            if r["kind"] == "workspace":
                event = SubscriptionHealthEvent(
                    event_id=str(r["health_event_id"]),
                    workspace_id=str(r["workspace_id"]),
                    version=r["version"],
                    occurred_at=r["at"],
                    status=r["status"],
                )
            else:
                event = SenderHealthEvent(
                    event_id=str(r["health_event_id"]),
                    workspace_id=str(r["workspace_id"]),
                    version=r["version"],
                    occurred_at=r["at"],
                    sender_kind=r["kind"],
                    sender_id=str(r["id"]),
                    status=r["status"],
                    restriction_kind=r["restriction_kind"],
                    restriction_verified=r["restriction_verified"],
                    detail=r["status_detail"],
                )
            found.append((r["health_sequence"], event))
        return found
