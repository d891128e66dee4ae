"""Sending as an OAuth inbox: the real SMTP sender logs in with SASL XOAUTH2 to the SMTP sandbox, which checks the
bearer token against the access tokens the OAuth sandbox issued (real HTTP, real SMTP over TCP on 127.0.0.1), and
answers a refused token the way Gmail and Outlook do."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import aiosmtplib
import pytest
from aiohttp import web

from sandbox.oauth import STATE as OAUTH_STATE
from sandbox.oauth import OAuthState
from sandbox.oauth import create_app as create_oauth
from sandbox.smtp import SandboxSmtp
from services.accounts import oauth
from services.common.providers.smtp import SmtpError, SmtpSettings, check_login, send_email
from services.common.providers.unipile import FailureKind

USER = "ada@acme.example"
CALLBACK = "http://127.0.0.1:1/oauth/callback"


@dataclass
class Provider:
    app: oauth.OAuthProvider
    state: OAuthState


@dataclass
class Env:
    smtp: SandboxSmtp
    port: int
    providers: dict[str, Provider]
    now: list[datetime]

    def settings(self, token: str, user: str = USER) -> SmtpSettings:
        return SmtpSettings("127.0.0.1", self.port, "none", user, "", access_token=token)

    async def tokens(self, provider: str, user: str = USER) -> oauth.Tokens:
        """The user consents at the provider (authorization code with PKCE); the code is exchanged."""
        p = self.providers[provider]
        verifier, challenge = oauth.pkce_pair()
        url = oauth.authorization_url(p.app, CALLBACK, "st", challenge, user)
        async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as r:
            assert r.status == 302
            code = r.headers["Location"].split("code=")[1].split("&")[0]
        return await oauth.exchange_code(p.app, code, CALLBACK, verifier, 5)


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[Env]:
    now = [datetime(2026, 3, 2, 8, 0, tzinfo=UTC)]
    runners, providers = [], {}
    for name in ("google", "microsoft"):
        app = create_oauth(name, f"{name}-id", f"{name}-secret")
        app[OAUTH_STATE].clock = lambda: now[0]
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        providers[name] = Provider(
            oauth.OAuthProvider(name, f"{name}-id", f"{name}-secret", f"{base}/authorize", f"{base}/token"),
            app[OAUTH_STATE],
        )
    smtp = SandboxSmtp()
    smtp.trust_oauth(*(p.state for p in providers.values()))
    port = await smtp.start()
    yield Env(smtp, port, providers, now)
    await smtp.stop()
    for runner in runners:
        await runner.cleanup()


async def send(settings: SmtpSettings, message_id: str = "<x1@acme.example>") -> None:
    await send_email(
        settings,
        sender=USER,
        to="grace@prospect.example",
        subject="Hi",
        body="Hello\n",
        message_id=message_id,
        timeout_s=10,
    )


@pytest.mark.parametrize("provider", ["google", "microsoft"])
async def test_a_send_with_a_fresh_access_token_lands_authenticated_as_the_user(env: Env, provider: str) -> None:
    env.smtp.clear()
    tokens = await env.tokens(provider)
    await send(env.settings(tokens.access_token))
    [received] = env.smtp.messages
    assert (received.user, received.mechanism) == (USER, "XOAUTH2")
    assert received.rcpt_tos == ("grace@prospect.example",)

    # A refreshed token works as well; the refresh token keeps working (Microsoft's is a new one each time).
    assert tokens.refresh_token is not None
    refreshed = await oauth.refresh(env.providers[provider].app, tokens.refresh_token, 5)
    await check_login(env.settings(refreshed.access_token))


async def test_password_logins_still_work_and_record_their_mechanism(env: Env) -> None:
    env.smtp.clear()
    env.smtp.set_password("bob@acme.example", "pw-1")
    await send(SmtpSettings("127.0.0.1", env.port, "none", "bob@acme.example", "pw-1"))
    assert [(m.user, m.mechanism) for m in env.smtp.messages] == [("bob@acme.example", "PLAIN")]


@pytest.mark.parametrize("provider", ["google", "microsoft"])
async def test_revoked_expired_and_foreign_tokens_are_refused_as_a_disconnected_account(
    env: Env, provider: str
) -> None:
    env.smtp.clear()
    state = env.providers[provider].state
    reply = "535 5.7.8" if provider == "google" else "535 5.7.3"

    async def refused(settings: SmtpSettings) -> SmtpError:
        with pytest.raises(SmtpError) as caught:
            await send(settings)
        error = caught.value
        assert error.kind is FailureKind.DISCONNECTED and error.code == 535, error
        assert settings.access_token not in f"{error} {error!r}"
        return error

    # Issued to someone else: the login names another user.
    other = await env.tokens(provider, user="eve@acme.example")
    await refused(env.settings(other.access_token))

    # Expired: an hour later (the sandbox's clock), the same token is refused; a refresh gives a working one.
    tokens = await env.tokens(provider)
    assert tokens.expires_in == 3599 and tokens.refresh_token is not None
    env.now[0] += timedelta(seconds=3600)
    error = await refused(env.settings(tokens.access_token))
    assert reply.split()[1] in error.message
    refreshed = await oauth.refresh(env.providers[provider].app, tokens.refresh_token, 5)
    await check_login(env.settings(refreshed.access_token))

    # Revoked: the user removes the app's access: its live access tokens stop working with its refresh token.
    assert state.revoke(refreshed.refresh_token or tokens.refresh_token) == 1
    await refused(env.settings(refreshed.access_token))
    with pytest.raises(oauth.TokenError) as caught:
        await oauth.refresh(env.providers[provider].app, refreshed.refresh_token or tokens.refresh_token, 5)
    assert (caught.value.kind, caught.value.error) == ("auth", "invalid_grant")
    assert env.smtp.messages == []


async def smtp_dialog(port: int, *lines: bytes) -> list[bytes]:
    """Speak raw SMTP: each line sent, then everything the server answers to it (multi-line replies whole)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers = []
    try:
        await reader.readline()  # greeting
        for line in (b"EHLO client.example", *lines):
            writer.write(line + b"\r\n")
            await writer.drain()
            answer = b""
            while True:
                got = await asyncio.wait_for(reader.readline(), 5)
                answer += got
                if len(got) < 4 or got[3:4] != b"-":
                    break
            answers.append(answer)
    finally:
        writer.close()
        await writer.wait_closed()
    return answers[1:]


