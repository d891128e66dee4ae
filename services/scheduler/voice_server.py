"""The prospect's-voice RPCs of the scheduler servicer (mixed into SchedulerServicer): replies, out-of-office,
opt-outs, re-classification, inbound email and suppressions (V1-V9), protobuf <-> domain."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc

from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2 as pb
from services.common.errors import InvalidArgument, Unavailable
from services.common.ids import parse_uuid
from services.common.proto_enums import from_word, to_word
from services.common.proto_time import from_timestamp, to_timestamp
from services.common.providers.unipile import UnipileError
from services.common.records import ReplyCandidate
from services.common.reply_classifier import AUTO_HEADERS

if TYPE_CHECKING:
    from services.scheduler.email_replies import EmailReplies
    from services.scheduler.linkedin_replies import LinkedInReplies
    from services.scheduler.service import SchedulerService
    from services.scheduler.voices import ProspectVoices


class VoiceRpcs:
    _service: SchedulerService
    _voices: ProspectVoices
    _linkedin_replies: LinkedInReplies
    _email_replies: EmailReplies

    async def RecordProspectVoice(
        self, request: pb.RecordProspectVoiceRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordProspectVoiceResponse:
        recorded = await self._voices.record(
            request.event_id,
            parse_uuid(request.prospect_id, "prospect_id", missing_is_not_found=True),
            request.voice,
            until=from_timestamp(request.until) if request.HasField("until") else None,
            channel=to_word(types_pb2.Channel, request.channel) or "",
            source=request.source,
            snippet=request.snippet,
            received_at=from_timestamp(request.received_at) if request.HasField("received_at") else None,
        )
        return pb.RecordProspectVoiceResponse(
            applied=recorded.applied,
            affected_prospect_ids=recorded.affected,
            parked_until=to_timestamp(recorded.parked_until),
        )

    async def RecordLinkedInMessage(
        self, request: pb.RecordLinkedInMessageRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordLinkedInMessageResponse:
        if not request.unipile_account_id or not request.message_id:
            raise InvalidArgument("unipile_account_id and message_id are required", field="message_id")
        try:
            heard = await self._linkedin_replies.on_webhook(request.unipile_account_id, request.message_id)
        except UnipileError as exc:
            # Unipile retries the webhook, and the chat poll catches the message anyway.
            raise Unavailable(
                f"Unipile could not be read now ({exc.kind.value})", code="provider_unavailable"
            ) from None
        return pb.RecordLinkedInMessageResponse(recorded=heard.recorded, ignored=heard.ignored)

    async def GetProspectHistory(
        self, request: pb.GetProspectHistoryRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetProspectHistoryResponse:
        events, attempts = await self._voices.history(
            parse_uuid(request.campaign_id, "campaign_id", missing_is_not_found=True),
            parse_uuid(request.prospect_id, "prospect_id", missing_is_not_found=True),
        )
        return pb.GetProspectHistoryResponse(
            replies=[
                pb.ProspectReply(
                    id=e.id,
                    received_at=to_timestamp(e.received_at),
                    channel=from_word(types_pb2.Channel, e.channel),
                    classification=e.voice,
                    snippet=e.snippet,
                    source=e.source,
                    affected=e.affected,
                    out_of_office_until=to_timestamp(e.until),
                )
                for e in events
            ],
            attempts=[
                pb.ProspectAttempt(
                    step_index=a.step_index,
                    action_type=from_word(types_pb2.ActionType, a.action_type),
                    status=a.status,
                    outcome=a.outcome,
                    started_at=to_timestamp(a.started_at),
                    finished_at=to_timestamp(a.finished_at),
                )
                for a in attempts
            ],
        )

    async def ReclassifyReply(
        self, request: pb.ReclassifyReplyRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReclassifyReplyResponse:
        done = await self._voices.reclassify(
            parse_uuid(request.campaign_id, "campaign_id", missing_is_not_found=True),
            parse_uuid(request.prospect_id, "prospect_id", missing_is_not_found=True),
            parse_uuid(request.reply_id, "reply_id", missing_is_not_found=True),
            request.classification,
            f"member:{request.member_id}",
            from_timestamp(request.until) if request.HasField("until") else None,
        )
        return pb.ReclassifyReplyResponse(changed=bool(done.affected), parked_until=to_timestamp(done.parked_until))

    async def RecordInboundEmails(
        self, request: pb.RecordInboundEmailsRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordInboundEmailsResponse:
        now = self._service.clock.now()
        heard = await self._email_replies.record(
            parse_uuid(request.inbox_id, "inbox_id"),
            [
                ReplyCandidate(
                    message_id=e.message_id[:1000],
                    in_reply_to=e.in_reply_to[:1000],
                    references=tuple(e.references[-50:]),
                    from_address=e.from_address[:320],
                    subject=e.subject[:1000],
                    text=e.text[:8192],
                    received_at=from_timestamp(e.received_at) if e.HasField("received_at") else now,
                    headers={k.lower(): v[:200] for k, v in e.headers.items() if k.lower() in AUTO_HEADERS},
                )
                for e in request.emails
            ],
        )
        return pb.RecordInboundEmailsResponse(recorded=heard.recorded, unmatched=heard.unmatched)

    async def ApplySuppressions(
        self, request: pb.ApplySuppressionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApplySuppressionsResponse:
        stopped = await self._voices.change_suppressions(
            parse_uuid(request.workspace_id, "workspace_id"),
            [(e.kind, e.value) for e in request.add],
            [(e.kind, e.value) for e in request.remove],
        )
        return pb.ApplySuppressionsResponse(prospects_stopped=stopped)
