"""IMAP AUTHENTICATE XOAUTH2 (Gmail's and Outlook's login with an OAuth access token) against the IMAP sandbox, which
accepts only live access tokens its trusted OAuth sandboxes issued to that user: real IMAP over TCP on 127.0.0.1."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

import sandbox.imap as sandbox_imap
from sandbox.imap import SandboxImap
from sandbox.oauth import SMTP_SCOPE, AccessToken, Consent, OAuthState
from services.accounts.oauth import SCOPES
from services.common.providers.imap import ImapError, ImapSettings, check_login, fetch_reports
from services.common.providers.unipile import FailureKind

USER = "ada@acme.example"
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@dataclasses.dataclass
class OAuthImap:
    imap: SandboxImap
    port: int
    providers: dict[str, OAuthState]

    def token(self, flavor: str, user: str = USER, *, lifetime: timedelta = timedelta(hours=1)) -> str:
        """An access token the provider issued to `user` (with the scopes accounts asks for)."""
        state = self.providers[flavor]
        token = f"{'ya29.' if flavor == 'google' else 'EwB'}{flavor}-{len(state.access_tokens)}-Zq8v1W3nB7x0"
        state.access_tokens[token] = AccessToken(Consent(user, SCOPES[flavor]), NOW + lifetime)
        return token

    def settings(self, token: str, user: str = USER) -> ImapSettings:
        return ImapSettings("127.0.0.1", self.port, "none", user, access_token=token)


@pytest.fixture
async def oauth_imap() -> AsyncIterator[OAuthImap]:
    providers = {
        flavor: OAuthState(flavor, f"{flavor}-client", "secret", clock=lambda: NOW)
        for flavor in ("google", "microsoft")
    }
    imap = SandboxImap()
    imap.trust_oauth(*providers.values())
    port = await imap.start()
    yield OAuthImap(imap, port, providers)
    await imap.stop()


@pytest.mark.parametrize("flavor", ["google", "microsoft"])
async def test_a_live_token_of_the_user_logs_in_and_reads_the_inbox(oauth_imap: OAuthImap, flavor: str) -> None:
    token = oauth_imap.token(flavor)
    oauth_imap.imap.deliver_dsn(
        USER,
        b"From: ada@acme.example\r\nTo: gone@else.example\r\nMessage-ID: <a1@holdfast>\r\nSubject: Hi\r\n\r\nHello\r\n",
    )
    reports = await fetch_reports(oauth_imap.settings(token), None, 0, timeout_s=5)
    assert [uid for uid, _ in reports.messages] == [1]
    assert b"multipart/report" in reports.messages[0][1]
    assert [(a.user, a.accepted, a.mechanism) for a in oauth_imap.imap.login_attempts] == [(USER, True, "XOAUTH2")]


async def test_without_sasl_ir_the_initial_response_follows_the_continuation(
    oauth_imap: OAuthImap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox_imap, "OAUTH_CAPABILITIES", "AUTH=XOAUTH2")
    assert "SASL-IR" not in oauth_imap.imap.capabilities
    await check_login(oauth_imap.settings(oauth_imap.token("google")), timeout_s=5)
    assert [(a.accepted, a.mechanism) for a in oauth_imap.imap.login_attempts] == [(True, "XOAUTH2")]
    # Refused without SASL-IR too: the initial response after the first continuation, the empty line after the
    # second (Gmail's error), then the NO.
    with pytest.raises(ImapError) as caught:
        await check_login(oauth_imap.settings(oauth_imap.token("google", "eve@else.example")), timeout_s=5)
    assert caught.value.kind is FailureKind.DISCONNECTED and caught.value.status == "NO"


@pytest.mark.parametrize("case", ["expired", "another user's", "revoked", "unknown"])
async def test_gmail_refuses_with_a_json_continuation_then_no_and_the_token_stays_out_of_the_error(
    oauth_imap: OAuthImap, case: str
) -> None:
    google = oauth_imap.providers["google"]
    token = {
        "expired": lambda: oauth_imap.token("google", lifetime=timedelta(seconds=-1)),
        "another user's": lambda: oauth_imap.token("google", "eve@else.example"),
        "revoked": lambda: oauth_imap.token("google"),
        "unknown": lambda: "ya29.never-issued-Zq8v1W3nB7x0",
    }[case]()
    if case == "revoked":
        google.access_tokens[token].consent.revoked = True
    settings = oauth_imap.settings(token)
    with pytest.raises(ImapError) as caught:
        await check_login(settings, timeout_s=5)
    error = caught.value
    assert (error.kind, error.status) == (FailureKind.DISCONNECTED, "NO")
    # The tagged NO, then what the decoded JSON continuation said.
    assert error.message.startswith("login: [AUTHENTICATIONFAILED] Invalid credentials"), error.message
    assert '"status":"401"' in error.message and SCOPES["google"] in error.message
    initial_response = base64.b64encode(f"user={USER}\x01auth=Bearer {token}\x01\x01".encode()).decode()
    for text in (str(error), repr(error), repr(settings)):
        assert token not in text and initial_response not in text
    assert [(a.accepted, a.mechanism) for a in oauth_imap.imap.login_attempts] == [(False, "XOAUTH2")]


async def test_outlook_refuses_at_once_and_a_token_without_the_imap_scope_is_refused(oauth_imap: OAuthImap) -> None:
    microsoft = oauth_imap.providers["microsoft"]
    expired = oauth_imap.token("microsoft", lifetime=timedelta(seconds=-1))
    with pytest.raises(ImapError) as caught:
        await check_login(oauth_imap.settings(expired), timeout_s=5)
    assert (caught.value.kind, caught.value.status, caught.value.message) == (
        FailureKind.DISCONNECTED,
        "NO",
        "login: AUTHENTICATE failed.",
    )
    # Consented to sending only: good for SMTP, not for reading the mailbox.
    send_only = "EwBsend-only-Zq8v1W3nB7x0"
    microsoft.access_tokens[send_only] = AccessToken(Consent(USER, SMTP_SCOPE["microsoft"]), NOW + timedelta(hours=1))
    with pytest.raises(ImapError) as caught:
        await check_login(oauth_imap.settings(send_only), timeout_s=5)
    assert caught.value.status == "NO" and send_only not in str(caught.value)


async def test_a_server_without_xoauth2_is_not_sent_the_token() -> None:
    imap = SandboxImap()  # no OAuth sandbox trusted: a password-only server
    port = await imap.start()
    try:
        with pytest.raises(ImapError) as caught:
            await check_login(
                ImapSettings("127.0.0.1", port, "none", USER, access_token="ya29.x-Zq8v1W3nB7x0"), timeout_s=5
            )
    finally:
        await imap.stop()
    assert (caught.value.kind, caught.value.message) == (
        FailureKind.UNKNOWN,
        "login: the server does not offer AUTH=XOAUTH2",
    )
    assert imap.login_attempts == []
