"""The one writer of health changes, shared by LinkedIn accounts, inboxes and subscriptions, and the feed
campaigns reconciles from (ListHealthEvents).

A change is written in the caller's transaction: the new state (version bumped, numbered in the global change
sequence), a history row, the sender's state for the scheduler and a HealthEvent for campaigns, both through the
outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog

from services.accounts.domain import Inbox, LinkedInAccount, Sender
from services.accounts.health_domain import HealthEvent, SenderHealthEvent
from services.accounts.health_repository import HealthTx
from services.accounts.inbox_repository import InboxTx
from services.accounts.linkedin_repository import LinkedInTx
from services.accounts.ports import HealthEventPayload, SenderStatePayload
from services.accounts.repository import Repository, Tx
from services.accounts.webhooks import record_sender_event
from services.common.clock import Clock
from services.common.errors import InvalidArgument

log = structlog.get_logger(__name__)

# The outbox destination that carries a sender's state (status, limits, timezone) to the scheduler.
SET_SENDER_STATE = "scheduler.SetSenderState"
# The outbox destination that carries health changes (senders, subscriptions) to campaigns.
APPLY_HEALTH_EVENT = "campaigns.ApplyHealthEvent"
# The largest page of ListHealthEvents.
MAX_HEALTH_EVENTS_PAGE = 1000


def campaigns_ordering_key(subject_id: str) -> str:
    """The outbox ordering key of the events for campaigns about one sender or workspace. It differs from the
    scheduler's key (the bare sender id): the relay delivers one key in order, so a shared key would make a
    campaigns outage hold back the sender state the scheduler gates sending on."""
    return f"campaigns:{subject_id}"


class HealthWriter:
    def __init__(self, clock: Clock, *, sender_state: SenderStatePayload, health_event: HealthEventPayload):
        """`sender_state` serializes a sender's state for the scheduler and `health_event` a health event for
        campaigns (the outbox payloads, built at the edge: clients.py)."""
        self._clock = clock
        self._sender_state = sender_state
        self._health_event = health_event

    async def announce(self, tx: Tx, sender: Sender, *, credentials_renewed: bool = False) -> None:
        """Enqueue the sender's state for the scheduler, in the caller's transaction, ordered per sender."""
        await tx.enqueue(
            SET_SENDER_STATE, sender.id, self._sender_state(sender, credentials_renewed=credentials_renewed)
        )

    async def credentials_renewed(self, tx: Tx, inbox: Inbox) -> Inbox:
        """New credentials that log in were stored for an inbox that stays connected (T8): a new version of its
        state tells the scheduler to lift every block a refusal of the old credentials left, in the transaction
        that stores them (a return to connected tells it by itself, through `change_inbox`)."""
        await tx.bump_version("inbox", inbox.id)
        updated = await tx.get_inbox(inbox.workspace_id, inbox.id)
        assert updated is not None
        await self.announce(tx, updated, credentials_renewed=True)
        return updated

    async def credentials_stored(
        self, tx: Tx, workspace_id: str, inbox_id: str, *, detail: str, actor: str
    ) -> tuple[Inbox, bool]:
        """New credentials that log in were just stored for the inbox (locked by the caller): it is connected again
        (`detail` says how), or, connected already, its credentials are renewed (T8). The inbox now, and whether its
        status changed."""
        inbox = await tx.get_inbox(workspace_id, inbox_id)
        assert inbox is not None
        if inbox.status == "connected":
            return await self.credentials_renewed(tx, inbox), False
        connected = await self.change_inbox(
            tx, inbox, status="connected", detail=detail, source="reconnect", actor=actor
        )
        return connected, True

    async def to_campaigns(self, tx: Tx, subject_id: str, event: HealthEvent) -> None:
        """Enqueue a HealthEvent for campaigns, in the caller's transaction, ordered per sender or workspace."""
        await tx.enqueue(APPLY_HEALTH_EVENT, campaigns_ordering_key(subject_id), self._health_event(event))

    async def change_linkedin(
        self,
        tx: Tx,
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
        sequence = await HealthTx(tx).next_health_sequence()
        event_id = str(uuid.uuid4())
        version = await LinkedInTx(tx).set_linkedin_health(
            account.id, status, detail, restriction_kind, restriction_verified, now, sequence, event_id
        )
        await HealthTx(tx).add_health_history(
            "linkedin_account", account.id, status, detail, source, actor, restriction_kind, version, now
        )
        updated = await tx.get_linkedin_account(account.workspace_id, account.id)
        assert updated is not None
        await self._publish(
            tx,
            updated,
            self._event(event_id, updated, version, now, status, detail, restriction_kind, restriction_verified),
            previous=account.status,
            source=source,
            sequence=sequence,
        )
        return updated

    async def change_inbox(self, tx: Tx, inbox: Inbox, *, status: str, detail: str, source: str, actor: str) -> Inbox:
        """Write one inbox health change in the caller's transaction, as `change_linkedin` does for LinkedIn: the
        new state (version bumped, numbered in the global change sequence), a history row, the sender state for
        the scheduler and a HealthEvent for campaigns."""
        now = self._clock.now()
        sequence = await HealthTx(tx).next_health_sequence()
        event_id = str(uuid.uuid4())
        version = await InboxTx(tx).set_inbox_health(inbox.id, status, detail, now, sequence, event_id)
        await HealthTx(tx).add_health_history("inbox", inbox.id, status, detail, source, actor, None, version, now)
        updated = await tx.get_inbox(inbox.workspace_id, inbox.id)
        assert updated is not None
        await self._publish(
            tx,
            updated,
            self._event(event_id, updated, version, now, status, detail, None, False),
            previous=inbox.status,
            source=source,
            sequence=sequence,
        )
        return updated

    @staticmethod
    def _event(
        event_id: str,
        sender: Sender,
        version: int,
        now: datetime,
        status: str,
        detail: str,
        restriction_kind: str | None,
        restriction_verified: bool,
    ) -> SenderHealthEvent:
        """The HealthEvent for campaigns of a sender's new state (an inbox has no restriction)."""
        return SenderHealthEvent(
            event_id=event_id,
            workspace_id=sender.workspace_id,
            version=version,
            occurred_at=now,
            sender_kind="linkedin_account" if isinstance(sender, LinkedInAccount) else "inbox",
            sender_id=sender.id,
            status=status,
            restriction_kind=restriction_kind,
            restriction_verified=restriction_verified,
            detail=detail,
        )

    async def _publish(
        self, tx: Tx, sender: Sender, event: SenderHealthEvent, *, previous: str, source: str, sequence: int
    ) -> None:
        """A sender's health changed (in the caller's transaction): its new state for the scheduler and the
        HealthEvent for campaigns leave through the outbox, ordered per sender."""
        await self.announce(tx, sender)
        await self.to_campaigns(tx, sender.id, event)
        await record_sender_event(
            tx,
            event_id=event.event_id,
            workspace_id=sender.workspace_id,
            sender_kind=event.sender_kind,
            sender_id=sender.id,
            previous=previous,
            status=event.status,
            detail=event.detail,
            occurred_at=event.occurred_at,
        )
        log.info(
            "sender health changed",
            kind=event.sender_kind,
            sender_id=sender.id,
            workspace_id=sender.workspace_id,
            previous=previous,
            status=event.status,
            source=source,
            version=event.version,
            sequence=sequence,
        )


class HealthFeed:
    """The current health of every sender and subscription, by change sequence (campaigns' reconciliation)."""

    def __init__(self, repository: Repository):
        self._repo = repository

    async def list_health_events(self, after_sequence: int, limit: int) -> tuple[list[HealthEvent], int]:
        """The current health of every sender and subscription whose last change is numbered after
        `after_sequence`, in order, and the number to ask after next (campaigns' reconciliation)."""
        if after_sequence < 0:
            raise InvalidArgument("after_sequence must not be negative", field="after_sequence")
        if limit < 0:
            raise InvalidArgument("limit must not be negative", field="limit")
        limit = min(limit or 500, MAX_HEALTH_EVENTS_PAGE)
        found = await HealthTx(self._repo.pool_tx()).health_after(after_sequence, limit)
        return [event for _, event in found], (found[-1][0] if found else after_sequence)
