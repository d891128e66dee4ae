"""Members of a workspace and their API tokens: the rules of who may give which role and which scopes. Pure.

Roles and scopes themselves are services/common/roles.py (every service checks them); these are the rules of
changing them, which only accounts applies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.roles import Role, effective_role, require, validate_scopes


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    workspace_id: str
    email: str
    role: Role
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: str
    member_id: str
    name: str
    scopes: tuple[str, ...]
    hint: str
    created_at: datetime
    revoked_at: datetime | None


def assignable_role(word: str) -> Role:
    """A role an admin may give: any but owner, which only a transfer hands over."""
    role = Role.parse(word)
    if role is Role.OWNER:
        raise InvalidArgument("role: owner is handed over by transferring ownership", field="role")
    return role


def check_manager(actor: Member | None) -> Member:
    """The acting member must exist in the workspace and be an admin or the owner (whatever the gateway said)."""
    if actor is None:
        raise NotFound("acting member not found")
    require(actor.role, Role.ADMIN)
    return actor


def check_changeable(target: Member | None) -> Member:
    if target is None:
        raise NotFound("member not found")
    if target.role is Role.OWNER:
        raise FailedPrecondition("the owner's role changes only by a transfer of ownership", code="owner_protected")
    return target


def check_transfer(actor: Member | None, target: Member | None) -> tuple[Member, Member]:
    if actor is None:
        raise NotFound("acting member not found")
    require(actor.role, Role.OWNER)
    if target is None:
        raise NotFound("member not found")
    if target.id == actor.id:
        raise FailedPrecondition("the owner already owns the workspace", code="already_owner")
    return actor, target


def token_scopes(scopes: list[str], member: Member) -> tuple[str, ...]:
    """Valid scopes that do not reach above the member's role (a viewer's token cannot write)."""
    scopes_ = validate_scopes(scopes)
    widest = effective_role(Role.OWNER, scopes_)
    if widest > member.role and not (member.role is Role.ADMIN and widest is Role.OWNER):
        raise InvalidArgument(
            f"scopes: {scopes_[-1]!r} reaches above the member's role {member.role.word}", field="scopes"
        )
    return scopes_


def validate_token_name(name: str) -> str:
    name = name.strip()
    if len(name) > 100:
        raise InvalidArgument("name: at most 100 characters", field="name")
    return name
