"""Wiring of the accounts service: the pool, the outbox relay and its deliveries, the use cases, the background
loops (through services/common/loops.py) and the gRPC server. `python -m services.accounts` starts it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import asyncpg

from services.accounts import oauth
from services.accounts.bounces import bounce_reader
from services.accounts.clients import (
    bounces_payload,
    health_event_payload,
    inbound_emails_payload,
    login_checks,
    open_unipile,
    open_webhook_poster,
    outbox_deliveries,
    sender_state,
)
from services.accounts.config import Settings
from services.accounts.health_domain import InboxHealthSettings
from services.accounts.inbox_poller import InboxPoller, Reader
from services.accounts.inboxes import InboxService
from services.accounts.oauth import providers_from
from services.accounts.ports import Unipile, WebhookPoster
from services.accounts.replies import reply_reader
from services.accounts.repository import SCHEMA, Repository
from services.accounts.server import AccountsServicer, registration
from services.accounts.service import AccountsService
from services.accounts.sign_in_domain import SignInPolicy
from services.accounts.system_mail import SmtpSystemMail
from services.common.clock import Clock, SystemClock
from services.common.db import create_pool
from services.common.errors import FailedPrecondition
from services.common.grpc_client import open_channel
from services.common.grpc_server import RunningServer, start_server
from services.common.loops import cancel, run_loop
from services.common.outbox import Relay
from services.common.providers.smtp import SmtpSettings
from services.common.service_main import prepare_schema

MIGRATIONS = Path(__file__).parent / "migrations"
# The most inboxes one probe round claims.
PROBE_BATCH = 50


def build_service(
    settings: Settings,
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    unipile: Unipile | None,
    committed: Callable[[], None] = lambda: None,
    webhook_poster: WebhookPoster | None = None,
) -> AccountsService:
    """The accounts use cases wired as the server runs them (tests build a second one, like another replica)."""
    return AccountsService(
        Repository(pool),
        clock,
        keyring=settings.secret_keys,
        sender_state=sender_state,
        committed=committed,
        health_event=health_event_payload,
        unipile=unipile,
        unipile_api_url=settings.unipile_dsn,
        grace=settings.grace,
        recheck=timedelta(seconds=settings.account_recheck_seconds),
        public_url=settings.public_url,
        inbox_health=inbox_health_settings(settings),
        login_checks=login_checks(settings.allow_public_plaintext),
        oauth=providers_from(settings),
        webhook_poster=webhook_poster,
        webhooks_allow_private=settings.webhooks_allow_private,
        system_mail=system_mail(settings),
        sign_in_policy=sign_in_policy(settings),
    )


def inbox_health_settings(settings: Settings) -> InboxHealthSettings:
    return InboxHealthSettings(
        probe_interval=timedelta(seconds=settings.inbox_probe_seconds),
        auth_failures=settings.inbox_auth_failures,
        network_grace=timedelta(seconds=settings.inbox_network_grace_seconds),
        login_timeout_s=settings.inbox_login_timeout_seconds,
        check_on_create=settings.inbox_check_login_on_create,
    )


def probe_loop_interval_seconds(settings: Settings) -> float:
    """How often inboxes due for a login probe are looked for: a tenth of the probe interval, at most 30 s."""
    return min(settings.inbox_probe_seconds / 10, 30.0)


def grace_interval_seconds(settings: Settings) -> float:
    """How often degraded accounts past their grace period are looked for: a quarter of it, at most a minute."""
    return min(settings.account_grace_seconds / 4, 60.0)


def inbox_readers(settings: Settings, *, enabled_only: bool = False) -> list[Reader]:
    """The readers of the inbox poll: bounce reports and replies (with `enabled_only`, those this process runs)."""
    readers = []
    if settings.bounce_polls_enabled or not enabled_only:
        readers.append(bounce_reader(bounces_payload))
    if settings.reply_polls_enabled or not enabled_only:
        readers.append(reply_reader(inbound_emails_payload))
    return readers


def inbox_poll_seconds(settings: Settings, readers: list[Reader]) -> float:
    """One session reads for every reader, so the inbox is read as often as the most frequent one asks."""
    wanted = {"bounces": settings.bounce_poll_seconds, "replies": settings.reply_poll_seconds}
    return min(wanted[r.name] for r in readers)


def build_inbox_poller(
    settings: Settings,
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    committed: Callable[[], None] = lambda: None,
    service: AccountsService | None = None,
    readers: list[Reader] | None = None,
) -> InboxPoller:
    """The inbox poller (bounce reports and replies, issues 5 and 16) wired as the server runs it (tests build
    another one, like another replica). OAuth inboxes are read with the access token their sends use: `service`'s
    cached one, refreshed by the same path."""
    service = service or build_service(settings, pool, clock, unipile=None)
    readers = readers or inbox_readers(settings)

    async def access_token(inbox_id: str) -> str:
        credentials = await service.senders.sender_credentials("inbox", inbox_id)
        if not isinstance(credentials, oauth.OAuthSenderCredentials):
            raise FailedPrecondition("this inbox is no longer connected with OAuth", code="no_credentials")
        return credentials.access_token

    oauth_imap = {}
    for provider, auth_kind in oauth.AUTH_KINDS.items():
        host, _, port = getattr(settings, f"{provider}_imap").rpartition(":")
        oauth_imap[auth_kind] = (host, int(port), getattr(settings, f"{provider}_imap_security"))
    return InboxPoller(
        Repository(pool),
        clock,
        keyring=settings.secret_keys,
        readers=readers,
        committed=committed,
        interval=timedelta(seconds=inbox_poll_seconds(settings, readers)),
        login_timeout_s=settings.inbox_login_timeout_seconds,
        oauth_imap=oauth_imap,
        access_token=access_token,
        allow_public_plaintext=settings.allow_public_plaintext,
    )


async def _probe_every(interval_s: float, inboxes: InboxService) -> None:
    """Probe the inboxes due, first after `interval_s`, then every `interval_s` (at once again only while whole
    batches are due): each login takes a while, and probe times are spread by their own jitter."""

    async def whole_batch() -> int:
        return int(await inboxes.probe_inboxes_once(PROBE_BATCH) >= PROBE_BATCH)

    await asyncio.sleep(interval_s)
    await run_loop("inbox-probe", interval_s, whole_batch)


def system_mail(settings: Settings) -> SmtpSystemMail:
    """Holdfast's own mail (invitations, sign-in links, resets) through HOLDFAST_SYSTEM_SMTP, if set."""
    if not settings.system_smtp:
        return SmtpSystemMail(None, settings.system_mail_from)
    host, _, port = settings.system_smtp.rpartition(":")
    smtp = SmtpSettings(
        host=host.strip("[]"),
        port=int(port),
        security=settings.system_smtp_security,  # type: ignore[arg-type]
        username=settings.system_smtp_username,
        password=settings.system_smtp_password,
        allow_public_plaintext=settings.allow_public_plaintext,
    )
    return SmtpSystemMail(smtp, settings.system_mail_from)


