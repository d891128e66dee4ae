"""What every HTTP handler of the gateway shares: authentication, strict body and query parsing, replies
through response models, and the Route record that drives both the router and the OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from holdfast.accounts.v1 import accounts_pb2
from holdfast.common.v1 import types_pb2
from services.common.errors import InvalidArgument, Unauthenticated
from services.gateway import models
from services.gateway.config import Settings
from services.gateway.upstreams import Upstreams

M = TypeVar("M", bound=BaseModel)
SETTINGS = web.AppKey("settings", Settings)
UPSTREAMS = web.AppKey("upstreams", Upstreams)
OPENAPI = web.AppKey("openapi", dict)


@dataclass(frozen=True)
class Principal:
    workspace_id: str
    member_id: str

    def actor(self) -> types_pb2.Actor:
        return types_pb2.Actor(kind=types_pb2.ACTOR_KIND_MEMBER, member_id=self.member_id)


def upstreams(request: web.Request) -> Upstreams:
    return request.app[UPSTREAMS]


async def authenticate(request: web.Request) -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send Authorization: Bearer <token>")
    reply = await upstreams(request).accounts.Authenticate(accounts_pb2.AuthenticateRequest(token=token.strip()))
    return Principal(workspace_id=reply.workspace_id, member_id=reply.member_id)


def pydantic_error(exc: ValidationError) -> InvalidArgument:
    problems = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"], "type": e["type"]}
                for e in exc.errors(include_url=False, include_input=False)]
    first = problems[0]
    return InvalidArgument(f"{first['field']}: {first['message']}", field=first["field"],
                           details={"errors": problems})


async def parse_body(request: web.Request, model: type[M]) -> M:
    raw = await request.read()
    if not raw.strip():
        raw = b"{}"
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidArgument(f"the body is not valid JSON: {exc}", code="malformed_json", field="body") from None
    if not isinstance(data, dict):
        raise InvalidArgument("the body must be a JSON object", code="malformed_json", field="body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise pydantic_error(exc) from None


def parse_query(request: web.Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query), strict=False)
    except ValidationError as exc:
        raise pydantic_error(exc) from None


def reply(model: BaseModel, status: int = 200) -> web.Response:
    return web.json_response(model.model_dump(mode="json"), status=status)


class Empty(models.Request):
    pass


class Paging(models.Request):
    page_size: int = 50
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


