"""The audit log RPCs of the accounts servicer (mixed into AccountsServicer): protobuf ⇄ domain."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import grpc

from holdfast.accounts.v1 import accounts_pb2 as pb
from services.accounts.audit_repository import AuditEntry
from services.common.proto_time import from_timestamp, to_timestamp

if TYPE_CHECKING:
    from services.accounts.service import AccountsService


def audit_entry_pb(e: AuditEntry) -> pb.AuditEntry:
    return pb.AuditEntry(
        id=str(e.id),
        at=to_timestamp(e.at),
        member_id=e.member_id,
        member_email=e.member_email,
        token_id=e.token_id,
        action=e.action,
        method=e.method,
        path=e.path,
        target_json=json.dumps(e.target),
        changes_json=json.dumps(e.changes),
        status=e.status,
        request_id=e.request_id,
    )


class AuditRpcs:
    _service: AccountsService

    async def RecordAuditEntry(
        self, request: pb.RecordAuditEntryRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordAuditEntryResponse:
        await self._service.audit.record(
            request.workspace_id,
            request.member_id,
            request.token_id,
            request.action,
            request.method,
            request.path,
            request.target_json,
            request.changes_json,
            request.status,
            request.request_id,
        )
        return pb.RecordAuditEntryResponse()

    async def ListAuditEntries(
        self, request: pb.ListAuditEntriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAuditEntriesResponse:
        entries, next_token = await self._service.audit.list(
            request.workspace_id,
            request.page_size,
            request.page_token,
            request.action,
            request.member_id,
            since=from_timestamp(request.since) if request.HasField("since") else None,
            until=from_timestamp(request.until) if request.HasField("until") else None,
        )
        return pb.ListAuditEntriesResponse(entries=[audit_entry_pb(e) for e in entries], next_page_token=next_token)
