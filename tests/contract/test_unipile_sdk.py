"""A client nobody here wrote (issue 13): the official `unipile-node-sdk` (pinned in tests/contract/package.json)
calls every Unipile endpoint Holdfast uses against the Unipile sandbox, with the SDK's own response validators
set to fail. A shape the SDK rejects, or a request as the SDK sends it that the sandbox refuses, fails here."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from sandbox.unipile import STATE, SandboxState, create_app

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
API_KEY = "sk-contract-1"
# Every endpoint the Holdfast client calls, as the script names them (two more: InMail variants).
HOLDFAST_ENDPOINTS = {
    "get_account",
    "list_accounts",
    "get_user",
    "send_invite",
    "list_sent_invitations",
    "list_relations",
    "start_chat",
    "start_chat_inmail",
    "start_chat_sales_navigator",
    "list_chats",
    "send_message",
    "list_chat_messages",
    "create_reconnect_link",
    "create_account_link",
    "create_webhook",
    "list_webhooks",
    "delete_webhook",
}


@pytest.fixture(scope="module")
def sdk() -> Path:
    # make test installs it; a bare pytest run does the same rather than skip.
    subprocess.run(["bash", str(ROOT / "scripts" / "ensure_node_sdk.sh")], check=True, timeout=600)
    return HERE / "sdk_contract.mjs"


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[str, SandboxState]]:
    app = create_app(API_KEY)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for path, body in (
            (
                "accounts",
                {
                    "id": "acc-1",
                    "name": "Ada",
                    "connections": ["REL-1"],
                    "inmail_credits": 2,
                    "premium_features": ["sales_navigator"],
                },
            ),
            ("profiles", {"provider_id": "ACoADA", "public_identifier": "ada-lovelace", "full_name": "Ada Lovelace"}),
        ):
            async with http.post(f"{url}/_sandbox/{path}", json=body) as response:
                assert response.status == 201, await response.text()
    yield url, app[STATE]
    await runner.cleanup()


async def test_the_official_sdk_accepts_every_answer_holdfast_relies_on(sdk: Path, sandbox) -> None:
    url, state = sandbox
    ids = {
        "account_id": "acc-1",
        "relation": "REL-1",
        "stranger": "STRANGER-1",
        "stranger2": "STRANGER-2",
        "invitee": "INVITEE-1",
        "public_identifier": "ada-lovelace",
    }
    process = await asyncio.create_subprocess_exec(
        "node",
        str(sdk),
        url,
        API_KEY,
        json.dumps(ids),
        cwd=HERE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    results = {r["name"]: r for r in map(json.loads, out.decode().splitlines())}
    failures = {name: r["error"] for name, r in results.items() if not r["ok"]}
    assert failures == {}, json.dumps(failures, indent=1)[:4000]
    assert process.returncode == 0, err.decode()[-2000:]
    assert set(results) == HOLDFAST_ENDPOINTS
    # What the SDK sent, the sandbox did.
    assert [(i.account_id, i.provider_id, i.message) for i in state.invitations] == [("acc-1", "INVITEE-1", "Hello")]
    chats = {c.attendee_provider_id: c for c in state.chats.values()}
    assert (chats["STRANGER-1"].inmail, chats["STRANGER-1"].api) == (True, None)
    assert (chats["STRANGER-2"].inmail, chats["STRANGER-2"].api) == (True, "sales_navigator")
    assert [m.text for m in chats["REL-1"].messages][0] == "Thanks for connecting"
    assert "Following up" in [m.text for c in chats.values() for m in c.messages]
    assert {link.type for link in state.hosted_links.values()} == {"reconnect", "create"}
    assert state.webhooks == []  # created, listed, then deleted through the SDK
    assert results["get_user"]["result"]["provider_id"] == "ACoADA"
