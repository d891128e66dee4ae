"""HTTP API of the workspace suppression list (DESIGN V6): list (paged, searchable), add up to 100,000 entries
at once (all or nothing: the first invalid entry is named by its index), delete, and a CSV export.
`SUPPRESSION_ROUTES` joins the gateway's route table."""

from __future__ import annotations

import csv
import io
from typing import Literal

from aiohttp import web
from pydantic import Field

from holdfast.campaigns.v1 import campaigns_pb2
from services.gateway import models
from services.gateway.api import Route, authenticate, parse_body, parse_query, reply, upstreams
from services.gateway.views import iso

SUPPRESSIONS = "/api/v1/suppressions"
EXPORT_PAGE = 1000
Kind = Literal["email", "domain", "linkedin"]


class EntryIn(models.Request):
    type: Kind
    value: str = Field(
        min_length=1,
        max_length=2000,
        description="an address, a domain, or a LinkedIn provider id or profile URL (by type)",
    )


class AddSuppressions(models.Request):
    entries: list[EntryIn] = Field(min_length=1, max_length=100_000)
    source: Literal["member", "import"] = "member"


class SuppressionQuery(models.Request):
    q: str = Field("", max_length=320, description="matches anywhere in the value, case-insensitive")
    page_size: int = Field(50, ge=0, le=1000)
    page_token: str = ""


class SuppressionOut(models.Response):
    id: str
    type: Kind
    value: str = Field(description="in normal form: lower case; a LinkedIn profile URL as its public identifier")
    source: Literal["opt_out", "hard_bounce", "reply", "member", "import"]
    actor: str
    created_at: str


class SuppressionPage(models.Response):
    suppressions: list[SuppressionOut]
    next_page_token: str | None


class SuppressionsAdded(models.Response):
    added: int
    already_listed: int
    enforced: bool = Field(
        description="the scheduler enforces the new entries (false only if it did not answer "
        "in time; they are kept and applied as soon as it does)"
    )


def _out(s: campaigns_pb2.Suppression) -> SuppressionOut:
    return SuppressionOut(
        id=s.id,
        type=s.type,
        value=s.value,
        source=s.source,
        actor=s.actor,  # type: ignore[arg-type]
        created_at=iso(s.created_at),
    )


async def list_suppressions(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    query = parse_query(request, SuppressionQuery)
    page = await upstreams(request).campaigns.ListSuppressions(
        campaigns_pb2.ListSuppressionsRequest(
            workspace_id=principal.workspace_id, query=query.q, page_size=query.page_size, page_token=query.page_token
        )
    )
    return reply(
        SuppressionPage(suppressions=[_out(s) for s in page.suppressions], next_page_token=page.next_page_token or None)
    )


async def add_suppressions(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, AddSuppressions)
    added = await upstreams(request).campaigns.AddSuppressions(
        campaigns_pb2.AddSuppressionsRequest(
            workspace_id=principal.workspace_id,
            source=body.source,
            actor=principal.actor(),
            entries=[campaigns_pb2.SuppressionInput(type=e.type, value=e.value) for e in body.entries],
        ),
        timeout=120,
    )
    return reply(SuppressionsAdded(added=added.added, already_listed=added.already_listed, enforced=added.enforced))


async def delete_suppression(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    gone = await upstreams(request).campaigns.DeleteSuppression(
        campaigns_pb2.DeleteSuppressionRequest(
            workspace_id=principal.workspace_id, suppression_id=request.match_info["suppression_id"]
        )
    )
    return reply(_out(gone.suppression))


async def export_suppressions(request: web.Request) -> web.StreamResponse:
    principal = await authenticate(request)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="suppressions.csv"',
        }
    )
    await response.prepare(request)
    token = ""
    first = True
    while True:
        page = await upstreams(request).campaigns.ListSuppressions(
            campaigns_pb2.ListSuppressionsRequest(
                workspace_id=principal.workspace_id, page_size=EXPORT_PAGE, page_token=token
            )
        )
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        if first:
            writer.writerow(["type", "value", "source", "created_at"])
            first = False
        for s in page.suppressions:
            writer.writerow([s.type, s.value, s.source, iso(s.created_at)])
        await response.write(buffer.getvalue().encode())
        token = page.next_page_token
        if not token:
            break
    await response.write_eof()
    return response


SUPPRESSION_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        SUPPRESSIONS,
        list_suppressions,
        "The workspace's suppression list, newest first (searchable).",
        SuppressionPage,
        query=SuppressionQuery,
        errors=(400, 401),
        tag="suppressions",
    ),
    Route(
        "POST",
        SUPPRESSIONS,
        add_suppressions,
        "Suppress email addresses, whole domains or LinkedIn profiles (up to 100,000 at once; an invalid entry "
        "refuses the call, named by its index, and nothing is written). Answers once the scheduler enforces them.",
        SuppressionsAdded,
        body=AddSuppressions,
        errors=(400, 401),
        tag="suppressions",
    ),
    Route(
        "GET",
        f"{SUPPRESSIONS}.csv",
        export_suppressions,
        "The whole list as CSV.",
        None,
        errors=(401,),
        tag="suppressions",
    ),
    Route(
        "DELETE",
        SUPPRESSIONS + "/{suppression_id}",
        delete_suppression,
        "Remove an entry: later uploads are no longer suppressed by it (prospects it stopped stay stopped).",
        SuppressionOut,
        tag="suppressions",
    ),
)
