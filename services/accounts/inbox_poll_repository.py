"""SQL of inbox polls: each inbox's IMAP cursor (the last UID read under the mailbox's UIDVALIDITY), its due time and
its last error (migrations 006, 008, 016). One cursor serves every reader of the poll (bounce reports, replies).

Part of the repository layer beside `repository.py`: every query runs on the connection of a `Tx`, so a poll's
findings reach the outbox in the transaction that moves the cursor on."""

from __future__ import annotations

from datetime import datetime

from services.accounts.domain import InboxPollClaim
from services.accounts.repository import Tx, server_config


class InboxPollTx:
    """The poll claim, cursor and error of inboxes."""

    def __init__(self, tx: Tx):
        self._conn = tx.conn

    async def claim_due_polls(self, now: datetime, interval_s: float, limit: int) -> list[InboxPollClaim]:
        """Claim inboxes due for a poll, unless another replica holds them, moving their next poll a jittered
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
            # An OAuth inbox's stored IMAP login (if any) is unused: it is read from its provider's server.
            imap = server_config(row, "imap") if row["auth_kind"] == "password" else None
            assert imap is not None or row["auth_kind"] != "password"  # inboxes_password_auth_complete
            claims.append(
                InboxPollClaim(
                    str(row["id"]),
                    imap,
                    row["imap_password"] if imap else None,
                    row["bounce_uidvalidity"],
                    row["bounce_last_uid"],
                    row["auth_kind"],
                    row["email"],
                )
            )
        return claims

    async def advance_cursor(self, claim: InboxPollClaim, uidvalidity: int, last_uid: int) -> bool:
        """Move the inbox's cursor on from where the claim read it; False when it moved meanwhile (a slower poll
        of an earlier round finished after this one started) or the credentials changed (another IMAP password, or
        the inbox moved between a password and OAuth): nothing is saved. An OAuth inbox's refresh token may rotate
        meanwhile (Microsoft's does on each refresh): that is the same mailbox, so it does not count."""
        return (
            await self._conn.fetchval(
                """UPDATE accounts.inboxes
                SET bounce_uidvalidity = $4, bounce_last_uid = $5, last_bounce_poll_error = ''
                WHERE id = $1 AND bounce_uidvalidity IS NOT DISTINCT FROM $2 AND bounce_last_uid = $3
                  AND auth_kind = $7 AND (auth_kind <> 'password' OR imap_password = $6) RETURNING true""",
                claim.inbox_id,
                claim.uidvalidity,
                claim.last_uid,
                uidvalidity,
                last_uid,
                claim.imap_secret,
                claim.auth_kind,
            )
            is not None
        )

    async def record_poll_error(self, inbox_id: str, error: str) -> None:
        await self._conn.execute(
            "UPDATE accounts.inboxes SET last_bounce_poll_error = $2 WHERE id = $1", inbox_id, error[:1000]
        )
