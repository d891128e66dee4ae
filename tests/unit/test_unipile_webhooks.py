"""Holdfast registers its own Unipile webhooks (DESIGN T4): idempotent, replaces what changed, leaves others'
webhooks alone. The real client over real HTTP against the Unipile sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from sandbox.unipile import STATE, SandboxState, create_app
from services.common.providers.unipile import UnipileClient, UnipileError
from services.common.providers.unipile_webhooks import SOURCES, register_webhooks

KEY = "sk-webhooks"
URL = "https://holdfast.example/webhooks/unipile"


@pytest.fixture
async def unipile() -> AsyncIterator[tuple[UnipileClient, SandboxState, str]]:
    app = create_app(KEY)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as http:
        yield UnipileClient(base, KEY, http), app[STATE], base
    await runner.cleanup()


def hooks(state: SandboxState) -> set[tuple[str, str, str, tuple]]:
    return {(w.source, w.name, w.request_url, tuple(sorted(w.headers.items()))) for w in state.webhooks}


async def test_registration_creates_each_source_once_and_a_second_run_changes_nothing(unipile):
    client, state, _ = unipile
    first = await register_webhooks(client, URL, "Unipile-Auth", "s3cret")
    assert sorted(first.created) == sorted(SOURCES) and first.kept == []
    assert hooks(state) == {(s, f"holdfast-{s}", URL, (("Unipile-Auth", "s3cret"),)) for s in SOURCES}

    created_before = state.calls["create_webhook"]
    again = await register_webhooks(client, URL, "Unipile-Auth", "s3cret")
    assert sorted(again.kept) == sorted(SOURCES) and again.created == again.replaced == []
    assert state.calls["create_webhook"] == created_before and len(state.webhooks) == len(SOURCES)


async def test_a_changed_url_or_secret_replaces_ours_and_leaves_others_alone(unipile):
    client, state, _ = unipile
    await client.create_webhook("https://someone-else.example/hook", "users", {"X": "y"}, name="crm-sync")
    await register_webhooks(client, URL, "Unipile-Auth", "s3cret")

    moved = await register_webhooks(client, "https://new.holdfast.example/webhooks/unipile", "Unipile-Auth", "s3cret")
    assert sorted(moved.replaced) == sorted(SOURCES)
    rotated = await register_webhooks(client, "https://new.holdfast.example/webhooks/unipile", "Unipile-Auth", "n3w")
    assert sorted(rotated.replaced) == sorted(SOURCES)

    assert hooks(state) == {("users", "crm-sync", "https://someone-else.example/hook", (("X", "y"),))} | {
        (s, f"holdfast-{s}", "https://new.holdfast.example/webhooks/unipile", (("Unipile-Auth", "n3w"),))
        for s in SOURCES
    }


async def test_duplicates_left_by_racing_runs_are_removed(unipile):
    client, state, _ = unipile
    for _ in range(2):
        await client.create_webhook(URL, "users", {"Unipile-Auth": "s3cret"}, name="holdfast-users")

    done = await register_webhooks(client, URL, "Unipile-Auth", "s3cret")
    assert done.removed_duplicates == 1 and "users" in done.kept
    assert sorted(w.source for w in state.webhooks) == sorted(SOURCES)


async def test_a_provider_failure_is_raised_not_swallowed(unipile):
    client, state, base = unipile
    async with aiohttp.ClientSession() as http:
        await http.post(
            f"{base}/_sandbox/failures",
            json={"endpoint": "list_webhooks", "status": 401, "type": "errors/missing_credentials"},
        )
    with pytest.raises(UnipileError):
        await register_webhooks(client, URL, "Unipile-Auth", "s3cret")
    assert state.webhooks == []
