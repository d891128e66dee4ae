"""Use cases of inboxes and their health (DESIGN A4): create, list, the periodic live SMTP and IMAP login probe,
reconnect by new credentials (checked live before anything is stored) and send failures, which only make an
inbox due for a probe. OAuth inboxes are connected and probed by inbox_oauth.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import structlog

from services.accounts.domain import (
    AUTH_KINDS,
    Inbox,
    InboxProbeClaim,
    SendingLimit,
    ServerLogin,
    limits_with_defaults,
    secret_context,
    validate_display_name,
    validate_email,
    validate_limits,
    validate_server,
    validate_timezone,
)
from services.accounts.health_domain import (
    PROBE_SERVERS,
    InboxHealthSettings,
    LoginOutcome,
    clip_detail,
    decide_inbox_probe,
    next_probe_delay,
)
from services.accounts.health_events import HealthWriter
from services.accounts.health_repository import HealthTx
from services.accounts.inbox_oauth import InboxOAuthService
from services.accounts.inbox_repository import InboxTx
from services.accounts.oauth_repository import OAuthTx
from services.accounts.ports import Committed, LoginCheck
from services.accounts.repository import Repository
from services.common.clock import Clock
from services.common.crypto import Keyring, SecretError
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.ids import parse_uuid
from services.common.providers import imap as imap_provider
from services.common.providers import smtp as smtp_provider
from services.common.providers.unipile import FailureKind

log = structlog.get_logger(__name__)


class LoginFailed(FailedPrecondition):
    """New inbox credentials did not log in: nothing was stored. The gateway answers 422."""

    code = "login_failed"


class InboxService:
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        keyring: Keyring,
        health: HealthWriter,
        committed: Committed,
        settings: InboxHealthSettings,
        login_checks: dict[str, LoginCheck],
        oauth: InboxOAuthService,
    ):
        """`login_checks`: the live login check of each server ("smtp", "imap"); `oauth` probes OAuth inboxes in
        the same round as password ones."""
        self._repo = repository
        self._clock = clock
        self._keyring = keyring
        self._health = health
        self._committed = committed
        self._inbox_health = settings
        self._login_checks = login_checks
        self._oauth = oauth

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
        if self._inbox_health.check_on_create:
            # The same live login as a reconnect: a wrong password or an untrusted certificate is refused here,
            # with nothing saved, instead of an inbox that reads connected and cannot send.
            await self._require_logins({"smtp": smtp, "imap": imap}, "the credentials did not log in to ")
        inbox_id = str(uuid.uuid4())  # chosen here: the passwords are bound to it before the row exists
        smtp_secret = self._keyring.encrypt(smtp.password, context=secret_context(inbox_id, "smtp"))
        imap_secret = self._keyring.encrypt(imap.password, context=secret_context(inbox_id, "imap"))
        async with self._repo.transaction() as tx:
            await InboxTx(tx).insert_inbox(
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
            await self._health.announce(tx, inbox)
        self._committed()
        log.info("inbox created", inbox_id=inbox.id, workspace_id=workspace_id)
        return inbox

    async def list_inboxes(self, workspace_id: str) -> list[Inbox]:
        return await InboxTx(self._repo.pool_tx()).list_inboxes(parse_uuid(workspace_id, "workspace_id"))

    async def get_inbox(self, workspace_id: str, inbox_id: str) -> Inbox:
        inbox = await self._repo.pool_tx().get_inbox(
            parse_uuid(workspace_id, "workspace_id"), parse_uuid(inbox_id, "inbox_id", missing_is_not_found=True)
        )
        if inbox is None:
            raise NotFound("inbox not found")
        return inbox

    # Health of password inboxes: a periodic live SMTP and IMAP login, and reconnect by new credentials.

    async def probe_inboxes_once(self, batch: int = 50) -> int:
        """Log in to the SMTP and IMAP servers of every password inbox due for a probe and decide (replica-safe:
        inboxes are claimed FOR UPDATE SKIP LOCKED and their next probe moved ahead before any login, so two runs
        at once probe an inbox once). Returns how many inboxes were probed."""
        now = self._clock.now()
        interval_s = self._inbox_health.probe_interval.total_seconds()
        async with self._repo.transaction() as tx:
            claims = await InboxTx(tx).claim_due_inboxes(now, interval_s, batch)
        oauth_probed = await self._oauth.probe_due(now, interval_s, batch)
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
                failure = "tls" if exc.reason else "auth" if exc.kind is FailureKind.DISCONNECTED else "network"
                answer = exc.code if isinstance(exc, smtp_provider.SmtpError) else exc.status
                text = f"{answer} {exc.message}" if answer is not None else exc.message
                return LoginOutcome(server, failure, text.replace(login.password, "[redacted]")[:400], exc.reason)
            except Exception as exc:  # a bug or an unexpected answer: never counts as refused credentials
                log.warning("inbox login check failed unexpectedly", server=server, error=type(exc).__name__)
                return LoginOutcome(server, "network", f"unexpected {type(exc).__name__}")
            return LoginOutcome(server)

        return list(await asyncio.gather(*(one(server) for server in PROBE_SERVERS)))

    async def _apply_probe(self, claim: InboxProbeClaim, outcomes: list[LoginOutcome]) -> bool:
        async with self._repo.transaction() as tx:
            state = await InboxTx(tx).lock_inbox_probe_state(claim.inbox_id)
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
                sender_refused=state.sender_refused,
            )
            await InboxTx(tx).record_probe(
                claim.inbox_id, decision.auth_failures, decision.network_failing_since, decision.error
            )
            now = self._clock.now()
            backoff = next_probe_delay(
                decision.status or state.status,
                decision.network_failing_since,
                now,
                self._inbox_health.probe_interval,
                self._inbox_health.max_probe_backoff,
            )
            if backoff is not None:
                await InboxTx(tx).defer_probe(claim.inbox_id, now + backoff)
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
            await self._health.change_inbox(
                tx, inbox, status=decision.status, detail=decision.detail, source="probe", actor=""
            )
        return True

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
            state = await InboxTx(tx).lock_inbox(inbox_id, workspace_id)
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
        await self._require_logins(logins, "the new credentials did not log in to ")
        smtp_secret = self._keyring.encrypt(logins["smtp"].password, context=secret_context(inbox_id, "smtp"))
        imap_secret = self._keyring.encrypt(logins["imap"].password, context=secret_context(inbox_id, "imap"))
        async with self._repo.transaction() as tx:
            locked = await InboxTx(tx).lock_inbox(inbox_id, workspace_id)
            if locked is None:
                raise NotFound("inbox not found")
            await InboxTx(tx).set_inbox_credentials(
                inbox_id,
                logins["smtp"].config(),
                smtp_secret,
                logins["imap"].config(),
                imap_secret,
                self._clock.now(),
                self._inbox_health.probe_interval.total_seconds(),
            )
            inbox, changed = await self._health.credentials_stored(
                tx,
                workspace_id,
                inbox_id,
                detail="reconnected with new credentials; SMTP and IMAP logins work",
                actor=actor,
            )
        self._committed()
        log.info("inbox credentials updated", inbox_id=inbox_id, workspace_id=workspace_id, reconnected=changed)
        return inbox

    async def check_inbox(self, workspace_id: str, inbox_id: str) -> Inbox:
        """A member's check-now (T7): probe the inbox's logins at once with its stored credentials, whatever its
        back-off, and answer the inbox as the probe left it. An OAuth inbox is checked by its next probe."""
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        inbox_id = parse_uuid(inbox_id, "inbox_id", missing_is_not_found=True)
        async with self._repo.transaction() as tx:
            claim = await InboxTx(tx).claim_inbox_now(
                inbox_id, workspace_id, self._clock.now(), self._inbox_health.probe_interval.total_seconds()
            )
            if claim is None:
                if await tx.get_inbox(workspace_id, inbox_id) is None:
                    raise NotFound("inbox not found")
                await InboxTx(tx).probe_inbox_soon(inbox_id, self._clock.now())
        if claim is not None:
            outcome = await self._probe(claim)
            if outcome is not None and await self._apply_probe(claim, outcome):
                self._committed()
        log.info("inbox checked on request", inbox_id=inbox_id, workspace_id=workspace_id)
        return await self.get_inbox(workspace_id, inbox_id)

    async def _require_logins(self, logins: dict[str, ServerLogin], refused: str) -> None:
        """Both logins, live; LoginFailed names each that failed and why (refused, unreachable, tls_certificate,
        plaintext_refused)."""
        outcomes = await self._check_logins(logins)
        failed = [o for o in outcomes if o.failure is not None]
        if not failed:
            return
        log.info("inbox credentials refused: a login failed", failed=[o.server for o in failed])
        raise LoginFailed(
            refused + " and ".join(o.server.upper() for o in failed) + "; nothing was changed",
            details={
                "failed": [o.server for o in failed],
                "reasons": {
                    o.server: o.reason or ("refused" if o.failure == "auth" else "unreachable") for o in failed
                },
                "messages": {o.server: o.message for o in failed},
            },
        )

    async def sender_refused_reported(self, inbox_id: str, detail: str, attempt_id: str, version: int = 0) -> bool:
        """The mail server refused the inbox itself at a send (its sender address, relaying: T3, T5) though its
        login works. No probe can see that, so it is recorded at once: the inbox is disconnected naming the address
        and the server's answer (campaigns pause its email steps, P6), and stays so until new credentials are
        stored (T8). A report for a `version` older than the inbox's concerns credentials replaced since: ignored.
        Idempotent by attempt id; True when the status changed."""
        async with self._repo.transaction() as tx:
            earlier = await HealthTx(tx).claim_failure_report(attempt_id, inbox_id, "disconnected", self._clock.now())
            if earlier is not None:
                return earlier
            workspace_id = await InboxTx(tx).lock_inbox_row(inbox_id)
            if workspace_id is None:
                raise NotFound("inbox not found")
            inbox = await tx.get_inbox(workspace_id, inbox_id)
            assert inbox is not None
            if version and version < inbox.version:
                log.info(
                    "sender refusal of replaced credentials ignored",
                    inbox_id=inbox_id,
                    attempt_id=attempt_id,
                    reported_version=version,
                    version=inbox.version,
                )
                return False
            await InboxTx(tx).mark_sender_refused(inbox_id)
            changed = inbox.status != "disconnected"
            if changed:
                await self._health.change_inbox(
                    tx,
                    inbox,
                    status="disconnected",
                    source="send_failure",
                    actor="",
                    detail=clip_detail(
                        f"the mail server refused to send as {inbox.email}: {detail.strip()}; "
                        "fix the sender address or the login, then reconnect the inbox"
                    ),
                )
            await HealthTx(tx).set_failure_report_changed(attempt_id, changed)
        if changed:
            self._committed()
        log.warning(
            "inbox sender refused by its mail server", inbox_id=inbox_id, attempt_id=attempt_id, changed=changed
        )
        return changed

    async def failure_reported(self, inbox_id: str, status: str, attempt_id: str) -> bool:
        """A send of the inbox was refused for its login: the probe decides (A4), so the inbox is only made due
        for a probe now; the counters and thresholds apply as to any probe. Idempotent by attempt id; changes no
        status by itself (returns False)."""
        async with self._repo.transaction() as tx:
            earlier = await HealthTx(tx).claim_failure_report(attempt_id, inbox_id, status, self._clock.now())
            if earlier is not None:
                return earlier
            if not await InboxTx(tx).probe_inbox_soon(inbox_id, self._clock.now()):
                raise NotFound("inbox not found")
            # The server may have refused the cached OAuth access token itself: the next send refreshes it.
            await OAuthTx(tx).forget_oauth_access(inbox_id)
        log.info("inbox send failure reported; probing it now", inbox_id=inbox_id, attempt_id=attempt_id)
        return False
