"""OAuth 2.0 for inboxes (DESIGN A4): Google and Microsoft, authorization-code flow with PKCE (RFC 7636), refresh
tokens (RFC 6749 section 6), what a token endpoint's error means for an inbox's health, and where an OAuth inbox
sends its mail (the provider's SMTP server, SASL XOAUTH2 with an access token).

Nothing here puts a code, a verifier, a refresh or access token or the client secret into a message or a repr."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp

from services.accounts.domain import SenderCredentials

# The providers an inbox can connect with, and the inbox auth_kind each gives.
AUTH_KINDS = {"google": "google_oauth", "microsoft": "microsoft_oauth"}
PROVIDER_OF = {kind: provider for provider, kind in AUTH_KINDS.items()}
# Full mailbox access over SMTP and IMAP (XOAUTH2), and a refresh token.
SCOPES = {
    "google": "https://mail.google.com/",
    "microsoft": "offline_access https://outlook.office.com/SMTP.Send https://outlook.office.com/IMAP.AccessAsUser.All",
}
# RFC 6749 section 5.2: the grant (refresh token or code) is invalid, expired or revoked: the user must connect again.
REVOKED = frozenset({"invalid_grant"})
# A cached access token is handed out for a send only while it has at least this long to live, so that the whole
# SMTP exchange (connect, STARTTLS, AUTH, DATA) happens before it expires; otherwise it is refreshed first.
ACCESS_TOKEN_MIN_LIFETIME = timedelta(minutes=5)


@dataclass(frozen=True)
class OAuthProvider:
    name: str
    client_id: str
    client_secret: str = field(repr=False)
    auth_url: str
    token_url: str
    # The provider's SMTP server for mail sent with its access tokens.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)


def providers_from(settings: Any) -> dict[str, OAuthProvider]:
    providers = {}
    for name in AUTH_KINDS:
        smtp_host, _, smtp_port = getattr(settings, f"{name}_smtp").rpartition(":")
        providers[name] = OAuthProvider(
            name,
            getattr(settings, f"{name}_client_id"),
            getattr(settings, f"{name}_client_secret"),
            getattr(settings, f"{name}_auth_url"),
            getattr(settings, f"{name}_token_url"),
            smtp_host,
            int(smtp_port),
            getattr(settings, f"{name}_smtp_security"),
        )
    return providers


@dataclass(frozen=True, slots=True)
class OAuthSenderCredentials(SenderCredentials):
    """An OAuth inbox's: `smtp` carries no password; the sender logs in with SASL XOAUTH2 as smtp.username with
    `access_token`, which has at least ACCESS_TOKEN_MIN_LIFETIME to live."""

    access_token: str = field(default="", repr=False)


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    # None when the provider keeps the refresh token it was given (Google); Microsoft answers a new one.
    refresh_token: str | None = field(repr=False)
    expires_in: int


class TokenError(Exception):
    """The token endpoint refused or could not be used. `kind` is "auth" (RFC 6749 invalid_grant: the grant was
    revoked or expired, the user must connect again) or "network" (unreachable, 5xx, a malformed answer, or an
    error on our side such as invalid_client: not the inbox's fault). `error` is the RFC 6749 code, if any."""

    def __init__(self, kind: str, error: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.error = error
        self.message = message


def new_state() -> str:
    return secrets.token_urlsafe(32)


def state_hash(state: str) -> bytes:
    return hashlib.sha256(state.encode()).digest()


def pkce_pair() -> tuple[str, str]:
    """A code verifier (RFC 7636: 43 to 128 characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def authorization_url(provider: OAuthProvider, redirect_uri: str, state: str, challenge: str, login_hint: str) -> str:
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPES[provider.name],
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "login_hint": login_hint,
    }
    if provider.name == "google":
        query.update(access_type="offline", prompt="consent")  # else Google answers no refresh token
    separator = "&" if "?" in provider.auth_url else "?"
    return f"{provider.auth_url}{separator}{urlencode(query)}"


async def exchange_code(
    provider: OAuthProvider, code: str, redirect_uri: str, verifier: str, timeout_s: float
) -> Tokens:
    tokens = await _token_request(
        provider,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier},
        timeout_s,
    )
    if not tokens.refresh_token:
        raise TokenError("auth", "no_refresh_token", f"{provider.name} answered no refresh token (offline access)")
    return tokens


async def refresh(provider: OAuthProvider, refresh_token: str, timeout_s: float) -> Tokens:
    return await _token_request(provider, {"grant_type": "refresh_token", "refresh_token": refresh_token}, timeout_s)


async def _token_request(provider: OAuthProvider, form: dict[str, str], timeout_s: float) -> Tokens:
    form = {**form, "client_id": provider.client_id, "client_secret": provider.client_secret}
    name = provider.name
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as http:
            async with http.post(provider.token_url, data=form, headers={"Accept": "application/json"}) as r:
                status = r.status
                try:
                    body = await r.json(content_type=None)
                except ValueError:
                    body = None
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise TokenError("network", "", f"{name} token endpoint unreachable: {type(exc).__name__}") from None
    if not isinstance(body, dict):
        raise TokenError("network", "", f"{name} token endpoint answered HTTP {status} without a JSON object")
    if status != 200 or "error" in body:
        error = str(body.get("error") or f"http_{status}")[:64]
        description = (
            str(body.get("error_description") or "").splitlines()[0][:200] if body.get("error_description") else ""
        )
        kind = "auth" if error in REVOKED else "network"
        raise TokenError(kind, error, f"{name} refused: {error}" + (f" ({description})" if description else ""))
    access, new_refresh = body.get("access_token"), body.get("refresh_token")
    if not isinstance(access, str) or not access or (new_refresh is not None and not isinstance(new_refresh, str)):
        raise TokenError("network", "", f"{name} token endpoint answered without an access token")
    expires_in = body.get("expires_in")
    return Tokens(access, new_refresh or None, expires_in if isinstance(expires_in, int) else 0)