def sign_in_policy(settings: Settings) -> SignInPolicy:
    return SignInPolicy(
        session_ttl=timedelta(hours=settings.session_hours),
        link_ttl=timedelta(minutes=settings.sign_in_link_minutes),
        invitation_ttl=timedelta(days=settings.invitation_days),
        max_failures=settings.sign_in_max_failures,
        max_emails=settings.sign_in_max_failures,
    )


async def start(settings: Settings, stack: AsyncExitStack, clock: Clock | None = None) -> RunningServer:
    pool = await create_pool(
        settings.database_url,
        application_name="holdfast-accounts",
        max_size=settings.db_pool_max,
        wait_seconds=settings.db_wait_seconds,
    )
    stack.push_async_callback(pool.close)
    await prepare_schema(pool, SCHEMA, MIGRATIONS, apply=settings.migrate_on_start)
    # Sender state reaches the scheduler, and health changes reach campaigns, through the outbox. The stack
    # unwinds last-in first-out: the server stops first, then the grace loop, the relay, the Unipile session,
    # the channels, then the pool.
    channel = open_channel(settings.scheduler_target, default_timeout=settings.rpc_timeout_seconds)
    stack.push_async_callback(channel.close)
    campaigns_channel = open_channel(settings.campaigns_target, default_timeout=settings.rpc_timeout_seconds)
    stack.push_async_callback(campaigns_channel.close)
    unipile = await open_unipile(settings, stack)
    relay = Relay(pool, SCHEMA, outbox_deliveries(channel, campaigns_channel))
    await relay.start()
    stack.push_async_callback(relay.stop)
    poster = await open_webhook_poster(settings, stack)
    service = build_service(
        settings, pool, clock or SystemClock(), unipile=unipile, committed=relay.kick, webhook_poster=poster
    )
    webhook_loop = asyncio.create_task(
        run_loop("webhook-delivery", settings.webhook_delivery_seconds, service.webhooks.deliver_due_once),
        name="accounts-webhook-delivery",
    )
    stack.push_async_callback(cancel, webhook_loop)
    grace_loop = asyncio.create_task(
        run_loop("grace", grace_interval_seconds(settings), service.linkedin.expire_grace_once), name="accounts-grace"
    )
    stack.push_async_callback(cancel, grace_loop)
    # T4: accounts that are not OK are re-read even when no webhook comes (each is due every recheck interval).
    recheck_loop = asyncio.create_task(
        run_loop("recheck", min(settings.account_recheck_seconds / 10, 30.0), service.linkedin.recheck_once),
        name="accounts-recheck",
    )
    stack.push_async_callback(cancel, recheck_loop)
    if settings.inbox_probes_enabled:
        probe_loop = asyncio.create_task(
            _probe_every(probe_loop_interval_seconds(settings), service.inboxes), name="accounts-inbox-probe"
        )
        stack.push_async_callback(cancel, probe_loop)
    readers = inbox_readers(settings, enabled_only=True)
    if readers:
        poller = build_inbox_poller(
            settings, pool, clock or SystemClock(), committed=relay.kick, service=service, readers=readers
        )
        poll_loop = asyncio.create_task(
            run_loop("inbox-poll", min(inbox_poll_seconds(settings, readers) / 10, 30.0), poller.poll_once),
            name="accounts-inbox-poll",
        )
        stack.push_async_callback(cancel, poll_loop)
    running = await start_server(settings.grpc_listen, [registration(AccountsServicer(service))])
    stack.push_async_callback(running.stop, settings.shutdown_grace_seconds)
    return running
