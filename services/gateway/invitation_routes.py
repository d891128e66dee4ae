"""Pending invitations over HTTP (issue 18): the Members page lists the invitations sent and not yet accepted
(nor expired), and an admin revokes one (`POST /api/v1/invitations/{id}/revoke`), so its emailed link stops
working. Creating one is `POST /api/v1/invitations` (sign_in_routes.py). `INVITATION_ROUTES` joins the gateway's
route table."""

from __future__ import annotations

from aiohttp import web

from holdfast.accounts.v1 import accounts_pb2
from services.common.roles import Role
from services.gateway import models, views
from services.gateway.api import Empty, Route, authenticate, parse_body, reply, upstreams
from services.gateway.sign_in_routes import InvitationOut


class InvitationList(models.Response):
    invitations: list[InvitationOut]


def invitation_out(i: accounts_pb2.Invitation) -> InvitationOut:
    return InvitationOut(
        id=i.id,
        email=i.email,
        role=i.role,
        created_at=views.iso(i.created_at),  # type: ignore[arg-type]
        expires_at=views.iso(i.expires_at),
    )


async def list_invitations(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    listed = await upstreams(request).accounts.ListInvitations(
        accounts_pb2.ListInvitationsRequest(workspace_id=principal.workspace_id, actor=principal.actor())
    )
    return reply(InvitationList(invitations=[invitation_out(i) for i in listed.invitations]))


async def revoke_invitation(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    await parse_body(request, Empty)
    revoked = await upstreams(request).accounts.RevokeInvitation(
        accounts_pb2.RevokeInvitationRequest(
            workspace_id=principal.workspace_id,
            actor=principal.actor(),
            invitation_id=request.match_info["invitation_id"],
        )
    )
    return reply(invitation_out(revoked.invitation))


INVITATION_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/invitations",
        list_invitations,
        "Invitations sent and still pending (not accepted, not expired), newest first.",
        InvitationList,
        errors=(401, 403),
        tag="team",
        role=Role.ADMIN,
    ),
    # POST …/revoke, not DELETE …/{id}: DELETE /invitations/accept would reach it instead of answering 405.
    Route(
        "POST",
        "/api/v1/invitations/{invitation_id}/revoke",
        revoke_invitation,
        "Revoke a pending invitation: its emailed link stops working (404 when accepted, expired or unknown).",
        InvitationOut,
        body=Empty,
        errors=(400, 401, 403, 404),
        tag="team",
        role=Role.ADMIN,
    ),
)
