"""What every HTTP handler of the gateway shares: authentication, strict body and query parsing, replies
through response models, and the Route record that drives both the router and the OpenAPI document."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError

from holdfast.accounts.v1 import accounts_pb2
from holdfast.campaigns.v1 import campaigns_pb2
from holdfast.common.v1 import types_pb2
from services.common.errors import InvalidArgument, PermissionDenied, Unauthenticated
from services.common.roles import CALLER_ROLE, Role, effective_role, require
from services.gateway import models
from services.gateway.campaign_reads import CampaignReads
from services.gateway.config import Settings
from services.gateway.upstreams import Upstreams

M = TypeVar("M", bound=BaseModel)
SETTINGS = web.AppKey("settings", Settings)
UPSTREAMS = web.AppKey("upstreams", Upstreams)
OPENAPI = web.AppKey("openapi", dict)
CAMPAIGN_READS = web.AppKey("campaign_reads", CampaignReads)


@dataclass(frozen=True)
class Principal:
    workspace_id: str
    member_id: str
    # The member's role capped by the token's scopes (services/common/roles.py).
    role: Role = Role.OWNER
    token_id: str = ""
    # Set when the request was made with the web UI's session cookie (sign_in_routes.py).
    session_id: str = ""

    def actor(self) -> types_pb2.Actor:
        return types_pb2.Actor(kind=types_pb2.ACTOR_KIND_MEMBER, member_id=self.member_id)


def upstreams(request: web.Request) -> Upstreams:
    return request.app[UPSTREAMS]


async def path_campaign(request: web.Request, principal: Principal) -> campaigns_pb2.Campaign:
    """The campaign of the path's `campaign_id`, as campaigns has it: one of another workspace is not found there
    (404), so this is also the ownership check before another service is asked about the campaign. Read with the
    concurrent requests' reads in one call (campaign_reads.py)."""
    return await request.app[CAMPAIGN_READS].get(principal.workspace_id, request.match_info["campaign_id"])


class PrincipalCache:
    """Who a bearer token belongs to, remembered for `ttl_s` seconds: every API call authenticates, and asking
    accounts each time doubles a read's gRPC work (B5). Only successes are kept, so a new token works at once,
    and a revoked one stops within `ttl_s` (0 turns the cache off). Keyed by the token's hash: no token is kept."""

    def __init__(self, ttl_s: float, max_entries: int = 10_000, *, clock: Callable[[], float] = time.monotonic):
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[bytes, tuple[float, Principal]] = {}

    @staticmethod
    def _key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, token: str) -> Principal | None:
        if self._ttl_s <= 0:
            return None
        key = self._key(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, token: str, principal: Principal) -> None:
        if self._ttl_s <= 0:
            return
        now = self._clock()
        if len(self._entries) >= self._max_entries:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            while len(self._entries) >= self._max_entries:  # still full: the oldest go first
                del self._entries[next(iter(self._entries))]
        self._entries[self._key(token)] = (now + self._ttl_s, principal)

    def clear(self) -> None:
        """Forget everyone: a member's role or tokens changed (other gateway replicas learn within `ttl_s`)."""
        self._entries.clear()


PRINCIPALS = web.AppKey("principals", PrincipalCache)
# The least role the matched route needs (set by the router's wrapper in app.py; owner if unknown).
ROUTE_ROLE = web.RequestKey("route_role", Role)
# Who the request is served for, once authenticated (the audit log names them).
PRINCIPAL = web.RequestKey("principal", Principal)
# The JSON body as parse_body read it (the audit entry reuses it instead of parsing it again).
PARSED_BODY = web.RequestKey("parsed_body", dict)


