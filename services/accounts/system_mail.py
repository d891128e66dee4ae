"""The system's own mail: invitations, sign-in links and password resets, sent through the SMTP server the
environment names (HOLDFAST_SYSTEM_SMTP and the settings beside it; `make run` points it at the sandbox)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

import structlog

from services.common.errors import Unavailable
from services.common.providers.smtp import SmtpError, SmtpSettings, send_email

log = structlog.get_logger(__name__)


class SystemMail(Protocol):
    @property
    def configured(self) -> bool: ...

    async def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass(frozen=True)
class SmtpSystemMail:
    """Sends through `smtp` from `sender`; `smtp` None: not configured (nothing is sent, callers refuse)."""

    smtp: SmtpSettings | None
    sender: str
    timeout_s: float = 30.0

    @property
    def configured(self) -> bool:
        return self.smtp is not None

    async def send(self, to: str, subject: str, body: str) -> None:
        if self.smtp is None:
            raise Unavailable("no system SMTP server is configured", code="mail_not_configured")
        domain = self.sender.rpartition("@")[2] or "holdfast.invalid"
        try:
            await send_email(
                self.smtp,
                sender=self.sender,
                to=to,
                subject=subject,
                body=body,
                message_id=f"<{uuid.uuid4()}@{domain}>",
                sender_name="Holdfast",
                timeout_s=self.timeout_s,
            )
        except (SmtpError, ValueError) as exc:
            # The link is not in the error: only the server's answer.
            log.warning("system mail not sent", error=str(exc))
            raise Unavailable("the email could not be sent; try again later", code="mail_failed") from None
