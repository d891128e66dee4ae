"""Use cases of OAuth inboxes (DESIGN A4): the authorization-code flow with PKCE, probes that refresh the access
token, and the access token a send (or a bounce poll) of an OAuth inbox uses."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import structlog

from services.accounts import oauth
from services.accounts.domain import Inbox, ServerLogin, secret_context
from services.accounts.health_domain import InboxHealthSettings, LoginOutcome, decide_inbox_probe
from services.accounts.health_events import HealthWriter
from services.accounts.inbox_repository import InboxTx
from services.accounts.oauth import OAuthProvider
from services.accounts.oauth_repository import OAuthTx
from services.accounts.ports import Committed
from services.accounts.repository import Repository, Tx
from services.common.clock import Clock
from services.common.crypto import Keyring, SecretError
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from services.common.ids import parse_uuid

log = structlog.get_logger(__name__)

# How long an OAuth authorization request (its state) may wait for the callback.
OAUTH_STATE_TTL = timedelta(minutes=10)


class InboxOAuthService:
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        keyring: Keyring,
        health: HealthWriter,
        committed: Committed,
        settings: InboxHealthSettings,
        providers: dict[str, OAuthProvider],
        public_url: str,
    ):
        """`providers`: the OAuth apps inboxes connect with, by provider ("google", "microsoft"); empty: OAuth is
        off."""
        self._repo = repository
        self._clock = clock
        self._keyring = keyring
        self._health = health
        self._committed = committed
        self._inbox_health = settings
        self._providers = providers
        self._public_url = public_url.rstrip("/")

    def _oauth_provider(self, provider: str) -> OAuthProvider:
        found = self._providers.get(provider)
        if found is None or not found.configured:
            raise FailedPrecondition(
                f"{provider} OAuth is not configured (HOLDFAST_{provider.upper()}_CLIENT_ID and _CLIENT_SECRET)",
                code="oauth_not_configured",
            )
        return found

    async def start_inbox_oauth(self, workspace_id: str, inbox_id: str, provider: str, redirect_uri: str) -> str:
        """The URL of the provider's consent page for this inbox. The state (single use, OAUTH_STATE_TTL) and the
        PKCE verifier stay here; the callback (complete_inbox_oauth) brings the state and a code back."""
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        inbox_id = parse_uuid(inbox_id, "inbox_id", missing_is_not_found=True)
        if provider not in oauth.AUTH_KINDS:
            raise InvalidArgument(f"provider must be one of {', '.join(oauth.AUTH_KINDS)}", field="provider")
        redirect_uri = (redirect_uri or f"{self._public_url}/oauth/callback").strip()
        parsed = urlsplit(redirect_uri)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.fragment or len(redirect_uri) > 2000:
            raise InvalidArgument(
                "redirect_uri must be an absolute http(s) URL without a fragment", field="redirect_uri"
            )
        app = self._oauth_provider(provider)
        state = oauth.new_state()
        digest = oauth.state_hash(state)
        verifier, challenge = oauth.pkce_pair()
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            inbox = await tx.get_inbox(workspace_id, inbox_id)
            if inbox is None:
                raise NotFound("inbox not found")
            await OAuthTx(tx).insert_oauth_state(
                digest,
                inbox_id,
                workspace_id,
                provider,
                redirect_uri,
                self._keyring.encrypt(verifier, context=f"oauth-state:{digest.hex()}"),
                now,
                now + OAUTH_STATE_TTL,
            )
        log.info("inbox oauth started", inbox_id=inbox_id, provider=provider)
        return oauth.authorization_url(app, redirect_uri, state, challenge, inbox.email)

    async def complete_inbox_oauth(self, state: str, code: str, actor: str = "") -> Inbox:
        """The callback: exchange the code (with the PKCE verifier) for tokens at the provider's token endpoint,
        store the refresh token encrypted, and connect the inbox. A state is used once; an unknown, used or expired
        one, or a code the provider refuses, changes nothing."""
        if not state or not code:
            raise InvalidArgument("state and code are required", field="state" if not state else "code")
        digest = oauth.state_hash(state)
        async with self._repo.transaction() as tx:
            pending = await OAuthTx(tx).take_oauth_state(digest)
        if pending is None:
            raise FailedPrecondition("unknown or already used OAuth state; start again", code="oauth_state_invalid")
        if pending["expires_at"] <= self._clock.now():
            raise FailedPrecondition("the OAuth request expired; start again", code="oauth_state_invalid")
        inbox_id, workspace_id, provider = pending["inbox_id"], pending["workspace_id"], pending["provider"]
        app = self._oauth_provider(provider)
        try:
            verifier = self._keyring.decrypt(pending["code_verifier"], context=f"oauth-state:{digest.hex()}")
        except SecretError:
            raise FailedPrecondition(
                "the OAuth request cannot be read; start again", code="oauth_state_invalid"
            ) from None
        try:
            tokens = await oauth.exchange_code(
                app, code, pending["redirect_uri"], verifier, self._inbox_health.login_timeout_s
            )
        except oauth.TokenError as exc:
            log.info("inbox oauth refused", inbox_id=inbox_id, provider=provider, error=exc.error)
            if exc.kind == "network" and not exc.error:
                raise Unavailable(exc.message, code="oauth_unavailable") from None
            raise FailedPrecondition(exc.message, code="oauth_refused", details={"error": exc.error}) from None
        assert tokens.refresh_token is not None
        secret = self._keyring.encrypt(tokens.refresh_token, context=secret_context(inbox_id, "oauth"))
        async with self._repo.transaction() as tx:
            locked = await InboxTx(tx).lock_inbox(inbox_id, workspace_id)
            if locked is None:
                raise NotFound("inbox not found")
            await OAuthTx(tx).set_inbox_oauth(
                inbox_id,
                oauth.AUTH_KINDS[provider],
                secret,
                self._clock.now(),
                self._inbox_health.probe_interval.total_seconds(),
            )
            inbox, changed = await self._health.credentials_stored(
                tx,
                workspace_id,
                inbox_id,
                detail=f"connected with {provider} OAuth; the refresh token works",
                actor=actor,
            )
        self._committed()
        log.info("inbox oauth connected", inbox_id=inbox_id, provider=provider, reconnected=changed)
        return inbox

    async def probe_due(self, now: datetime, interval_s: float, batch: int) -> int:
        async with self._repo.transaction() as tx:
            claims = await OAuthTx(tx).claim_due_oauth_inboxes(now, interval_s, batch)
        if not claims:
            return 0
        results = await asyncio.gather(*(self._probe_oauth(*claim) for claim in claims), return_exceptions=True)
        for claim, result in zip(claims, results, strict=True):
            if isinstance(result, BaseException):
                log.error("oauth inbox probe not recorded; next round", inbox_id=claim[0], error=repr(result))
        if any(result is True for result in results):
            self._committed()
        return len(claims)

    async def _probe_oauth(self, inbox_id: str, workspace_id: str, auth_kind: str, stored: bytes) -> bool:
        """Refresh the access token of one OAuth inbox: invalid_grant counts as a refused login (RFC 6749: the
        grant was revoked or expired), anything else as an unreachable server. True if its health changed."""
        provider = oauth.PROVIDER_OF[auth_kind]
        try:
            refresh_token = self._keyring.decrypt(stored, context=secret_context(inbox_id, "oauth"))
        except SecretError as exc:
            log.error("stored inbox refresh token cannot be decrypted; not probed", inbox_id=inbox_id, reason=str(exc))
            return False
        server = f"{provider} oauth"
        tokens: oauth.Tokens | None = None
        app = self._providers.get(provider)
        if app is None or not app.configured:
            outcome = LoginOutcome(server, "network", f"{provider} OAuth is not configured")
        else:
            try:
                tokens = await oauth.refresh(app, refresh_token, self._inbox_health.login_timeout_s)
                outcome = LoginOutcome(server)
            except oauth.TokenError as exc:
                outcome = LoginOutcome(server, exc.kind, exc.message)
        async with self._repo.transaction() as tx:
            row = await OAuthTx(tx).lock_inbox_oauth(inbox_id)
            if row is None or row["oauth_refresh_token"] != stored:
                log.info("inbox probe outdated by a credentials change", inbox_id=inbox_id)
                return False
            if tokens is not None and tokens.refresh_token and tokens.refresh_token != refresh_token:
                # Microsoft answers a new refresh token with each refresh: keep the newest.
                await OAuthTx(tx).replace_oauth_refresh_token(
                    inbox_id, self._keyring.encrypt(tokens.refresh_token, context=secret_context(inbox_id, "oauth"))
                )
            decision = decide_inbox_probe(
                row["status"],
                row["auth_failures"],
                row["network_failing_since"],
                [outcome],
                self._clock.now(),
                self._inbox_health.auth_failures,
                self._inbox_health.network_grace,
                sender_refused=row["sender_refused"],
            )
            await InboxTx(tx).record_probe(
                inbox_id, decision.auth_failures, decision.network_failing_since, decision.error
            )
            if decision.error:
                log.info(
                    "inbox probe failed", inbox_id=inbox_id, auth_failures=decision.auth_failures, error=decision.error
                )
            if decision.status is None:
                return False
            detail = decision.detail
            if decision.status == "connected":
                detail = f"the {provider} OAuth refresh token works again (probe)"
            inbox = await tx.get_inbox(workspace_id, inbox_id)
            assert inbox is not None
            await self._health.change_inbox(tx, inbox, status=decision.status, detail=detail, source="probe", actor="")
        return True

    async def sender_credentials(self, inbox: Inbox) -> oauth.OAuthSenderCredentials:
        """Send as an OAuth inbox: its provider's SMTP server and an access token, the cached one while it has
        ACCESS_TOKEN_MIN_LIFETIME to live, else a fresh one from the token endpoint, cached encrypted. One refresh
        at a time per inbox (under its row lock), so replicas sending at once refresh it once. A refused refresh
        token (invalid_grant) raises FailedPrecondition oauth_revoked: an account-level failure of the send (A4);
        an unreachable token endpoint raises Unavailable: the send may be tried again later."""
        provider = oauth.PROVIDER_OF[inbox.auth_kind]
        app = self._oauth_provider(provider)
        cached = await OAuthTx(self._repo.pool_tx()).oauth_access(inbox.id)
        access_token = self._cached_access_token(inbox.id, cached)
        if access_token is None:
            async with self._repo.transaction() as tx:
                row = await OAuthTx(tx).lock_oauth_access(inbox.id)
                if row is None or row["oauth_refresh_token"] is None:
                    raise FailedPrecondition("this inbox is no longer connected with OAuth", code="no_credentials")
                # Another replica may have refreshed it while this one waited for the lock.
                access_token = self._cached_access_token(inbox.id, row)
                if access_token is None:
                    access_token = await self._refresh_for_sending(tx, inbox.id, app, row["oauth_refresh_token"])
        return oauth.OAuthSenderCredentials(
            smtp=ServerLogin(app.smtp_host, app.smtp_port, app.smtp_security, inbox.email, ""),
            email=inbox.email,
            display_name=inbox.display_name,
            access_token=access_token,
        )

    def _cached_access_token(self, inbox_id: str, row: Mapping[str, Any] | None) -> str | None:
        if row is None or row["oauth_access_token"] is None:
            return None
        if row["oauth_access_expires_at"] - self._clock.now() < oauth.ACCESS_TOKEN_MIN_LIFETIME:
            return None
        try:
            return self._keyring.decrypt(row["oauth_access_token"], context=secret_context(inbox_id, "oauth_access"))
        except SecretError:
            return None  # under a key no longer configured: a refresh replaces it

    async def _refresh_for_sending(self, tx: Tx, inbox_id: str, app: OAuthProvider, stored: bytes) -> str:
        try:
            refresh_token = self._keyring.decrypt(stored, context=secret_context(inbox_id, "oauth"))
        except SecretError as exc:
            log.error("stored inbox refresh token cannot be decrypted", inbox_id=inbox_id, reason=str(exc))
            raise FailedPrecondition(
                "the inbox's stored credentials cannot be decrypted; check HOLDFAST_SECRET_KEYS",
                code="credentials_unreadable",
            ) from None
        try:
            tokens = await oauth.refresh(app, refresh_token, self._inbox_health.login_timeout_s)
        except oauth.TokenError as exc:
            log.info("inbox oauth refresh for sending failed", inbox_id=inbox_id, provider=app.name, error=exc.error)
            if exc.kind == "auth":
                raise FailedPrecondition(
                    f"{exc.message}; connect the inbox with {app.name} again",
                    code="oauth_revoked",
                    details={"error": exc.error},
                ) from None
            raise Unavailable(exc.message, code="oauth_unavailable") from None
        rotated = None
        if tokens.refresh_token and tokens.refresh_token != refresh_token:
            # Microsoft answers a new refresh token with each refresh: keep the newest.
            rotated = self._keyring.encrypt(tokens.refresh_token, context=secret_context(inbox_id, "oauth"))
        await OAuthTx(tx).store_oauth_access(
            inbox_id,
            self._keyring.encrypt(tokens.access_token, context=secret_context(inbox_id, "oauth_access")),
            self._clock.now() + timedelta(seconds=tokens.expires_in),
            rotated,
        )
        log.info(
            "inbox oauth access token refreshed for sending",
            inbox_id=inbox_id,
            provider=app.name,
            expires_in=tokens.expires_in,
        )
        return tokens.access_token
