"""What must hold after every step of the model-based test, read from the services' own tables. Each check
returns the violations it found (empty when the invariant holds)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import asyncpg

from services.campaigns.domain import PRECEDENCE
from services.common import timemath

UNUSABLE = ("disconnected", "restricted")


async def pause_states(db: asyncpg.Pool, workspace: str) -> list[str]:
    """P2, P3: paused exactly when a reason is active; the displayed reason is the highest. P7: the system
    never clears a manual pause."""
    out = []
    rows = await db.fetch(
        """SELECT c.id::text, c.status, c.paused_reason, array_remove(array_agg(r.reason), NULL) AS reasons
             FROM campaigns.campaigns c LEFT JOIN campaigns.pause_reasons r ON r.campaign_id = c.id
            WHERE c.workspace_id = $1::uuid GROUP BY c.id""",
        workspace,
    )
    for r in rows:
        if r["status"] not in ("active", "paused"):
            continue
        if (r["status"] == "paused") != bool(r["reasons"]):
            out.append(f"{r['id']}: status {r['status']} with reasons {r['reasons']}")
        highest = next((p for p in PRECEDENCE if p in r["reasons"]), None)
        if r["paused_reason"] != highest:
            out.append(f"{r['id']}: shows {r['paused_reason']}, highest is {highest}")
    manual = await db.fetchval(
        """SELECT count(*) FROM campaigns.pause_history h JOIN campaigns.campaigns c ON c.id = h.campaign_id
            WHERE c.workspace_id = $1::uuid AND h.reason = 'manual' AND h.action = 'cleared'
              AND h.actor_kind = 'system'""",
        workspace,
    )
    if manual:
        out.append(f"the system cleared a manual pause {manual} times")
    return out


async def no_silent_active(db: asyncpg.Pool, workspace: str) -> list[str]:
    """Issue 15: no campaign sends on a channel (an active step uses it, P6) whose every sender is unusable, or
    with a lapsed subscription, without a reason that covers it."""
    canceled = await db.fetchval(
        "SELECT subscription_status = 'canceled' FROM accounts.workspaces WHERE id = $1::uuid", workspace
    )
    senders = {
        str(r[0]): r[1]
        for r in await db.fetch(
            """SELECT id, status FROM accounts.linkedin_accounts WHERE workspace_id = $1::uuid
           UNION ALL SELECT id, status FROM accounts.inboxes WHERE workspace_id = $1::uuid""",
            workspace,
        )
    }
    rows = await db.fetch(
        """SELECT c.id::text, c.status,
                  array(SELECT DISTINCT r.scope FROM campaigns.pause_reasons r WHERE r.campaign_id = c.id) AS scopes,
                  array(SELECT DISTINCT s.channel FROM scheduler.plan_steps s WHERE s.campaign_id = c.id
                          AND s.index >= (SELECT min(p.step_index) FROM scheduler.prospect_plans p
                                           WHERE p.campaign_id = c.id
                                             AND p.state IN ('scheduled', 'in_flight', 'waiting_acceptance')))
                      AS active,
                  array(SELECT cs.sender_id::text FROM campaigns.campaign_senders cs WHERE cs.campaign_id = c.id
                          AND cs.sender_kind = 'linkedin_account') AS linkedin,
                  array(SELECT cs.sender_id::text FROM campaigns.campaign_senders cs WHERE cs.campaign_id = c.id
                          AND cs.sender_kind = 'inbox') AS email
             FROM campaigns.campaigns c WHERE c.workspace_id = $1::uuid AND c.status IN ('active', 'paused')""",
        workspace,
    )
    out = []
    for r in rows:
        covered = set(r["scopes"])
        for channel in r["active"]:
            if "campaign" in covered or channel in covered:
                continue
            ids = r[channel]
            if canceled:
                out.append(f"{r['id']}: active on {channel} with a lapsed subscription and no reason")
            elif ids and all(senders.get(i) in UNUSABLE for i in ids):
                out.append(f"{r['id']}: active on {channel}, every sender unusable, no reason")
    return out


async def sends(
    db: asyncpg.Pool, workspace: str, window: timemath.Schedule, limits: dict[str, tuple[int, int]]
) -> list[str]:
    """No send while a reason covered its channel (strictly inside the reason's interval); at most one send per
    (prospect, step); every send inside the window; per sender the daily cap and the pacing gap hold across
    all its campaigns. `limits`: per action type, (daily cap, pacing seconds)."""
    out = []
    attempts = await db.fetch(
        """SELECT a.campaign_id::text, a.prospect_id::text, a.step_index, a.sender_id::text, a.channel,
                  a.action_type, a.status, a.started_at, a.sender_local_date
             FROM scheduler.send_attempts a JOIN campaigns.campaigns c ON c.id = a.campaign_id
            WHERE c.workspace_id = $1::uuid AND a.status IN ('started', 'succeeded', 'reconciled_sent')
            ORDER BY a.started_at""",
        workspace,
    )
    history = await db.fetch(
        """SELECT h.campaign_id::text, h.action, h.reason, h.subject, h.scope, h.at FROM campaigns.pause_history h
             JOIN campaigns.campaigns c ON c.id = h.campaign_id WHERE c.workspace_id = $1::uuid ORDER BY h.id""",
        workspace,
    )
    intervals: dict[str, list[tuple[str, datetime, datetime | None]]] = defaultdict(list)
    opened: dict[tuple[str, str, str], tuple[str, datetime]] = {}
    for h in history:
        key = (h["campaign_id"], h["reason"], h["subject"])
        if h["action"] == "added":
            opened[key] = (h["scope"], h["at"])
        elif key in opened:
            scope, since = opened.pop(key)
            intervals[h["campaign_id"]].append((scope, since, h["at"]))
    for (campaign, _, _), (scope, since) in opened.items():
        intervals[campaign].append((scope, since, None))
    once: dict[tuple[str, int], int] = defaultdict(int)
    per_day: dict[tuple[str, str, object], int] = defaultdict(int)
    last: dict[str, datetime] = {}
    for a in attempts:
        t = a["started_at"]
        for scope, since, until in intervals[a["campaign_id"]]:
            if scope in ("campaign", a["channel"]) and since < t and (until is None or t < until):
                out.append(f"send {a['action_type']} at {t} while {scope} was held since {since}")
        once[(a["prospect_id"], a["step_index"])] += 1
        if not timemath.is_open(window, t):
            out.append(f"send at {t} outside the window")
        per_day[(a["sender_id"], a["action_type"], a["sender_local_date"])] += 1
        cap, pacing = limits[a["action_type"]]
        if per_day[(a["sender_id"], a["action_type"], a["sender_local_date"])] > cap:
            out.append(f"sender {a['sender_id']} over its daily cap on {a['sender_local_date']}")
        if a["sender_id"] in last and t - last[a["sender_id"]] < timedelta(seconds=pacing):
            out.append(f"sender {a['sender_id']} sent twice within {t - last[a['sender_id']]}")
        last[a["sender_id"]] = t
    out += [f"prospect {p} step {s} sent {n} times" for (p, s), n in once.items() if n > 1]
    return out


async def stopped_and_suppressed(
    db: asyncpg.Pool,
    workspace: str,
    stops: dict[str, list[tuple[datetime, datetime | None]]],
    suppressed: list[tuple[str, str, datetime]],
) -> list[str]:
    """V1, V5, V6, T6: no send to a prospect after a reply, an opt-out or a bounce stopped it (until a member
    re-classified the reply), nor to a suppressed address or profile, once the stop or the suppression was
    acknowledged. `stops` and `suppressed` are what the model saw acknowledged, at which virtual instant."""
    attempts = await db.fetch(
        """SELECT a.prospect_id::text, a.action_type, a.started_at, lower(p.email) AS email, p.linkedin_provider_id
             FROM scheduler.send_attempts a JOIN campaigns.campaigns c ON c.id = a.campaign_id
             JOIN scheduler.prospect_plans p ON p.prospect_id = a.prospect_id
            WHERE c.workspace_id = $1::uuid AND a.status IN ('started', 'succeeded', 'reconciled_sent')""",
        workspace,
    )
    out = []
    for a in attempts:
        t = a["started_at"]
        for since, until in stops.get(a["prospect_id"], []):
            if since < t and (until is None or t < until):
                out.append(f"send {a['action_type']} at {t} to prospect {a['prospect_id']} stopped since {since}")
        for kind, value, at in suppressed:
            mine = a["email"] if kind == "email" else (a["linkedin_provider_id"] or "").lower()
            if mine == value and at < t:
                out.append(f"send {a['action_type']} at {t} to {value}, suppressed since {at}")
    return out


async def holds_match_reasons(db: asyncpg.Pool, workspace: str) -> list[str]:
    """P5, P8: once the suite has settled, the scheduler holds exactly the scopes of a started campaign's reasons:
    every one of them (a reason's scope is never sent on) and nothing else (a campaign whose last reason cleared, or
    whose channel's reason cleared, sends again). A held scope no reason calls for fails even under a campaign-wide
    hold: it was the trace of a bulk pause reading reasons from before its lock (docs/HEALTH.md)."""
    rows = await db.fetch(
        """SELECT c.id::text, c.status, c.pause_version, h.version, coalesce(h.held_scopes, '{}') AS held,
                  array(SELECT DISTINCT r.scope FROM campaigns.pause_reasons r WHERE r.campaign_id = c.id) AS scopes
             FROM campaigns.campaigns c LEFT JOIN scheduler.campaign_holds h ON h.campaign_id = c.id
            WHERE c.workspace_id = $1::uuid AND c.status IN ('active', 'paused')""",
        workspace,
    )
    return [
        f"{r['id']} ({r['status']}, pause version {r['pause_version']}): the scheduler holds {sorted(r['held'])} "
        f"(version {r['version']}), the reasons' scopes are {sorted(r['scopes'])}"
        for r in rows
        if set(r["held"]) != set(r["scopes"])
    ]
