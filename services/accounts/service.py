"""Use cases of the accounts service. No gRPC and no SQL here."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog

from services.accounts import oauth
from services.accounts.domain import (
    AUTH_KINDS,
    BILLING_EVENT_TYPES,
    PROBE_SERVERS,
    SENDER_KINDS,
    UNIPILE_DELETED,
    UNIPILE_OK,
    HealthEvent,
    Inbox,
    InboxProbeClaim,
    LinkedInAccount,
    LoginOutcome,
    Principal,
    Sender,
    SenderCredentials,
    SenderHealthEvent,
    SendingLimit,
    ServerLogin,
    SubscriptionHealthEvent,
    Workspace,
    decide_inbox_probe,
    decide_linkedin_health,
    hash_token,
    limits_with_defaults,
    new_token,
    restriction_detail,
    secret_context,
    validate_billing_event,
    validate_detail,
    validate_display_name,
    validate_email,
    validate_limits,
    validate_restriction_kind,
    validate_sender_name,
    validate_server,
    validate_timezone,
    validate_unipile_account_id,
    validate_workspace_name,
)
from services.accounts.oauth import OAuthProvider
from services.accounts.repository import Repository, Transaction
from services.common.clock import Clock
from services.common.crypto import Keyring, SecretError
from services.common.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from services.common.ids import parse_uuid
from services.common.providers import imap as imap_provider
from services.common.providers import smtp as smtp_provider
from services.common.providers.unipile import Account as UnipileAccount
from services.common.providers.unipile import FailureKind, UnipileError

log = structlog.get_logger(__name__)

# The outbox destination that carries a sender's state (status, limits, timezone) to the scheduler.
SET_SENDER_STATE = "scheduler.SetSenderState"
# The outbox destination that carries health changes (senders, subscriptions) to campaigns.
APPLY_HEALTH_EVENT = "campaigns.ApplyHealthEvent"
# Hosted reconnect links expire after this long (A3: a fresh one per click).
RECONNECT_LINK_LIFETIME = timedelta(hours=24)
# How long an OAuth authorization request (its state) may wait for the callback.
OAUTH_STATE_TTL = timedelta(minutes=10)
# The largest page of ListHealthEvents.
MAX_HEALTH_EVENTS_PAGE = 1000


def campaigns_ordering_key(subject_id: str) -> str:
    """The outbox ordering key of the events for campaigns about one sender or workspace. It differs from the
    scheduler's key (the bare sender id): the relay delivers one key in order, so a shared key would make a
    campaigns outage hold back the sender state the scheduler gates sending on."""
    return f"campaigns:{subject_id}"


class Unipile(Protocol):
    """What the accounts service asks Unipile (services.common.providers.unipile.UnipileClient)."""

    async def get_account(self, account_id: str) -> UnipileAccount: ...

    async def create_reconnect_link(
        self,
        account_id: str,
        expires_on: datetime,
        api_url: str,
        notify_url: str | None = None,
        success_redirect_url: str | None = None,
    ) -> str: ...


# Checks one server login: raises SmtpError or ImapError (anything with a FailureKind `kind` and a `message`).
LoginCheck = Callable[[ServerLogin, float], Awaitable[None]]


async def check_smtp_login(login: ServerLogin, timeout_s: float) -> None:
    settings = smtp_provider.SmtpSettings(login.host, login.port, login.security, login.username, login.password)  # type: ignore[arg-type]
    await smtp_provider.check_login(settings, timeout_s)


async def check_imap_login(login: ServerLogin, timeout_s: float) -> None:
    settings = imap_provider.ImapSettings(login.host, login.port, login.security, login.username, login.password)  # type: ignore[arg-type]
    await imap_provider.check_login(settings, timeout_s)


@dataclass(frozen=True, slots=True)
class InboxHealthSettings:
    """The inbox probe's rules (HOLDFAST_INBOX_*)."""

    probe_interval: timedelta = timedelta(seconds=300)
    auth_failures: int = 3
    network_grace: timedelta = timedelta(seconds=900)
    login_timeout_s: float = 15.0


class LoginFailed(FailedPrecondition):
    """New inbox credentials did not log in: nothing was stored. The gateway answers 422."""

    code = "login_failed"


@dataclass(frozen=True, slots=True)
class ReconnectLink:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class Rotation:
    """What a key rotation did: secrets re-encrypted, and secrets left as they were because no key of
    HOLDFAST_SECRET_KEYS decrypts them (with the reasons, which name at most a key id)."""

    rewritten: int
    unreadable: int = 0
    reasons: list[str] = field(default_factory=list)

    def unreadable_message(self) -> str:
        return f"{self.unreadable} stored secret(s) cannot be re-encrypted: {'; '.join(self.reasons)}"


