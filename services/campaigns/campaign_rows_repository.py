"""How the campaigns repository reads its rows: the select list of a campaign with its steps, senders and pause
reasons in one round trip, and the mapping of campaign and prospect rows to domain records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time

import asyncpg

from services.campaigns.domain import ActiveReason, Campaign, Prospect, ProspectIn, Schedule, Senders, Step

_COLUMNS = """c.id, c.workspace_id, c.name, c.kind, c.status, c.paused_reason, c.schedule_days,
              c.window_start, c.window_end, c.timezone, c.randomize_within_window, c.pause_version,
              c.created_at, c.updated_at, c.definition_version, c.last_auto_resumed_at, c.stop_on_reply,
              c.archived_at,
              COALESCE((SELECT json_agg(json_build_object('index', s.index, 'channel', s.channel, 'action', s.action,
                                 'delay_hours', s.delay_hours, 'text', s.text, 'subject', s.subject, 'body', s.body)
                                 ORDER BY s.index)
                        FROM campaigns.steps s WHERE s.campaign_id = c.id), '[]') AS steps,
              ARRAY(SELECT x.sender_id::text FROM campaigns.campaign_senders x
                     WHERE x.campaign_id = c.id AND x.sender_kind = 'linkedin_account' ORDER BY x.sender_id)
                  AS linkedin_account_ids,
              ARRAY(SELECT x.sender_id::text FROM campaigns.campaign_senders x
                     WHERE x.campaign_id = c.id AND x.sender_kind = 'inbox' ORDER BY x.sender_id) AS inbox_ids"""
# Reasons ride along as one array so a campaign and its pause state are read in one round trip.
WITH_REASONS = f"""SELECT {_COLUMNS},
       COALESCE((SELECT array_agg(ROW(r.reason, r.scope, r.subject, r.since, r.detail, r.clear_pending,
                                      -- P9: when a clear waits for the cool-down, the reason's recent adds say why.
                                      CASE WHEN r.clear_pending THEN (
                                          SELECT string_agg(extract(epoch FROM h.at)::text, ',' ORDER BY h.at)
                                            FROM campaigns.pause_history h
                                           WHERE h.campaign_id = c.id AND h.reason = r.reason
                                             AND h.subject = r.subject AND h.action = 'added'
                                             AND h.at >= c.last_auto_resumed_at - interval '1 day') END)
                                  ORDER BY r.since, r.reason)
                 FROM campaigns.pause_reasons r WHERE r.campaign_id = c.id), '{{}}') AS reasons
  FROM campaigns.campaigns c"""


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def campaign_from_row(row: asyncpg.Record) -> Campaign:
    return Campaign(
        id=str(row["id"]),
        workspace_id=str(row["workspace_id"]),
        name=row["name"],
        kind=row["kind"],
        status=row["status"],
        paused_reason=row["paused_reason"],
        schedule=Schedule(
            days=tuple(row["schedule_days"]),
            window_start=_hhmm(row["window_start"]),
            window_end=_hhmm(row["window_end"]),
            timezone=row["timezone"],
            randomize_within_window=row["randomize_within_window"],
        ),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        pause_version=row["pause_version"],
        reasons=tuple(
            ActiveReason(
                reason=r[0],
                scope=r[1],
                subject=r[2],
                since=r[3],
                detail=r[4],
                clear_pending=r[5],
                recent_adds=_instants(r[6]),
            )
            for r in row["reasons"]
        ),
        steps=tuple(Step(**s) for s in json.loads(row["steps"])),
        senders=Senders(tuple(row["linkedin_account_ids"]), tuple(row["inbox_ids"])),
        definition_version=row["definition_version"],
        last_auto_resumed_at=row["last_auto_resumed_at"],
        stop_on_reply=row["stop_on_reply"],
        archived_at=row["archived_at"],
    )


def _instants(epochs: str | None) -> tuple[datetime, ...]:
    # Sent as text: asyncpg decodes no array inside an anonymous record.
    return tuple(datetime.fromtimestamp(float(e), UTC) for e in epochs.split(",")) if epochs else ()


def prospect_from_row(row: asyncpg.Record) -> Prospect:
    return Prospect(
        id=str(row["id"]),
        seq=row["seq"],
        created_at=row["created_at"],
        data=ProspectIn(
            linkedin_provider_id=row["linkedin_provider_id"],
            linkedin_public_identifier=row["linkedin_public_identifier"],
            email=row["email"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            company=row["company"],
            fields=json.loads(row["fields"]),
        ),
    )
