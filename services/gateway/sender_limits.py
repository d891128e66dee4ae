"""The sending limits in the HTTP API of both kinds of sender (LinkedIn accounts, inboxes): a limits map as the
gRPC list, the accounts service's field names put back into the map's terms, and the PUT …/limits handler."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel

from holdfast.accounts.v1 import accounts_pb2
from holdfast.common.v1 import types_pb2
from services.common.errors import InvalidArgument
from services.common.proto_enums import from_word
from services.gateway.api import authenticate, parse_body, reply, upstreams

T = TypeVar("T")
_INDEXED = re.compile(r"\blimits\.(\d+)\.")


def sending_limits(given: BaseModel | None) -> tuple[list[types_pb2.SendingLimit], list[str]]:
    """The action types given in a limits map, as the gRPC list, and the action type at each index."""
    if given is None:
        return [], []
    actions = [name for name in type(given).model_fields if getattr(given, name) is not None]
    return [
        types_pb2.SendingLimit(
            action_type=from_word(types_pb2.ActionType, action), **getattr(given, action).model_dump()
        )
        for action in actions
    ], actions


async def naming_limits(call: Awaitable[T], actions: list[str], prefix: str) -> T:
    """The accounts service names a limit by its index in the list ("limits.0.weekly_cap"); the HTTP API
    names it by its key in the map ("limits.linkedin_invite.weekly_cap")."""
    try:
        return await call
    except InvalidArgument as exc:

        def rename(text: str) -> str:
            return _INDEXED.sub(lambda m: f"{prefix}{actions[int(m[1])]}." if int(m[1]) < len(actions) else m[0], text)

        details = dict(exc.details)
        if isinstance(details.get("field"), str):
            details["field"] = rename(details["field"])
        if isinstance(details.get("errors"), list):
            details["errors"] = [
                {k: rename(v) if isinstance(v, str) else v for k, v in e.items()} if isinstance(e, dict) else e
                for e in details["errors"]
            ]
        raise InvalidArgument(rename(exc.message), code=exc.code, details=details) from None


def at_least_one(actions: list[str]) -> None:
    """A limits update that names no action type is refused."""
    if not actions:
        raise InvalidArgument("body: give the limits of at least one action type", field="body")


def update_limits(
    model: type[BaseModel], kind: int, id_key: str, view: Callable[[Any], BaseModel]
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """PUT …/limits of one kind of sender: partial (only the action types given), fields named on error."""

    async def handler(request: web.Request) -> web.Response:
        principal = await authenticate(request)
        limits, actions = sending_limits(await parse_body(request, model))
        at_least_one(actions)
        updated = await naming_limits(
            upstreams(request).accounts.UpdateSendingLimits(
                accounts_pb2.UpdateSendingLimitsRequest(
                    workspace_id=principal.workspace_id,
                    sender_kind=kind,
                    sender_id=request.match_info[id_key],
                    limits=limits,
                )
            ),
            actions,
            "",
        )
        return reply(view(updated.limits))

    handler.__name__ = f"update_{id_key.removesuffix('_id')}_limits"  # the OpenAPI operationId
    return handler
