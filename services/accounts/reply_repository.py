"""SQL of reply polls: each inbox's second IMAP cursor (migration 009) and its due time, beside bounce polls.

Part of the repository layer: every query runs on the connection of a `Tx`, so a poll's messages reach the outbox
in the transaction that moves the cursor on."""

from __future__ import annotations

from datetime import datetime

from services.accounts.domain import BouncePollClaim
from services.accounts.repository import Tx, server_config


class ReplyTx:
    def __init__(self, tx: Tx):
        self._conn = tx.conn

    async def claim_due_reply_polls(self, now: datetime, interval_s: float, limit: int) -> list[BouncePollClaim]:
        """Claim inboxes due for a reply poll, unless another replica holds them, moving their next poll a jittered
        interval (±20 %) ahead in the same statement. The claim carries the reply cursor."""
        rows = await self._conn.fetch(
            """UPDATE accounts.inboxes i
                  SET next_reply_poll_at = $1::timestamptz + make_interval(secs => $2 * (0.8 + 0.4 * random()))
                WHERE i.id IN (SELECT id FROM accounts.inboxes
                                WHERE status <> 'disconnected'
                                  AND (next_reply_poll_at IS NULL OR next_reply_poll_at <= $1)
                                ORDER BY next_reply_poll_at NULLS FIRST, id LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING i.id, i.imap_host, i.imap_port, i.imap_security, i.imap_username, i.imap_password,
                      i.reply_uidvalidity, i.reply_last_uid, i.auth_kind, i.email""",
            now, interval_s, limit)
        claims = []
        for row in rows:
            imap = server_config(row, "imap") if row["auth_kind"] == "password" else None
            claims.append(BouncePollClaim(str(row["id"]), imap, row["imap_password"] if imap else None,
                                          row["reply_uidvalidity"], row["reply_last_uid"], row["auth_kind"],
                                          row["email"]))
        return claims

    async def advance_reply_cursor(self, claim: BouncePollClaim, uidvalidity: int, last_uid: int) -> bool:
        """Move the inbox's reply cursor on from where the claim read it; False when it moved meanwhile or the
        credentials changed (as for bounce polls): nothing is saved."""
        return await self._conn.fetchval(
            """UPDATE accounts.inboxes SET reply_uidvalidity = $4, reply_last_uid = $5, last_reply_poll_error = ''
                WHERE id = $1 AND reply_uidvalidity IS NOT DISTINCT FROM $2 AND reply_last_uid = $3
                  AND auth_kind = $7 AND (auth_kind <> 'password' OR imap_password = $6) RETURNING true""",
            claim.inbox_id, claim.uidvalidity, claim.last_uid, uidvalidity, last_uid, claim.imap_secret,
            claim.auth_kind) is not None

    async def record_reply_poll_error(self, inbox_id: str, error: str) -> None:
        await self._conn.execute(
            "UPDATE accounts.inboxes SET last_reply_poll_error = $2 WHERE id = $1", inbox_id, error[:1000])