# The web UI's session (sign_in_routes.py): the secret in an HttpOnly cookie, and the CSRF token derived from it in a
# cookie the UI reads and sends back as a header with every change.
SESSION_COOKIE = "holdfast_session"
CSRF_COOKIE = "holdfast_csrf"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def csrf_token(session_secret: str) -> str:
    """The CSRF token of a session: derived from its secret (which no other site can read), so nothing more is
    stored, and useless without the session cookie."""
    digest = hashlib.sha256(b"holdfast-csrf\x00" + session_secret.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def _session_principal(request: web.Request, secret: str) -> Principal:
    """Who a session cookie belongs to (asked of accounts every time: a revoked or expired session stops at once);
    a change needs the CSRF header too."""
    got = await upstreams(request).accounts.AuthenticateSession(accounts_pb2.AuthenticateSessionRequest(secret=secret))
    if request.method not in _SAFE_METHODS and not hmac.compare_digest(
        request.headers.get(CSRF_HEADER, "").encode(), csrf_token(secret).encode()
    ):
        raise PermissionDenied(
            f"a change made with the session cookie needs the {CSRF_HEADER} header (the {CSRF_COOKIE} cookie's value)",
            code="csrf_failed",
        )
    return Principal(
        workspace_id=got.workspace_id, member_id=got.member_id, role=Role.parse(got.role), session_id=got.session_id
    )


async def authenticate(request: web.Request) -> Principal:
    header = request.headers.get("Authorization", "")
    session = request.cookies.get(SESSION_COOKIE, "")
    if not header and session:
        principal = await _session_principal(request, session)
        CALLER_ROLE.set(principal.role)
        request[PRINCIPAL] = principal
        require(principal.role, request.get(ROUTE_ROLE, Role.OWNER))
        return principal
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("send Authorization: Bearer <token>, or sign in (the session cookie)")
    cache = request.app[PRINCIPALS]
    principal = cache.get(token)
    if principal is None:
        reply = await upstreams(request).accounts.Authenticate(accounts_pb2.AuthenticateRequest(token=token))
        principal = Principal(
            workspace_id=reply.workspace_id,
            member_id=reply.member_id,
            role=effective_role(Role.parse(reply.role), tuple(reply.scopes)),
            token_id=reply.token_id,
        )
        cache.put(token, principal)
    # Every service this request calls checks the role again (services/common/grpc_server.py); refusing here
    # first answers 403 before the body is even read.
    CALLER_ROLE.set(principal.role)
    request[PRINCIPAL] = principal
    require(principal.role, request.get(ROUTE_ROLE, Role.OWNER))
    return principal


def pydantic_error(exc: ValidationError) -> InvalidArgument:
    problems = [
        {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False, include_input=False)
    ]
    first = problems[0]
    return InvalidArgument(f"{first['field']}: {first['message']}", field=first["field"], details={"errors": problems})


def check_text(value: object, field: str = "body") -> None:
    """Refuse text that cannot be stored or sent on: NUL (PostgreSQL text refuses it) and lone surrogates (JSON
    allows "\\ud800", UTF-8 and so protobuf do not). Keys are checked as well as values; iterative, since JSON
    may nest as deep as the parser allows."""
    pending: list[tuple[object, str]] = [(value, field)]
    while pending:
        item, at = pending.pop()
        if isinstance(item, str):
            if "\x00" in item or (not item.isascii() and _has_lone_surrogate(item)):
                raise InvalidArgument(f"{at}: text must be valid Unicode without NUL characters", field=at)
        elif isinstance(item, dict):
            for key, child in item.items():
                pending += [(key, at), (child, f"{at}.{key}" if at != "body" else str(key))]
        elif isinstance(item, list):
            pending += [(child, f"{at}.{index}") for index, child in enumerate(item)]


# Where a JSON body can hold NUL or a lone surrogate: a \u escape of NUL or of a surrogate, a surrogate encoded in the
# bytes themselves (json.loads decodes with surrogatepass), or a NUL byte (UTF-16 or UTF-32 bodies, or NUL itself).
_MAYBE_BAD_TEXT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]|\x00")


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


async def parse_body(request: web.Request, model: type[M]) -> M:
    raw = await request.read()
    if not raw:
        raw = b"{}"  # no body at all is an empty object; anything else must be JSON (whitespace alone is not)
    try:
        data = json.loads(raw)
    # ValueError covers bad JSON and bad UTF-8, and also an integer too long to convert (over 4,300 digits);
    # RecursionError, JSON nested deeper than the parser goes.
    except (ValueError, RecursionError) as exc:
        raise InvalidArgument(f"the body is not valid JSON: {exc}", code="malformed_json", field="body") from None
    if not isinstance(data, dict):
        raise InvalidArgument("the body must be a JSON object", code="malformed_json", field="body")
    if _MAYBE_BAD_TEXT.search(raw):  # else no string of the body can hold either: no need to walk it
        check_text(data)
    request[PARSED_BODY] = data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise pydantic_error(exc) from None


def parse_query(request: web.Request, model: type[M]) -> M:
    check_text(dict(request.query))
    try:
        return model.model_validate(dict(request.query), strict=False)
    except ValidationError as exc:
        raise pydantic_error(exc) from None


def reply(model: BaseModel, status: int = 200) -> web.Response:
    # Serialized by pydantic's core straight to JSON bytes: no dict of Python objects, no stdlib json (B5).
    return web.Response(
        body=model.__pydantic_serializer__.to_json(model),
        status=status,
        content_type="application/json",
        charset="utf-8",
    )


class Empty(models.Request):
    pass


class Paging(models.Request):
    # An int32 over gRPC: anything larger is refused here, not left to fail the call (0: the default size).
    page_size: int = Field(50, ge=0, le=2**31 - 1)
    page_token: str = ""


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Callable[[web.Request], Awaitable[web.Response]]
    summary: str
    response: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    auth: bool = True
    errors: tuple[int, ...] = field(default=(400, 401, 404))
    tag: str = "campaigns"
    # The JSON Schema of a body the handler reads itself, without a model (webhooks: their raw bytes are signed).
    raw_body: dict[str, Any] | None = None
    # The least role that may call it; unset: a read needs viewer, managing senders (and the sandbox's controls)
    # and suppressions admin, any other change member.
    role: Role | None = None
    # False for a caller's own reading state (replies read): not a change to the workspace, no audit entry.
    audited: bool = True

    @property
    def required_role(self) -> Role:
        if self.role is not None:
            return self.role
        if self.method in ("GET", "HEAD"):
            return Role.VIEWER
        return Role.ADMIN if self.tag in ADMIN_TAGS else Role.MEMBER


# Route tags whose changes are an admin's.
ADMIN_TAGS = ("senders", "sandbox", "suppressions")
