"""Member roles and token scopes: who may do what, checked by every service on the calls it serves.

Roles are ordered: a viewer reads; a member also runs campaigns (create, activate, pause, resume, add prospects);
an admin also manages senders, members, tokens, webhooks and suppressions; the owner also transfers ownership.
A bearer token's scopes cap its member's role (`read` up to viewer, `write` up to member, `admin` up to owner),
so an integration can hold a read-only token of an admin. The gateway sends the caller's effective role with
every gRPC call (`ROLE_KEY` metadata, from `CALLER_ROLE`); each service refuses a call below the role that
`RPC_ROLES` names for it. A call without the metadata is a service's own (a loop, a webhook relay): trusted, as
the workspace id it names is."""

from __future__ import annotations

import contextvars
from enum import IntEnum

from services.common.errors import InvalidArgument, PermissionDenied

ROLE_KEY = "x-holdfast-role"


class Role(IntEnum):
    VIEWER = 1
    MEMBER = 2
    ADMIN = 3
    OWNER = 4

    @property
    def word(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, word: str, field: str = "role") -> Role:
        try:
            return cls[word.upper()]
        except KeyError:
            raise InvalidArgument(f"{field}: must be one of owner, admin, member, viewer", field=field) from None


SCOPES = ("read", "write", "admin")
# The highest role a token with this scope acts as.
_SCOPE_CEILING = {"read": Role.VIEWER, "write": Role.MEMBER, "admin": Role.OWNER}


def validate_scopes(scopes: list[str] | tuple[str, ...], field: str = "scopes") -> tuple[str, ...]:
    if not scopes:
        raise InvalidArgument(f"{field}: at least one scope is needed (read, write, admin)", field=field)
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise InvalidArgument(f"{field}: unknown scope {unknown[0]!r} (read, write, admin)", field=field)
    return tuple(s for s in SCOPES if s in scopes)


def effective_role(role: Role, scopes: tuple[str, ...] | list[str]) -> Role:
    """The role a token acts as: its member's role, capped by the widest of its scopes."""
    ceiling = max((_SCOPE_CEILING[s] for s in scopes if s in _SCOPE_CEILING), default=None)
    return Role.VIEWER if ceiling is None else min(role, ceiling)


def require(held: Role, needed: Role) -> None:
    if held < needed:
        raise PermissionDenied(
            f"this needs the {needed.word} role (or higher); the caller acts as {held.word}",
            code="forbidden",
            details={"required_role": needed.word, "role": held.word},
        )


# The caller's effective role for the gRPC calls made while serving its request (the gateway sets it).
CALLER_ROLE: contextvars.ContextVar[Role | None] = contextvars.ContextVar("caller_role", default=None)

# Adding suppressions only makes sending safer, and a member's re-classification of a reply as an opt-out adds
# one: a member's call. Removing one is an admin's (DeleteSuppression), as is the suppression route itself.
_MEMBER_CALLS = (
    "CreateCampaign",
    "ActivateCampaign",
    "PauseCampaign",
    "ResumeCampaign",
    "AddProspects",
    "AddSuppressions",
    "UpdateCampaign",
    "DuplicateCampaign",
    "ArchiveCampaign",
)
_ADMIN_CALLS = (
    "CreateLinkedInAccount",
    "CreateReconnectLink",
    "RecordRestriction",
    "VerifyLinkedInAccount",
    "CreateInbox",
    "UpdateInboxCredentials",
    "StartInboxOAuth",
    "UpdateSendingLimits",
    "AddMember",
    "ChangeMemberRole",
    "RemoveMember",
    "ListTokens",
    "CreateToken",
    "RevokeToken",
    "CreateWebhookEndpoint",
    "ListWebhookEndpoints",
    "UpdateWebhookEndpoint",
    "DeleteWebhookEndpoint",
    "RotateWebhookSecret",
    "ListWebhookDeliveries",
    "ReplayWebhookDelivery",
    "ListAuditEntries",
    "CreateInvitation",
    "RevokeMemberSessions",
    "ListInvitations",
    "RevokeInvitation",
)
_OWNER_CALLS = ("TransferOwnership",)
# The least role of each member-facing call that changes something; any other call only needs a role at all.
RPC_ROLES: dict[str, Role] = {
    **{f"/holdfast.campaigns.v1.CampaignsService/{m}": Role.MEMBER for m in _MEMBER_CALLS},
    "/holdfast.campaigns.v1.CampaignsService/DeleteSuppression": Role.ADMIN,
    "/holdfast.scheduler.v1.SchedulerService/ReclassifyReply": Role.MEMBER,
    **{f"/holdfast.accounts.v1.AccountsService/{m}": Role.ADMIN for m in _ADMIN_CALLS},
    **{f"/holdfast.accounts.v1.AccountsService/{m}": Role.OWNER for m in _OWNER_CALLS},
}


# Calls between the services only (another service's events, the credentials of a send): no member makes them.
INTERNAL_CALLS = frozenset(
    {
        "/holdfast.accounts.v1.AccountsService/GetSenderCredentials",
        "/holdfast.accounts.v1.AccountsService/RecordWebhookEvent",
        "/holdfast.accounts.v1.AccountsService/RecordAuditEntry",
        "/holdfast.accounts.v1.AccountsService/ReportAccountFailure",
        *(
            f"/holdfast.campaigns.v1.CampaignsService/{m}"
            for m in (
                "ApplyHealthEvent",
                "ApplyFailureRateSignal",
                "ApplyBounceRateSignal",
                "ApplyProspectProgress",
                "RecordOptOut",
            )
        ),
    }
)


def check_call(method: str, role_word: str | None) -> None:
    """Refuse `method` to a caller whose role (the metadata's word) is below the one it needs, and a service's
    internal call to any member."""
    if role_word is None:
        return
    if method in INTERNAL_CALLS:
        raise PermissionDenied(
            "an internal call between services; no member makes it",
            code="forbidden",
            details={"required_role": "service", "role": role_word},
        )
    try:
        held = Role[role_word.upper()]
    except KeyError:
        raise PermissionDenied(f"unknown caller role {role_word!r}", code="forbidden") from None
    require(held, RPC_ROLES.get(method, Role.VIEWER))
