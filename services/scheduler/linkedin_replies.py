"""LinkedIn replies (DESIGN V1-V3, V9): a message from a prospect in a chat with one of our accounts.

A `message_received` webhook is only a trigger (like account status, A1): the message and its chat are read
again from Unipile before anything is recorded, so a forged, replayed or reordered webhook cannot stop anyone.
Our own sent messages (Unipile reports them too) are not replies. A jittered, replica-safe poll of each
sender's recent chats catches a reply whose webhook was lost. Each message is recorded once per prospect
(event id = the Unipile message id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog

from services.common.clock import Clock
from services.common.providers.unipile import ChatMessage, UnipileClient, UnipileError
from services.common.reply_classifier import classify_text, snippet
from services.scheduler.repository import Repository
from services.scheduler.voice_repository import VoiceTx
from services.scheduler.voices import ProspectVoices

log = structlog.get_logger(__name__)
# Chats read per poll (the most recently active first) and messages read per chat (the newest first).
CHATS_PER_POLL = 20
MESSAGES_PER_CHAT = 20


@dataclass(frozen=True, slots=True)
class Heard:
    # Prospects whose voice this message set (0 for a redelivery, our own message, a stranger...).
    recorded: int
    # Why nothing was recorded: "own_message", "not_found", "not_this_account", "not_a_prospect",
    # "already_recorded".
    ignored: str = ""


class LinkedInReplies:
    def __init__(
        self,
        repository: Repository,
        unipile: UnipileClient | None,
        voices: ProspectVoices,
        clock: Clock,
        *,
        poll_interval: timedelta = timedelta(minutes=15),
        ooo_days: float = 7.0,
    ):
        self._repo = repository
        self._unipile = unipile
        self._voices = voices
        self._clock = clock
        self._poll_interval = poll_interval
        self._ooo_days = ooo_days

    async def on_webhook(self, unipile_account_id: str, message_id: str) -> Heard:
        """A message_received webhook named this message: read it (and its chat) from Unipile, then act.
        Raises UnipileError when Unipile cannot answer now (the webhook is retried, and the poll catches it)."""
        if self._unipile is None:
            return Heard(0, "no_provider")
        try:
            message = await self._unipile.get_message(message_id)
        except UnipileError as exc:
            if exc.status == 404:
                log.warning("message webhook names no message Unipile knows", unipile_account_id=unipile_account_id)
                return Heard(0, "not_found")
            raise
        if message.is_sender:
            return Heard(0, "own_message")
        chat = await self._unipile.get_chat(message.chat_id)
        if chat.account_id != unipile_account_id:
            log.warning("message webhook names another account's message", unipile_account_id=unipile_account_id)
            return Heard(0, "not_this_account")
        return await self._record(unipile_account_id, message)

    async def poll_once(self) -> int:
        """V2 safety net: read the recent chats of senders due a poll; returns the voices recorded."""
        if self._unipile is None:
            return 0
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            due = await VoiceTx(tx).claim_chat_polls(now, 5, self._poll_interval.total_seconds(), now.isoformat())
        recorded = 0
        for sender_id, account, read_until, prospects in due:
            newest = read_until
            try:
                chats = await self._unipile.list_chats(account, limit=CHATS_PER_POLL)
                for chat in chats.items:
                    if chat.updated_at is not None and chat.updated_at < read_until:
                        break  # most recently active first: the rest were read before (a tie is read again)
                    if chat.attendee_provider_id not in prospects:
                        continue
                    page = await self._unipile.list_chat_messages(chat.id, limit=MESSAGES_PER_CHAT)
                    for message in page.items:
                        if message.sent_at is not None and message.sent_at < read_until:
                            break
                        newest = max(newest, message.sent_at or newest)
                        if not message.is_sender and message.sender_provider_id == chat.attendee_provider_id:
                            recorded += (await self._record(account, message)).recorded
            except UnipileError as exc:
                log.warning("chat poll failed", sender_id=sender_id, kind=exc.kind.value)
                continue
            async with self._repo.transaction() as tx:
                await VoiceTx(tx).chats_read(sender_id, newest)
        return recorded

    async def _record(self, unipile_account_id: str, message: ChatMessage) -> Heard:
        async with self._repo.transaction() as tx:
            prospects = await VoiceTx(tx).linkedin_prospects(unipile_account_id, message.sender_provider_id)
        if not prospects:
            return Heard(0, "not_a_prospect")
        arrived = message.sent_at or self._clock.now()
        said = classify_text("", message.text or "", arrived, default_ooo_days=self._ooo_days)
        recorded = 0
        for prospect_id in prospects:
            result = await self._voices.record(
                f"unipile:{message.id}:{prospect_id}",
                prospect_id,
                said.kind,
                until=said.until,
                channel="linkedin",
                source="unipile",
                snippet=snippet(message.text or ""),
                received_at=arrived,
            )
            recorded += result.applied
        return Heard(recorded, "" if recorded else "already_recorded")
