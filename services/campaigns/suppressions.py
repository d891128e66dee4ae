"""Use cases of the workspace suppression list (DESIGN V6). No gRPC and no SQL here.

Campaigns owns the list; every change travels to the scheduler through the outbox in the transaction that
makes it, and a call answers once the scheduler applied it, so a suppression acknowledged to the user is
enforced by every later claim (V8)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from services.campaigns.ports import Outbox
from services.campaigns.repository import Event, Repository
from services.campaigns.suppression_entries import SOURCES, Entry, matches, validate
from services.campaigns.suppression_repository import Suppression, SuppressionStore
from services.common.clock import Clock
from services.common.errors import InvalidArgument, NotFound

log = structlog.get_logger(__name__)
# Entries per scheduler event (each one gRPC call well under the message size limit).
EVENT_CHUNK = 5_000
ACK_SECONDS = 10.0
MAX_PAGE = 1000

# Builds the scheduler event for (workspace, added, removed).
SuppressionEvent = Callable[[str, Sequence[Entry], Sequence[Entry]], Event]
# Builds the scheduler event recording a prospect's opt-out: (event id, prospect id, source).
OptOutEvent = Callable[[str, str, str], Event]


@dataclass(frozen=True, slots=True)
class Added:
    added: int
    already_listed: int
    # False when the scheduler had not confirmed within ACK_SECONDS (the outbox keeps delivering).
    enforced: bool


class Suppressions:
    def __init__(
        self, repository: Repository, clock: Clock, outbox: Outbox, event: SuppressionEvent, opt_out_event: OptOutEvent
    ):
        self._repo = repository
        self._store = SuppressionStore(repository)
        self._clock = clock
        self._outbox = outbox
        self._event = event
        self._opt_out_event = opt_out_event

    async def opt_out(self, workspace_id: str, prospect_id: str, source: str, *, record_voice: bool = True) -> bool:
        """V5: the prospect asked to hear no more (or, source "hard_bounce", its address bounced: V6). Its address
        (else its LinkedIn profile) joins the suppression list and, unless `record_voice` is off (the scheduler
        recorded it already), the scheduler records the opt-out on the prospect; answers once both are enforced.
        Returns False when it was recorded before."""
        found = await self._store.prospect(workspace_id, prospect_id)
        if found is None:
            raise NotFound("no such prospect")
        email, provider_id = found
        entry = Entry("email", email) if email else Entry("linkedin", provider_id or "")
        async with self._repo.transaction() as tx:
            listed_as = "hard_bounce" if source == "hard_bounce" else "opt_out"
            new = (
                await self._store.add(
                    tx, workspace_id, [entry], listed_as, f"prospect:{prospect_id}", self._clock.now()
                )
                if entry.value
                else []
            )
            suppressed = await tx.enqueue(self._event(workspace_id, new, [])) if new else None
            # One opt-out per prospect: a second click, a redelivered POST or the mailto after the link is a no-op.
            voice = (
                await tx.enqueue(self._opt_out_event(f"opt-out:{prospect_id}", prospect_id, source))
                if record_voice
                else None
            )
        await self._acknowledge(suppressed)
        await self._acknowledge(voice)
        log.info(
            "prospect opted out",
            workspace_id=workspace_id,
            prospect_id=prospect_id,
            source=source,
            newly_suppressed=bool(new),
        )
        return bool(new)

    async def add(self, workspace_id: str, raw: list[tuple[str, str]], source: str, actor: str) -> Added:
        if source not in SOURCES:
            raise InvalidArgument(f"source must be one of {', '.join(SOURCES)}", field="source")
        entries = validate(raw)
        last = None
        async with self._repo.transaction() as tx:
            new = await self._store.add(tx, workspace_id, entries, source, actor, self._clock.now())
            for start in range(0, len(new), EVENT_CHUNK):
                last = await tx.enqueue(self._event(workspace_id, new[start : start + EVENT_CHUNK], []))
        enforced = await self._acknowledge(last)
        log.info(
            "suppressions added",
            workspace_id=workspace_id,
            added=len(new),
            already_listed=len(entries) - len(new),
            source=source,
        )
        return Added(len(new), len(entries) - len(new), enforced)

    async def delete(self, workspace_id: str, suppression_id: str) -> Suppression:
        async with self._repo.transaction() as tx:
            gone = await self._store.delete(tx, workspace_id, suppression_id)
            if gone is None:
                raise NotFound("no such suppression")
            event = await tx.enqueue(self._event(workspace_id, [], [Entry(gone.kind, gone.value)]))
        await self._acknowledge(event)
        log.info("suppression removed", workspace_id=workspace_id, suppression_id=suppression_id)
        return gone

    async def page(
        self, workspace_id: str, query: str, page_size: int, page_token: str
    ) -> tuple[list[Suppression], str]:
        size = min(page_size or 50, MAX_PAGE)
        if len(query) > 320:
            raise InvalidArgument("q is at most 320 characters", field="q")
        try:
            before = int(page_token) if page_token else None
        except ValueError:
            raise InvalidArgument("page_token is not valid", field="page_token") from None
        rows = await self._store.page(workspace_id, query.strip(), size + 1, before)
        return rows[:size], (str(rows[size - 1].seq) if len(rows) > size else "")

    async def suppressed(
        self, workspace_id: str, prospects: Sequence[tuple[str | None, str | None, str | None]]
    ) -> list[bool]:
        """For prospects (email, provider id, public identifier): whether the list suppresses each."""
        emails = [e for e, _, _ in prospects if e]
        found = await self._store.matching(
            workspace_id,
            emails,
            list({e.rpartition("@")[2] for e in emails}),  # an import's 10,000 rows share a few domains
            [x for _, p, i in prospects for x in (p, (i or "").lower()) if x],
        )
        if not found:  # the usual case of an import: no row to match, no walk over 10,000 of them
            return [False] * len(prospects)
        return [matches(found, e, p, i) for e, p, i in prospects]

    async def _acknowledge(self, event: int | None) -> bool:
        if event is None:
            return True
        self._outbox.kick()
        if await self._outbox.wait_delivered(event, ACK_SECONDS):
            return True
        log.warning("suppressions not yet applied by the scheduler; the outbox keeps retrying")
        return False
