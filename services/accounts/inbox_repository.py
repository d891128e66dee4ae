"""SQL of inboxes, their login probes and their health (DESIGN A4).

Part of the repository layer beside `repository.py`: every query runs on the connection of a `Tx`."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.accounts.domain import Inbox, InboxProbeClaim, InboxProbeState, ServerConfig
from services.accounts.repository import INBOX_SELECT, Tx, inbox_row, refusing_duplicates, server_config


def _probe_claim(row: asyncpg.Record) -> InboxProbeClaim:
    smtp, imap = server_config(row, "smtp"), server_config(row, "imap")
    assert smtp is not None and imap is not None  # only password inboxes are probed
    return InboxProbeClaim(
        inbox_id=str(row["id"]),
        workspace_id=str(row["workspace_id"]),
        smtp=smtp,
        smtp_secret=row["smtp_password"],
        imap=imap,
        imap_secret=row["imap_password"],
    )


class InboxTx:
    """Inboxes: their rows, credentials, probe counters and health state."""

    def __init__(self, tx: Tx):
        self._tx = tx
        self._conn = tx.conn

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

        async with refusing_duplicates():
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

    async def list_inboxes(self, workspace_id: str) -> list[Inbox]:
        rows = await self._conn.fetch(
            f"{INBOX_SELECT} WHERE s.workspace_id = $1 ORDER BY s.created_at, s.id", workspace_id
        )
        return [inbox_row(r) for r in rows]

    async def inbox_login(self, inbox_id: str) -> tuple[Inbox, bytes | None] | None:
        """An inbox (any workspace: for the scheduler's sends) and its encrypted SMTP password."""
        row = await self._conn.fetchrow(
            f"SELECT q.*, i.smtp_password FROM ({INBOX_SELECT} WHERE s.id = $1) q"
            " JOIN accounts.inboxes i ON i.id = q.id",
            inbox_id,
        )
        return None if row is None else (inbox_row(row), row["smtp_password"])

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
                                  -- T7: a disconnected inbox whose password was refused is not tried again
                                  -- with it; new credentials (which reset the count) or a check-now do.
                                  AND NOT (status = 'disconnected' AND auth_failures > 0)
                                ORDER BY next_probe_at NULLS FIRST, id LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING i.id, i.workspace_id, i.smtp_host, i.smtp_port, i.smtp_security, i.smtp_username,
                      i.smtp_password, i.imap_host, i.imap_port, i.imap_security, i.imap_username, i.imap_password""",
            now,
            interval_s,
            limit,
        )
        return [_probe_claim(r) for r in rows]

    async def claim_inbox_now(
        self, inbox_id: str, workspace_id: str, now: datetime, interval_s: float
    ) -> InboxProbeClaim | None:
        """Claim one password inbox of the workspace for a probe now, due or not (a member's check-now); None if
        there is no such inbox."""
        row = await self._conn.fetchrow(
            """UPDATE accounts.inboxes
                  SET next_probe_at = $3::timestamptz + make_interval(secs => $4 * (0.8 + 0.4 * random())),
                      last_probe_at = $3
                WHERE id = $1 AND workspace_id = $2 AND auth_kind = 'password'
            RETURNING id, workspace_id, smtp_host, smtp_port, smtp_security, smtp_username, smtp_password,
                      imap_host, imap_port, imap_security, imap_username, imap_password""",
            inbox_id,
            workspace_id,
            now,
            interval_s,
        )
        return None if row is None else _probe_claim(row)

    async def defer_probe(self, inbox_id: str, at: datetime) -> None:
        """The next probe of an inbox whose servers stay unreachable: later each time (T7)."""
        await self._conn.execute("UPDATE accounts.inboxes SET next_probe_at = $2 WHERE id = $1", inbox_id, at)

    async def lock_inbox_probe_state(self, inbox_id: str) -> InboxProbeState | None:
        """Lock an inbox's row (its health changes one at a time) and read its probe state and credentials."""
        row = await self._conn.fetchrow(
            """SELECT id, workspace_id, smtp_host, smtp_port, smtp_security, smtp_username, smtp_password,
                      imap_host, imap_port, imap_security, imap_username, imap_password, status, auth_failures,
                      network_failing_since, sender_refused
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
            sender_refused=row["sender_refused"],
        )

    async def lock_inbox(self, inbox_id: str, workspace_id: str) -> InboxProbeState | None:
        """Lock an inbox of the workspace and read its probe state and credentials; None if it is not there."""
        found = await self._conn.fetchval(
            "SELECT true FROM accounts.inboxes WHERE id = $1 AND workspace_id = $2", inbox_id, workspace_id
        )
        return await self.lock_inbox_probe_state(inbox_id) if found else None

    async def lock_inbox_row(self, inbox_id: str) -> str | None:
        """Lock an inbox's row (its health changes one at a time); its workspace id, None if there is no such inbox."""
        found = await self._conn.fetchval(
            "SELECT workspace_id FROM accounts.inboxes WHERE id = $1 FOR UPDATE", inbox_id
        )
        return None if found is None else str(found)

    async def mark_sender_refused(self, inbox_id: str) -> None:
        """The mail server refused the inbox itself: no login probe connects it again, new credentials do."""
        await self._conn.execute("UPDATE accounts.inboxes SET sender_refused = true WHERE id = $1", inbox_id)

    async def probe_inbox_soon(self, inbox_id: str, now: datetime) -> bool:
        """Make a password inbox due for a probe now (unless it already is); False if there is no such inbox."""
        found = await self._conn.fetchval(
            "UPDATE accounts.inboxes SET next_probe_at = LEAST(COALESCE(next_probe_at, $2), $2) WHERE id = $1"
            " RETURNING true",
            inbox_id,
            now,
        )
        return bool(found)

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
                      oauth_access_token = NULL, oauth_access_expires_at = NULL, sender_refused = false,
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
