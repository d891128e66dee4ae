"""The members and tokens RPCs of the accounts servicer (mixed into AccountsServicer): protobuf ⇄ domain."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc

from holdfast.accounts.v1 import accounts_pb2 as pb
from services.accounts.members_domain import ApiToken, Member
from services.common.proto_time import to_timestamp

if TYPE_CHECKING:
    from services.accounts.service import AccountsService


def member_pb(m: Member) -> pb.Member:
    return pb.Member(id=m.id, email=m.email, role=m.role.word, created_at=to_timestamp(m.created_at))


def token_pb(t: ApiToken) -> pb.ApiToken:
    token = pb.ApiToken(
        id=t.id, member_id=t.member_id, name=t.name, scopes=t.scopes, hint=t.hint, created_at=to_timestamp(t.created_at)
    )
    if t.revoked_at is not None:
        token.revoked_at.CopyFrom(to_timestamp(t.revoked_at))
    return token


class MembersRpcs:
    _service: AccountsService

    async def ListMembers(
        self, request: pb.ListMembersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListMembersResponse:
        members = await self._service.members.list_members(request.workspace_id)
        return pb.ListMembersResponse(members=[member_pb(m) for m in members])

    async def AddMember(self, request: pb.AddMemberRequest, context: grpc.aio.ServicerContext) -> pb.AddMemberResponse:
        member = await self._service.members.add_member(
            request.workspace_id, request.actor.member_id, request.email, request.role
        )
        return pb.AddMemberResponse(member=member_pb(member))

    async def ChangeMemberRole(
        self, request: pb.ChangeMemberRoleRequest, context: grpc.aio.ServicerContext
    ) -> pb.ChangeMemberRoleResponse:
        member = await self._service.members.change_role(
            request.workspace_id, request.actor.member_id, request.member_id, request.role
        )
        return pb.ChangeMemberRoleResponse(member=member_pb(member))

    async def RemoveMember(
        self, request: pb.RemoveMemberRequest, context: grpc.aio.ServicerContext
    ) -> pb.RemoveMemberResponse:
        removed = await self._service.members.remove_member(
            request.workspace_id, request.actor.member_id, request.member_id
        )
        return pb.RemoveMemberResponse(member=member_pb(removed))

    async def TransferOwnership(
        self, request: pb.TransferOwnershipRequest, context: grpc.aio.ServicerContext
    ) -> pb.TransferOwnershipResponse:
        members = await self._service.members.transfer_ownership(
            request.workspace_id, request.actor.member_id, request.member_id
        )
        return pb.TransferOwnershipResponse(members=[member_pb(m) for m in members])

    async def ListTokens(
        self, request: pb.ListTokensRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListTokensResponse:
        tokens = await self._service.members.list_tokens(request.workspace_id)
        return pb.ListTokensResponse(tokens=[token_pb(t) for t in tokens])

    async def CreateToken(
        self, request: pb.CreateTokenRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateTokenResponse:
        token, secret = await self._service.members.create_token(
            request.workspace_id, request.actor.member_id, request.member_id, request.name, list(request.scopes)
        )
        return pb.CreateTokenResponse(token=token_pb(token), secret=secret)

    async def RevokeToken(
        self, request: pb.RevokeTokenRequest, context: grpc.aio.ServicerContext
    ) -> pb.RevokeTokenResponse:
        token = await self._service.members.revoke_token(
            request.workspace_id, request.actor.member_id, request.token_id
        )
        return pb.RevokeTokenResponse(token=token_pb(token))
