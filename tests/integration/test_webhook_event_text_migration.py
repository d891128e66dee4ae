"""Campaigns migration 010: the webhook events of pauses are written as text, byte for byte what json_build_object
wrote before it (008), whatever the history row holds: escapes, non-ASCII text, a member or no member."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg

from services.common.migrations import migrate

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "campaigns" / "migrations"

# 008's payload, rebuilt from a history row and the event id its trigger drew.
BEFORE = """SELECT convert_to(json_build_object(
               'event_id', $2::uuid, 'workspace_id', c.workspace_id,
               'type', CASE WHEN h.action = 'added' THEN 'campaign.paused' ELSE 'campaign.resumed' END,
               'occurred_at_epoch', extract(epoch FROM h.at),
               'data', json_build_object(
                   'campaign_id', h.campaign_id, 'reason', h.reason, 'scope', h.scope, 'subject', h.subject,
                   'detail', h.detail, 'status', h.status_after,
                   'actor', json_build_object('kind', h.actor_kind, 'member_id', h.actor_member_id,
                                              'source', h.actor_source)))::text, 'UTF8')
      FROM campaigns.pause_history h JOIN campaigns.campaigns c ON c.id = h.campaign_id WHERE h.id = $1"""

ROWS = [
    ("added", "subscription_canceled", "", "campaign", "system", None, "billing", "", "paused"),
    (
        "added",
        "linkedin_account_disconnected",
        'acc "q" \\ é',
        "linkedin",
        "system",
        None,
        "account ✓",
        "a\nb\t\x01c 😀",
        "paused",
    ),
    ("cleared", "manual", "", "campaign", "member", "7d2f5c1e-9a40-4c1b-8d3e-2b6a0f9e4c11", "", "", "active"),
]


async def test_each_event_is_the_bytes_json_build_object_wrote(fresh_dsn: str) -> None:
    conn = await asyncpg.connect(fresh_dsn)
    try:
        assert "010_webhook_event_text.sql" in await migrate(conn, "campaigns", MIGRATIONS)
        campaign = await conn.fetchval(
            """INSERT INTO campaigns.campaigns (workspace_id, name, status, schedule_days, window_start, window_end,
                   timezone, created_at, updated_at)
               VALUES (gen_random_uuid(), 'c', 'active', ARRAY['mon'], '09:00', '17:00', 'UTC', now(), now())
               RETURNING id"""
        )
        # One statement, as a bulk change writes them; the clear of the last reason is announced too.
        await conn.execute(
            """INSERT INTO campaigns.pause_history (campaign_id, action, reason, subject, scope, actor_kind,
                   actor_member_id, actor_source, detail, status_after, at)
               SELECT $1, a, r, s, sc, k, m::uuid, src, d, st, now() - interval '1.5 seconds'
                 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                             $9::text[], $10::text[]) AS t(a, r, s, sc, k, m, src, d, st)""",
            campaign,
            *([row[i] for row in ROWS] for i in range(9)),
        )
        events = await conn.fetch("SELECT payload FROM campaigns.outbox ORDER BY id")
        history = await conn.fetch("SELECT id FROM campaigns.pause_history ORDER BY id")
        assert len(events) == len(history) == len(ROWS)
        for event, row in zip(events, history, strict=True):
            event_id = json.loads(event["payload"])["event_id"]
            assert event["payload"] == await conn.fetchval(BEFORE, row["id"], event_id)
    finally:
        await conn.close()
