"""Use cases of the accounts service. No gRPC and no SQL here."""

from __future__ import annotations

import structlog

from services.accounts.domain import (
    Principal,
    Workspace,
    hash_token,
    new_token,
    validate_email,
    validate_workspace_name,
)
from services.accounts.repository import Repository
from services.common.clock import Clock
from services.common.errors import NotFound, Unauthenticated
from services.common.ids import parse_uuid

log = structlog.get_logger(__name__)


class AccountsService:
    def __init__(self, repository: Repository, clock: Clock):
        self._repo = repository
        self._clock = clock

    async def create_workspace(self, name: str, owner_email: str) -> tuple[Workspace, str, str]:
        """Returns the workspace, its owner's member id and the owner's bearer token (shown once)."""
        name = validate_workspace_name(name)
        owner_email = validate_email(owner_email, "owner_email")
        token = new_token()
        workspace, member_id = await self._repo.create_workspace(name, owner_email, hash_token(token),
                                                                 self._clock.now())
        log.info("workspace created", workspace_id=workspace.id)
        return workspace, member_id, token

    async def authenticate(self, token: str) -> Principal:
        principal = await self._repo.principal_for(hash_token(token)) if token else None
        if principal is None:
            raise Unauthenticated("missing, unknown or revoked token")
        return principal

    async def get_workspace(self, workspace_id: str) -> Workspace:
        workspace = await self._repo.get_workspace(parse_uuid(workspace_id, "workspace_id"))
        if workspace is None:
            raise NotFound("workspace not found")
        return workspace
