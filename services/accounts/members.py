"""Use cases of members and their API tokens: list, add, change a role, remove, transfer ownership; tokens
listed, created (shown once) and revoked.

The gateway's role check is not trusted alone: each change reads the acting member's role from the database
and applies the rules of members_domain.py."""

from __future__ import annotations

import structlog

from services.accounts.domain import hash_token, new_token, validate_email
from services.accounts.member_repository import MemberTx
from services.accounts.members_domain import (
    ApiToken,
    Member,
    assignable_role,
    check_changeable,
    check_manager,
    check_transfer,
    token_scopes,
    validate_token_name,
)
from services.accounts.repository import Repository
from services.common.clock import Clock
from services.common.errors import AlreadyExists, NotFound
from services.common.ids import parse_uuid
from services.common.roles import Role

log = structlog.get_logger(__name__)


class MemberService:
    def __init__(self, repository: Repository, clock: Clock):
        self._repo = repository
        self._clock = clock

    async def list_members(self, workspace_id: str) -> list[Member]:
        return await MemberTx(self._repo.pool_tx()).list_members(parse_uuid(workspace_id, "workspace_id"))

    async def add_member(self, workspace_id: str, actor_id: str, email: str, role: str) -> Member:
        workspace_id, actor_id = _ids(workspace_id, actor_id)
        email = validate_email(email, "email")
        role_ = assignable_role(role)
        async with self._repo.transaction() as tx:
            members = MemberTx(tx)
            check_manager(await members.get_member(workspace_id, actor_id))
            added = await members.add_member(workspace_id, email, role_, self._clock.now())
        if added is None:
            raise AlreadyExists(
                "this email is already a member of the workspace", code="member_exists", details={"field": "email"}
            )
        log.info("member added", member_id=added.id, role=added.role.word)
        return added

    async def change_role(self, workspace_id: str, actor_id: str, member_id: str, role: str) -> Member:
        workspace_id, actor_id = _ids(workspace_id, actor_id)
        member_id = parse_uuid(member_id, "member_id", missing_is_not_found=True)
        role_ = assignable_role(role)
        async with self._repo.transaction() as tx:
            members = MemberTx(tx)
            check_manager(await members.get_member(workspace_id, actor_id))
            check_changeable(await members.get_member(workspace_id, member_id, lock=True))
            changed = await members.set_role(workspace_id, member_id, role_)
        log.info("member role changed", member_id=member_id, role=role_.word)
        return changed

    async def remove_member(self, workspace_id: str, actor_id: str, member_id: str) -> Member:
        workspace_id, actor_id = _ids(workspace_id, actor_id)
        member_id = parse_uuid(member_id, "member_id", missing_is_not_found=True)
        async with self._repo.transaction() as tx:
            members = MemberTx(tx)
            check_manager(await members.get_member(workspace_id, actor_id))
            removed = check_changeable(await members.get_member(workspace_id, member_id, lock=True))
            await members.remove_member(workspace_id, member_id)
        log.info("member removed", member_id=member_id)
        return removed

    async def transfer_ownership(self, workspace_id: str, actor_id: str, member_id: str) -> list[Member]:
        """The target becomes the owner and the owner an admin, together; returns the members."""
        workspace_id, actor_id = _ids(workspace_id, actor_id)
        member_id = parse_uuid(member_id, "member_id", missing_is_not_found=True)
        async with self._repo.transaction() as tx:
            members = MemberTx(tx)
            owner, target = check_transfer(
                await members.get_member(workspace_id, actor_id, lock=True),
                await members.get_member(workspace_id, member_id, lock=True),
            )
            # One owner per workspace (a unique index): step down first, then hand over.
            await members.set_role(workspace_id, owner.id, Role.ADMIN)
            await members.set_role(workspace_id, target.id, Role.OWNER)
            listed = await members.list_members(workspace_id)
        log.info("ownership transferred", member_id=target.id)
        return listed

    async def list_tokens(self, workspace_id: str) -> list[ApiToken]:
        return await MemberTx(self._repo.pool_tx()).list_tokens(parse_uuid(workspace_id, "workspace_id"))

    async def create_token(
        self, workspace_id: str, actor_id: str, member_id: str, name: str, scopes: list[str]
    ) -> tuple[ApiToken, str]:
        """A new token of `member_id` (the actor's own when empty); returns it and its secret (shown once)."""
        workspace_id, actor_id = _ids(workspace_id, actor_id)
        member_id = parse_uuid(member_id, "member_id") if member_id else actor_id
        name = validate_token_name(name)
        secret = new_token()
        async with self._repo.transaction() as tx:
            members = MemberTx(tx)
            check_manager(await members.get_member(workspace_id, actor_id))
            holder = await members.get_member(workspace_id, member_id)
            if holder is None:
                raise NotFound("member not found")
            token = await members.create_token(
                workspace_id,
                member_id,
                name,
                token_scopes(scopes, holder),
                hash_token(secret),
                secret[-4:],
                self._clock.now(),
            )
        log.info("token created", token_id=token.id, member_id=member_id, scopes=list(token.scopes))
        return token, secret

    async def revoke_token(self, workspace_id: str, actor_id: str, token_id: str) -> ApiToken:
        workspace_id, actor_id = _ids(workspace_id, actor_id)
        token_id = parse_uuid(token_id, "token_id", missing_is_not_found=True)
        async with self._repo.transaction() as tx:
            members = MemberTx(tx)
            check_manager(await members.get_member(workspace_id, actor_id))
            token = await members.revoke_token(workspace_id, token_id, self._clock.now())
        if token is None:
            raise NotFound("token not found")
        log.info("token revoked", token_id=token_id)
        return token


def _ids(workspace_id: str, actor_id: str) -> tuple[str, str]:
    return parse_uuid(workspace_id, "workspace_id"), parse_uuid(actor_id, "actor.member_id")
