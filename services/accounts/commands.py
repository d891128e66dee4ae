"""One-shot commands of the accounts service (`python -m services.accounts <command>`)."""

from __future__ import annotations

import sys

import aiohttp
import structlog

from services.accounts.config import Settings
from services.accounts.main import MIGRATIONS, build_service
from services.accounts.repository import SCHEMA
from services.common.clock import SystemClock
from services.common.db import create_pool
from services.common.providers import unipile_webhooks
from services.common.providers.unipile import UnipileClient, UnipileError
from services.common.service_main import prepare_schema

ROTATE_BATCH = 100


async def rotate_keys(settings: Settings) -> int:
    """Re-encrypt every stored secret not under the active (first) key of HOLDFAST_SECRET_KEYS, then exit.

    Runs in batches, is idempotent, and may run beside serving replicas or another rotate-keys. Prints how many
    secrets were re-encrypted; exits 0 when every secret is now under the active key, 1 when some cannot be
    decrypted with any key of HOLDFAST_SECRET_KEYS (they are left as they are, the others are rotated).
    """
    log = structlog.get_logger(__name__)
    pool = await create_pool(
        settings.database_url,
        application_name="holdfast-accounts-rotate-keys",
        max_size=1,
        wait_seconds=settings.db_wait_seconds,
    )
    try:
        await prepare_schema(pool, SCHEMA, MIGRATIONS, apply=False)
        service = build_service(settings, pool, SystemClock(), unipile=None)
        rotation = await service.keys.rotate_secret_keys(ROTATE_BATCH)
    finally:
        await pool.close()
    active = settings.secret_keys.active_key_id
    print(f"re-encrypted {rotation.rewritten} secret(s) under key {active!r}")  # noqa: T201 (the command's output)
    if rotation.unreadable:
        print(
            f"error: {rotation.unreadable_message()}; put the missing key back in HOLDFAST_SECRET_KEYS (after the"
            " active one) and run rotate-keys again",
            file=sys.stderr,
        )
        log.error("key rotation incomplete", unreadable=rotation.unreadable)
        return 1
    return 0


async def register_webhooks(settings: Settings) -> int:
    """Make Unipile call Holdfast's webhook (`HOLDFAST_PUBLIC_URL/webhooks/unipile`) for account_status, users and
    messaging, carrying the shared secret (DESIGN T4). Idempotent: creates what is missing, replaces ours whose
    URL or secret changed, leaves anything else alone. Run on every deploy (the Kubernetes Job) and by
    `make run`. Exits 0 when all three are in place (or Unipile is not configured at all), 1 (with the reason)
    when Unipile could not be told."""
    if not settings.unipile_dsn:
        print("Unipile is not configured (HOLDFAST_UNIPILE_DSN): no webhooks to register")  # noqa: T201
        return 0
    if not settings.unipile_api_key or not settings.unipile_webhook_secret:
        print(
            "error: register-webhooks needs HOLDFAST_UNIPILE_API_KEY and HOLDFAST_UNIPILE_WEBHOOK_SECRET",
            file=sys.stderr,
        )
        return 1
    async with aiohttp.ClientSession() as http:
        client = UnipileClient(settings.unipile_dsn, settings.unipile_api_key, http)
        try:
            done = await unipile_webhooks.register_webhooks(
                client,
                f"{settings.public_url.rstrip('/')}/webhooks/unipile",
                settings.unipile_webhook_header,
                settings.unipile_webhook_secret,
            )
        except UnipileError as exc:
            print(f"error: Unipile refused the webhook registration: {exc}", file=sys.stderr)
            return 1
    print(done.summary())  # noqa: T201 (the command's output)
    return 0


COMMANDS = {"rotate-keys": rotate_keys, "register-webhooks": register_webhooks}
