"""Wiring of the scheduler service: the pool, the outbox relay, the providers, the use cases, the background
loops (through services/common/loops.py) and the gRPC server. `python -m services.scheduler` starts it."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import aiohttp

from holdfast.accounts.v1 import accounts_pb2_grpc
from holdfast.campaigns.v1 import campaigns_pb2_grpc
from services.common.clock import Clock, SystemClock
from services.common.db import create_pool
from services.common.grpc_client import open_channel
from services.common.grpc_server import RunningServer, start_server
from services.common.loops import cancel, run_loop
from services.common.outbox import Relay
from services.common.providers.unipile import UnipileClient
from services.common.service_main import prepare_schema
from services.common.unsubscribe import UnsubscribeTokens
from services.scheduler.bounce_rate import BouncePolicy, BounceRateMonitor
from services.scheduler.clients import ProtoEvents, outbox_deliveries, sender_credentials
from services.scheduler.config import Settings
from services.scheduler.dispatcher import Dispatcher
from services.scheduler.domain import FailurePolicy
from services.scheduler.email_replies import EmailReplies
from services.scheduler.failure_rate import FailureRateMonitor
from services.scheduler.linkedin_replies import LinkedInReplies
from services.scheduler.providers import Providers, UnsubscribeLinks
from services.scheduler.repository import Repository
from services.scheduler.resolver import ProfileResolver
from services.scheduler.server import SchedulerServicer, registration
from services.scheduler.service import SchedulerService
from services.scheduler.stats import Stats
from services.scheduler.voices import ProspectVoices
from services.scheduler.warmup import WarmupFeeder

MIGRATIONS = Path(__file__).parent / "migrations"


async def start(settings: Settings, stack: AsyncExitStack, clock: Clock | None = None) -> RunningServer:
    clock = clock or SystemClock()
    pool = await create_pool(
        settings.database_url,
        application_name="holdfast-scheduler",
        max_size=settings.db_pool_max,
        wait_seconds=settings.db_wait_seconds,
    )
    stack.push_async_callback(pool.close)
    await prepare_schema(pool, "scheduler", MIGRATIONS, apply=settings.migrate_on_start)

    accounts_channel = open_channel(settings.accounts_target, default_timeout=settings.rpc_timeout_seconds)
    stack.push_async_callback(accounts_channel.close)
    accounts = accounts_pb2_grpc.AccountsServiceStub(accounts_channel)

    credentials = sender_credentials(accounts)

    campaigns_channel = open_channel(settings.campaigns_target, default_timeout=settings.rpc_timeout_seconds)
    stack.push_async_callback(campaigns_channel.close)
    campaigns = campaigns_pb2_grpc.CampaignsServiceStub(campaigns_channel)
    relay = Relay(pool, "scheduler", outbox_deliveries(campaigns, accounts))
    # Every committed transaction kicks the relay: triggers write outbox rows the code does not see.
    repository = Repository(pool, committed=relay.kick)
    await relay.start()
    stack.push_async_callback(relay.stop)
    events = ProtoEvents()
    failure_rates = FailureRateMonitor(
        repository,
        clock,
        events,
        FailurePolicy(
            window_seconds=settings.failure_window_seconds,
            threshold=settings.failure_rate_threshold,
            min_sample=settings.failure_min_sample,
            probation_sample=settings.failure_probation_sample,
        ),
    )
    bounce_rates = BounceRateMonitor(
        repository,
        clock,
        events.bounce_rate,
        BouncePolicy(
            window_seconds=settings.bounce_window_seconds,
            threshold=settings.bounce_rate_threshold,
            min_sample=settings.bounce_min_sample,
        ),
        suppress=events.suppress_opt_out,
    )

    http = aiohttp.ClientSession()
    stack.push_async_callback(http.close)
    unipile = (
        UnipileClient(settings.unipile_dsn, settings.unipile_api_key, http, timeout_s=settings.provider_timeout_seconds)
        if settings.unipile_dsn
        else None
    )
    stale_after = timedelta(seconds=settings.attempt_stale_seconds)
    unsubscribe = UnsubscribeLinks(settings.public_url, UnsubscribeTokens(settings.unsubscribe_key))
    providers = Providers(
        unipile,
        credentials,
        timeout_s=settings.provider_timeout_seconds,
        unsubscribe=unsubscribe,
        allow_public_plaintext=settings.allow_public_plaintext,
    )
    dispatcher = Dispatcher(
        repository,
        providers,
        clock,
        batch=settings.dispatch_batch,
        unipile=unipile,
        stale_after=stale_after,
        relations_poll=timedelta(seconds=settings.relations_poll_seconds),
        failure_rates=failure_rates,
        events=events,
    )
    service = SchedulerService(
        repository,
        clock,
        failure_rates=failure_rates,
        bounce_rates=bounce_rates,
        hold_drain_seconds=settings.hold_drain_seconds,
        stale_after=stale_after,
    )
    warmups = WarmupFeeder(repository, service, clock)
    voices = ProspectVoices(
        repository,
        clock,
        ooo_days=settings.ooo_days,
        drain_seconds=settings.hold_drain_seconds,
        stale_after=stale_after,
        suppress=events.suppress_opt_out,
        back=events.prospect_back,
    )
    linkedin_replies = LinkedInReplies(
        repository,
        unipile,
        voices,
        clock,
        poll_interval=timedelta(seconds=settings.chats_poll_seconds),
        ooo_days=settings.ooo_days,
    )
    email_replies = EmailReplies(repository, voices, tokens=unsubscribe.tokens, ooo_days=settings.ooo_days)
    servicer = SchedulerServicer(
        service, dispatcher, warmups, bounce_rates, voices, linkedin_replies, email_replies, Stats(repository, clock)
    )
    resolver = ProfileResolver(
        repository,
        unipile,
        clock,
        daily_cap=settings.lookup_daily_cap,
        gap=timedelta(seconds=settings.lookup_gap_seconds),
    )
    running = await start_server(settings.grpc_listen, [registration(servicer)])
    if settings.dispatch_enabled:
        reconcile_every = max(settings.attempt_stale_seconds / 4, 1.0)
        for name, interval, step in (
            ("dispatch", settings.dispatch_interval_seconds, dispatcher.run_once),
            ("reconcile", reconcile_every, dispatcher.reconcile_once),
            ("relations", 60.0, dispatcher.poll_acceptances_once),
            ("chats", 60.0, linkedin_replies.poll_once),
            ("failure-rate", 60.0, failure_rates.evaluate_failure_rates_once),
            ("bounce-rate", 60.0, bounce_rates.evaluate_bounce_rates_once),
            ("warmup-feed", settings.warmup_feed_interval_seconds, warmups.feed_once),
            ("profile-lookups", 5.0, resolver.run_once),
        ):
            task = asyncio.create_task(run_loop(name, interval, step), name=f"scheduler-{name}")
            stack.push_async_callback(cancel, task)
    stack.push_async_callback(running.stop, settings.shutdown_grace_seconds)
    return running
