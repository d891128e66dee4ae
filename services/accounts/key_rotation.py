"""Key rotation (DESIGN A5): re-encrypt every stored inbox and webhook signing secret under the active key of
HOLDFAST_SECRET_KEYS (`python -m services.accounts rotate-keys`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from services.accounts.domain import secret_context
from services.accounts.repository import Repository
from services.accounts.secret_repository import SecretTx
from services.accounts.webhooks import webhook_secret_context
from services.common.crypto import Keyring, SecretError
from services.common.errors import FailedPrecondition, InvalidArgument

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Rotation:
    """What a key rotation did: secrets re-encrypted, and secrets left as they were because no key of
    HOLDFAST_SECRET_KEYS decrypts them (with the reasons, which name at most a key id)."""

    rewritten: int
    unreadable: int = 0
    reasons: list[str] = field(default_factory=list)

    def unreadable_message(self) -> str:
        return f"{self.unreadable} stored secret(s) cannot be re-encrypted: {'; '.join(self.reasons)}"


class KeyRotation:
    def __init__(self, repository: Repository, *, keyring: Keyring):
        self._repo = repository
        self._keyring = keyring

    async def rotate_secrets(self, batch: int = 100) -> int:
        """Re-encrypt every stored secret not under the active key (after a new key was put first in
        HOLDFAST_SECRET_KEYS). Idempotent and safe alongside other replicas; returns how many were rewritten.
        Raises FailedPrecondition (credentials_unreadable) when some secret's key is no longer in the keyring."""
        rotation = await self.rotate_secret_keys(batch)
        if rotation.unreadable:
            raise FailedPrecondition(rotation.unreadable_message(), code="credentials_unreadable")
        return rotation.rewritten

    async def rotate_secret_keys(self, batch: int = 100) -> Rotation:
        """Re-encrypt, in batches of `batch` inboxes (one transaction each), every stored secret not under the
        active key. Secrets that cannot be decrypted are left as they are and counted, the others still rotate.

        Two runs at once (or a run beside serving replicas) are safe: the first pass locks its rows with SKIP
        LOCKED, so concurrent runs share the work; a second pass waits for the rows that were locked by someone
        else and, once it has them, sees their committed state (a row already rotated no longer matches)."""
        if batch < 1:
            raise InvalidArgument("batch must be at least 1", field="batch")
        active = self._keyring.active_key_id
        rewritten = 0
        unreadable: dict[tuple[str, str], str] = {}
        for skip_locked in (True, False):
            after: str | None = None
            while True:
                async with self._repo.transaction() as tx:
                    rows = await SecretTx(tx).inbox_secrets_to_rotate(active, after, batch, skip_locked=skip_locked)
                    for inbox_id, stored in rows:
                        fresh: dict[str, bytes | None] = {}
                        for name, secret in stored.items():
                            if secret is None or not self._stale(secret):
                                continue
                            try:
                                fresh[name] = self._keyring.reencrypt(secret, context=secret_context(inbox_id, name))
                            except SecretError as exc:
                                unreadable[(inbox_id, name)] = str(exc)
                                continue
                            unreadable.pop((inbox_id, name), None)
                            rewritten += 1
                        if fresh:
                            await SecretTx(tx).set_inbox_secrets(inbox_id, fresh)
                if not rows:
                    break
                after = rows[-1][0]
        rewritten += await self._rotate_webhook_secrets(active, batch, unreadable)
        for (inbox_id, server), reason in sorted(unreadable.items()):
            # The reason names at most a key id, never key material or the password.
            log.error("stored inbox secret cannot be re-encrypted", inbox_id=inbox_id, secret=server, reason=reason)
        log.info("secrets rotated", rewritten=rewritten, unreadable=len(unreadable), active_key=active)
        return Rotation(rewritten=rewritten, unreadable=len(unreadable), reasons=sorted(set(unreadable.values())))

    async def _rotate_webhook_secrets(self, active: str, batch: int, unreadable: dict[tuple[str, str], str]) -> int:
        """The webhook endpoints' signing secrets, as the inbox secrets above (unreadable ones under their id)."""
        rewritten = 0
        for skip_locked in (True, False):
            after: str | None = None
            while True:
                async with self._repo.transaction() as tx:
                    rows = await SecretTx(tx).webhook_secrets_to_rotate(active, after, batch, skip_locked=skip_locked)
                    for endpoint_id, workspace_id, secret in rows:
                        try:
                            fresh = self._keyring.reencrypt(secret, context=webhook_secret_context(workspace_id))
                        except SecretError as exc:
                            unreadable[(endpoint_id, "webhook")] = str(exc)
                            continue
                        unreadable.pop((endpoint_id, "webhook"), None)
                        await SecretTx(tx).set_webhook_secret(endpoint_id, fresh)
                        rewritten += 1
                if not rows:
                    break
                after = rows[-1][0]
        return rewritten

    def _stale(self, secret: bytes) -> bool:
        try:
            return self._keyring.needs_rotation(secret)
        except SecretError:
            return True  # malformed: reencrypt reports it as unreadable
