"""Performs one action at a provider and says what happened, in the scheduler's words (DESIGN S10)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import structlog

from services.common.errors import DomainError
from services.common.providers.smtp import SmtpError, SmtpSettings, send_email
from services.common.providers.unipile import INVITE_MESSAGE_MAX_CHARS, FailureKind, UnipileClient, UnipileError
from services.common.templates import render
from services.common.unsubscribe import UnsubscribeTokens, list_unsubscribe_headers, unsubscribe_url
from services.scheduler.bounce_rate import MESSAGE_ID_DOMAIN
from services.scheduler.domain import NOTE_TOO_LONG, Sender, Step, restriction_kind, template_values
from services.scheduler.plan_rows_repository import PlanRow
from services.scheduler.ports import Credentials

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SendingAs:
    """How an inbox sends: its SMTP login and the name its emails carry in From."""

    smtp: SmtpSettings
    display_name: str = ""


# The error code of accounts' GetSenderCredentials when an OAuth inbox's grant was revoked or expired.
OAUTH_REVOKED = "oauth_revoked"


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    kind: FailureKind | None = None
    error_type: str = ""
    provider_ref: str = ""
    detail: str = ""
    retry_after_s: float | None = None
    # A restricted account: "warning", "jail" or "partial" when the provider's answer says which.
    restriction_kind: str = ""
    # An invite's answer: the percentage of the provider's invitation limit the sender has used (T3).
    usage: int | None = None


def message_id(attempt_id: str, sender_address: str) -> str:
    """`<attempt id@sending domain>`: the attempt, so a send can be found again when reconciling and its bounces
    matched (T6); the sending domain, as receiving servers and filters expect of a Message-ID."""
    domain = sender_address.rpartition("@")[2].strip().lower() or MESSAGE_ID_DOMAIN
    return f"<{attempt_id}@{domain}>"


@dataclass(frozen=True, slots=True)
class UnsubscribeLinks:
    """V5: where a campaign email's unsubscribe link points, and how its token is signed."""

    public_url: str
    tokens: UnsubscribeTokens


class Providers:
    def __init__(
        self,
        unipile: UnipileClient | None,
        credentials: Credentials,
        *,
        timeout_s: float = 15.0,
        unsubscribe: UnsubscribeLinks | None = None,
        allow_public_plaintext: bool = False,
    ):
        """`allow_public_plaintext` (HOLDFAST_ALLOW_PUBLIC_PLAINTEXT): an inbox with security `none` may send its
        password to a public address."""
        self._unipile = unipile
        self._allow_public_plaintext = allow_public_plaintext
        self._credentials = credentials
        self._timeout_s = timeout_s
        self._unsubscribe = unsubscribe
        # Each account's InMail seat (`linkedin[api]`), read from Unipile once per process.
        self._inmail_api: dict[str, str | None] = {}

    async def perform(
        self, attempt_id: str, plan: PlanRow, sender: Sender, step: Step, workspace_id: str = ""
    ) -> Outcome:
        values = template_values(plan)
        try:
            if step.channel == "email":
                return await self._email(attempt_id, plan, sender, step, values, workspace_id)
            return await self._linkedin(plan, sender, step, values)
        except UnipileError as exc:
            restricted = restriction_kind(exc.title, exc.detail) if exc.kind is FailureKind.RESTRICTED else ""
            return Outcome(
                False,
                exc.kind,
                exc.type,
                detail=exc.title or exc.detail,
                retry_after_s=exc.retry_after_s,
                restriction_kind=restricted,
            )
        except SmtpError as exc:
            # e.g. "550 5.7.1": the reply code and, when given, the RFC 3463 code (T5).
            error_type = " ".join(part for part in (str(exc.code or ""), exc.enhanced) if part)
            return Outcome(False, exc.kind, error_type, detail=exc.message)

    async def _linkedin(self, plan: PlanRow, sender: Sender, step: Step, values: dict[str, str]) -> Outcome:
        if self._unipile is None:
            return Outcome(False, FailureKind.TRANSIENT, "no_provider", detail="no Unipile DSN is configured")
        if not plan.linkedin_provider_id:
            return Outcome(False, FailureKind.PROSPECT_REFUSED, "missing_provider_id")
        text = render(step.text, values)
        if step.action_type == "linkedin_invite":
            if len(text) > INVITE_MESSAGE_MAX_CHARS:
                # The dispatcher stops such a prospect before any attempt; this only keeps the promise here too.
                return Outcome(False, FailureKind.PROSPECT_REFUSED, NOTE_TOO_LONG)
            invite = await self._unipile.send_invite(sender.unipile_account_id, plan.linkedin_provider_id, text or None)
            return Outcome(True, provider_ref=invite.invitation_id, usage=invite.usage)
        inmail = step.action_type == "linkedin_inmail"
        api = await self._inmail_seat(sender.unipile_account_id) if inmail else None
        chat = await self._unipile.start_chat(
            sender.unipile_account_id, plan.linkedin_provider_id, text, inmail=inmail, api=api
        )
        # Both ids are nullable in Unipile's answer; a 2xx is the provider's yes either way.
        return Outcome(True, provider_ref=chat.message_id or chat.chat_id or "")

    async def _inmail_seat(self, account_id: str) -> str | None:
        assert self._unipile is not None
        if account_id not in self._inmail_api:
            self._inmail_api[account_id] = (await self._unipile.get_account(account_id)).inmail_api
        return self._inmail_api[account_id]

    async def _email(
        self, attempt_id: str, plan: PlanRow, sender: Sender, step: Step, values: dict[str, str], workspace_id: str
    ) -> Outcome:
        if not plan.email:
            return Outcome(False, FailureKind.PROSPECT_REFUSED, "missing_email")
        headers: dict[str, str] = {}
        if self._unsubscribe is not None and workspace_id:
            # V5: every campaign email carries a one-click unsubscribe (RFC 8058) and may show the link.
            token = self._unsubscribe.tokens.make(workspace_id, plan.prospect_id)
            headers = list_unsubscribe_headers(self._unsubscribe.public_url, token, sender.email)
            values = {**values, "unsubscribe_url": unsubscribe_url(self._unsubscribe.public_url, token)}
        try:
            settings = await self._credentials(sender.sender_id)
        except DomainError as exc:
            if exc.code == OAUTH_REVOKED:
                # A4: the provider refused the OAuth inbox's refresh token (invalid_grant), an account-level failure.
                return Outcome(False, FailureKind.DISCONNECTED, "invalid_grant", detail=exc.message)
            # Nothing reached the mail server: safe to try again later.
            return Outcome(False, FailureKind.TRANSIENT, "credentials_unavailable", detail=exc.message)
        identity = settings if isinstance(settings, SendingAs) else SendingAs(settings)
        if self._allow_public_plaintext:
            identity = replace(identity, smtp=replace(identity.smtp, allow_public_plaintext=True))
        result = await send_email(
            identity.smtp,
            sender=sender.email,
            sender_name=identity.display_name,
            to=plan.email,
            subject=render(step.subject, values),
            body=render(step.body, values),
            message_id=message_id(attempt_id, sender.email),
            headers=headers,
            timeout_s=self._timeout_s,
        )
        return Outcome(True, provider_ref=result.message_id)