class AccountsService:
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        keyring: Keyring,
        sender_state: Callable[[Sender], bytes],
        committed: Callable[[], None] = lambda: None,
        health_event: Callable[[HealthEvent], bytes] = lambda event: b"",
        unipile: Unipile | None = None,
        unipile_api_url: str = "",
        grace: timedelta = timedelta(seconds=900),
        public_url: str = "http://127.0.0.1:8080",
        inbox_health: InboxHealthSettings | None = None,
        login_checks: dict[str, LoginCheck] | None = None,
        oauth: dict[str, OAuthProvider] | None = None,
    ):
        """`sender_state` serializes a sender's state for the scheduler and `health_event` a health event for
        campaigns (the outbox payloads); `committed` is called after each committed write that enqueued one (it
        kicks the outbox relay). Without `unipile`, nothing that must read Unipile can be done."""
        self._repo = repository
        self._clock = clock
        self._keyring = keyring
        self._sender_state = sender_state
        self._committed = committed
        self._health_event = health_event
        self._unipile = unipile
        self._unipile_api_url = unipile_api_url.rstrip("/")
        self._grace = grace
        self._public_url = public_url.rstrip("/")
        self._inbox_health = inbox_health or InboxHealthSettings()
        # The live login checks of inboxes by server ("smtp", "imap"); tests may replace them.
        self._login_checks: dict[str, LoginCheck] = {"smtp": check_smtp_login, "imap": check_imap_login}
        self._login_checks.update(login_checks or {})
        # OAuth apps inboxes connect with, by provider ("google", "microsoft"); empty: OAuth is off.
        self._oauth = oauth or {}

    async def create_workspace(self, name: str, owner_email: str) -> tuple[Workspace, str, str]:
        """Returns the workspace, its owner's member id and the owner's bearer token (shown once)."""
        name = validate_workspace_name(name)
        owner_email = validate_email(owner_email, "owner_email")
        token = new_token()
        workspace, member_id = await self._repo.create_workspace(
            name, owner_email, hash_token(token), self._clock.now()
        )
        log.info("workspace created", workspace_id=workspace.id)
        return workspace, member_id, token

    async def authenticate(self, token: str) -> Principal:
        principal = await self._repo.principal_for(hash_token(token)) if token else None
        if principal is None:
            raise Unauthenticated("missing, unknown or revoked token")
        return principal

    async def get_workspace(self, workspace_id: str) -> Workspace:
        workspace = await self._repo.get_workspace(parse_uuid(workspace_id, "workspace_id"))
        if workspace is None:
            raise NotFound("workspace not found")
        return workspace

    # Senders

    async def create_linkedin_account(
        self, workspace_id: str, unipile_account_id: str, name: str, timezone: str, limits: Sequence[SendingLimit]
    ) -> LinkedInAccount:
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        unipile_account_id = validate_unipile_account_id(unipile_account_id)
        name = validate_sender_name(name)
        timezone = validate_timezone(timezone)
        given = validate_limits("linkedin_account", limits)
        async with self._repo.transaction() as tx:
            account_id = await tx.insert_linkedin_account(
                workspace_id, unipile_account_id, name, timezone, self._clock.now()
            )
            await tx.put_limits("linkedin_account", account_id, limits_with_defaults("linkedin_account", given))
            account = await tx.get_linkedin_account(workspace_id, account_id)
            assert account is not None
            await self._announce(tx, account)
        self._committed()
        log.info("linkedin account created", account_id=account.id, workspace_id=workspace_id)
        return account

    async def list_linkedin_accounts(self, workspace_id: str) -> list[LinkedInAccount]:
        return await self._repo.list_linkedin_accounts(parse_uuid(workspace_id, "workspace_id"))

    async def get_linkedin_account(self, workspace_id: str, account_id: str) -> LinkedInAccount:
        account = await self._repo.get_linkedin_account(
            parse_uuid(workspace_id, "workspace_id"), parse_uuid(account_id, "account_id", missing_is_not_found=True)
        )
        if account is None:
            raise NotFound("linkedin account not found")
        return account

    async def create_inbox(
        self,
        workspace_id: str,
        email: str,
        display_name: str,
        timezone: str,
        auth_kind: str,
        smtp: ServerLogin | None,
        imap: ServerLogin | None,
        limits: Sequence[SendingLimit],
    ) -> Inbox:
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        email = validate_email(email, "email")
        display_name = validate_display_name(display_name)
        timezone = validate_timezone(timezone)
        auth_kind = auth_kind or "password"
        if auth_kind not in AUTH_KINDS:
            raise InvalidArgument(f"auth_kind must be one of {', '.join(AUTH_KINDS)}", field="auth_kind")
        if auth_kind != "password":
            raise InvalidArgument(
                "an OAuth inbox is connected through the OAuth flow, not created with a password", field="auth_kind"
            )
        if smtp is None:
            raise InvalidArgument("smtp is required for a password inbox", field="smtp")
        if imap is None:
            raise InvalidArgument("imap is required for a password inbox", field="imap")
        smtp = validate_server(smtp, "smtp")
        imap = validate_server(imap, "imap")
        given = validate_limits("inbox", limits)
        inbox_id = str(uuid.uuid4())  # chosen here: the passwords are bound to it before the row exists
        smtp_secret = self._keyring.encrypt(smtp.password, context=secret_context(inbox_id, "smtp"))
        imap_secret = self._keyring.encrypt(imap.password, context=secret_context(inbox_id, "imap"))
        async with self._repo.transaction() as tx:
            await tx.insert_inbox(
                inbox_id,
                workspace_id,
                email,
                display_name,
                timezone,
                auth_kind,
                smtp.config(),
                smtp_secret,
                imap.config(),
                imap_secret,
                self._clock.now(),
            )
            await tx.put_limits("inbox", inbox_id, limits_with_defaults("inbox", given))
            inbox = await tx.get_inbox(workspace_id, inbox_id)
            assert inbox is not None
            await self._announce(tx, inbox)
        self._committed()
        log.info("inbox created", inbox_id=inbox.id, workspace_id=workspace_id)
        return inbox

    async def list_inboxes(self, workspace_id: str) -> list[Inbox]:
        return await self._repo.list_inboxes(parse_uuid(workspace_id, "workspace_id"))

    async def get_inbox(self, workspace_id: str, inbox_id: str) -> Inbox:
        inbox = await self._repo.get_inbox(
            parse_uuid(workspace_id, "workspace_id"), parse_uuid(inbox_id, "inbox_id", missing_is_not_found=True)
        )
        if inbox is None:
            raise NotFound("inbox not found")
        return inbox

    async def update_limits(
        self, workspace_id: str, kind: str, sender_id: str, limits: Sequence[SendingLimit]
    ) -> tuple[SendingLimit, ...]:
        """Replace the limits of the action types given; the others are kept. Returns all of them."""
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        if kind not in SENDER_KINDS:
            raise InvalidArgument(f"sender_kind must be one of {', '.join(SENDER_KINDS)}", field="sender_kind")
        sender_id = parse_uuid(sender_id, "sender_id", missing_is_not_found=True)
        given = validate_limits(kind, limits, required=True)
        async with self._repo.transaction() as tx:
            if not await tx.lock_sender(kind, workspace_id, sender_id):
                raise NotFound(f"{kind.replace('_', ' ')} not found")
            await tx.put_limits(kind, sender_id, given.values())
            await tx.bump_version(kind, sender_id)
            sender: Sender | None
            if kind == "linkedin_account":
                sender = await tx.get_linkedin_account(workspace_id, sender_id)
            else:
                sender = await tx.get_inbox(workspace_id, sender_id)
            assert sender is not None
            await self._announce(tx, sender)
        self._committed()
        log.info(
            "sending limits changed",
            sender_kind=kind,
            sender_id=sender_id,
            version=sender.version,
            action_types=sorted(given),
        )
        return sender.limits

    async def sender_credentials(self, kind: str, sender_id: str) -> SenderCredentials:
        """What the scheduler needs to send as this sender (internal: never exposed over HTTP)."""
        if kind not in SENDER_KINDS:
            raise InvalidArgument(f"sender_kind must be one of {', '.join(SENDER_KINDS)}", field="sender_kind")
        sender_id = parse_uuid(sender_id, "sender_id", missing_is_not_found=True)
        if kind == "linkedin_account":
            unipile_account_id = await self._repo.unipile_account_of(sender_id)
            if unipile_account_id is None:
                raise NotFound("linkedin account not found")
            return SenderCredentials(unipile_account_id=unipile_account_id)
        found = await self._repo.inbox_login(sender_id)
        if found is None:
            raise NotFound("inbox not found")
        inbox, secret = found
        if inbox.auth_kind != "password":
            return await self._oauth_sender_credentials(inbox)
        if inbox.smtp is None or secret is None:
            raise FailedPrecondition("this inbox has no SMTP password", code="no_credentials")
        try:
            password = self._keyring.decrypt(secret, context=secret_context(inbox.id, "smtp"))
        except SecretError as exc:
            # The reason names at most a key id, never key material or the password.
            log.error("stored inbox password cannot be decrypted", inbox_id=inbox.id, reason=str(exc))
            raise FailedPrecondition(
                "the inbox's stored credentials cannot be decrypted; check HOLDFAST_SECRET_KEYS",
                code="credentials_unreadable",
            ) from None
        smtp = inbox.smtp
        return SenderCredentials(
            smtp=ServerLogin(smtp.host, smtp.port, smtp.security, smtp.username, password),
            email=inbox.email,
            display_name=inbox.display_name,
        )

    async def rotate_secrets(self, batch: int = 100) -> int:
        """Re-encrypt every stored secret not under the active key (after a new key was put first in
        HOLDFAST_SECRET_KEYS). Idempotent and safe alongside other replicas; returns how many were rewritten.
        Raises FailedPrecondition (credentials_unreadable) when some secret's key is no longer in the keyring."""
        rotation = await self.rotate_secret_keys(batch)
        if rotation.unreadable:
            raise FailedPrecondition(rotation.unreadable_message(), code="credentials_unreadable")
        return rotation.rewritten

    async def rotate_secret_keys(self, batch: int = 100) -> Rotation:
        """Re-encrypt, in batches of `batch` inboxes (one transaction each), every stored secret not under the
        active key. Secrets that cannot be decrypted are left as they are and counted, the others still rotate.

        Two runs at once (or a run beside serving replicas) are safe: the first pass locks its rows with SKIP
        LOCKED, so concurrent runs share the work; a second pass waits for the rows that were locked by someone
        else and, once it has them, sees their committed state (a row already rotated no longer matches)."""
        if batch < 1:
            raise InvalidArgument("batch must be at least 1", field="batch")
        active = self._keyring.active_key_id
        rewritten = 0
        unreadable: dict[tuple[str, str], str] = {}
        for skip_locked in (True, False):
            after: str | None = None
            while True:
                async with self._repo.transaction() as tx:
                    rows = await tx.inbox_secrets_to_rotate(active, after, batch, skip_locked=skip_locked)
                    for inbox_id, stored in rows:
                        fresh: dict[str, bytes | None] = {}
                        for name, secret in stored.items():
                            if secret is None or not self._stale(secret):
                                continue
                            try:
                                fresh[name] = self._keyring.reencrypt(secret, context=secret_context(inbox_id, name))
                            except SecretError as exc:
                                unreadable[(inbox_id, name)] = str(exc)
                                continue
                            unreadable.pop((inbox_id, name), None)
                            rewritten += 1
                        if fresh:
                            await tx.set_inbox_secrets(inbox_id, fresh)
                if not rows:
                    break
                after = rows[-1][0]
        for (inbox_id, server), reason in sorted(unreadable.items()):
            # The reason names at most a key id, never key material or the password.
            log.error("stored inbox secret cannot be re-encrypted", inbox_id=inbox_id, secret=server, reason=reason)
        log.info("secrets rotated", rewritten=rewritten, unreadable=len(unreadable), active_key=active)
        return Rotation(rewritten=rewritten, unreadable=len(unreadable), reasons=sorted(set(unreadable.values())))

    def _stale(self, secret: bytes) -> bool:
        try:
            return self._keyring.needs_rotation(secret)
        except SecretError:
            return True  # malformed: reencrypt reports it as unreadable

    async def _announce(self, tx: Transaction, sender: Sender) -> None:
        """Enqueue the sender's state for the scheduler, in the caller's transaction, ordered per sender."""
        await tx.enqueue(SET_SENDER_STATE, sender.id, self._sender_state(sender))

    # Health of LinkedIn accounts (DESIGN A1-A3). A status change is decided on a fresh read of the account at
    # Unipile made while holding the account's row lock: a later decision is always made on a later read, so
    # forged, duplicated or reordered webhooks cannot leave a stale status behind.

    async def handle_account_status_webhook(self, unipile_account_id: str, message: str) -> bool:
        """A Unipile account_status webhook: only a trigger to re-read the account. False when the account is
        unknown (never an error: Unipile would retry) or nothing changed."""
        unipile_account_id = unipile_account_id.strip()
        account_id = await self._repo.linkedin_account_by_unipile(unipile_account_id) if unipile_account_id else None
        if account_id is None:
            log.info("account status webhook for an unknown account", unipile_account_id=unipile_account_id[:200])
            return False
        self._require_unipile()
        async with self._repo.transaction() as tx:
            account = await tx.lock_linkedin_account(account_id)
            if account is None:
                return False
            unipile_status = await self._reread(account.unipile_account_id)
            changed = await self._apply_unipile_status(
                tx,
                account,
                unipile_status,
                source="reconnect" if message.strip().upper() == "RECONNECTED" else "unipile_webhook",
                webhook_said=message.strip().upper()[:40],
            )
        if changed:
            self._committed()
        return changed

    async def expire_grace_once(self, batch: int = 50) -> int:
        """Re-read every account degraded for longer than the grace period and decide (replica-safe: each is
        claimed FOR UPDATE SKIP LOCKED). Returns how many changed."""
        if self._unipile is None:
            return 0
        cutoff = self._clock.now() - self._grace
        changed = 0
        for account_id in await self._repo.degraded_before(cutoff, batch):
            try:
                async with self._repo.transaction() as tx:
                    account = await tx.claim_degraded(account_id, cutoff)
                    if account is None:
                        continue  # another replica has it, or it changed meanwhile
                    unipile_status = await self._reread(account.unipile_account_id)
                    if await self._apply_unipile_status(tx, account, unipile_status, source="grace_expired"):
                        changed += 1
            except Unavailable as exc:
                log.warning("degraded account not re-read; next round", account_id=account_id, error=exc.message)
        if changed:
            self._committed()
        return changed

    # Health of password inboxes (DESIGN A4): a periodic live SMTP and IMAP login, and reconnect by new
    # credentials, checked live before anything is stored.

    async def probe_inboxes_once(self, batch: int = 50) -> int:
        """Log in to the SMTP and IMAP servers of every password inbox due for a probe and decide (replica-safe:
        inboxes are claimed FOR UPDATE SKIP LOCKED and their next probe moved ahead before any login, so two runs
        at once probe an inbox once). Returns how many inboxes were probed."""
        now = self._clock.now()
        interval_s = self._inbox_health.probe_interval.total_seconds()
        async with self._repo.transaction() as tx:
            claims = await tx.claim_due_inboxes(now, interval_s, batch)
        oauth_probed = await self._probe_oauth_inboxes(now, interval_s, batch)
        if not claims:
            return oauth_probed
        outcomes = await asyncio.gather(*(self._probe(claim) for claim in claims))
        changed = 0
        for claim, outcome in zip(claims, outcomes, strict=True):
            if outcome is None:
                continue
            try:
                if await self._apply_probe(claim, outcome):
                    changed += 1
            except Exception:
                log.exception("inbox probe not recorded; next round", inbox_id=claim.inbox_id)
        if changed:
            self._committed()
        log.info("inbox probes", probed=len(claims), changed=changed)
        return len(claims) + oauth_probed

    async def _probe(self, claim: InboxProbeClaim) -> list[LoginOutcome] | None:
        """Both logins of one inbox with its stored credentials; None when they cannot be decrypted."""
        try:
            logins = self._decrypted(claim)
        except SecretError as exc:
            log.error("stored inbox password cannot be decrypted; not probed", inbox_id=claim.inbox_id, reason=str(exc))
            return None
        return await self._check_logins(logins)

    def _decrypted(self, claim: InboxProbeClaim) -> dict[str, ServerLogin]:
        logins = {}
        servers = (("smtp", claim.smtp, claim.smtp_secret), ("imap", claim.imap, claim.imap_secret))
        for server, config, secret in servers:
            password = self._keyring.decrypt(secret, context=secret_context(claim.inbox_id, server))
            logins[server] = ServerLogin(config.host, config.port, config.security, config.username, password)
        return logins

    async def _check_logins(self, logins: dict[str, ServerLogin]) -> list[LoginOutcome]:
        """Both logins at once; each outcome says whether the server refused the credentials or could not tell."""
        timeout_s = self._inbox_health.login_timeout_s

        async def one(server: str) -> LoginOutcome:
            login = logins[server]
            try:
                await self._login_checks[server](login, timeout_s)
            except (smtp_provider.SmtpError, imap_provider.ImapError) as exc:
                failure = "auth" if exc.kind is FailureKind.DISCONNECTED else "network"
                answer = exc.code if isinstance(exc, smtp_provider.SmtpError) else exc.status
                text = f"{answer} {exc.message}" if answer is not None else exc.message
                return LoginOutcome(server, failure, text.replace(login.password, "[redacted]")[:400])
            except Exception as exc:  # a bug or an unexpected answer: never counts as refused credentials
                log.warning("inbox login check failed unexpectedly", server=server, error=type(exc).__name__)
                return LoginOutcome(server, "network", f"unexpected {type(exc).__name__}")
            return LoginOutcome(server)

        return list(await asyncio.gather(*(one(server) for server in PROBE_SERVERS)))

    async def _apply_probe(self, claim: InboxProbeClaim, outcomes: list[LoginOutcome]) -> bool:
        async with self._repo.transaction() as tx:
            state = await tx.lock_inbox_probe_state(claim.inbox_id)
            if state is None or state.claim != claim:
                # Deleted, or reconnected with other credentials while this probe ran: its answer is stale.
                log.info("inbox probe outdated by a credentials change", inbox_id=claim.inbox_id)
                return False
            decision = decide_inbox_probe(
                state.status,
                state.auth_failures,
                state.network_failing_since,
                outcomes,
                self._clock.now(),
                self._inbox_health.auth_failures,
                self._inbox_health.network_grace,
            )
            await tx.record_probe(
                claim.inbox_id, decision.auth_failures, decision.network_failing_since, decision.error
            )
            if decision.error:
                log.info(
                    "inbox probe failed",
                    inbox_id=claim.inbox_id,
                    auth_failures=decision.auth_failures,
                    network_failing_since=decision.network_failing_since,
                    error=decision.error,
                )
            if decision.status is None:
                return False
            inbox = await tx.get_inbox(claim.workspace_id, claim.inbox_id)
            assert inbox is not None
            await self._change_inbox_health(
                tx, inbox, status=decision.status, detail=decision.detail, source="probe", actor=""
            )
        return True

    # OAuth inboxes (DESIGN A4): the authorization-code flow with PKCE, and probes that refresh the access token.

    def _oauth_provider(self, provider: str) -> OAuthProvider:
        found = self._oauth.get(provider)
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
            await tx.insert_oauth_state(
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
            pending = await tx.take_oauth_state(digest)
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
            locked = await tx.lock_inbox(inbox_id, workspace_id)
            if locked is None:
                raise NotFound("inbox not found")
            await tx.set_inbox_oauth(
                inbox_id,
                oauth.AUTH_KINDS[provider],
                secret,
                self._clock.now(),
                self._inbox_health.probe_interval.total_seconds(),
            )
            inbox = await tx.get_inbox(workspace_id, inbox_id)
            assert inbox is not None
            changed = inbox.status != "connected"
            if changed:
                inbox = await self._change_inbox_health(
                    tx,
                    inbox,
                    status="connected",
                    detail=f"connected with {provider} OAuth; the refresh token works",
                    source="reconnect",
                    actor=actor,
                )
        if changed:
            self._committed()
        log.info("inbox oauth connected", inbox_id=inbox_id, provider=provider, reconnected=changed)
        return inbox

    async def _probe_oauth_inboxes(self, now: datetime, interval_s: float, batch: int) -> int:
        async with self._repo.transaction() as tx:
            claims = await tx.claim_due_oauth_inboxes(now, interval_s, batch)
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
        app = self._oauth.get(provider)
        if app is None or not app.configured:
            outcome = LoginOutcome(server, "network", f"{provider} OAuth is not configured")
        else:
            try:
                tokens = await oauth.refresh(app, refresh_token, self._inbox_health.login_timeout_s)
                outcome = LoginOutcome(server)
            except oauth.TokenError as exc:
                outcome = LoginOutcome(server, exc.kind, exc.message)
        async with self._repo.transaction() as tx:
            row = await tx.lock_inbox_oauth(inbox_id)
            if row is None or row["oauth_refresh_token"] != stored:
                log.info("inbox probe outdated by a credentials change", inbox_id=inbox_id)
                return False
            if tokens is not None and tokens.refresh_token and tokens.refresh_token != refresh_token:
                # Microsoft answers a new refresh token with each refresh: keep the newest.
                await tx.replace_oauth_refresh_token(
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
            )
            await tx.record_probe(inbox_id, decision.auth_failures, decision.network_failing_since, decision.error)
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
            await self._change_inbox_health(tx, inbox, status=decision.status, detail=detail, source="probe", actor="")
        return True

    async def _oauth_sender_credentials(self, inbox: Inbox) -> oauth.OAuthSenderCredentials:
        """Send as an OAuth inbox: its provider's SMTP server and an access token, the cached one while it has
        ACCESS_TOKEN_MIN_LIFETIME to live, else a fresh one from the token endpoint, cached encrypted. One refresh
        at a time per inbox (under its row lock), so replicas sending at once refresh it once. A refused refresh
        token (invalid_grant) raises FailedPrecondition oauth_revoked: an account-level failure of the send (A4);
        an unreachable token endpoint raises Unavailable: the send may be tried again later."""
        provider = oauth.PROVIDER_OF[inbox.auth_kind]
        app = self._oauth_provider(provider)
        access_token = self._cached_access_token(inbox.id, await self._repo.oauth_access(inbox.id))
        if access_token is None:
            async with self._repo.transaction() as tx:
                row = await tx.lock_oauth_access(inbox.id)
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

    async def _refresh_for_sending(self, tx: Transaction, inbox_id: str, app: OAuthProvider, stored: bytes) -> str:
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
        await tx.store_oauth_access(
            inbox_id,
            self._keyring.encrypt(tokens.access_token, context=secret_context(inbox_id, "oauth_access")),
            self._clock.now() + timedelta(seconds=tokens.expires_in),
            rotated,
        )
        log.info("inbox oauth access token refreshed for sending", inbox_id=inbox_id, provider=app.name,
                 expires_in=tokens.expires_in)
        return tokens.access_token

    async def update_inbox_credentials(
        self, workspace_id: str, inbox_id: str, smtp: ServerLogin | None, imap: ServerLogin | None, actor: str
    ) -> Inbox:
        """Reconnect an inbox with new credentials (A4). What is not given is kept (host, port, security and
        username default to the stored ones; a server without a password keeps its stored password). Both logins
        are checked live first: if one fails, nothing changes and LoginFailed names it. Then the passwords are
        encrypted anew and stored, and a disconnected inbox becomes connected."""
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        inbox_id = parse_uuid(inbox_id, "inbox_id", missing_is_not_found=True)
        if smtp is None and imap is None:
            raise InvalidArgument("give the new credentials of smtp, imap or both", field="smtp")
        async with self._repo.transaction() as tx:
            state = await tx.lock_inbox(inbox_id, workspace_id)
        if state is None:
            raise NotFound("inbox not found")
        try:
            current = self._decrypted(state.claim)
        except SecretError:
            current = {}
        logins: dict[str, ServerLogin] = {}
        for server, given in (("smtp", smtp), ("imap", imap)):
            stored = state.claim.smtp if server == "smtp" else state.claim.imap
            password = given.password if given is not None and given.password else None
            if password is None:
                if server not in current:
                    raise FailedPrecondition(
                        f"the stored {server} password cannot be decrypted; give a new one",
                        code="credentials_unreadable",
                        details={"field": f"{server}.password"},
                    )
                password = current[server].password
            merged = ServerLogin(
                (given.host if given is not None and given.host else stored.host),
                (given.port if given is not None and given.port else stored.port),
                (given.security if given is not None and given.security else stored.security),
                (given.username if given is not None and given.username else stored.username),
                password,
            )
            logins[server] = validate_server(merged, server)
        outcomes = await self._check_logins(logins)
        failed = [o for o in outcomes if o.failure is not None]
        if failed:
            log.info("inbox credentials refused: a login failed", inbox_id=inbox_id, failed=[o.server for o in failed])
            raise LoginFailed(
                "the new credentials did not log in to "
                + " and ".join(o.server.upper() for o in failed)
                + "; nothing was changed",
                details={
                    "failed": [o.server for o in failed],
                    "reasons": {o.server: ("refused" if o.failure == "auth" else "unreachable") for o in failed},
                    "messages": {o.server: o.message for o in failed},
                },
            )
        smtp_secret = self._keyring.encrypt(logins["smtp"].password, context=secret_context(inbox_id, "smtp"))
        imap_secret = self._keyring.encrypt(logins["imap"].password, context=secret_context(inbox_id, "imap"))
        async with self._repo.transaction() as tx:
            locked = await tx.lock_inbox(inbox_id, workspace_id)
            if locked is None:
                raise NotFound("inbox not found")
            await tx.set_inbox_credentials(
                inbox_id,
                logins["smtp"].config(),
                smtp_secret,
                logins["imap"].config(),
                imap_secret,
                self._clock.now(),
                self._inbox_health.probe_interval.total_seconds(),
            )
            inbox = await tx.get_inbox(workspace_id, inbox_id)
            assert inbox is not None
            changed = inbox.status != "connected"
            if changed:
                inbox = await self._change_inbox_health(
                    tx,
                    inbox,
                    status="connected",
                    detail="reconnected with new credentials; SMTP and IMAP logins work",
                    source="reconnect",
                    actor=actor,
                )
        if changed:
            self._committed()
        log.info("inbox credentials updated", inbox_id=inbox_id, workspace_id=workspace_id, reconnected=changed)
        return inbox

    async def _inbox_failure_reported(self, inbox_id: str, status: str, attempt_id: str) -> bool:
        """A send of the inbox was refused for its login: the probe decides (A4), so the inbox is only made due
        for a probe now; the counters and thresholds apply as to any probe. Idempotent by attempt id; changes no
        status by itself (returns False)."""
        async with self._repo.transaction() as tx:
            earlier = await tx.claim_failure_report(attempt_id, inbox_id, status, self._clock.now())
            if earlier is not None:
                return earlier
            if not await tx.probe_inbox_soon(inbox_id, self._clock.now()):
                raise NotFound("inbox not found")
            # The server may have refused the cached OAuth access token itself: the next send refreshes it.
            await tx.forget_oauth_access(inbox_id)
        log.info("inbox send failure reported; probing it now", inbox_id=inbox_id, attempt_id=attempt_id)
        return False

    async def _change_inbox_health(
        self, tx: Transaction, inbox: Inbox, *, status: str, detail: str, source: str, actor: str
    ) -> Inbox:
        """Write one inbox health change in the caller's transaction, as `_change_health` does for LinkedIn: the
        new state (version bumped, numbered in the global change sequence), a history row, the sender state for
        the scheduler and a HealthEvent for campaigns."""
        now = self._clock.now()
        sequence = await tx.next_health_sequence()
        event_id = str(uuid.uuid4())
        version = await tx.set_inbox_health(inbox.id, status, detail, now, sequence, event_id)
        await tx.add_health_history("inbox", inbox.id, status, detail, source, actor, None, version, now)
        updated = await tx.get_inbox(inbox.workspace_id, inbox.id)
        assert updated is not None
        await self._publish_health(tx, updated, SenderHealthEvent(
            event_id=event_id, workspace_id=updated.workspace_id, version=version, occurred_at=now,
            sender_kind="inbox", sender_id=updated.id, status=status, restriction_kind=None,
            restriction_verified=False, detail=detail), previous=inbox.status, source=source, sequence=sequence)
        return updated

    async def report_account_failure(
        self, kind: str, sender_id: str, status: str, restriction_kind: str, detail: str, attempt_id: str
    ) -> bool:
        """An account-level send failure seen by the scheduler (S10), idempotent by attempt id. Disconnected:
        the account is re-read and the read decides (nothing is recorded if it says OK). Restricted: recorded
        with its kind (default warning) until an operator verifies the account (A2)."""
        if kind not in SENDER_KINDS:
            raise InvalidArgument(f"sender_kind must be one of {', '.join(SENDER_KINDS)}", field="sender_kind")
        sender_id = parse_uuid(sender_id, "sender_id")
        attempt_id = attempt_id.strip()
        if not 1 <= len(attempt_id) <= 200:
            raise InvalidArgument("attempt_id must be 1 to 200 characters", field="attempt_id")
        if status not in ("disconnected", "restricted"):
            raise InvalidArgument("status must be disconnected or restricted", field="status")
        if kind == "inbox":
            return await self._inbox_failure_reported(sender_id, status, attempt_id)
        kind_of_restriction = (
            validate_restriction_kind(restriction_kind or "warning", "restriction_kind")
            if status == "restricted"
            else None
        )
        detail = validate_detail(detail)
        if status == "disconnected":
            self._require_unipile()
        async with self._repo.transaction() as tx:
            earlier = await tx.claim_failure_report(attempt_id, sender_id, status, self._clock.now())
            if earlier is not None:
                return earlier  # a repeated report: the first one's answer, nothing more
            account = await tx.lock_linkedin_account(sender_id)
            if account is None:
                raise NotFound("linkedin account not found")
            if kind_of_restriction is not None:
                changed = await self._restrict(tx, account, kind_of_restriction, detail, "send_failure", attempt_id)
            else:
                unipile_status = await self._reread(account.unipile_account_id)
                changed = await self._apply_unipile_status(
                    tx, account, unipile_status, source="send_failure", actor=attempt_id, send_error=detail
                )
            await tx.set_failure_report_changed(attempt_id, changed)
        if changed:
            self._committed()
        return changed

    async def record_restriction(
        self, workspace_id: str, account_id: str, kind: str, detail: str, actor: str
    ) -> LinkedInAccount:
        """An operator records a LinkedIn restriction (warning, jail or partial) of the account (A2)."""
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        account_id = parse_uuid(account_id, "account_id", missing_is_not_found=True)
        kind = validate_restriction_kind(kind)
        detail = validate_detail(detail)
        async with self._repo.transaction() as tx:
            account = await tx.lock_linkedin_account(account_id, workspace_id)
            if account is None:
                raise NotFound("linkedin account not found")
            changed = await self._restrict(tx, account, kind, detail, "operator", actor)
            account = await tx.get_linkedin_account(workspace_id, account_id)
            assert account is not None
        if changed:
            self._committed()
        return account

    async def verify_linkedin_account(self, workspace_id: str, account_id: str, actor: str) -> LinkedInAccount:
        """An operator says the restriction has lifted: accepted only if Unipile reports the account OK now;
        the account is then connected and marked verified (A2)."""
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        account_id = parse_uuid(account_id, "account_id", missing_is_not_found=True)
        self._require_unipile()
        async with self._repo.transaction() as tx:
            account = await tx.lock_linkedin_account(account_id, workspace_id)
            if account is None:
                raise NotFound("linkedin account not found")
            if account.status != "restricted":
                raise FailedPrecondition(
                    f"only a restricted account can be verified; this one is {account.status}",
                    code="not_restricted",
                    details={"status": account.status},
                )
            unipile_status = await self._reread(account.unipile_account_id)
            if unipile_status != UNIPILE_OK:
                raise FailedPrecondition(
                    f"Unipile reports the account {unipile_status}; it must be OK before the account can be verified",
                    code="still_restricted",
                    details={"unipile_status": unipile_status, "restriction_kind": account.restriction_kind},
                )
            account = await self._change_health(
                tx,
                account,
                status="connected",
                detail=f"verified by an operator after the {account.restriction_kind} restriction lifted; "
                "Unipile reports the account OK",
                source="operator",
                actor=actor,
                restriction_kind=account.restriction_kind,
                restriction_verified=True,
            )
        self._committed()
        return account

    async def create_reconnect_link(self, workspace_id: str, account_id: str) -> ReconnectLink:
        """A fresh Unipile hosted-auth link that reconnects the account (A3); it expires in 24 hours."""
        account = await self.get_linkedin_account(workspace_id, account_id)
        unipile = self._require_unipile()
        expires_at = self._clock.now() + RECONNECT_LINK_LIFETIME
        try:
            url = await unipile.create_reconnect_link(
                account.unipile_account_id,
                expires_at,
                api_url=self._unipile_api_url,
                success_redirect_url=f"{self._public_url}/linkedin-accounts/{account.id}?reconnected=1",
            )
        except UnipileError as exc:
            if exc.status == 404:
                raise FailedPrecondition(
                    "Unipile no longer knows this account; connect it again", code="unipile_account_missing"
                ) from None
            raise Unavailable(f"Unipile could not create a reconnect link: {exc}", code="unipile_unavailable") from None
        log.info("reconnect link created", account_id=account.id, expires_at=expires_at.isoformat())
        return ReconnectLink(url=url, expires_at=expires_at)

    async def list_health_events(self, after_sequence: int, limit: int) -> tuple[list[HealthEvent], int]:
        """The current health of every sender and subscription whose last change is numbered after
        `after_sequence`, in order, and the number to ask after next (campaigns' reconciliation)."""
        if after_sequence < 0:
            raise InvalidArgument("after_sequence must not be negative", field="after_sequence")
        if limit < 0:
            raise InvalidArgument("limit must not be negative", field="limit")
        limit = min(limit or 500, MAX_HEALTH_EVENTS_PAGE)
        found = await self._repo.health_after(after_sequence, limit)
        return [event for _, event in found], (found[-1][0] if found else after_sequence)

    # Subscription (DESIGN A6)

    async def apply_billing_event(
        self, event_id: str, type_: str, workspace_id: str, occurred_at: datetime | None
    ) -> bool:
        """A verified billing event. False for a replay (same event id), an event older than the newest one
        applied to the workspace, or an unknown workspace; nothing changes then."""
        event = validate_billing_event(event_id, type_, workspace_id, occurred_at)
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        now = self._clock.now()
        status = BILLING_EVENT_TYPES[event.type]
        changed = False
        async with self._repo.transaction() as tx:
            if not await tx.record_billing_event(event.event_id, event.type, workspace_id, event.occurred_at, now):
                log.info("billing event replayed", event_id=event.event_id)
                return False
            current = await tx.lock_workspace_subscription(workspace_id)
            if current is None:
                log.warning("billing event for an unknown workspace", event_id=event.event_id)
                return False
            if current["billing_event_at"] is not None and event.occurred_at < current["billing_event_at"]:
                log.info("billing event older than the state applied", event_id=event.event_id)
                return False
            await tx.mark_billing_event_applied(event.event_id)
            await tx.set_billing_event_at(workspace_id, event.occurred_at)
            if current["subscription_status"] != status:
                sequence = await tx.next_health_sequence()
                health_event_id = str(uuid.uuid4())
                version = await tx.set_subscription(workspace_id, status, now, sequence, health_event_id)
                payload = self._health_event(
                    SubscriptionHealthEvent(
                        event_id=health_event_id,
                        workspace_id=workspace_id,
                        version=version,
                        occurred_at=now,
                        status=status,
                    )
                )
                await tx.enqueue(APPLY_HEALTH_EVENT, campaigns_ordering_key(workspace_id), payload)
                changed = True
        if changed:
            self._committed()
        log.info(
            "billing event applied", event_id=event.event_id, workspace_id=workspace_id, status=status, changed=changed
        )
        return True

    # Helpers of the health use cases

    def _require_unipile(self) -> Unipile:
        if self._unipile is None:
            raise FailedPrecondition("Unipile is not configured (HOLDFAST_UNIPILE_DSN)", code="unipile_not_configured")
        return self._unipile

    async def _reread(self, unipile_account_id: str) -> str:
        """The account's status at Unipile now; DELETED when Unipile does not know it."""
        unipile = self._require_unipile()
        try:
            return (await unipile.get_account(unipile_account_id)).status
        except UnipileError as exc:
            if exc.status == 404:
                return UNIPILE_DELETED
            raise Unavailable(
                f"the account could not be read from Unipile: {exc}", code="unipile_unavailable"
            ) from None

    async def _apply_unipile_status(
        self,
        tx: Transaction,
        account: LinkedInAccount,
        unipile_status: str,
        *,
        source: str,
        actor: str = "",
        webhook_said: str = "",
        send_error: str = "",
    ) -> bool:
        """Decide on a fresh read (A1) and write the change, if any. `source` "reconnect" applies only to a
        change to connected; any change decided because a grace period ran out is "grace_expired"."""
        decision = decide_linkedin_health(
            account.status, account.status_since, unipile_status, self._clock.now(), self._grace
        )
        if decision is None:
            log.info(
                "account re-read: no change",
                account_id=account.id,
                status=account.status,
                unipile_status=unipile_status,
                webhook_said=webhook_said or None,
            )
            return False
        if decision.grace_expired:
            source = "grace_expired"
        elif source == "reconnect" and decision.status != "connected":
            source = "unipile_webhook"
        detail = decision.detail
        if send_error:
            detail = f"{detail} (a send failed: {send_error})"
        await self._change_health(
            tx,
            account,
            status=decision.status,
            detail=detail,
            source=source,
            actor=actor,
            restriction_kind=account.restriction_kind,
            restriction_verified=account.restriction_verified,
        )
        return True

    async def _restrict(
        self, tx: Transaction, account: LinkedInAccount, kind: str, detail: str, source: str, actor: str
    ) -> bool:
        if account.status == "restricted" and account.restriction_kind == kind:
            return False  # already recorded; still waiting for an operator's verification
        await self._change_health(
            tx,
            account,
            status="restricted",
            detail=restriction_detail(kind, detail),
            source=source,
            actor=actor,
            restriction_kind=kind,
            restriction_verified=False,
        )
        return True

    async def _change_health(
        self,
        tx: Transaction,
        account: LinkedInAccount,
        *,
        status: str,
        detail: str,
        source: str,
        actor: str,
        restriction_kind: str | None,
        restriction_verified: bool,
    ) -> LinkedInAccount:
        """Write one health change in the caller's transaction: the new state (version bumped, numbered in the
        global change sequence), a history row, the sender state for the scheduler and a HealthEvent for
        campaigns."""
        now = self._clock.now()
        sequence = await tx.next_health_sequence()
        event_id = str(uuid.uuid4())
        version = await tx.set_linkedin_health(
            account.id, status, detail, restriction_kind, restriction_verified, now, sequence, event_id
        )
        await tx.add_health_history(
            "linkedin_account", account.id, status, detail, source, actor, restriction_kind, version, now
        )
        updated = await tx.get_linkedin_account(account.workspace_id, account.id)
        assert updated is not None
        await self._publish_health(tx, updated, SenderHealthEvent(
            event_id=event_id, workspace_id=updated.workspace_id, version=version, occurred_at=now,
            sender_kind="linkedin_account", sender_id=updated.id, status=status, restriction_kind=restriction_kind,
            restriction_verified=restriction_verified, detail=detail), previous=account.status, source=source,
            sequence=sequence)
        return updated

    async def _publish_health(self, tx: Transaction, sender: Sender, event: SenderHealthEvent, *, previous: str,
                              source: str, sequence: int) -> None:
        """A sender's health changed (in the caller's transaction): its new state for the scheduler and the
        HealthEvent for campaigns leave through the outbox, ordered per sender."""
        await self._announce(tx, sender)
        await tx.enqueue(APPLY_HEALTH_EVENT, campaigns_ordering_key(sender.id), self._health_event(event))
        log.info("sender health changed", kind=event.sender_kind, sender_id=sender.id,
                 workspace_id=sender.workspace_id, previous=previous, status=event.status, source=source,
                 version=event.version, sequence=sequence)
