"""The real Unipile client against the Unipile sandbox over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp import web
from multidict import CIMultiDictProxy

from sandbox.unipile import ENDPOINTS, STATE, SandboxState, create_app
from services.common.metrics import PROVIDER_UNMAPPED_ERRORS
from services.common.providers.unipile import (
    DOCUMENTED_ERRORS,
    Account,
    FailureKind,
    UnipileClient,
    UnipileError,
    classify,
)

API_KEY = "sk-sandbox-Zq8v1W3nB7x0"
ACCOUNT = "acc-li-1"
RELATION = "ACoREL1"
PROSPECT = "ACoPROSPECT1"


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Sandbox:
    url: str
    state: SandboxState


@dataclass
class Received:
    headers: CIMultiDictProxy[str]
    body: dict[str, Any]


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture(scope="module")
async def sandbox_server() -> AsyncIterator[Sandbox]:
    app = create_app(API_KEY)
    runner, url = await _serve(app)
    yield Sandbox(url=url, state=app[STATE])
    await runner.cleanup()


async def control(http: aiohttp.ClientSession, sandbox: Sandbox, path: str, body: object = None) -> Any:
    async with http.post(f"{sandbox.url}/_sandbox/{path}", json=body) as response:
        assert response.status < 300, await response.text()
        return None if response.status == 204 else await response.json()


@pytest.fixture
async def sandbox(sandbox_server: Sandbox, http: aiohttp.ClientSession) -> Sandbox:
    await control(http, sandbox_server, "reset")
    await control(http, sandbox_server, "accounts", {"id": ACCOUNT, "name": "Ada Sender", "connections": [RELATION]})
    return sandbox_server


@pytest.fixture
def client(sandbox: Sandbox, http: aiohttp.ClientSession) -> UnipileClient:
    return UnipileClient(sandbox.url, API_KEY, http)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver(url="")

    async def record(request: web.Request) -> web.Response:
        receiver.received.append(Received(headers=request.headers, body=await request.json()))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", record)
    runner, url = await _serve(app)
    receiver.url = f"{url}/hook"
    yield receiver
    await runner.cleanup()


@dataclass
class Stub:
    """A scripted server for answers the sandbox never gives (odd bodies, echoed secrets)."""

    url: str
    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    seen: list[CIMultiDictProxy[str]] = field(default_factory=list)


@pytest.fixture
async def stub() -> AsyncIterator[Stub]:
    stub = Stub(url="")

    async def answer(request: web.Request) -> web.Response:
        stub.seen.append(request.headers)
        return web.Response(status=stub.status, body=stub.body, content_type=stub.content_type, headers=stub.headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner, stub.url = await _serve(app)
    yield stub
    await runner.cleanup()


# ---------------------------------------------------------------------------------------------------------
# Happy paths


async def test_get_account_reads_status_from_sources(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    assert await client.get_account(ACCOUNT) == Account(id=ACCOUNT, type="LINKEDIN", name="Ada Sender", status="OK")

    await control(http, sandbox, f"accounts/{ACCOUNT}/status", {"status": "CREDENTIALS", "notify": False})

    assert (await client.get_account(ACCOUNT)).status == "CREDENTIALS"


async def test_requests_carry_api_key_and_accept_header(stub: Stub, http: aiohttp.ClientSession) -> None:
    stub.body = b'{"object": "Account", "id": "a", "type": "LINKEDIN", "name": "n", "sources": []}'
    account = await UnipileClient(stub.url, API_KEY, http).get_account("a")

    assert stub.seen[0]["X-API-KEY"] == API_KEY
    assert stub.seen[0]["accept"] == "application/json"
    # No source listed yet must never read as healthy.
    assert account.status == "UNKNOWN"


async def test_account_status_is_the_most_severe_source(stub: Stub, http: aiohttp.ClientSession) -> None:
    stub.body = (
        b'{"object": "Account", "id": "a", "type": "LINKEDIN", "name": "n",'
        b' "sources": [{"id": "a_MESSAGING", "status": "OK"}, {"id": "a_2", "status": "CREDENTIALS"}]}'
    )

    assert (await UnipileClient(stub.url, API_KEY, http).get_account("a")).status == "CREDENTIALS"


async def test_unknown_account_answers_resource_not_found(client: UnipileClient) -> None:
    with pytest.raises(UnipileError) as caught:
        await client.get_account("nobody")

    assert (caught.value.status, caught.value.type) == (404, "errors/resource_not_found")
    assert caught.value.kind is FailureKind.PROSPECT_REFUSED  # a 4xx: definitely not performed (T1)


async def test_send_invite_is_recorded_and_listed(client: UnipileClient, sandbox: Sandbox) -> None:
    invitation_id = (await client.send_invite(ACCOUNT, PROSPECT, "Hello Grace")).invitation_id

    [sent] = sandbox.state.invitations
    assert (sent.id, sent.account_id, sent.provider_id, sent.message) == (
        invitation_id,
        ACCOUNT,
        PROSPECT,
        "Hello Grace",
    )
    page = await client.list_sent_invitations(ACCOUNT)
    assert page.cursor is None
    [listed] = page.items
    assert listed.invitation_id == invitation_id
    assert listed.provider_id == PROSPECT
    assert listed.message == "Hello Grace"
    assert listed.name == f"Prospect {PROSPECT}"
    assert listed.public_identifier == f"prospect-{PROSPECT.lower()}"
    assert listed.sent_at is not None and abs(listed.sent_at - sent.sent_at) < timedelta(milliseconds=1)


async def test_invite_message_limit_is_checked_before_any_call(client: UnipileClient, sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="300"):
        await client.send_invite(ACCOUNT, PROSPECT, "x" * 301)
    assert sandbox.state.calls["send_invite"] == 0

    await client.send_invite(ACCOUNT, PROSPECT, "x" * 300)
    assert sandbox.state.invitations[0].message == "x" * 300


async def test_invite_without_message_sends_none(client: UnipileClient, sandbox: Sandbox) -> None:
    await client.send_invite(ACCOUNT, PROSPECT, None)

    assert sandbox.state.invitations[0].message is None


async def test_duplicate_invite_is_refused_for_the_prospect(client: UnipileClient) -> None:
    await client.send_invite(ACCOUNT, PROSPECT, None)

    with pytest.raises(UnipileError) as caught:
        await client.send_invite(ACCOUNT, PROSPECT, None)

    assert (caught.value.status, caught.value.type) == (422, "errors/already_invited_recently")
    # T3: it concerns this recipient for a while, not the sender.
    assert caught.value.kind is FailureKind.RECIPIENT_COOLDOWN


async def test_start_chat_then_send_message(client: UnipileClient, sandbox: Sandbox) -> None:
    started = await client.start_chat(ACCOUNT, RELATION, "Thanks for connecting")
    assert started.chat_id is not None and started.message_id is not None

    message_id = await client.send_message(started.chat_id, "Following up")

    chat = sandbox.state.chats[started.chat_id]
    assert (chat.account_id, chat.attendee_provider_id) == (ACCOUNT, RELATION)
    assert [(m.id, m.text) for m in chat.messages] == [
        (started.message_id, "Thanks for connecting"),
        (message_id, "Following up"),
    ]


async def test_sandbox_accepts_chats_only_as_multipart(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    # The client's happy path above proves it sends multipart; this proves the check is real.
    body = {"account_id": ACCOUNT, "text": "hi", "attendees_ids": [RELATION]}
    async with http.post(f"{sandbox.url}/api/v1/chats", json=body, headers={"X-API-KEY": API_KEY}) as response:
        assert response.status == 400
        assert (await response.json())["type"] == "errors/invalid_parameters"
    assert sandbox.state.chats == {}


async def test_chat_with_a_non_relation_is_refused(client: UnipileClient) -> None:
    with pytest.raises(UnipileError) as caught:
        await client.start_chat(ACCOUNT, PROSPECT, "hi")

    assert (caught.value.status, caught.value.type) == (422, "errors/no_connection_with_recipient")


async def test_relations_are_paged_with_cursors(
    client: UnipileClient, http: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    people = [f"ACoPAGE{i}" for i in range(5)]
    await control(http, sandbox, "accounts", {"id": "acc-many", "name": "Many", "connections": people})

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await client.list_relations("acc-many", cursor=cursor, limit=2)
        seen += [relation.provider_id for relation in page.items]
        pages += 1
        if page.cursor is None:
            break
        cursor = page.cursor

    assert pages == 3
    assert sorted(seen) == sorted(people)


async def test_page_limits_are_checked_before_any_call(client: UnipileClient, sandbox: Sandbox) -> None:
    with pytest.raises(ValueError):
        await client.list_sent_invitations(ACCOUNT, limit=251)
    with pytest.raises(ValueError):
        await client.list_relations(ACCOUNT, limit=0)

    assert sandbox.state.calls["list_sent_invitations"] == sandbox.state.calls["list_relations"] == 0


async def test_create_webhook_registers_headers_as_key_value_pairs(client: UnipileClient, sandbox: Sandbox) -> None:
    webhook_id = await client.create_webhook("http://127.0.0.1:9/hook", "users", {"X-Secret": "s1"}, name="hf")

    [webhook] = sandbox.state.webhooks
    assert (webhook.id, webhook.source, webhook.name, webhook.headers) == (
        webhook_id,
        "users",
        "hf",
        {"X-Secret": "s1"},
    )


# ---------------------------------------------------------------------------------------------------------
# Errors and their classification


async def test_wrong_api_key_is_401_and_not_an_account_disconnection(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(UnipileError) as caught:
        await UnipileClient(sandbox.url, "wrong-key", http).get_account(ACCOUNT)

    assert (caught.value.status, caught.value.type) == (401, "errors/missing_credentials")
    # A bad API key is our configuration, not the LinkedIn account: it must not mark the account disconnected,
    # nor stop any prospect; the senders wait.
    assert caught.value.kind is FailureKind.SENDER_COOLDOWN


async def test_missing_api_key_gets_unipile_error_shape(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{sandbox.url}/api/v1/accounts/{ACCOUNT}") as response:
        assert response.status == 401
        body = await response.json()
    assert body["type"] == "errors/missing_credentials" and body["status"] == 401
    assert {"title", "detail"} <= body.keys()


P, R, S, RL, D, X, T, U = (
    FailureKind.PROSPECT_REFUSED,
    FailureKind.RECIPIENT_COOLDOWN,
    FailureKind.SENDER_COOLDOWN,
    FailureKind.RATE_LIMITED,
    FailureKind.DISCONNECTED,
    FailureKind.RESTRICTED,
    FailureKind.TRANSIENT,
    FailureKind.UNKNOWN,
)
# Every error type Unipile documents for v1 (DESIGN §6), with the outcome class DESIGN T1-T3 gives it. Written
# out here rather than read from the client, so a change of the client's table has to change this one too.
CLASSIFICATION = [
    (400, "errors/invalid_parameters", P),
    (400, "errors/malformed_request", P),
    (400, "errors/content_too_large", P),
    (400, "errors/invalid_url", P),
    (400, "errors/too_many_characters", P),
    (400, "errors/unescaped_characters", P),
    (400, "errors/missing_parameters", P),
    (401, "errors/missing_credentials", S),
    (401, "errors/multiple_sessions", D),
    (401, "errors/disconnected_account", D),
    (401, "errors/expired_credentials", D),
    (401, "errors/invalid_credentials", D),
    (401, "errors/checkpoint_error", D),
    (403, "errors/account_restricted", X),
    (403, "errors/account_mismatch", P),
    (403, "errors/insufficient_permissions", S),
    (403, "errors/feature_not_subscribed", S),
    (403, "errors/action_required", S),
    (404, "errors/resource_not_found", P),
    (404, "errors/invalid_resource_identifier", P),
    (422, "errors/invalid_account", S),
    (422, "errors/invalid_recipient", P),
    (422, "errors/no_connection_with_recipient", P),
    (422, "errors/blocked_recipient", P),
    (422, "errors/user_unreachable", P),
    (422, "errors/action_already_performed", P),
    (422, "errors/not_allowed_inmail", P),
    (422, "errors/insufficient_credits", S),
    (422, "errors/cannot_resend_yet", R),
    (422, "errors/cannot_resend_within_24hrs", R),
    (422, "errors/limit_exceeded", S),
    (422, "errors/already_invited_recently", R),
    (422, "errors/cannot_invite_attendee", P),
    (429, "errors/too_many_requests", RL),
    (500, "errors/unexpected_error", U),
    (500, "errors/provider_error", T),
    (500, "errors/authentication_intent_error", T),
    (501, "errors/feature_not_implemented", S),
    (503, "errors/no_client_session", T),
    (503, "errors/no_channel", T),
    (503, "errors/no_handler", T),
    (503, "errors/network_down", T),
    (503, "errors/service_unavailable", T),
    (504, "errors/request_timeout", U),
    # Undocumented types: a 4xx is still a definite no (T2); a 429 is still a rate limit; a 5xx cannot tell.
    (429, "errors/some_future_type", RL),
    (422, "errors/some_future_type", P),
    (403, "errors/new_thing", P),
    (502, "errors/some_future_type", U),
    (503, "errors/some_future_type", T),
]


def test_every_documented_type_is_classified_by_the_table_above() -> None:
    documented = {t for _, t, _ in CLASSIFICATION if "future" not in t and "new_thing" not in t}
    assert documented == set(DOCUMENTED_ERRORS), "DESIGN §6 and the client disagree on the documented types"
    assert {t: s for s, t, _ in CLASSIFICATION if t in DOCUMENTED_ERRORS} == {
        t: s for t, (s, _) in DOCUMENTED_ERRORS.items()
    }


def test_a_linkedin_limit_500_is_the_senders_cool_down() -> None:
    # Unipile: exceeding LinkedIn's limits answers 429 or 500.
    assert classify(500, "errors/provider_error", "LinkedIn weekly invitation limit reached") is S
    assert classify(500, "errors/provider_error", "Something broke upstream") is T


async def test_an_undocumented_4xx_is_refused_logged_and_counted(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    counter = PROVIDER_UNMAPPED_ERRORS.labels("422", "errors/brand_new")
    before = counter._value.get()
    await control(http, sandbox, "failures", {"endpoint": "send_invite", "status": 422, "type": "errors/brand_new"})

    with structlog.testing.capture_logs() as logs, pytest.raises(UnipileError) as caught:
        await client.send_invite(ACCOUNT, PROSPECT, None)

    assert caught.value.kind is FailureKind.PROSPECT_REFUSED
    assert counter._value.get() == before + 1
    assert [e["type"] for e in logs if e["event"] == "undocumented Unipile error type"] == ["errors/brand_new"]
    # A documented type is not counted.
    documented = PROVIDER_UNMAPPED_ERRORS.labels("422", "errors/invalid_recipient")
    await control(
        http, sandbox, "failures", {"endpoint": "send_invite", "status": 422, "type": "errors/invalid_recipient"}
    )
    with pytest.raises(UnipileError):
        await client.send_invite(ACCOUNT, PROSPECT, None)
    assert documented._value.get() == 0


@pytest.mark.parametrize(("status", "error_type", "kind"), CLASSIFICATION, ids=[c[1] for c in CLASSIFICATION])
async def test_injected_failures_are_classified(
    client: UnipileClient,
    sandbox: Sandbox,
    http: aiohttp.ClientSession,
    status: int,
    error_type: str,
    kind: FailureKind,
) -> None:
    await control(http, sandbox, "failures", {"endpoint": "send_invite", "status": status, "type": error_type})

    with pytest.raises(UnipileError) as caught:
        await client.send_invite(ACCOUNT, PROSPECT, None)

    assert (caught.value.status, caught.value.type, caught.value.kind) == (status, error_type, kind)
    assert caught.value.retry_after_s is None
    # Only the next call was to fail.
    assert (await client.send_invite(ACCOUNT, PROSPECT, None)).invitation_id


CALLS: dict[str, Callable[[UnipileClient], Awaitable[object]]] = {
    "get_account": lambda c: c.get_account(ACCOUNT),
    "send_invite": lambda c: c.send_invite(ACCOUNT, PROSPECT, None),
    "start_chat": lambda c: c.start_chat(ACCOUNT, RELATION, "hi"),
    "send_message": lambda c: c.send_message("any-chat", "hi"),
    "list_sent_invitations": lambda c: c.list_sent_invitations(ACCOUNT),
    "list_relations": lambda c: c.list_relations(ACCOUNT),
    "create_reconnect_link": lambda c: c.create_reconnect_link(
        ACCOUNT, datetime.now(UTC) + timedelta(hours=1), "http://127.0.0.1"
    ),
    "create_webhook": lambda c: c.create_webhook("http://127.0.0.1:9/hook", "users", {}),
    "get_user": lambda c: c.get_user(ACCOUNT, "ada-lovelace"),
    "list_accounts": lambda c: c.list_accounts(),
    "list_chats": lambda c: c.list_chats(ACCOUNT),
    "list_chat_messages": lambda c: c.list_chat_messages("any-chat"),
    "get_chat": lambda c: c.get_chat("any-chat"),
    "get_message": lambda c: c.get_message("any-message"),
    "list_webhooks": lambda c: c.list_webhooks(),
    "delete_webhook": lambda c: c.delete_webhook("any-webhook"),
}


def test_every_sandbox_endpoint_has_a_client_call() -> None:
    assert set(CALLS) == set(ENDPOINTS)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_failure_injection_targets_each_endpoint(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession, endpoint: str
) -> None:
    await control(http, sandbox, "failures", {"endpoint": endpoint, "status": 503, "type": "errors/network_down"})

    with pytest.raises(UnipileError) as caught:
        await CALLS[endpoint](client)

    assert (caught.value.status, caught.value.kind) == (503, FailureKind.TRANSIENT)
    assert sandbox.state.calls[endpoint] == 1


async def test_failure_injection_counts_down(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    await control(
        http,
        sandbox,
        "failures",
        {"endpoint": "get_account", "status": 500, "type": "errors/provider_error", "count": 2},
    )

    for _ in range(2):
        with pytest.raises(UnipileError):
            await client.get_account(ACCOUNT)
    # Other endpoints were never affected, and the third call succeeds.
    assert await client.list_relations(ACCOUNT)
    assert (await client.get_account(ACCOUNT)).status == "OK"


@pytest.mark.parametrize(("header", "expected"), [("120", 120.0), ("0", 0.0), ("soon", None)])
async def test_retry_after_seconds(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession, header: str, expected: float | None
) -> None:
    await control(
        http,
        sandbox,
        "failures",
        {"endpoint": "send_invite", "status": 429, "type": "errors/too_many_requests", "retry_after": header},
    )

    with pytest.raises(UnipileError) as caught:
        await client.send_invite(ACCOUNT, PROSPECT, None)

    assert caught.value.retry_after_s == expected


async def test_retry_after_http_date_is_relative_to_the_injected_clock(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    now = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    client = UnipileClient(sandbox.url, API_KEY, http, now=lambda: now)
    await control(
        http,
        sandbox,
        "failures",
        {
            "endpoint": "send_invite",
            "status": 503,
            "type": "errors/service_unavailable",
            "retry_after": "Thu, 01 Jan 2026 00:01:30 GMT",
        },
    )

    with pytest.raises(UnipileError) as caught:
        await client.send_invite(ACCOUNT, PROSPECT, None)

    assert caught.value.retry_after_s == 90.0


@pytest.mark.parametrize(
    ("status", "kind"), [(502, FailureKind.UNKNOWN), (503, FailureKind.TRANSIENT), (429, FailureKind.RATE_LIMITED)]
)
async def test_non_json_error_body_does_not_crash(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession, status: int, kind: FailureKind
) -> None:
    await control(
        http,
        sandbox,
        "failures",
        {
            "endpoint": "get_account",
            "status": status,
            "type": "ignored",
            "title": "Bad Gateway",
            "non_json": True,
        },
    )

    with pytest.raises(UnipileError) as caught:
        await client.get_account(ACCOUNT)

    assert (caught.value.status, caught.value.type, caught.value.kind) == (status, "", kind)
    assert "Bad Gateway" in caught.value.detail


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"object": "UserInvitationSent"}', b'{"invitation_id": 42}'],
    ids=["text", "array", "missing-field", "wrong-type"],
)
async def test_malformed_success_is_unknown_never_transient(
    stub: Stub, http: aiohttp.ClientSession, body: bytes
) -> None:
    stub.status, stub.body = 201, body

    with pytest.raises(UnipileError) as caught:
        await UnipileClient(stub.url, API_KEY, http).send_invite(ACCOUNT, PROSPECT, None)

    # Answered 2xx: the invite may have gone out, so a blind retry could send it twice.
    assert (caught.value.status, caught.value.type, caught.value.kind) == (
        201,
        "malformed_response",
        FailureKind.UNKNOWN,
    )


@pytest.mark.parametrize(
    ("status", "error_type", "kind"),
    [
        ("CREDENTIALS", "errors/disconnected_account", FailureKind.DISCONNECTED),
        ("STOPPED", "errors/no_client_session", FailureKind.TRANSIENT),
    ],
)
async def test_sends_from_an_unhealthy_account_fail(
    client: UnipileClient,
    sandbox: Sandbox,
    http: aiohttp.ClientSession,
    status: str,
    error_type: str,
    kind: FailureKind,
) -> None:
    await control(http, sandbox, f"accounts/{ACCOUNT}/status", {"status": status, "notify": False})

    for call in (CALLS["send_invite"], CALLS["start_chat"]):
        with pytest.raises(UnipileError) as caught:
            await call(client)
        assert (caught.value.type, caught.value.kind) == (error_type, kind)
    assert sandbox.state.invitations == [] and sandbox.state.chats == {}


async def test_restricted_account_answers_account_restricted(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    await control(http, sandbox, f"accounts/{ACCOUNT}/status", {"restricted": True, "notify": False})

    with pytest.raises(UnipileError) as caught:
        await client.send_invite(ACCOUNT, PROSPECT, None)

    assert (caught.value.status, caught.value.kind) == (403, FailureKind.RESTRICTED)


async def test_send_message_to_unknown_chat_is_not_found(client: UnipileClient) -> None:
    with pytest.raises(UnipileError) as caught:
        await client.send_message("no-such-chat", "hi")

    assert (caught.value.status, caught.value.type) == (404, "errors/resource_not_found")


# ---------------------------------------------------------------------------------------------------------
# Latency, timeouts and the network


async def test_endpoint_latency_is_honoured(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    await control(http, sandbox, "latency", {"endpoint": "get_account", "ms": 300})

    started = time.monotonic()
    await client.get_account(ACCOUNT)
    slow = time.monotonic() - started
    started = time.monotonic()
    await client.list_relations(ACCOUNT)
    fast = time.monotonic() - started

    assert slow >= 0.3
    assert fast < 0.3


async def test_no_answer_within_the_timeout_is_unknown_not_transient(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    await control(http, sandbox, "latency", {"endpoint": None, "ms": 1000})
    client = UnipileClient(sandbox.url, API_KEY, http, timeout_s=0.2)

    started = time.monotonic()
    with pytest.raises(UnipileError) as caught:
        await client.get_account(ACCOUNT)

    assert time.monotonic() - started < 0.9
    # The request was sent: Unipile may have acted, so it must be reconciled, not sent again (S8).
    assert (caught.value.status, caught.value.type, caught.value.kind) == (
        0,
        "no_answer",
        FailureKind.UNKNOWN,
    )


async def test_connection_refused_is_transient(http: aiohttp.ClientSession) -> None:
    client = UnipileClient(f"http://127.0.0.1:{_closed_port()}", API_KEY, http)

    with pytest.raises(UnipileError) as caught:
        await client.get_account(ACCOUNT)

    assert (caught.value.status, caught.value.type, caught.value.kind) == (
        0,
        "network",
        FailureKind.TRANSIENT,
    )


# ---------------------------------------------------------------------------------------------------------
# Webhooks


async def test_account_status_change_fires_webhook_with_secret_header(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    await client.create_webhook(receiver.url, "account_status", {"X-Holdfast-Secret": "whsec-1"})
    await client.create_webhook(receiver.url + "?users", "users", {"X-Holdfast-Secret": "whsec-2"})

    answer = await control(http, sandbox, f"accounts/{ACCOUNT}/status", {"status": "CREDENTIALS"})

    [received] = receiver.received
    assert received.body == {
        "AccountStatus": {"account_id": ACCOUNT, "account_type": "LINKEDIN", "message": "CREDENTIALS"}
    }
    assert received.headers["X-Holdfast-Secret"] == "whsec-1"
    assert received.headers["Content-Type"].startswith("application/json")
    assert [d["status"] for d in answer["deliveries"]] == [200]
    assert (await client.get_account(ACCOUNT)).status == "CREDENTIALS"


async def test_dead_webhook_receiver_is_recorded_without_blocking(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox.state, "webhook_timeout_s", 0.5)
    await client.create_webhook(f"http://127.0.0.1:{_closed_port()}/hook", "account_status", {})

    started = time.monotonic()
    answer = await control(http, sandbox, f"accounts/{ACCOUNT}/status", {"status": "ERROR"})

    assert time.monotonic() - started < 2.0
    [delivery] = answer["deliveries"]
    assert delivery["status"] is None and delivery["error"]
    assert sandbox.state.deliveries[0].error == delivery["error"]


async def test_accepting_an_invitation_fires_new_relation_and_shows_in_relations(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    await client.create_webhook(receiver.url, "users", {"X-Holdfast-Secret": "whsec-3"}, name="holdfast-users")
    await client.send_invite(ACCOUNT, PROSPECT, "Hi")

    await control(
        http,
        sandbox,
        f"accounts/{ACCOUNT}/accept",
        {
            "provider_id": PROSPECT,
            "full_name": "Grace Hopper",
            "public_identifier": "grace-hopper",
            "picture_url": "https://media.example/grace.jpg",
        },
    )

    [received] = receiver.received
    assert received.headers["X-Holdfast-Secret"] == "whsec-3"
    assert received.body == {
        "event": "new_relation",
        "account_id": ACCOUNT,
        "account_type": "LINKEDIN",
        "webhook_name": "holdfast-users",
        "user_full_name": "Grace Hopper",
        "user_provider_id": PROSPECT,
        "user_public_identifier": "grace-hopper",
        "user_profile_url": "https://www.linkedin.com/in/grace-hopper/",
        "user_picture_url": "https://media.example/grace.jpg",
    }
    relations = {r.provider_id: r for r in (await client.list_relations(ACCOUNT)).items}
    assert relations[PROSPECT].public_identifier == "grace-hopper"
    assert relations[PROSPECT].name == "Grace Hopper"
    # The sent list holds pending invitations only.
    assert (await client.list_sent_invitations(ACCOUNT)).items == ()
    # Once connected, the prospect cannot be invited again.
    with pytest.raises(UnipileError) as caught:
        await client.send_invite(ACCOUNT, PROSPECT, None)
    assert caught.value.kind is FailureKind.PROSPECT_REFUSED


async def test_accept_without_a_pending_invitation_is_refused(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    async with http.post(f"{sandbox.url}/_sandbox/accounts/{ACCOUNT}/accept", json={"provider_id": PROSPECT}) as r:
        assert r.status == 404
    assert PROSPECT not in sandbox.state.accounts[ACCOUNT].relations


# ---------------------------------------------------------------------------------------------------------
# Hosted reconnect


async def test_reconnect_links_are_fresh_and_complete_the_reconnect(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    await control(http, sandbox, f"accounts/{ACCOUNT}/status", {"status": "CREDENTIALS", "notify": False})
    await client.create_webhook(receiver.url, "account_status", {})
    expires_on = datetime.now(UTC) + timedelta(hours=1)

    first = await client.create_reconnect_link(ACCOUNT, expires_on, sandbox.url, notify_url=receiver.url)
    second = await client.create_reconnect_link(ACCOUNT, expires_on, sandbox.url)

    assert first != second
    assert first.startswith(f"{sandbox.url}/") and second.startswith(f"{sandbox.url}/")
    link = next(link for link in sandbox.state.hosted_links.values() if first.endswith(link.token))
    assert link.account_id == ACCOUNT
    assert abs(link.expires_on - expires_on) < timedelta(milliseconds=1)

    async with http.get(first) as page:
        assert page.status == 200 and "Ada Sender" in await page.text()
    async with http.post(f"{first}/complete") as done:
        assert done.status == 200

    assert (await client.get_account(ACCOUNT)).status == "OK"
    assert [r.body for r in receiver.received] == [
        {"AccountStatus": {"account_id": ACCOUNT, "account_type": "LINKEDIN", "message": "RECONNECTED"}},
        {"status": "RECONNECTED", "account_id": ACCOUNT, "name": None},
    ]
    async with http.get(first) as used:
        assert used.status == 410


async def test_reconnect_link_needs_an_aware_expiry(client: UnipileClient, sandbox: Sandbox) -> None:
    with pytest.raises(ValueError):
        await client.create_reconnect_link(ACCOUNT, datetime(2030, 1, 1), sandbox.url)
    assert sandbox.state.calls["create_reconnect_link"] == 0


# ---------------------------------------------------------------------------------------------------------
# Secrets


async def test_api_key_never_appears_in_errors_or_reprs(stub: Stub, http: aiohttp.ClientSession) -> None:
    # A hostile or buggy server echoing the key back must not get it into our logs.
    stub.status = 400
    stub.body = (
        f'{{"type": "errors/invalid_parameters", "title": "bad key {API_KEY}", "detail": "got {API_KEY}"}}'
    ).encode()
    client = UnipileClient(stub.url, API_KEY, http)
    offline = UnipileClient(f"http://127.0.0.1:{_closed_port()}", API_KEY, http)

    errors: list[UnipileError] = []
    for call in (client.get_account, offline.get_account):
        with pytest.raises(UnipileError) as caught:
            await call(ACCOUNT)
        errors.append(caught.value)

    assert stub.seen[0]["X-API-KEY"] == API_KEY
    for error in errors:
        assert API_KEY not in str(error) and API_KEY not in repr(error)
        assert API_KEY not in repr(error.args) and API_KEY not in repr(error.__cause__)
    assert "[redacted]" in errors[0].detail
    assert API_KEY not in repr(client)


async def test_sandbox_state_never_exposes_the_api_key(sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{sandbox.url}/_sandbox/state") as response:
        text = await response.text()

    assert response.status == 200 and ACCOUNT in text
    assert API_KEY not in text


# ---------------------------------------------------------------------------------------------------------
# Issue 13: the sandbox is faithful to what real Unipile answers


async def test_failures_are_injected_for_one_account_only(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    await control(http, sandbox, "accounts", {"id": "acc-other", "name": "Other workspace's account"})
    await control(
        http,
        sandbox,
        "failures",
        {"endpoint": "send_invite", "account_id": ACCOUNT, "status": 422, "type": "errors/invalid_recipient"},
    )

    # Another workspace's account is untouched; ours meets the failure on its next call.
    assert (await client.send_invite("acc-other", PROSPECT, None)).invitation_id
    with pytest.raises(UnipileError) as caught:
        await client.send_invite(ACCOUNT, PROSPECT, None)
    assert caught.value.type == "errors/invalid_recipient"


async def test_invites_answer_usage_when_passing_each_threshold(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    await control(http, sandbox, "accounts", {"id": "acc-small", "name": "Small", "invite_limit": 20})

    usages = [(await client.send_invite("acc-small", f"P{i}", None)).usage for i in range(20)]

    assert {i + 1: u for i, u in enumerate(usages) if u is not None} == {10: 50, 15: 75, 18: 90, 19: 95}
    with pytest.raises(UnipileError) as caught:
        await client.send_invite("acc-small", "P-over", None)
    assert (caught.value.type, caught.value.kind) == ("errors/limit_exceeded", FailureKind.SENDER_COOLDOWN)


async def test_a_message_to_a_stranger_needs_an_inmail_and_credits(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    await control(
        http,
        sandbox,
        "accounts",
        {"id": "acc-nav", "name": "Nav", "inmail_credits": 1, "premium_features": ["sales_navigator"]},
    )
    with pytest.raises(UnipileError) as caught:
        await client.start_chat("acc-nav", "STRANGER", "hi")
    assert caught.value.type == "errors/no_connection_with_recipient"

    account = await client.get_account("acc-nav")
    assert account.premium_features == ("sales_navigator",) and account.inmail_api == "sales_navigator"
    sent = await client.start_chat("acc-nav", "STRANGER", "hi", inmail=True, api=account.inmail_api)
    chat = sandbox.state.chats[sent.chat_id or ""]
    assert (chat.inmail, chat.api) == (True, "sales_navigator")
    with pytest.raises(UnipileError) as caught:
        await client.start_chat("acc-nav", "STRANGER-2", "hi", inmail=True)
    assert (caught.value.type, caught.value.kind) == ("errors/insufficient_credits", FailureKind.SENDER_COOLDOWN)
    with pytest.raises(UnipileError) as caught:
        await client.start_chat(ACCOUNT, "STRANGER-3", "hi", inmail=True, api="recruiter")
    assert caught.value.type == "errors/feature_not_subscribed"


async def test_chats_and_messages_can_be_read_back(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    sent_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    sandbox.state.clock = lambda: sent_at
    try:
        started = await client.start_chat(ACCOUNT, RELATION, "Thanks for connecting")
        sent_at += timedelta(minutes=5)
        await control(http, sandbox, f"accounts/{ACCOUNT}/reply", {"provider_id": RELATION, "text": "Welcome"})
    finally:
        sandbox.state.clock = lambda: datetime.now(UTC)

    [chat] = (await client.list_chats(ACCOUNT)).items
    assert (chat.id, chat.attendee_provider_id) == (started.chat_id, RELATION)
    messages = (await client.list_chat_messages(chat.id)).items
    assert [(m.text, m.is_sender, m.sent_at) for m in messages] == [
        ("Welcome", False, datetime(2026, 3, 2, 9, 5, tzinfo=UTC)),
        ("Thanks for connecting", True, datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
    ]
    assert messages[1].id == started.message_id
    after = datetime(2026, 3, 2, 9, 1, tzinfo=UTC)
    assert [m.text for m in (await client.list_chat_messages(chat.id, after=after)).items] == ["Welcome"]


async def test_profiles_are_found_by_public_identifier(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    await control(
        http,
        sandbox,
        "profiles",
        {"provider_id": "ACoADA", "public_identifier": "ada-lovelace", "full_name": "Ada Lovelace"},
    )

    profile = await client.get_user(ACCOUNT, "ada-lovelace")
    assert (profile.provider_id, profile.public_identifier, profile.name) == ("ACoADA", "ada-lovelace", "Ada Lovelace")
    with pytest.raises(UnipileError) as caught:
        await client.get_user(ACCOUNT, "nobody-here")
    assert caught.value.kind is FailureKind.PROSPECT_REFUSED


async def test_accounts_and_webhooks_are_listed_and_webhooks_deleted(client: UnipileClient, sandbox: Sandbox) -> None:
    assert [a.id for a in (await client.list_accounts()).items] == [ACCOUNT]
    hook = await client.create_webhook("http://127.0.0.1:9/hook", "messaging", {"X-Secret": "s"}, name="hf")

    [listed] = (await client.list_webhooks()).items
    assert (listed.id, listed.source, listed.request_url, listed.name) == (
        hook,
        "messaging",
        "http://127.0.0.1:9/hook",
        "hf",
    )
    await client.delete_webhook(hook)
    assert (await client.list_webhooks()).items == ()


async def test_messaging_webhooks_report_our_messages_and_theirs(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    await client.create_webhook(receiver.url, "messaging", {"X-Holdfast-Secret": "whsec-m"}, name="hf-messaging")
    started = await client.start_chat(ACCOUNT, RELATION, "Hello")
    await control(http, sandbox, f"accounts/{ACCOUNT}/reply", {"provider_id": RELATION, "text": "Hi back"})

    ours, theirs = (r.body for r in receiver.received)
    assert all(r.headers["X-Holdfast-Secret"] == "whsec-m" for r in receiver.received)
    assert (ours["event"], ours["chat_id"], ours["message_id"], ours["message"]) == (
        "message_received",
        started.chat_id,
        started.message_id,
        "Hello",
    )
    assert ours["sender"]["attendee_provider_id"] != RELATION
    assert (theirs["sender"]["attendee_provider_id"], theirs["message"], theirs["webhook_name"]) == (
        RELATION,
        "Hi back",
        "hf-messaging",
    )


async def test_reconnect_links_work_without_providers_and_die_at_the_daily_restart(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    now = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    sandbox.state.clock = lambda: now
    try:
        # As the official SDK sends it: no `providers`.
        async with http.post(
            f"{sandbox.url}/api/v1/hosted/accounts/link",
            headers={"X-API-KEY": API_KEY},
            json={
                "type": "reconnect",
                "reconnect_account": ACCOUNT,
                "api_url": sandbox.url,
                "expiresOn": "2026-03-04T00:00:00.000Z",
            },
        ) as response:
            assert response.status == 201, await response.text()
            url = (await response.json())["url"]
        async with http.get(url) as page:
            assert page.status == 200
        now = datetime(2026, 3, 3, 0, 5, tzinfo=UTC)  # past midnight UTC: Unipile restarted
        async with http.get(url) as page:
            assert page.status == 410
    finally:
        sandbox.state.clock = lambda: datetime.now(UTC)


async def test_a_create_link_makes_a_new_account_and_notifies(
    client: UnipileClient, sandbox: Sandbox, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    url = await client.create_account_link(
        datetime.now(UTC) + timedelta(hours=1), sandbox.url, notify_url=receiver.url, name="ws-123"
    )
    async with http.post(url + "/complete") as done:
        assert done.status == 200
        body = await done.json()
    [notice] = [r.body for r in receiver.received]
    assert notice == {"status": "CREATION_SUCCESS", "account_id": body["account_id"], "name": "ws-123"}
    assert (await client.get_account(body["account_id"])).status == "OK"


# Documented response shapes (Unipile API reference, v1), including the fields it documents as nullable.
DOCUMENTED_ANSWERS = [
    (
        "start_chat",
        b'{"object": "ChatStarted", "chat_id": "c-1", "message_id": null}',
        lambda c: c.start_chat(ACCOUNT, RELATION, "hi"),
        lambda r: (r.chat_id, r.message_id) == ("c-1", None),
    ),
    (
        "start_chat",
        b'{"object": "ChatStarted", "chat_id": null, "message_id": null}',
        lambda c: c.start_chat(ACCOUNT, RELATION, "hi"),
        lambda r: (r.chat_id, r.message_id) == (None, None),
    ),
    (
        "send_invite",
        b'{"object": "UserInvitationSent", "invitation_id": "7123"}',
        lambda c: c.send_invite(ACCOUNT, PROSPECT, None),
        lambda r: (r.invitation_id, r.usage) == ("7123", None),
    ),
    (
        "send_invite",
        b'{"object": "UserInvitationSent", "invitation_id": "7123", "usage": 75}',
        lambda c: c.send_invite(ACCOUNT, PROSPECT, None),
        lambda r: r.usage == 75,
    ),
    (
        "list_chat_messages",
        b'{"object": "MessageList", "cursor": null, "items": [{"object": "Message", "id": "m1",'
        b' "text": null, "is_sender": 1, "timestamp": "2026-03-02T09:00:00.000Z", "attachments": []}]}',
        lambda c: c.list_chat_messages("c-1"),
        lambda r: (
            [(m.id, m.text, m.is_sender, m.sent_at) for m in r.items]
            == [("m1", None, True, datetime(2026, 3, 2, 9, tzinfo=UTC))]
        ),
    ),
    (
        "list_chats",
        b'{"object": "ChatList", "cursor": null, "items": [{"object": "Chat", "id": "c-1",'
        b' "attendee_provider_id": null, "name": "A group", "type": 1}]}',
        lambda c: c.list_chats(ACCOUNT),
        lambda r: [(x.id, x.attendee_provider_id) for x in r.items] == [("c-1", None)],
    ),
    (
        "get_user",
        b'{"object": "UserProfile", "provider": "LINKEDIN", "provider_id": "ACoA1",'
        b' "public_identifier": "ada", "first_name": "Ada", "last_name": null}',
        lambda c: c.get_user(ACCOUNT, "ada"),
        lambda r: (r.provider_id, r.name) == ("ACoA1", "Ada"),
    ),
]


@pytest.mark.parametrize(
    ("name", "body", "call", "check"), DOCUMENTED_ANSWERS, ids=[f"{a[0]}-{i}" for i, a in enumerate(DOCUMENTED_ANSWERS)]
)
async def test_documented_answers_are_read(
    stub: Stub,
    http: aiohttp.ClientSession,
    name: str,
    body: bytes,
    call: Callable[[UnipileClient], Awaitable[Any]],
    check: Callable[[Any], bool],
) -> None:
    stub.status, stub.body = 201 if name in ("start_chat",) else 200, body
    assert check(await call(UnipileClient(stub.url, API_KEY, http)))


async def test_a_client_that_times_out_before_its_body_is_read_leaves_no_traceback(
    sandbox: Sandbox, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """A deliberate time-out (injected latency) is normal in tests: the sandbox says nothing about the lost client."""
    await control(http, sandbox, "latency", {"endpoint": "send_invite", "ms": 600})
    client = UnipileClient(sandbox.url, API_KEY, http, timeout_s=0.1)
    with caplog.at_level(logging.DEBUG, logger="aiohttp"):
        with pytest.raises(UnipileError):
            await client.send_invite(ACCOUNT, PROSPECT, None)
        await asyncio.sleep(0.8)  # the sandbox wakes up and reads the body of a request nobody waits for
    assert sandbox.state.calls["send_invite"] == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], [r.getMessage() for r in caplog.records]
    assert sandbox.state.invitations == [], "the invite was never sent"
