"""The sign-in RPCs of the accounts servicer (mixed into AccountsServicer): protobuf ⇄ domain."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc

from holdfast.accounts.v1 import accounts_pb2 as pb
from services.accounts.sign_in import Client
from services.accounts.sign_in_domain import Invitation, Session, SignedIn
from services.common.proto_time import to_timestamp

if TYPE_CHECKING:
    from services.accounts.service import AccountsService


def session_pb(s: Session) -> pb.Session:
    session = pb.Session(
        id=s.id,
        member_id=s.member_id,
        created_at=to_timestamp(s.created_at),
        expires_at=to_timestamp(s.expires_at),
        method=s.method,
        address=s.address,
        user_agent=s.user_agent,
    )
    if s.revoked_at is not None:
        session.revoked_at.CopyFrom(to_timestamp(s.revoked_at))
    return session


def signed_in_pb(s: SignedIn) -> pb.SignedIn:
    return pb.SignedIn(
        session=session_pb(s.session),
        secret=s.secret,
        workspace_id=s.session.workspace_id,
        member_id=s.session.member_id,
        role=s.role.word,
        email=s.email,
    )


def invitation_pb(i: Invitation) -> pb.Invitation:
    return pb.Invitation(
        id=i.id,
        email=i.email,
        role=i.role.word,
        created_at=to_timestamp(i.created_at),
        expires_at=to_timestamp(i.expires_at),
    )


def _client(c: pb.SignInClient) -> Client:
    return Client(address=c.address, user_agent=c.user_agent)


class SignInRpcs:
    _service: AccountsService

    async def CreateInvitation(
        self, request: pb.CreateInvitationRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateInvitationResponse:
        invitation = await self._service.sign_in.create_invitation(
            request.workspace_id, request.actor.member_id, request.email, request.role
        )
        return pb.CreateInvitationResponse(invitation=invitation_pb(invitation))

    async def AcceptInvitation(
        self, request: pb.AcceptInvitationRequest, context: grpc.aio.ServicerContext
    ) -> pb.AcceptInvitationResponse:
        return pb.AcceptInvitationResponse(
            signed_in=signed_in_pb(
                await self._service.sign_in.accept_invitation(request.token, request.password, _client(request.client))
            )
        )

    async def SignInWithPassword(
        self, request: pb.SignInWithPasswordRequest, context: grpc.aio.ServicerContext
    ) -> pb.SignInWithPasswordResponse:
        return pb.SignInWithPasswordResponse(
            signed_in=signed_in_pb(
                await self._service.sign_in.sign_in_with_password(
                    request.email, request.password, request.workspace_id, _client(request.client)
                )
            )
        )

    async def SendSignInLink(
        self, request: pb.SendSignInLinkRequest, context: grpc.aio.ServicerContext
    ) -> pb.SendSignInLinkResponse:
        await self._service.sign_in.send_sign_in_link(request.email, _client(request.client))
        return pb.SendSignInLinkResponse()

    async def SignInWithLink(
        self, request: pb.SignInWithLinkRequest, context: grpc.aio.ServicerContext
    ) -> pb.SignInWithLinkResponse:
        return pb.SignInWithLinkResponse(
            signed_in=signed_in_pb(
                await self._service.sign_in.sign_in_with_link(request.token, _client(request.client))
            )
        )

    async def SendPasswordReset(
        self, request: pb.SendPasswordResetRequest, context: grpc.aio.ServicerContext
    ) -> pb.SendPasswordResetResponse:
        await self._service.sign_in.send_password_reset(request.email, _client(request.client))
        return pb.SendPasswordResetResponse()

    async def ResetPassword(
        self, request: pb.ResetPasswordRequest, context: grpc.aio.ServicerContext
    ) -> pb.ResetPasswordResponse:
        return pb.ResetPasswordResponse(
            signed_in=signed_in_pb(
                await self._service.sign_in.reset_password(request.token, request.password, _client(request.client))
            )
        )

    async def AuthenticateSession(
        self, request: pb.AuthenticateSessionRequest, context: grpc.aio.ServicerContext
    ) -> pb.AuthenticateSessionResponse:
        session, role = await self._service.sign_in.authenticate(request.secret)
        return pb.AuthenticateSessionResponse(
            workspace_id=session.workspace_id, member_id=session.member_id, role=role.word, session_id=session.id
        )

    async def ListSessions(
        self, request: pb.ListSessionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListSessionsResponse:
        sessions = await self._service.sign_in.list_sessions(request.workspace_id, request.member_id)
        return pb.ListSessionsResponse(sessions=[session_pb(s) for s in sessions])

    async def RevokeSession(
        self, request: pb.RevokeSessionRequest, context: grpc.aio.ServicerContext
    ) -> pb.RevokeSessionResponse:
        session = await self._service.sign_in.revoke_session(
            request.workspace_id, request.actor.member_id, request.session_id
        )
        return pb.RevokeSessionResponse(session=session_pb(session))

    async def RevokeMemberSessions(
        self, request: pb.RevokeMemberSessionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.RevokeMemberSessionsResponse:
        count = await self._service.sign_in.revoke_member_sessions(
            request.workspace_id, request.actor.member_id, request.member_id
        )
        return pb.RevokeMemberSessionsResponse(revoked=count)

    async def ListInvitations(
        self, request: pb.ListInvitationsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListInvitationsResponse:
        invitations = await self._service.sign_in.list_invitations(request.workspace_id, request.actor.member_id)
        return pb.ListInvitationsResponse(invitations=[invitation_pb(i) for i in invitations])

    async def RevokeInvitation(
        self, request: pb.RevokeInvitationRequest, context: grpc.aio.ServicerContext
    ) -> pb.RevokeInvitationResponse:
        invitation = await self._service.sign_in.revoke_invitation(
            request.workspace_id, request.actor.member_id, request.invitation_id
        )
        return pb.RevokeInvitationResponse(invitation=invitation_pb(invitation))
