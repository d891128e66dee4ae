"""SQL of what prospects told us (replies, opt-outs, out-of-office) and of the workspace suppression lists
(schema scheduler, migration 008).

Part of the repository layer, beside `repository.py`: every query runs on the connection of a `Tx`. A voice is
written on the prospect's plan row, which every claim locks and re-checks, so a voice committed before a claim
is always seen by it, and a claim running when a voice is written makes the writer wait for it (V8)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from services.common.attempts import Attempt
from services.scheduler.plan_rows_repository import attempt_row
from services.scheduler.repository import Tx

# Stronger voices win; a weaker one never replaces a stronger (an out-of-office after a reply changes nothing).
RANK = {"": 0, "out_of_office": 1, "replied": 2, "suppressed": 3, "opted_out": 4}
STOPPING = ("replied", "suppressed", "opted_out")
UNFINISHED = ("scheduled", "waiting_acceptance", "in_flight")


@dataclass(frozen=True, slots=True)
class Target:
    """A prospect a voice applies to, as read (and locked) before it is written."""

    prospect_id: str
    campaign_id: str
    state: str
    step_index: int
    voice: str
    next_action_at: datetime | None


@dataclass(frozen=True, slots=True)
class VoiceEvent:
    event_id: str
    prospect_id: str
    voice: str
    channel: str
    source: str
    snippet: str
    until: datetime | None
    affected: int
    received_at: datetime
    recorded_at: datetime
    id: str = ""


def _target(r: asyncpg.Record) -> Target:
    return Target(
        str(r["prospect_id"]), str(r["campaign_id"]), r["state"], r["step_index"], r["voice"], r["next_action_at"]
    )


def _event(r: asyncpg.Record) -> VoiceEvent:
    return VoiceEvent(
        r["event_id"],
        str(r["prospect_id"]),
        r["voice"],
        r["channel"],
        r["source"],
        r["snippet"],
        r["until"],
        r["affected"],
        r["received_at"],
        r["recorded_at"],
        str(r["id"]),
    )


class VoiceTx:
    def __init__(self, tx: Tx):
        self._conn: asyncpg.Connection = tx.conn

    # Voices

    async def first_time(self, event_id: str) -> bool:
        return not await self._conn.fetchval("SELECT true FROM scheduler.voice_events WHERE event_id = $1", event_id)

    async def prospect(self, prospect_id: str) -> tuple[Target, str, str | None, str] | None:
        """The prospect with its workspace, email and company (for a company-wide stop), unlocked."""
        r = await self._conn.fetchrow(
            """SELECT p.*, c.workspace_id FROM scheduler.prospect_plans p
                 JOIN scheduler.campaign_plans c ON c.campaign_id = p.campaign_id WHERE p.prospect_id = $1""",
            prospect_id,
        )
        if r is None:
            return None
        return _target(r), str(r["workspace_id"]), r["email"], r["company"]

    async def lock_targets(self, prospect_ids: Sequence[str]) -> list[Target]:
        """Lock the prospects' plan rows in id order (two voices over overlapping sets cannot deadlock); a row a
        running claim holds is waited for."""
        rows = await self._conn.fetch(
            """SELECT * FROM scheduler.prospect_plans WHERE prospect_id = ANY($1::uuid[])
                ORDER BY prospect_id FOR UPDATE""",
            list(prospect_ids),
        )
        return [_target(r) for r in rows]

    async def company_of(self, campaign_id: str, domain: str | None, company: str) -> list[str]:
        """V4: the campaign's prospects at the same email domain (if given) or the same company name."""
        rows = await self._conn.fetch(
            """SELECT prospect_id FROM scheduler.prospect_plans
                WHERE campaign_id = $1
                  AND (($2::text IS NOT NULL AND split_part(lower(email), '@', 2) = $2)
                       OR ($3 <> '' AND lower(company) = $3))""",
            campaign_id,
            domain,
            company.strip().lower(),
        )
        return [str(r["prospect_id"]) for r in rows]

    async def stop(self, prospect_ids: Sequence[str], voice: str) -> list[str]:
        """Write a stopping voice on these (locked) prospects: unfinished ones stop now; one in flight stops as
        soon as its outcome is recorded (see repository._VOICE_STATE). A stronger voice already there stays."""
        rows = await self._conn.fetch(
            """UPDATE scheduler.prospect_plans SET voice = $2, voice_changed_at = clock_timestamp(),
                   parked_until = NULL,
                   stopped_from = CASE WHEN state IN ('scheduled', 'waiting_acceptance') THEN state
                                       ELSE stopped_from END,
                   state = CASE WHEN state IN ('scheduled', 'waiting_acceptance') THEN 'stopped' ELSE state END,
                   next_action_at = CASE WHEN state IN ('scheduled', 'waiting_acceptance') THEN NULL
                                         ELSE next_action_at END,
                   stop_reason = CASE WHEN state IN ('scheduled', 'waiting_acceptance') THEN $2 ELSE stop_reason END
                WHERE prospect_id = ANY($1::uuid[]) AND voice = ANY($3::text[])
                RETURNING prospect_id""",
            list(prospect_ids),
            voice,
            [v for v, rank in RANK.items() if rank < RANK[voice]],
        )
        return [str(r["prospect_id"]) for r in rows]

    async def park(self, prospect_id: str, until: datetime) -> bool:
        """V3: an out-of-office parks the prospect: nothing of it is planned before `until`."""
        return bool(
            await self._conn.fetchval(
                """UPDATE scheduler.prospect_plans SET voice = 'out_of_office', voice_changed_at = clock_timestamp(),
                   parked_until = $2,
                   next_action_at = CASE WHEN state = 'scheduled' THEN greatest(next_action_at, $2) END
                WHERE prospect_id = $1 AND voice IN ('', 'out_of_office') AND state = ANY($3::text[])
                RETURNING true""",
                prospect_id,
                until,
                list(UNFINISHED),
            )
        )

    async def unstop(self, prospect_id: str, voice: str, until: datetime, *, park: bool = True) -> bool:
        """A member says the reply that stopped the prospect was an out-of-office: back to where it was (a prospect
        that was waiting for acceptance waits again), nothing planned before `until`; parked until then (`park`, its
        author) or with no voice at all (a colleague that reply stopped company-wide)."""
        return bool(
            await self._conn.fetchval(
                """UPDATE scheduler.prospect_plans
                  SET voice = CASE WHEN $4 THEN 'out_of_office' ELSE '' END, voice_changed_at = clock_timestamp(),
                      parked_until = CASE WHEN $4 THEN $3::timestamptz END, state = stopped_from, stop_reason = '',
                      next_action_at = CASE WHEN stopped_from = 'scheduled' THEN greatest(due_at, $3) END
                WHERE prospect_id = $1 AND voice = $2 AND state = 'stopped' AND stop_reason = $2
                  AND stopped_from IS NOT NULL
                RETURNING true""",
                prospect_id,
                voice,
                until,
                park,
            )
        )

    async def standing_authors(
        self, campaign_id: str, prospect_id: str, excluding_event: str
    ) -> list[tuple[str, str | None, str]]:
        """Prospects of the campaign whose own reply or opt-out still stops them, with their email and company,
        leaving out the reply being re-classified (`excluding_event`, of `prospect_id`). A reply and its
        re-classifications (whose event ids extend its own with '#...') form a chain; the latest of each chain says
        what that reply is now, and it stands if that is a stopping voice."""
        rows = await self._conn.fetch(
            """WITH chained AS (
                 SELECT e.prospect_id, e.voice, e.recorded_at, e.event_id,
                        (SELECT r.event_id FROM scheduler.voice_events r
                          WHERE r.prospect_id = e.prospect_id
                            AND (r.event_id = e.event_id OR starts_with(e.event_id, r.event_id || '#'))
                          ORDER BY length(r.event_id) LIMIT 1) AS root
                   FROM scheduler.voice_events e WHERE e.campaign_id = $1),
               latest AS (
                 SELECT DISTINCT ON (prospect_id, root) prospect_id, root, voice FROM chained
                  ORDER BY prospect_id, root, recorded_at DESC, length(event_id) DESC)
               SELECT DISTINCT p.prospect_id, p.email, p.company FROM latest l
                 JOIN scheduler.prospect_plans p ON p.prospect_id = l.prospect_id
                WHERE l.voice = ANY($4::text[])
                  AND NOT (l.prospect_id = $2 AND (l.root = $3 OR starts_with($3, l.root || '#')))""",
            campaign_id,
            prospect_id,
            excluding_event,
            list(STOPPING),
        )
        return [(str(r["prospect_id"]), r["email"], r["company"]) for r in rows]

    async def event(self, reply_id: str) -> VoiceEvent | None:
        """A recorded voice by the id the API shows."""
        rows = await self._conn.fetch("SELECT * FROM scheduler.voice_events WHERE id = $1", reply_id)
        return _event(rows[0]) if rows else None

    async def record_event(self, event: VoiceEvent, campaign_id: str) -> None:
        await self._conn.execute(
            """INSERT INTO scheduler.voice_events (event_id, prospect_id, campaign_id, voice, channel, source, snippet,
                   until, affected, received_at, recorded_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING""",
            event.event_id,
            event.prospect_id,
            campaign_id,
            event.voice,
            event.channel,
            event.source[:100],
            event.snippet[:300],
            event.until,
            event.affected,
            event.received_at,
            event.recorded_at,
        )

    async def events_of(self, prospect_id: str) -> list[VoiceEvent]:
        rows = await self._conn.fetch(
            "SELECT * FROM scheduler.voice_events WHERE prospect_id = $1 ORDER BY received_at, recorded_at", prospect_id
        )
        return [_event(r) for r in rows]

    async def attempts_of(self, campaign_id: str, prospect_id: str) -> list[Attempt]:
        rows = await self._conn.fetch(
            """SELECT step_index, action_type, status, outcome, detail, started_at, finished_at
                 FROM scheduler.send_attempts WHERE campaign_id = $1 AND prospect_id = $2
                ORDER BY started_at, step_index""",
            campaign_id,
            prospect_id,
        )
        return [attempt_row(r) for r in rows]

    async def in_flight(self, prospect_ids: Sequence[str], started_after: datetime) -> int:
        return int(
            await self._conn.fetchval(
                """SELECT count(*) FROM scheduler.send_attempts WHERE status = 'started'
                 AND prospect_id = ANY($1::uuid[]) AND started_at > $2""",
                list(prospect_ids),
                started_after,
            )
        )

    async def left_out(self, campaign_id: str, now: datetime) -> dict[str, int]:
        """V7: the campaign's prospects a resume leaves out because of what they said, per voice (an
        out-of-office only while it is parked)."""
        rows = await self._conn.fetch(
            """SELECT voice, count(*) AS n FROM scheduler.prospect_plans
                WHERE campaign_id = $1 AND (voice = ANY($2::text[]) OR (voice = 'out_of_office' AND parked_until > $3))
                GROUP BY voice""",
            campaign_id,
            list(STOPPING),
            now,
        )
        return {r["voice"]: int(r["n"]) for r in rows}

    # Suppressions (V6)

    async def lock_suppressions(self, workspace_id: str) -> None:
        """Serializes a workspace's suppression changes with its enrollments: one sees the other's rows."""
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('suppressions:' || $1, 0))", workspace_id
        )

    async def change_suppressions(
        self, workspace_id: str, add: Sequence[tuple[str, str]], remove: Sequence[tuple[str, str]]
    ) -> None:
        if remove:
            await self._conn.execute(
                """DELETE FROM scheduler.suppressions s USING unnest($2::text[], $3::text[]) AS t(kind, value)
                    WHERE s.workspace_id = $1 AND s.kind = t.kind AND s.value = t.value""",
                workspace_id,
                [k for k, _ in remove],
                [v for _, v in remove],
            )
        if add:
            await self._conn.execute(
                """INSERT INTO scheduler.suppressions (workspace_id, kind, value)
                   SELECT $1, kind, value FROM unnest($2::text[], $3::text[]) AS t(kind, value)
                   ON CONFLICT DO NOTHING""",
                workspace_id,
                [k for k, _ in add],
                [v for _, v in add],
            )

    async def suppressed_prospects(
        self,
        workspace_id: str,
        entries: Sequence[tuple[str, str]] | None = None,
        prospect_ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Unfinished prospects of the workspace that a suppression matches (these `entries`, or every entry of
        the list), optionally only among `prospect_ids`. Email entries match the address, domain entries its
        domain, LinkedIn entries the provider id or the public identifier."""
        if entries is not None:
            source = "unnest($4::text[], $5::text[]) AS s(kind, value)"
            args: list[object] = [[k for k, _ in entries], [v for _, v in entries]]
        else:
            source = "(SELECT kind, value FROM scheduler.suppressions WHERE workspace_id = $1) AS s"
            args = []
        rows = await self._conn.fetch(
            f"""SELECT DISTINCT p.prospect_id FROM scheduler.prospect_plans p
                  JOIN scheduler.campaign_plans c ON c.campaign_id = p.campaign_id
                  JOIN {source}
                    ON (s.kind = 'email' AND lower(p.email) = s.value)
                    OR (s.kind = 'domain' AND split_part(lower(p.email), '@', 2) = s.value)
                    OR (s.kind = 'linkedin' AND (p.linkedin_provider_id = s.value
                                                 OR lower(p.linkedin_public_identifier) = s.value))
                 WHERE c.workspace_id = $1 AND p.state = ANY($2::text[])
                   AND ($3::uuid[] IS NULL OR p.prospect_id = ANY($3::uuid[]))""",
            workspace_id,
            list(UNFINISHED),
            None if prospect_ids is None else list(prospect_ids),
            *args,
        )
        return [str(r["prospect_id"]) for r in rows]

    async def suppress_enrolled(self, workspace_id: str, prospect_ids: Sequence[str]) -> list[str]:
        """V6: prospects just enrolled that the list matches are suppressed before any claim can see them (the
        caller holds the workspace's suppression lock)."""
        matched = await self.suppressed_prospects(workspace_id, None, prospect_ids)
        return await self.stop(matched, "suppressed") if matched else []

    # Email replies (V2, V5)

    async def prospects_of_attempts(self, inbox_id: str, attempt_ids: Sequence[str]) -> list[tuple[str, str | None]]:
        """Prospects (with their address) of these attempts, if this inbox sent them as emails."""
        rows = await self._conn.fetch(
            """SELECT DISTINCT p.prospect_id, p.email FROM scheduler.send_attempts a
                 JOIN scheduler.prospect_plans p ON p.prospect_id = a.prospect_id
                WHERE a.id = ANY($1::uuid[]) AND a.sender_id = $2 AND a.channel = 'email'""",
            list(attempt_ids),
            inbox_id,
        )
        return [(str(r["prospect_id"]), r["email"]) for r in rows]

    async def prospects_of_address(self, inbox_id: str, address: str) -> list[str]:
        """Prospects this inbox writes to at this address (one per campaign)."""
        rows = await self._conn.fetch(
            "SELECT prospect_id FROM scheduler.prospect_plans WHERE inbox_id = $1 AND lower(email) = $2",
            inbox_id,
            address.lower(),
        )
        return [str(r["prospect_id"]) for r in rows]

    async def inbox_writes_to(self, inbox_id: str, prospect_id: str) -> bool:
        return bool(
            await self._conn.fetchval(
                "SELECT true FROM scheduler.prospect_plans WHERE prospect_id = $1 AND inbox_id = $2",
                prospect_id,
                inbox_id,
            )
        )

    # LinkedIn replies (V2)

    async def linkedin_prospects(self, unipile_account_id: str, provider_id: str) -> list[str]:
        """Prospects this LinkedIn account writes to under this provider id (one per campaign)."""
        rows = await self._conn.fetch(
            """SELECT p.prospect_id FROM scheduler.prospect_plans p
                 JOIN scheduler.sender_states s ON s.sender_id = p.linkedin_sender_id
                WHERE s.unipile_account_id = $1 AND p.linkedin_provider_id = $2""",
            unipile_account_id,
            provider_id,
        )
        return [str(r["prospect_id"]) for r in rows]

    async def claim_chat_polls(
        self, now: datetime, limit: int, interval_s: float, seed: str
    ) -> list[tuple[str, str, datetime, set[str]]]:
        """LinkedIn senders due a read of their recent chats, with prospects still being written to, as (sender,
        Unipile account, read until, provider ids of those prospects). The next poll is set (jittered) before
        anyone reads Unipile, so replicas do not poll the same account twice."""
        rows = await self._conn.fetch(
            """SELECT s.sender_id, s.unipile_account_id, s.chats_read_until FROM scheduler.sender_states s
                WHERE s.sender_kind = 'linkedin_account' AND s.status IN ('connected', 'degraded')
                  AND s.next_chats_poll_at <= $1
                  AND EXISTS (SELECT 1 FROM scheduler.prospect_plans p WHERE p.linkedin_sender_id = s.sender_id
                                 AND p.state = ANY($3::text[]) AND p.voice IN ('', 'out_of_office'))
                ORDER BY s.next_chats_poll_at LIMIT $2 FOR UPDATE OF s SKIP LOCKED""",
            now,
            limit,
            list(UNFINISHED),
        )
        out = []
        for r in rows:
            jitter = 0.75 + 0.5 * random.Random(f"{seed}:{r['sender_id']}").random()
            await self._conn.execute(
                "UPDATE scheduler.sender_states SET next_chats_poll_at = $2 WHERE sender_id = $1",
                r["sender_id"],
                now + timedelta(seconds=interval_s * jitter),
            )
            prospects = await self._conn.fetch(
                """SELECT linkedin_provider_id FROM scheduler.prospect_plans WHERE linkedin_sender_id = $1
                     AND state = ANY($2::text[]) AND voice IN ('', 'out_of_office')
                     AND linkedin_provider_id IS NOT NULL""",
                r["sender_id"],
                list(UNFINISHED),
            )
            until = r["chats_read_until"]
            out.append(
                (
                    str(r["sender_id"]),
                    r["unipile_account_id"],
                    until if until.tzinfo else until.replace(tzinfo=UTC),
                    {p[0] for p in prospects},
                )
            )
        return out

    async def chats_read(self, sender_id: str, until: datetime) -> None:
        await self._conn.execute(
            "UPDATE scheduler.sender_states SET chats_read_until = greatest(chats_read_until, $2) WHERE sender_id = $1",
            sender_id,
            until,
        )
