"""Inboxes connected with Google / Microsoft OAuth (DESIGN A4) against the fake token endpoints of sandbox/oauth.py:
the authorization-code flow with PKCE and a server-side state, the refresh token stored encrypted, probes that
refresh the access token (invalid_grant disconnects, like a refused login), and key rotation covering it."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from sandbox.oauth import STATE as OAUTH_STATE
from sandbox.oauth import OAuthState
from sandbox.oauth import create_app as create_oauth
from services.accounts import main as accounts_main
from services.accounts.config import Settings as AccountsSettings
from services.accounts.repository import Repository
from services.accounts.service import AccountsService
from services.common import config
from services.common.clock import ManualClock
from services.common.crypto import Keyring, key_id_of
from services.common.db import create_pool
from tests.conftest import TEST_SECRET_KEYS, Suite, create_database, start_suite, suite_env

PROBE_STEP = timedelta(seconds=361)  # more than the largest jittered probe interval (300 s + 20 %)
CLIENT_SECRET = {"google": "g-client-secret-4f1e9a", "microsoft": "m-client-secret-77c2b0"}


@dataclass
class OAuthWorld:
    suite: Suite
    clock: ManualClock
    providers: dict[str, OAuthState]
    provider_urls: dict[str, str]
    db: asyncpg.Pool
    replica: AccountsService
    env: dict[str, str]

    @property
    def callback(self) -> str:
        return f"{self.suite.base_url}/oauth/callback"

    async def inbox(self) -> tuple[dict[str, str], str]:
        _, auth = await self.suite.new_workspace()
        server = {"host": "127.0.0.1", "port": 1, "security": "none", "username": "u", "password": "pw-1"}
        status, inbox = await self.suite.call(
            "POST",
            "/api/v1/inboxes",
            auth,
            json={"email": f"o-{uuid.uuid4().hex[:6]}@acme.example", "smtp": server, "imap": server},
        )
        assert status == 201, inbox
        return auth, inbox["id"]

    async def start(self, auth: dict[str, str], inbox_id: str, provider: str) -> str:
        status, started = await self.suite.call(
            "POST",
            f"/api/v1/inboxes/{inbox_id}/oauth/start",
            auth,
            json={"provider": provider, "redirect_uri": self.callback},
        )
        assert status == 200, started
        return started["url"]

    async def consent(self, url: str) -> str:
        """The user consents at the provider: where the browser is sent back."""
        async with self.suite.http.get(url, allow_redirects=False) as r:
            assert r.status == 302, await r.text()
            return r.headers["Location"]

    async def follow(self, location: str) -> tuple[int, dict]:
        async with self.suite.http.get(location) as r:
            return r.status, await r.json()

    async def row(self, inbox_id: str) -> asyncpg.Record:
        return await self.db.fetchrow(
            "SELECT auth_kind, status, oauth_refresh_token, auth_failures FROM accounts.inboxes WHERE id = $1",
            uuid.UUID(inbox_id),
        )

    async def connect(self, provider: str) -> tuple[dict[str, str], str]:
        auth, inbox_id = await self.inbox()
        status, inbox = await self.follow(await self.consent(await self.start(auth, inbox_id, provider)))
        assert status == 200, inbox
        return auth, inbox_id


@pytest.fixture(scope="module")
async def ow(pg_dsn: str) -> AsyncIterator[OAuthWorld]:
    async with AsyncExitStack() as stack:
        clock = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
        providers, urls = {}, {}
        for name in ("google", "microsoft"):
            app = create_oauth(name, f"{name}-client-id", CLIENT_SECRET[name])
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            urls[name] = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
            providers[name] = app[OAUTH_STATE]
        env = {}
        for name in ("google", "microsoft"):
            up = name.upper()
            env |= {
                f"HOLDFAST_{up}_CLIENT_ID": f"{name}-client-id",
                f"HOLDFAST_{up}_CLIENT_SECRET": CLIENT_SECRET[name],
                f"HOLDFAST_{up}_AUTH_URL": f"{urls[name]}/authorize",
                f"HOLDFAST_{up}_TOKEN_URL": f"{urls[name]}/token",
            }
        dsn = await create_database(pg_dsn)
        suite = await start_suite(dsn, stack, clock, **env)
        db = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
        stack.push_async_callback(db.close)
        pool = await create_pool(dsn, application_name="test-oauth-replica", max_size=2)
        stack.push_async_callback(pool.close)
        settings = config.load(AccountsSettings, suite_env(dsn, **env))
        replica = accounts_main.build_service(settings, pool, clock, unipile=None)
        yield OAuthWorld(suite, clock, providers, urls, db, replica, env)


async def test_google_connects_with_pkce_and_stores_only_an_encrypted_refresh_token(ow: OAuthWorld) -> None:
    auth, inbox_id = await ow.inbox()
    url = await ow.start(auth, inbox_id, "google")
    parsed = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == f"{ow.provider_urls['google']}/authorize"
    assert query["client_id"] == "google-client-id" and query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["access_type"] == "offline" and query["scope"] == "https://mail.google.com/"
    assert query["redirect_uri"] == ow.callback and len(query["state"]) >= 43
    # The state is kept as its SHA-256 only, with an encrypted verifier and an expiry.
    pending = await ow.db.fetchrow(
        "SELECT state_hash, code_verifier, expires_at - created_at AS ttl FROM accounts.oauth_states"
        " WHERE inbox_id = $1",
        uuid.UUID(inbox_id),
    )
    assert bytes(pending["state_hash"]) == hashlib.sha256(query["state"].encode()).digest()
    assert key_id_of(pending["code_verifier"]) == "test1" and pending["ttl"] == timedelta(minutes=10)

    location = await ow.consent(url)
    status, inbox = await ow.follow(location)
    assert status == 200, inbox
    assert inbox["auth_kind"] == "google_oauth" and inbox["status"] == "connected"
    row = await ow.row(inbox_id)
    (refresh_token,) = [t for t in ow.providers["google"].refresh_tokens if t.startswith("grt-")][-1:]
    assert key_id_of(row["oauth_refresh_token"]) == "test1"
    assert refresh_token.encode() not in bytes(row["oauth_refresh_token"])
    keyring = Keyring.parse(TEST_SECRET_KEYS)
    assert keyring.decrypt(row["oauth_refresh_token"], context=f"inbox:{inbox_id}:oauth") == refresh_token
    assert (
        await ow.db.fetchval("SELECT count(*) FROM accounts.oauth_states WHERE inbox_id = $1", uuid.UUID(inbox_id)) == 0
    )

    # The state is single use.
    status, again = await ow.follow(location)
    assert status == 400 and again["error"]["code"] == "oauth_state_invalid", again


async def test_probes_refresh_the_token_and_invalid_grant_disconnects(ow: OAuthWorld) -> None:
    auth, inbox_id = await ow.connect("google")
    google = ow.providers["google"]
    before = google.refresh_grants
    ow.clock.advance(PROBE_STEP)
    assert await ow.replica.inboxes.probe_inboxes_once() >= 1
    assert google.refresh_grants > before
    assert (await ow.row(inbox_id))["status"] == "connected"

    # A server error is not the inbox's fault: no auth failure counted.
    google.fail_status, google.fail_count = 503, 1000
    ow.clock.advance(PROBE_STEP)
    await ow.replica.inboxes.probe_inboxes_once()
    assert (await ow.row(inbox_id))["auth_failures"] == 0
    google.fail_count = 0

    # The user removes the app's access: invalid_grant three probes in a row disconnects the inbox.
    google.refresh_tokens.clear()
    for _ in range(3):
        ow.clock.advance(PROBE_STEP)
        await ow.replica.inboxes.probe_inboxes_once()
    _, inbox = await ow.suite.call("GET", f"/api/v1/inboxes/{inbox_id}", auth)
    assert inbox["status"] == "disconnected", inbox
    assert "invalid_grant" in inbox["status_detail"] and "3 probes in a row" in inbox["status_detail"]

    # Connecting again through OAuth reconnects it.
    status, reconnected = await ow.follow(await ow.consent(await ow.start(auth, inbox_id, "google")))
    assert status == 200 and reconnected["status"] == "connected", reconnected


async def test_microsoft_rotates_refresh_tokens_and_we_keep_the_newest(ow: OAuthWorld) -> None:
    _, inbox_id = await ow.connect("microsoft")
    assert (await ow.row(inbox_id))["auth_kind"] == "microsoft_oauth"
    keyring = Keyring.parse(TEST_SECRET_KEYS)
    first = keyring.decrypt((await ow.row(inbox_id))["oauth_refresh_token"], context=f"inbox:{inbox_id}:oauth")
    ow.clock.advance(PROBE_STEP)
    await ow.replica.inboxes.probe_inboxes_once()
    second = keyring.decrypt((await ow.row(inbox_id))["oauth_refresh_token"], context=f"inbox:{inbox_id}:oauth")
    assert second != first and second in ow.providers["microsoft"].refresh_tokens
    assert first not in ow.providers["microsoft"].refresh_tokens
    ow.clock.advance(PROBE_STEP)
    await ow.replica.inboxes.probe_inboxes_once()
    assert (await ow.row(inbox_id))["status"] == "connected", "the newest token keeps working"


async def test_refused_expired_and_declined_callbacks_change_nothing(ow: OAuthWorld) -> None:
    auth, inbox_id = await ow.inbox()
    # A code the provider refuses (RFC 6749 invalid_grant): 400 oauth_refused, the inbox unchanged.
    location = await ow.consent(await ow.start(auth, inbox_id, "microsoft"))
    state = parse_qs(urlsplit(location).query)["state"][0]
    status, refused = await ow.follow(f"{ow.callback}?code=not-a-code&state={state}")
    assert status == 400 and refused["error"]["code"] == "oauth_refused", refused
    assert refused["error"]["details"]["error"] == "invalid_grant"
    assert (await ow.row(inbox_id))["auth_kind"] == "password"

    # Expired: the callback comes more than 10 minutes after the start.
    location = await ow.consent(await ow.start(auth, inbox_id, "google"))
    ow.clock.advance(timedelta(minutes=11))
    status, expired = await ow.follow(location)
    assert (
        status == 400 and expired["error"]["code"] == "oauth_state_invalid" and "expired" in expired["error"]["message"]
    )

    # The user declines at the provider.
    ow.providers["google"].deny = True
    try:
        location = await ow.consent(await ow.start(auth, inbox_id, "google"))
    finally:
        ow.providers["google"].deny = False
    status, declined = await ow.follow(location)
    assert status == 400 and declined["error"]["code"] == "oauth_denied", declined
    row = await ow.row(inbox_id)
    assert row["auth_kind"] == "password" and row["oauth_refresh_token"] is None

    # Bad input: unknown provider, another workspace's inbox.
    status, bad = await ow.suite.call("POST", f"/api/v1/inboxes/{inbox_id}/oauth/start", auth, json={"provider": "x"})
    assert status == 400 and bad["error"]["details"]["field"] == "provider"
    _, other = await ow.suite.new_workspace("Other")
    status, _ = await ow.suite.call(
        "POST", f"/api/v1/inboxes/{inbox_id}/oauth/start", other, json={"provider": "google"}
    )
    assert status == 404


async def test_key_rotation_covers_refresh_tokens(ow: OAuthWorld) -> None:
    _, inbox_id = await ow.connect("google")
    rotated = Keyring.parse("k2:" + "A" * 43 + "=," + TEST_SECRET_KEYS)
    pool = await create_pool(ow.suite.dsn, application_name="test-oauth-rotation", max_size=2)
    try:
        service = AccountsService(Repository(pool), ow.clock, keyring=rotated, sender_state=lambda s, **_: b"")
        rotation = await service.keys.rotate_secret_keys()
    finally:
        await pool.close()
    assert rotation.unreadable == 0 and rotation.rewritten >= 3
    assert key_id_of((await ow.row(inbox_id))["oauth_refresh_token"]) == "k2"


async def test_the_fake_token_endpoints_answer_rfc_6749_errors(ow: OAuthWorld) -> None:
    async with aiohttp.ClientSession() as http:
        for name, url in ow.provider_urls.items():
            async with http.post(
                f"{url}/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": "x",
                    "client_id": f"{name}-client-id",
                    "client_secret": "wrong",
                },
            ) as r:
                assert r.status == 401 and (await r.json())["error"] == "invalid_client"
            form = {"client_id": f"{name}-client-id", "client_secret": CLIENT_SECRET[name]}
            async with http.post(f"{url}/token", data={**form, "grant_type": "password"}) as r:
                assert r.status == 400 and (await r.json())["error"] == "unsupported_grant_type"
            async with http.post(
                f"{url}/token", data={**form, "grant_type": "refresh_token", "refresh_token": "x"}
            ) as r:
                body = await r.json()
                assert r.status == 400 and body["error"] == "invalid_grant"
                assert ("error_codes" in body) == (name == "microsoft")