def initial_response(user: str, token: str) -> bytes:
    # Google's XOAUTH2 protocol page: base64("user=" user "^Aauth=Bearer " token "^A^A").
    return base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode())


async def test_the_wire_answers_are_gmails_and_outlooks(env: Env) -> None:
    google = await env.tokens("google")
    [accepted] = await smtp_dialog(env.port, b"AUTH XOAUTH2 " + initial_response(USER, google.access_token))
    assert accepted.startswith(b"235 ")
    # Without an initial response the server asks for it with an empty challenge.
    answers = await smtp_dialog(env.port, b"AUTH XOAUTH2", initial_response(USER, google.access_token))
    assert answers[0] == b"334 \r\n" and answers[1].startswith(b"235 ")

    # Gmail refuses a bad token with a 334 carrying a base64 JSON error; the client's empty line gets the 535.
    challenge, final = await smtp_dialog(env.port, b"AUTH XOAUTH2 " + initial_response(USER, "ya29.revoked"), b"")
    assert challenge.startswith(b"334 ")
    assert json.loads(base64.b64decode(challenge[4:].strip())) == {
        "status": "401",
        "schemes": "bearer mac",
        "scope": "https://mail.google.com/",
    }
    assert final.startswith(b"535-5.7.8 ") and b"\r\n535 5.7.8 " in final

    # Outlook answers at once.
    [outlook] = await smtp_dialog(env.port, b"AUTH XOAUTH2 " + initial_response(USER, "EwBrevoked"))
    assert outlook.startswith(b"535 5.7.3 Authentication unsuccessful")

    # Malformed initial responses are syntax errors, not refused logins.
    [bad_base64] = await smtp_dialog(env.port, b"AUTH XOAUTH2 %%%")
    [no_bearer] = await smtp_dialog(env.port, b"AUTH XOAUTH2 " + base64.b64encode(b"user=a\x01\x01"))
    assert bad_base64.startswith(b"501 ") and no_bearer.startswith(b"501 ")


async def test_xoauth2_is_offered_only_by_a_server_that_trusts_an_oauth_sandbox(env: Env) -> None:
    plain = SandboxSmtp()
    port = await plain.start()
    try:
        for server_port, offered in ((port, False), (env.port, True)):
            client = aiosmtplib.SMTP(hostname="127.0.0.1", port=server_port, start_tls=False, timeout=5)
            await client.connect()
            try:
                await client.ehlo()
                assert ("xoauth2" in client.server_auth_methods) is offered
            finally:
                await client.quit()
    finally:
        await plain.stop()


def test_settings_keep_the_access_token_out_of_reprs_and_refuse_a_password_beside_it() -> None:
    settings = SmtpSettings("smtp.gmail.com", 587, "starttls", USER, "", access_token="ya29.secret-token")
    assert "ya29.secret-token" not in repr(settings)
    with pytest.raises(ValueError, match="access token"):
        dataclasses.replace(settings, password="pw")
    with pytest.raises(ValueError, match="access token"):
        dataclasses.replace(settings, username="")
