"""Protobuf messages from the services -> the HTTP API's response models."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from holdfast.accounts.v1 import accounts_pb2
from holdfast.campaigns.v1 import campaigns_pb2
from holdfast.common.v1 import types_pb2
from services.common.proto_enums import to_word
from services.gateway import models


def iso(ts: Timestamp) -> str:
    return ts.ToJsonString()


def workspace(w: accounts_pb2.Workspace) -> models.WorkspaceOut:
    return models.WorkspaceOut(
        id=w.id, name=w.name, subscription_status=to_word(types_pb2.SubscriptionStatus, w.subscription_status)
    )


def campaign(c: campaigns_pb2.Campaign) -> models.CampaignOut:
    # Built as one dict and validated once (nested models from dicts): the hot read (B5) spent twice as long
    # constructing each nested model on its own.
    return models.CampaignOut.model_validate(
        {
            "id": c.id,
            "name": c.name,
            "kind": to_word(campaigns_pb2.CampaignKind, c.kind),
            "status": to_word(campaigns_pb2.CampaignStatus, c.status),
            "paused_reason": to_word(types_pb2.PauseReason, c.paused_reason),
            "pause_reasons": [
                {
                    "reason": to_word(types_pb2.PauseReason, r.reason),
                    "scope": to_word(types_pb2.Scope, r.scope),
                    "since": iso(r.since),
                    "detail": r.detail,
                    "explanation": r.explanation,
                    "action": r.action,
                    "clears_at": iso(r.clears_at) if r.HasField("clears_at") else None,
                    "cooldown": r.cooldown or None,
                }
                for r in c.pause_reasons
            ],
            "schedule": {
                "days": list(c.schedule.days),
                "window": {"start": c.schedule.window_start, "end": c.schedule.window_end},
                "timezone": c.schedule.timezone,
                "randomize_within_window": c.schedule.randomize_within_window,
            },
            "steps": [
                {
                    "index": s.index,
                    "channel": to_word(types_pb2.Channel, s.channel),
                    "action": to_word(campaigns_pb2.StepAction, s.action),
                    "delay": {"days": s.delay.days, "hours": s.delay.hours},
                    "text": s.text,
                    "subject": s.subject,
                    "body": s.body,
                }
                for s in c.steps
            ],
            "senders": {
                "linkedin_account_ids": list(c.senders.linkedin_account_ids),
                "inbox_ids": list(c.senders.inbox_ids),
            },
            "stop_on_reply": "company" if c.stop_on_reply == "company" else "prospect",
            "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at),
            "archived_at": iso(c.archived_at) if c.HasField("archived_at") else None,
        }
    )


def prospect(v: campaigns_pb2.ProspectView) -> models.ProspectOut:
    p = v.prospect
    return models.ProspectOut(
        id=v.id,
        linkedin_provider_id=p.linkedin_provider_id or None,
        linkedin_public_identifier=p.linkedin_public_identifier or None,
        email=p.email or None,
        first_name=p.first_name,
        last_name=p.last_name,
        company=p.company,
        fields=dict(p.fields),
        state=v.state,
        current_step=v.current_step,
        next_action_at=iso(v.next_action_at) if v.HasField("next_action_at") else None,
        why_not_now=list(v.why_not_now),
        out_of_office_until=iso(v.out_of_office_until) if v.HasField("out_of_office_until") else None,
        history=[
            models.AttemptOut(
                step=a.step_index,
                action=a.action_type,
                status=a.status,
                outcome=a.outcome,
                note=a.note,
                started_at=iso(a.started_at),
                finished_at=iso(a.finished_at) if a.HasField("finished_at") else None,
            )
            for a in v.history
        ],
    )


def change(
    response: campaigns_pb2.PauseCampaignResponse
    | campaigns_pb2.ResumeCampaignResponse
    | campaigns_pb2.ActivateCampaignResponse
    | campaigns_pb2.ArchiveCampaignResponse,
) -> models.CampaignChange:
    next_sends = waiting = None
    if isinstance(response, campaigns_pb2.ResumeCampaignResponse):
        next_sends = {to_word(types_pb2.Channel, n.channel): iso(n.planned_at) for n in response.next_sends}
        waiting = [
            models.WaitingGateOut(
                reason=to_word(types_pb2.PauseReason, g.reason), gate=g.gate, message=g.message, action=g.action
            )
            for g in response.waiting_for
        ]
    return models.CampaignChange(
        campaign=campaign(response.campaign),
        changed=response.changed,
        message=response.message,
        next_sends=next_sends,
        waiting_for=waiting,
        holds_pending=response.holds_pending,
    )


def actor(a: types_pb2.Actor) -> models.ActorOut:
    kind = to_word(types_pb2.ActorKind, a.kind)
    if kind == "member":
        return models.ActorOut(kind="member", member_id=a.member_id, event_id=a.event_id or None)
    return models.ActorOut(kind="system", source=a.source, event_id=a.event_id or None)


def history_entry(e: campaigns_pb2.PauseHistoryEntry) -> models.HistoryEntryOut:
    return models.HistoryEntryOut(
        id=e.id,
        action=to_word(campaigns_pb2.PauseHistoryAction, e.action),
        reason=to_word(types_pb2.PauseReason, e.reason),
        scope=to_word(types_pb2.Scope, e.scope),
        actor=actor(e.actor),
        detail=e.detail,
        at=iso(e.at),
        status_after=to_word(campaigns_pb2.CampaignStatus, e.status_after),
    )
