"""Shared fixtures: a real PostgreSQL (embedded, throwaway; or TEST_DATABASE_URL), fresh databases, and
the whole suite running in-process: real gRPC servers on 127.0.0.1:0 and the gateway on real HTTP."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from services.accounts import main as accounts_main
from services.accounts.config import Settings as AccountsSettings
from services.campaigns import main as campaigns_main
from services.campaigns.config import Settings as CampaignsSettings
from services.common import config, embedded_pg
from services.common import logging as holdfast_logging
from services.common.clock import ManualClock, SystemClock
from services.common.grpc_server import RunningServer
from services.gateway.app import create_app
from services.gateway.config import Settings as GatewaySettings
from services.scheduler import main as scheduler_main
from services.scheduler.config import Settings as SchedulerSettings
from tests import mailservers

holdfast_logging.configure("tests", level="warning", fmt="json")


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """DSN of the server the tests use (its `postgres` database is only used to create others)."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    server, dsn = embedded_pg.start_throwaway(_in_memory_folder())
    yield dsn
    server.cleanup()  # type: ignore[attr-defined]


def _in_memory_folder() -> Path | None:
    """The tests' throwaway server keeps its data in memory (/dev/shm) when there is room: the suite creates and
    migrates hundreds of databases, about 1.2 s each on this machine's disk and 0.3 s in memory. Durability
    across a machine crash is all it gives up, and a throwaway server never needs it."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free >= 8 * 2**30:
        return shm / "holdfast-tests"
    return None


async def create_database(pg_dsn: str) -> str:
    name = f"hf_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return embedded_pg.with_database(pg_dsn, name)


@pytest.fixture(scope="session")
def mail_servers() -> Iterator[mailservers.MailServers]:
    """Real Dovecot and Postfix on loopback (tests/mailservers.py), started once per session; the test process
    trusts their private CA through SSL_CERT_FILE, as an operator would (docs/EMAIL.md)."""
    servers = mailservers.start()
    previous = os.environ.get("SSL_CERT_FILE")
    os.environ["SSL_CERT_FILE"] = str(servers.ca_bundle)
    yield servers
    if previous is None:
        os.environ.pop("SSL_CERT_FILE", None)
    else:
        os.environ["SSL_CERT_FILE"] = previous
    servers.stop()


@pytest.fixture
async def fresh_dsn(pg_dsn: str) -> str:
    """A new, empty database for a test that needs one of its own."""
    return await create_database(pg_dsn)


@dataclass
class Suite:
    base_url: str
    dsn: str
    ports: dict[str, int]
    http: aiohttp.ClientSession
    # The Unipile sandbox the services were pointed at (HOLDFAST_UNIPILE_DSN), if any.
    unipile_url: str = ""

    async def new_workspace(self, name: str = "Acme") -> tuple[str, dict[str, str]]:
        async with self.http.post(
            f"{self.base_url}/api/v1/workspaces",
            json={"name": name, "owner_email": f"{uuid.uuid4().hex[:8]}@acme.example"},
        ) as r:
            assert r.status == 201, await r.text()
            body = await r.json()
        return body["workspace"]["id"], {"Authorization": f"Bearer {body['token']}"}

    async def linkedin_account(self, auth: dict[str, str], **overrides: Any) -> str:
        body = {"unipile_account_id": f"acc-{uuid.uuid4().hex[:12]}", "name": "Sales Nav", **overrides}
        if self.unipile_url:
            # Accounts reads a new account from Unipile first (issue 13): it must exist there.
            async with self.http.post(
                f"{self.unipile_url}/_sandbox/accounts", json={"id": body["unipile_account_id"], "name": body["name"]}
            ) as r:
                assert r.status in (201, 409), await r.text()  # 409: the test made it itself
        status, created = await self.call("POST", "/api/v1/linkedin-accounts", auth, json=body)
        assert status == 201, created
        return created["id"]

    async def call(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        async with self.http.request(method, f"{self.base_url}{path}", headers=headers, **kwargs) as r:
            return r.status, await r.json()


TEST_SECRET_KEYS = "test1:" + base64.urlsafe_b64encode(b"k" * 32).decode()
TEST_UNSUBSCRIBE_KEY = "test-unsubscribe-key-" + "u" * 32


# Tests never reach a real mail provider: an OAuth inbox's SMTP and IMAP servers default to a closed local port
# (a test that sends or polls through them points them at its sandboxes).
NO_PROVIDER_MAIL = {
    f"HOLDFAST_{provider}_{server}": "127.0.0.1:1"
    for provider in ("GOOGLE", "MICROSOFT")
    for server in ("SMTP", "IMAP")
}


def suite_env(dsn: str, **extra: str) -> dict[str, str]:
    """The environment every in-process service of a test suite reads its settings from."""
    return {
        "DATABASE_URL": dsn,
        "HOLDFAST_GRPC_LISTEN": "127.0.0.1:0",
        "HOLDFAST_SHUTDOWN_GRACE_SECONDS": "1",
        "HOLDFAST_SECRET_KEYS": TEST_SECRET_KEYS,
        "HOLDFAST_DISPATCH_INTERVAL_SECONDS": "0.05",
        "HOLDFAST_SWEEP_SECONDS": "0.2",
        "HOLDFAST_INBOX_PROBES_ENABLED": "false",
        "HOLDFAST_BOUNCE_POLLS_ENABLED": "false",
        "HOLDFAST_REPLY_POLLS_ENABLED": "false",
        "HOLDFAST_UNSUBSCRIBE_KEY": TEST_UNSUBSCRIBE_KEY,
        **NO_PROVIDER_MAIL,
        # Most suites' inboxes point at servers that do not exist; the tests of creation turn the check on.
        "HOLDFAST_INBOX_CHECK_LOGIN_ON_CREATE": "false",
        **extra,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_suite(dsn: str, stack: AsyncExitStack, clock: Any, **extra_env: str) -> Suite:
    env = suite_env(dsn, **extra_env)
    # Services call each other (accounts <-> scheduler), so every address is known before any starts.
    starters = {
        "scheduler": (scheduler_main.start, SchedulerSettings),
        "accounts": (accounts_main.start, AccountsSettings),
        "campaigns": (campaigns_main.start, CampaignsSettings),
    }
    ports = {name: free_port() for name in starters}
    env.update({f"HOLDFAST_{n.upper()}_TARGET": f"127.0.0.1:{p}" for n, p in ports.items()})
    for name, (start, settings_cls) in starters.items():
        listen = {"HOLDFAST_GRPC_LISTEN": f"127.0.0.1:{ports[name]}"}
        running: RunningServer = await start(config.load(settings_cls, {**env, **listen}), stack, clock)
        await running.mark_serving()
    gateway = config.load(GatewaySettings, env)
    runner = web.AppRunner(create_app(gateway), access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    ports["http"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    http = aiohttp.ClientSession()
    stack.push_async_callback(http.close)
    return Suite(
        base_url=f"http://127.0.0.1:{ports['http']}",
        dsn=dsn,
        ports=ports,
        http=http,
        unipile_url=extra_env.get("HOLDFAST_UNIPILE_DSN", ""),
    )


@pytest.fixture(scope="session")
async def suite(pg_dsn: str) -> AsyncIterator[Suite]:
    """The whole suite on the system clock, shared by tests (each works in its own workspace)."""
    async with AsyncExitStack() as stack:
        yield await start_suite(await create_database(pg_dsn), stack, SystemClock())


@pytest.fixture
def manual_clock() -> ManualClock:
    from datetime import UTC, datetime

    return ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
