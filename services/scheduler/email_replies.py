"""Email replies (DESIGN V2, V3, V5, V9): messages found in an inbox's INBOX, matched to the prospects this inbox
writes to, classified and recorded. No SQL and no IMAP here: the reader (accounts) hands over each message's
identifying headers and what its sender wrote.

A message is a prospect's reply when its `In-Reply-To`/`References` names one of the Message-IDs this inbox
sent (`<attempt id@sending domain>`) and it comes from that prospect's address or a colleague's (same non-free-mail
domain), or when it comes from the address of a prospect this inbox writes to. A forged `In-Reply-To` from
anyone else changes nothing. A message to the inbox whose subject is "unsubscribe TOKEN" (the mailto of the
List-Unsubscribe header) opts out the prospect the token names, if this inbox writes to it. Each message is
recorded once per prospect (event id: its Message-ID)."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

import structlog

from services.common.records import ReplyCandidate
from services.common.reply_classifier import classify_text, snippet
from services.common.unsubscribe import UnsubscribeTokens
from services.scheduler.domain import company_domain
from services.scheduler.repository import Repository
from services.scheduler.voice_repository import VoiceTx
from services.scheduler.voices import ProspectVoices

log = structlog.get_logger(__name__)
# `<attempt id@sending domain>` (`@holdfast` before): the attempt must be one this inbox sent (checked in SQL).
_OURS = re.compile(r"^<([0-9a-f-]{36})@[^<>@\s]+>$", re.IGNORECASE)
_UNSUBSCRIBE = re.compile(r"^(?:(?:re|aw|tr|fw|fwd)\s*:\s*)*unsubscribe\s+([A-Za-z0-9_-]{20,100})\s*$", re.I)


@dataclass(frozen=True, slots=True)
class Heard:
    recorded: int
    # Messages that matched no prospect of this inbox (strangers, forged threads, newsletters).
    unmatched: int


class EmailReplies:
    def __init__(
        self,
        repository: Repository,
        voices: ProspectVoices,
        *,
        tokens: UnsubscribeTokens | None = None,
        ooo_days: float = 7.0,
    ):
        self._repo = repository
        self._voices = voices
        self._tokens = tokens
        self._ooo_days = ooo_days

    async def record(self, inbox_id: str, emails: list[ReplyCandidate]) -> Heard:
        recorded = unmatched = 0
        for email in emails:
            event = email.message_id or _fingerprint(email)
            opted = await self._unsubscribe(inbox_id, email, event)
            if opted is not None:
                recorded += opted
                continue
            prospects = await self._prospects(inbox_id, email)
            if not prospects:
                unmatched += 1
                continue
            said = classify_text(
                email.subject, email.text, email.received_at, headers=email.headers, default_ooo_days=self._ooo_days
            )
            for prospect_id in prospects:
                result = await self._voices.record(
                    f"email:{event}:{prospect_id}",
                    prospect_id,
                    said.kind,
                    until=said.until,
                    channel="email",
                    source="imap",
                    snippet=snippet(email.text),
                    received_at=email.received_at,
                )
                recorded += result.applied
        if unmatched:
            log.info("inbox messages that are no prospect's reply", inbox_id=inbox_id, count=unmatched)
        return Heard(recorded, unmatched)

    async def _prospects(self, inbox_id: str, email: ReplyCandidate) -> list[str]:
        sender = email.from_address.strip().lower()
        attempts = [
            m[1].lower()
            for ref in (email.in_reply_to, *email.references)
            if (m := _OURS.match(ref.strip())) and _is_uuid(m[1])
        ]
        async with self._repo.transaction() as tx:
            store = VoiceTx(tx)
            threaded = await store.prospects_of_attempts(inbox_id, attempts) if attempts else []
            by_address = await store.prospects_of_address(inbox_id, sender) if sender else []
        domain = company_domain(sender)
        # A thread counts only from the prospect's own address or a colleague's: a forged In-Reply-To from a
        # stranger changes nothing.
        found = [
            p
            for p, address in threaded
            if address and (address.lower() == sender or (domain and company_domain(address) == domain))
        ]
        return list(dict.fromkeys(found + by_address))

    async def _unsubscribe(self, inbox_id: str, email: ReplyCandidate, event: str) -> int | None:
        """V5 mailto: None when the subject is not an unsubscribe request; else how many opt-outs it recorded."""
        match = _UNSUBSCRIBE.match(email.subject.strip())
        if match is None or self._tokens is None:
            return None
        read = self._tokens.read(match[1])
        if read is None:
            log.warning("unsubscribe mail with an invalid token", inbox_id=inbox_id)
            return 0
        _workspace_id, prospect_id = read
        async with self._repo.transaction() as tx:
            writes_to = await VoiceTx(tx).inbox_writes_to(inbox_id, prospect_id)
        if not writes_to:
            log.warning("unsubscribe mail for a prospect this inbox does not write to", inbox_id=inbox_id)
            return 0
        # The same event id as the link's: clicking and mailing opt out once.
        result = await self._voices.record(
            f"opt-out:{prospect_id}",
            prospect_id,
            "opted_out",
            channel="email",
            source="unsubscribe_mailto",
            received_at=email.received_at,
        )
        return int(result.applied)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _fingerprint(email: ReplyCandidate) -> str:
    """An id for a message without a Message-ID, the same each time it is read."""
    digest = hashlib.sha256(
        "\x00".join((email.from_address, email.subject, email.received_at.isoformat(), email.text[:2000])).encode()
    ).hexdigest()
    return f"<{digest[:32]}@no-message-id>"
