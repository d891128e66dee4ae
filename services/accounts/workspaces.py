"""Use cases of workspaces: creation with an owner and a token, authentication, and the subscription that billing
events change (DESIGN A6)."""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog

from services.accounts.domain import (
    Principal,
    Workspace,
    hash_token,
    new_token,
    validate_email,
    validate_workspace_name,
)
from services.accounts.health_domain import BILLING_EVENT_TYPES, SubscriptionHealthEvent, validate_billing_event
from services.accounts.health_events import HealthWriter
from services.accounts.health_repository import HealthTx
from services.accounts.ports import Committed
from services.accounts.repository import Repository
from services.accounts.workspace_repository import WorkspaceTx
from services.common.clock import Clock
from services.common.errors import NotFound, Unauthenticated
from services.common.ids import parse_uuid

log = structlog.get_logger(__name__)


class WorkspaceService:
    def __init__(self, repository: Repository, clock: Clock, *, health: HealthWriter, committed: Committed):
        self._repo = repository
        self._clock = clock
        self._health = health
        self._committed = committed

    async def create_workspace(self, name: str, owner_email: str) -> tuple[Workspace, str, str]:
        """Returns the workspace, its owner's member id and the owner's bearer token (shown once)."""
        name = validate_workspace_name(name)
        owner_email = validate_email(owner_email, "owner_email")
        token = new_token()
        async with self._repo.transaction() as tx:
            workspace, member_id = await WorkspaceTx(tx).create_workspace(
                name, owner_email, hash_token(token), token[-4:], self._clock.now()
            )
        log.info("workspace created", workspace_id=workspace.id)
        return workspace, member_id, token

    async def authenticate(self, token: str) -> Principal:
        principal = await WorkspaceTx(self._repo.pool_tx()).principal_for(hash_token(token)) if token else None
        if principal is None:
            raise Unauthenticated("missing, unknown or revoked token")
        return principal

    async def get_workspace(self, workspace_id: str) -> Workspace:
        workspace = await WorkspaceTx(self._repo.pool_tx()).get_workspace(parse_uuid(workspace_id, "workspace_id"))
        if workspace is None:
            raise NotFound("workspace not found")
        return workspace

    async def apply_billing_event(
        self, event_id: str, type_: str, workspace_id: str, occurred_at: datetime | None
    ) -> bool:
        """A verified billing event. False for a replay (same event id), an event older than the newest one
        applied to the workspace, or an unknown workspace; nothing changes then."""
        event = validate_billing_event(event_id, type_, workspace_id, occurred_at)
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        now = self._clock.now()
        status = BILLING_EVENT_TYPES[event.type]
        changed = False
        async with self._repo.transaction() as tx:
            workspaces = WorkspaceTx(tx)
            if not await workspaces.record_billing_event(
                event.event_id, event.type, workspace_id, event.occurred_at, now
            ):
                log.info("billing event replayed", event_id=event.event_id)
                return False
            current = await workspaces.lock_workspace_subscription(workspace_id)
            if current is None:
                log.warning("billing event for an unknown workspace", event_id=event.event_id)
                return False
            if current["billing_event_at"] is not None and event.occurred_at < current["billing_event_at"]:
                log.info("billing event older than the state applied", event_id=event.event_id)
                return False
            await workspaces.mark_billing_event_applied(event.event_id)
            await workspaces.set_billing_event_at(workspace_id, event.occurred_at)
            if current["subscription_status"] != status:
                sequence = await HealthTx(tx).next_health_sequence()
                health_event_id = str(uuid.uuid4())
                version = await workspaces.set_subscription(workspace_id, status, now, sequence, health_event_id)
                health_event = SubscriptionHealthEvent(
                    event_id=health_event_id,
                    workspace_id=workspace_id,
                    version=version,
                    occurred_at=now,
                    status=status,
                )
                await self._health.to_campaigns(tx, workspace_id, health_event)
                changed = True
        if changed:
            self._committed()
        log.info(
            "billing event applied", event_id=event.event_id, workspace_id=workspace_id, status=status, changed=changed
        )
        return True
