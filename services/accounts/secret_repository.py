"""SQL of key rotation (DESIGN A5): the inbox and webhook secrets not yet under the active key.

Part of the repository layer beside `repository.py`: every query runs on the connection of a `Tx`."""

from __future__ import annotations

from services.accounts.repository import Tx

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


class SecretTx:
    """Encrypted inbox secrets, read and rewritten for key rotation."""

    def __init__(self, tx: Tx):
        self._tx = tx
        self._conn = tx.conn

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

    async def webhook_secrets_to_rotate(
        self, active_key_id: str, after_id: str | None, limit: int, *, skip_locked: bool
    ) -> list[tuple[str, str, bytes]]:
        """Webhook endpoints in id order after `after_id` whose signing secret is not under `active_key_id`,
        locked as `inbox_secrets_to_rotate` locks inboxes: (id, workspace id, encrypted secret)."""
        lock = "FOR UPDATE SKIP LOCKED" if skip_locked else "FOR UPDATE"
        rows = await self._conn.fetch(
            "SELECT id, workspace_id, secret FROM accounts.webhook_endpoints"
            f" WHERE ($2::uuid IS NULL OR id > $2::uuid) AND {_STALE.format(col='secret')}"
            f" ORDER BY id LIMIT $3 {lock}",
            active_key_id.encode(),
            after_id,
            limit,
        )
        return [(str(r["id"]), str(r["workspace_id"]), r["secret"]) for r in rows]

    async def set_webhook_secret(self, endpoint_id: str, secret: bytes) -> None:
        await self._conn.execute("UPDATE accounts.webhook_endpoints SET secret = $2 WHERE id = $1", endpoint_id, secret)
