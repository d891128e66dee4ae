"""The workspace, its members and their API tokens over HTTP: read the workspace back, add members and change
their roles, transfer ownership, list, create and revoke tokens. Roles: services/common/roles.py. `TEAM_ROUTES`
joins the gateway's route table."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field

from holdfast.accounts.v1 import accounts_pb2
from services.common.roles import Role
from services.gateway import models, views
from services.gateway.api import PRINCIPALS, Route, authenticate, parse_body, reply, upstreams

AssignableRole = Literal["admin", "member", "viewer"]
# What accounts accepts (validate_email, parse_uuid), written so a value valid per the document is valid there too.
EMAIL_PATTERN = r"^[^@\s\x00-\x1f\x7f-\x9f]+@[^@\s\x00-\x1f\x7f-\x9f]+\.[^@\s\x00-\x1f\x7f-\x9f]+$"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
Scope = Literal["read", "write", "admin"]


class AddMember(models.Request):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN, examples=["bea@acme.example"])
    role: AssignableRole = Field(description="owner is handed over by a transfer of ownership")


class ChangeRole(models.Request):
    role: AssignableRole


class TransferOwnership(models.Request):
    member_id: str = Field(
        max_length=64, pattern=UUID_PATTERN, description="the member who becomes the owner; the owner becomes admin"
    )


class CreateToken(models.Request):
    name: str = Field("", max_length=100, examples=["CRM sync"])
    scopes: list[Scope] = Field(
        min_length=1,
        max_length=3,
        examples=[["read"]],
        description="read: as a viewer; write: up to member; admin: up to the member's role",
    )
    member_id: str | None = Field(
        None, max_length=64, pattern=UUID_PATTERN, description="whose token (default: the caller's own)"
    )


class MemberOut(models.Response):
    id: str
    email: str
    role: Literal["owner", "admin", "member", "viewer"]
    created_at: str


class MemberList(models.Response):
    members: list[MemberOut]


class You(models.Response):
    member_id: str
    role: Literal["owner", "admin", "member", "viewer"] = Field(
        description="the caller's role, capped by its token's scopes: what the UI lets it do"
    )


class WorkspaceDetail(models.Response):
    id: str
    name: str
    subscription_status: Literal["active", "canceled"]
    created_at: str
    members: list[MemberOut]
    you: You


class TokenOut(models.Response):
    id: str
    member_id: str
    name: str
    scopes: list[Scope]
    hint: str = Field(description="the token's last four characters")
    created_at: str
    revoked_at: str | None


class TokenList(models.Response):
    tokens: list[TokenOut]


class CreatedToken(models.Response):
    token: TokenOut
    secret: str = Field(description="the bearer token; shown only once")


def _member(m: accounts_pb2.Member) -> MemberOut:
    return MemberOut(id=m.id, email=m.email, role=m.role, created_at=views.iso(m.created_at))  # type: ignore[arg-type]


def _token(t: accounts_pb2.ApiToken) -> TokenOut:
    return TokenOut(
        id=t.id,
        member_id=t.member_id,
        name=t.name,
        scopes=list(t.scopes),
        hint=t.hint,  # type: ignore[arg-type]
        created_at=views.iso(t.created_at),
        revoked_at=views.iso(t.revoked_at) if t.HasField("revoked_at") else None,
    )


def _changed(request: web.Request) -> None:
    # A role or token changed: this gateway forgets the principals it remembered.
    request.app[PRINCIPALS].clear()


async def get_workspace(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    accounts = upstreams(request).accounts
    got = await accounts.GetWorkspace(accounts_pb2.GetWorkspaceRequest(workspace_id=principal.workspace_id))
    listed = await accounts.ListMembers(accounts_pb2.ListMembersRequest(workspace_id=principal.workspace_id))
    w = views.workspace(got.workspace)
    return reply(
        WorkspaceDetail(
            id=w.id,
            name=w.name,
            subscription_status=w.subscription_status,
            created_at=views.iso(got.workspace.created_at),
            members=[_member(m) for m in listed.members],
            you=You(member_id=principal.member_id, role=principal.role.word),
        )
    )


async def add_member(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, AddMember)
    added = await upstreams(request).accounts.AddMember(
        accounts_pb2.AddMemberRequest(
            workspace_id=principal.workspace_id, actor=principal.actor(), email=body.email, role=body.role
        )
    )
    return reply(_member(added.member), 201)


async def change_member_role(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, ChangeRole)
    changed = await upstreams(request).accounts.ChangeMemberRole(
        accounts_pb2.ChangeMemberRoleRequest(
            workspace_id=principal.workspace_id,
            actor=principal.actor(),
            member_id=request.match_info["member_id"],
            role=body.role,
        )
    )
    _changed(request)
    return reply(_member(changed.member))


async def remove_member(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    removed = await upstreams(request).accounts.RemoveMember(
        accounts_pb2.RemoveMemberRequest(
            workspace_id=principal.workspace_id, actor=principal.actor(), member_id=request.match_info["member_id"]
        )
    )
    _changed(request)
    return reply(_member(removed.member))


async def transfer_ownership(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, TransferOwnership)
    moved = await upstreams(request).accounts.TransferOwnership(
        accounts_pb2.TransferOwnershipRequest(
            workspace_id=principal.workspace_id, actor=principal.actor(), member_id=body.member_id
        )
    )
    _changed(request)
    return reply(MemberList(members=[_member(m) for m in moved.members]))


async def list_tokens(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    listed = await upstreams(request).accounts.ListTokens(
        accounts_pb2.ListTokensRequest(workspace_id=principal.workspace_id)
    )
    return reply(TokenList(tokens=[_token(t) for t in listed.tokens]))


async def create_token(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, CreateToken)
    created = await upstreams(request).accounts.CreateToken(
        accounts_pb2.CreateTokenRequest(
            workspace_id=principal.workspace_id,
            actor=principal.actor(),
            member_id=body.member_id or "",
            name=body.name,
            scopes=body.scopes,
        )
    )
    return reply(CreatedToken(token=_token(created.token), secret=created.secret), 201)


async def revoke_token(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    revoked = await upstreams(request).accounts.RevokeToken(
        accounts_pb2.RevokeTokenRequest(
            workspace_id=principal.workspace_id, actor=principal.actor(), token_id=request.match_info["token_id"]
        )
    )
    _changed(request)
    return reply(_token(revoked.token))


MEMBER = "/api/v1/members/{member_id}"
TEAM_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/workspace",
        get_workspace,
        "This workspace: id, name, subscription and members.",
        WorkspaceDetail,
        errors=(401,),
        tag="team",
    ),
    Route(
        "POST",
        "/api/v1/members",
        add_member,
        "Add a member with a role (admin, member or viewer).",
        MemberOut,
        status=201,
        body=AddMember,
        errors=(400, 401, 403, 409),
        tag="team",
        role=Role.ADMIN,
    ),
    Route(
        "PATCH",
        MEMBER,
        change_member_role,
        "Change a member's role (not the owner's: transfer ownership).",
        MemberOut,
        body=ChangeRole,
        errors=(400, 401, 403, 404, 409),
        tag="team",
        role=Role.ADMIN,
    ),
    Route(
        "DELETE",
        MEMBER,
        remove_member,
        "Remove a member (not the owner) and revoke their tokens; answers the member removed.",
        MemberOut,
        errors=(401, 403, 404, 409),
        tag="team",
        role=Role.ADMIN,
    ),
    Route(
        "POST",
        "/api/v1/workspace/transfer-ownership",
        transfer_ownership,
        "Make another member the owner; the owner becomes an admin.",
        MemberList,
        body=TransferOwnership,
        errors=(400, 401, 403, 404, 409),
        tag="team",
        role=Role.OWNER,
    ),
    Route(
        "GET",
        "/api/v1/tokens",
        list_tokens,
        "Every API token of the workspace (never the secret), revoked too.",
        TokenList,
        errors=(401, 403),
        tag="team",
        role=Role.ADMIN,
    ),
    Route(
        "POST",
        "/api/v1/tokens",
        create_token,
        "Create an API token for a member with scopes no wider than its role; the secret is shown once.",
        CreatedToken,
        status=201,
        body=CreateToken,
        errors=(400, 401, 403, 404),
        tag="team",
        role=Role.ADMIN,
    ),
    Route(
        "DELETE",
        "/api/v1/tokens/{token_id}",
        revoke_token,
        "Revoke a token; it stops working at once.",
        TokenOut,
        errors=(401, 403, 404),
        tag="team",
        role=Role.ADMIN,
    ),
)
