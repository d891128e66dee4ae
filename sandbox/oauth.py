"""A fake OAuth 2.0 authorization server that answers like Google's and Microsoft's (authorization-code flow
with PKCE, refresh tokens), for tests: `create_app("google" | "microsoft", client_id, client_secret)`.

  GET  /authorize   response_type=code, client_id, redirect_uri, state, code_challenge, code_challenge_method=S256,
                    scope: the user consents at once; 302 to redirect_uri?code=...&state=... (or, after
                    POST /_sandbox/deny, ?error=access_denied&state=...)
  POST /token       form-encoded (client credentials in the form or HTTP Basic):
                    grant_type=authorization_code (code, redirect_uri, code_verifier) or
                    grant_type=refresh_token (refresh_token). 200 {access_token, token_type, expires_in, scope,
                    refresh_token?}; errors are RFC 6749 section 5.2 JSON, 400 {error, error_description} (401 for
                    invalid_client); Microsoft adds error_codes, timestamp, trace_id and correlation_id.

Control API (JSON, no auth) under `/_sandbox/`:
  GET  /_sandbox/state   codes issued, refresh grants answered, live refresh and access tokens (counts only)
  POST /_sandbox/revoke  {refresh_token?}: revoke one refresh token, or all (the user removed the app's access);
                         the access tokens issued from a revoked grant stop working too
  POST /_sandbox/deny    {deny: bool}: the next consents are refused (access_denied)
  POST /_sandbox/fail    {status, count?}: the next token requests answer this HTTP status (5xx: the server is down)

The user who consents is the authorization request's login_hint. Codes are single-use and live 60 seconds; access
tokens live an hour (`expires_in` 3599) and are shaped like the provider's ("ya29." for Google, "EwB" for
Microsoft); Microsoft rotates the refresh token on every refresh, Google keeps it. Time is `OAuthState.clock` (wall
clock unless a test shares its virtual clock). The sandbox SMTP server (sandbox/smtp.py) asks `bearer_refusal`
whether an XOAUTH2 login's access token is good, as Gmail and Outlook check theirs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

CODE_LIFETIME = timedelta(seconds=60)
ACCESS_TOKEN_SECONDS = 3599
FLAVORS = ("google", "microsoft")
ACCESS_TOKEN_PREFIX = {"google": "ya29.", "microsoft": "EwB"}
# The scope an access token needs to send mail over SMTP, by provider.
SMTP_SCOPE = {"google": "https://mail.google.com/", "microsoft": "https://outlook.office.com/SMTP.Send"}


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class Consent:
    """One user's authorization of the app: its refresh token(s) and access tokens all stand on it."""

    user: str
    scope: str
    revoked: bool = False


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    consent: Consent
    issued: datetime


@dataclass
class AccessToken:
    consent: Consent
    expires_at: datetime


@dataclass
class OAuthState:
    flavor: str
    client_id: str
    client_secret: str
    codes: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Consent] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    issued_codes: int = 0
    refresh_grants: int = 0
    deny: bool = False
    fail_status: int = 0
    fail_count: int = 0
    clock: Callable[[], datetime] = _utc_now

    def issued(self, access_token: str) -> bool:
        """Whether the token is (or looks like) one of this server's, live or not: a mail server refusing it
        answers as this provider's does."""
        return access_token in self.access_tokens or access_token.startswith(ACCESS_TOKEN_PREFIX[self.flavor])

    def bearer_refusal(self, user: str, access_token: str) -> str | None:
        """Why a mail server would refuse this access token for `user`, or None when it is good: issued here,
        not expired, its grant not revoked, consented by that user, with the SMTP scope."""
        found = self.access_tokens.get(access_token)
        if found is None:
            return "unknown token"
        if found.consent.revoked:
            return "revoked"
        if found.expires_at <= self.clock():
            return "expired"
        if found.consent.user.lower() != user.lower():
            return "issued to another user"
        if SMTP_SCOPE[self.flavor] not in found.consent.scope.split():
            return "scope does not allow SMTP"
        return None

    def revoke(self, refresh_token: str | None = None) -> int:
        """Revoke one refresh token's grant, or every grant; returns how many refresh tokens went."""
        if refresh_token:
            consent = self.refresh_tokens.get(refresh_token)
            if consent is None:
                return 0
            consent.revoked = True
            gone = [token for token, c in self.refresh_tokens.items() if c is consent]
        else:
            for c in self.refresh_tokens.values():
                c.revoked = True
            gone = list(self.refresh_tokens)
        for token in gone:
            del self.refresh_tokens[token]
        return len(gone)


STATE: web.AppKey[OAuthState] = web.AppKey("oauth_state", OAuthState)


def _error(state: OAuthState, error: str, description: str, status: int = 400) -> web.Response:
    body: dict[str, Any] = {"error": error, "error_description": description}
    if state.flavor == "microsoft":
        body = {
            "error": error,
            "error_description": f"AADSTS70000: {description}\r\nTrace ID: {uuid.uuid4()}\r\nTimestamp: "
            f"{datetime.now(UTC).isoformat()}",
            "error_codes": [70000],
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        }
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="token"'
    return web.json_response(body, status=status, headers=headers)


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


async def authorize(request: web.Request) -> web.Response:
    state = request.app[STATE]
    q = request.query
    redirect_uri = q.get("redirect_uri", "")
    if q.get("client_id") != state.client_id or not redirect_uri.startswith(("http://", "https://")):
        return web.Response(status=400, text="invalid client_id or redirect_uri")
    if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
        back = {"error": "invalid_request", "error_description": "response_type=code and PKCE S256 are required"}
    elif state.deny:
        back = {"error": "access_denied", "error_description": "the user declined"}
    else:
        code = secrets.token_urlsafe(24)
        consent = Consent(user=q.get("login_hint", ""), scope=q.get("scope", ""))
        state.codes[code] = Grant(state.client_id, redirect_uri, q["code_challenge"], consent, state.clock())
        state.issued_codes += 1
        back = {"code": code}
    if "state" in q:
        back["state"] = q["state"]
    separator = "&" if "?" in redirect_uri else "?"
    raise web.HTTPFound(f"{redirect_uri}{separator}{urlencode(back)}")


def _client(request: web.Request, form: Any) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        return user, password
    return form.get("client_id", ""), form.get("client_secret", "")


async def token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if state.fail_count:
        state.fail_count -= 1
        return web.Response(status=state.fail_status, text="temporarily unavailable")
    if not request.content_type == "application/x-www-form-urlencoded":
        return _error(state, "invalid_request", "the body must be application/x-www-form-urlencoded")
    form = await request.post()
    client_id, client_secret = _client(request, form)
    if client_id != state.client_id or not secrets.compare_digest(client_secret, state.client_secret):
        return _error(state, "invalid_client", "the client authentication failed", status=401)
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        grant = state.codes.pop(str(form.get("code", "")), None)
        if grant is None or state.clock() - grant.issued > CODE_LIFETIME:
            return _error(state, "invalid_grant", "the authorization code is invalid, expired or already used")
        if form.get("redirect_uri") != grant.redirect_uri:
            return _error(state, "invalid_grant", "redirect_uri does not match the authorization request")
        if _challenge(str(form.get("code_verifier", ""))) != grant.challenge:
            return _error(state, "invalid_grant", "the code_verifier does not match the code_challenge")
        refresh = f"{state.flavor[0]}rt-{secrets.token_urlsafe(32)}"
        state.refresh_tokens[refresh] = grant.consent
        return _tokens(state, grant.consent, refresh)
    if grant_type == "refresh_token":
        refresh = str(form.get("refresh_token", ""))
        consent = state.refresh_tokens.get(refresh)
        if consent is None:
            return _error(state, "invalid_grant", "the refresh token has expired or been revoked")
        state.refresh_grants += 1
        if state.flavor == "microsoft":  # Microsoft answers a new refresh token each time
            del state.refresh_tokens[refresh]
            refresh = f"mrt-{secrets.token_urlsafe(32)}"
            state.refresh_tokens[refresh] = consent
            return _tokens(state, consent, refresh)
        return _tokens(state, consent, None)
    if not grant_type:
        return _error(state, "invalid_request", "grant_type is required")
    return _error(state, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported")


def _tokens(state: OAuthState, consent: Consent, refresh: str | None) -> web.Response:
    access = f"{ACCESS_TOKEN_PREFIX[state.flavor]}{secrets.token_urlsafe(32)}"
    state.access_tokens[access] = AccessToken(consent, state.clock() + timedelta(seconds=ACCESS_TOKEN_SECONDS))
    body: dict[str, Any] = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
        "scope": consent.scope,
    }
    if refresh is not None:
        body["refresh_token"] = refresh
    return web.json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def control_state(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return web.json_response(
        {
            "issued_codes": state.issued_codes,
            "refresh_grants": state.refresh_grants,
            "live_refresh_tokens": len(state.refresh_tokens),
            "live_access_tokens": sum(
                1 for a in state.access_tokens.values() if not a.consent.revoked and a.expires_at > state.clock()
            ),
        }
    )


async def control_revoke(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await request.json() if request.can_read_body else {}
    one = body.get("refresh_token") if isinstance(body, dict) else None
    return web.json_response({"revoked": state.revoke(str(one) if one else None)})


async def control_deny(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.deny = bool((await request.json()).get("deny", True))
    return web.json_response({"deny": state.deny})


async def control_fail(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await request.json()
    state.fail_status, state.fail_count = int(body["status"]), int(body.get("count", 1))
    return web.json_response({"status": state.fail_status, "count": state.fail_count})


def create_app(flavor: str, client_id: str, client_secret: str) -> web.Application:
    if flavor not in FLAVORS:
        raise ValueError(f"flavor must be one of {', '.join(FLAVORS)}")
    app = web.Application()
    app[STATE] = OAuthState(flavor, client_id, client_secret)
    app.router.add_get("/authorize", authorize)
    app.router.add_post("/token", token)
    app.router.add_get("/_sandbox/state", control_state)
    app.router.add_post("/_sandbox/revoke", control_revoke)
    app.router.add_post("/_sandbox/deny", control_deny)
    app.router.add_post("/_sandbox/fail", control_fail)
    return app
