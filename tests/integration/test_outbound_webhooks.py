"""Outbound webhooks through the real gateway, services and PostgreSQL to a local receiver: messages verified by
the `standardwebhooks` package (a verifier nobody here wrote), retries across a receiver outage with nothing lost
or duplicated by webhook-id, back-off and the three-day give-up on an injected clock, 410 disabling the endpoint,
replay, secret rotation, and the SSRF guard."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import standardwebhooks
from aiohttp import web

from sandbox.serving import serve
from services.accounts.webhook_domain import is_private, next_attempt
from services.common.clock import ManualClock, SystemClock
from tests.conftest import Suite, create_database, start_suite

SCHEDULE = {
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "window": {"start": "09:00", "end": "17:00"},
    "timezone": "UTC",
}


@dataclass
class Receiver:
    """A webhook receiver whose answer the test sets; it keeps every request it got and what it answered."""

    answer: int = 200
    got: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    url: str = ""

    def app(self) -> web.Application:
        async def hook(request: web.Request) -> web.Response:
            body = await request.read()
            self.got.append(({k.lower(): v for k, v in request.headers.items()}, body, self.answer))
            return web.Response(status=self.answer)

        app = web.Application()
        app.router.add_post("/hook", hook)
        return app

    def acknowledged(self) -> list[tuple[dict[str, str], bytes]]:
        return [(h, b) for h, b, status in self.got if 200 <= status < 300]


@dataclass
class Rig:
    suite: Suite
    receiver: Receiver
    clock: ManualClock | None


async def rig(pg_dsn: str, stack: AsyncExitStack, clock) -> Rig:
    receiver = Receiver()
    receiver.url = await serve(receiver.app(), stack) + "/hook"
    suite = await start_suite(
        await create_database(pg_dsn),
        stack,
        clock,
        HOLDFAST_WEBHOOKS_ALLOW_PRIVATE="true",
        HOLDFAST_WEBHOOK_DELIVERY_SECONDS="0.05",
    )
    return Rig(suite, receiver, clock if isinstance(clock, ManualClock) else None)


@pytest.fixture(scope="module")
async def live(pg_dsn: str) -> AsyncIterator[Rig]:
    """On the system clock: the verifier checks the message's timestamp against the time now."""
    async with AsyncExitStack() as stack:
        yield await rig(pg_dsn, stack, SystemClock())


@pytest.fixture
async def manual(pg_dsn: str) -> AsyncIterator[Rig]:
    async with AsyncExitStack() as stack:
        yield await rig(pg_dsn, stack, ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC)))


async def paused_campaign_rig(r: Rig, events=("campaign.paused", "campaign.resumed")) -> tuple[dict, dict, str]:
    """A workspace with an endpoint to the receiver and an active campaign; returns auth, endpoint, campaign id."""
    _, auth = await r.suite.new_workspace("Hooks")
    status, endpoint = await r.suite.call(
        "POST", "/api/v1/webhook-endpoints", auth, json={"url": r.receiver.url, "events": list(events)}
    )
    assert status == 201, endpoint
    assert endpoint["secret"].startswith("whsec_") and len(base64.b64decode(endpoint["secret"][6:])) == 32
    account = await r.suite.linkedin_account(auth)
    status, campaign = await r.suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "Hooked",
            "schedule": SCHEDULE,
            "steps": [{"channel": "linkedin", "action": "invite"}],
            "senders": {"linkedin_account_ids": [account]},
        },
    )
    assert status == 201, campaign
    status, body = await r.suite.call("POST", f"/api/v1/campaigns/{campaign['id']}/activate", auth, json={})
    assert status == 200, body
    return auth, endpoint, campaign["id"]


async def until(predicate, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + 20.0
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def deliveries(r: Rig, auth, endpoint_id: str) -> list[dict]:
    status, listed = await r.suite.call("GET", f"/api/v1/webhook-endpoints/{endpoint_id}/deliveries", auth)
    assert status == 200, listed
    return listed["deliveries"]


async def test_pause_and_resume_arrive_signed_and_verify_with_the_standardwebhooks_package(live):
    r = live
    auth, endpoint, campaign_id = await paused_campaign_rig(r)
    start = len(r.receiver.got)
    for action in ("pause", "resume"):
        status, body = await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/{action}", auth, json={})
        assert status == 200, body
    await until(lambda: len(r.receiver.got) >= start + 2, "two webhooks")
    verifier = standardwebhooks.Webhook(endpoint["secret"])
    messages = [verifier.verify(body, headers) for headers, body, _ in r.receiver.got[start:]]
    assert [m["type"] for m in messages] == ["campaign.paused", "campaign.resumed"]
    status, ws = await r.suite.call("GET", "/api/v1/workspace", auth)
    owner_id = ws["members"][0]["id"]
    for message in messages:
        assert set(message) == {"type", "timestamp", "data"}
        assert message["data"]["campaign_id"] == campaign_id and message["data"]["reason"] == "manual"
        assert message["data"]["actor"] == {"kind": "member", "member_id": owner_id, "source": ""}
        assert message["data"]["scope"]
    assert [m["data"]["status"] for m in messages] == ["paused", "active"]
    # A message signed with another secret, or altered, does not verify.
    headers, body, _ = r.receiver.got[start]
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook("whsec_" + base64.b64encode(b"x" * 32).decode()).verify(body, headers)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        verifier.verify(body.replace(b"manual", b"manuel"), headers)
    listed = await deliveries(r, auth, endpoint["id"])
    assert {d["status"] for d in listed} == {"delivered"} and {d["attempts"] for d in listed} == {1}
    assert {d["webhook_id"] for d in listed} == {h["webhook-id"] for h, _, _ in r.receiver.got[start:]}


async def test_a_rotated_secret_signs_from_then_on_and_a_replay_keeps_the_webhook_id(live):
    r = live
    auth, endpoint, campaign_id = await paused_campaign_rig(r, events=("campaign.paused",))
    status, rotated = await r.suite.call(
        "POST", f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", auth, json={}
    )
    assert status == 200 and rotated["secret"] != endpoint["secret"], rotated
    status, listed = await r.suite.call("GET", "/api/v1/webhook-endpoints", auth)
    assert all("secret" not in e for e in listed["endpoints"])
    start = len(r.receiver.got)
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/pause", auth, json={}))[0] == 200
    await until(lambda: len(r.receiver.got) > start, "the paused webhook")
    headers, body, _ = r.receiver.got[start]
    assert standardwebhooks.Webhook(rotated["secret"]).verify(body, headers)["type"] == "campaign.paused"
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(endpoint["secret"]).verify(body, headers)
    delivery = (await deliveries(r, auth, endpoint["id"]))[0]
    status, replayed = await r.suite.call(
        "POST", f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}/replay", auth, json={}
    )
    assert status == 200 and replayed["status"] == "pending", replayed
    await until(lambda: len(r.receiver.got) > start + 1, "the replay")
    again, _, _ = r.receiver.got[start + 1]
    assert again["webhook-id"] == headers["webhook-id"] == delivery["webhook_id"]
    # Only the events asked for: a resume sends nothing to this endpoint.
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/resume", auth, json={}))[0] == 200
    await asyncio.sleep(1.0)
    assert len(r.receiver.got) == start + 2


async def test_a_receiver_outage_loses_nothing_and_duplicates_nothing(manual):
    r, clock = manual, manual.clock
    assert clock is not None
    auth, endpoint, campaign_id = await paused_campaign_rig(r)
    r.receiver.answer = 503
    for action in ("pause", "resume", "pause"):
        assert (await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/{action}", auth, json={}))[0] == 200
    await until(lambda: len(r.receiver.got) >= 3, "three failed first attempts")
    failed_at = clock.now()
    listed = await deliveries(r, auth, endpoint["id"])
    assert len(listed) == 3 and {d["status"] for d in listed} == {"pending"}
    assert {d["last_status"] for d in listed} == {503}
    assert {d["next_attempt_at"] for d in listed} == {
        (failed_at + timedelta(seconds=5)).isoformat().replace("+00:00", "Z")
    }
    # Still down: each retry (after 5 s, then 20 s) fails again with the same webhook-id.
    for wait, attempts in ((5, 2), (20, 3)):
        clock.advance(timedelta(seconds=wait))
        await until(lambda n=attempts: len(r.receiver.got) >= 3 * n, f"attempt {attempts} of each")
    # Back up: the next retry (80 s later) delivers each event once.
    r.receiver.answer = 200
    clock.advance(timedelta(seconds=80))
    await until(lambda: len(r.receiver.acknowledged()) >= 3, "the three deliveries")
    clock.advance(timedelta(hours=13))
    await asyncio.sleep(0.5)
    acknowledged = [h["webhook-id"] for h, _ in r.receiver.acknowledged()]
    assert len(acknowledged) == len(set(acknowledged)) == 3
    assert {h["webhook-id"] for h, _, _ in r.receiver.got} == set(acknowledged)
    types = sorted(json.loads(b)["type"] for _, b in r.receiver.acknowledged())
    assert types == ["campaign.paused", "campaign.paused", "campaign.resumed"]
    verifier = standardwebhooks.Webhook(endpoint["secret"])
    for headers, body in r.receiver.acknowledged():
        # The verifier's own signing, at the attempt's timestamp (the test clock is not the wall clock).
        signed_at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=UTC)
        assert verifier.sign(headers["webhook-id"], signed_at, body) == headers["webhook-signature"]
    listed = await deliveries(r, auth, endpoint["id"])
    assert {d["status"] for d in listed} == {"delivered"} and {d["attempts"] for d in listed} == {4}


async def test_a_410_disables_the_endpoint_until_it_is_enabled_again(manual):
    r = manual
    auth, endpoint, campaign_id = await paused_campaign_rig(r)
    r.receiver.answer = 410
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/pause", auth, json={}))[0] == 200
    await until(lambda: len(r.receiver.got) == 1, "the 410")
    status, listed = await r.suite.call("GET", "/api/v1/webhook-endpoints", auth)
    (disabled,) = listed["endpoints"]
    assert not disabled["enabled"] and "410" in disabled["disabled_reason"]
    # Disabled: a new event makes no delivery to it, and nothing is sent however long we wait.
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/resume", auth, json={}))[0] == 200
    r.clock.advance(timedelta(hours=1))  # type: ignore[union-attr]
    await asyncio.sleep(1.0)
    assert len(r.receiver.got) == 1
    assert len(await deliveries(r, auth, endpoint["id"])) == 1
    r.receiver.answer = 200
    status, enabled = await r.suite.call(
        "PATCH", f"/api/v1/webhook-endpoints/{endpoint['id']}", auth, json={"enabled": True}
    )
    assert status == 200 and enabled["enabled"] and enabled["disabled_reason"] == "", enabled
    await until(lambda: len(r.receiver.acknowledged()) == 1, "the held delivery")
    assert r.receiver.acknowledged()[0][0]["webhook-id"] == r.receiver.got[0][0]["webhook-id"]


async def test_three_days_of_failures_fail_the_delivery_and_disable_the_endpoint(manual):
    r, clock = manual, manual.clock
    assert clock is not None
    auth, endpoint, campaign_id = await paused_campaign_rig(r, events=("campaign.paused",))
    r.receiver.answer = 500
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/pause", auth, json={}))[0] == 200
    await until(lambda: len(r.receiver.got) == 1, "the first attempt")
    attempts = 1
    while True:
        (delivery,) = await deliveries(r, auth, endpoint["id"])
        if delivery["status"] == "failed":
            break
        assert attempts < 30, delivery
        clock.advance(timedelta(hours=12, seconds=1))
        attempts += 1
        await until(lambda n=attempts: len(r.receiver.got) >= n, f"attempt {attempts}")
        await asyncio.sleep(0.1)
    assert delivery["attempts"] == len(r.receiver.got) and delivery["next_attempt_at"] is None
    assert len({h["webhook-id"] for h, _, _ in r.receiver.got}) == 1
    status, listed = await r.suite.call("GET", "/api/v1/webhook-endpoints", auth)
    assert not listed["endpoints"][0]["enabled"] and "three days" in listed["endpoints"][0]["disabled_reason"]


def test_the_back_off_grows_four_times_and_stops_after_three_days():
    start = datetime(2026, 3, 2, tzinfo=UTC)
    waits, at, attempts = [], start, 0
    while (nxt := next_attempt(attempts + 1, start, at)) is not None:
        waits.append((nxt - at).total_seconds())
        at, attempts = nxt, attempts + 1
    assert waits[:5] == [5, 20, 80, 320, 1280] and max(waits) == 12 * 3600
    assert at - start <= timedelta(days=3) < at - start + timedelta(hours=12, seconds=1)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.0.4/",
        "http://100.64.0.1/",
        "http://0.0.0.0:8080/",
        "http://2130706433/",
    ],
)
async def test_urls_resolving_to_loopback_or_private_addresses_are_refused(suite, url):
    _, auth = await suite.new_workspace()
    status, body = await suite.call(
        "POST", "/api/v1/webhook-endpoints", auth, json={"url": url, "events": ["campaign.paused"]}
    )
    assert status == 422 and body["error"]["code"] == "url_not_public" and body["error"]["details"]["field"] == "url"
    status, listed = await suite.call("GET", "/api/v1/webhook-endpoints", auth)
    assert listed == {"endpoints": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://hooks.example/x", "events": ["campaign.paused"]}, "url"),
        ({"url": "https://user:pw@hooks.example/x", "events": ["campaign.paused"]}, "url"),
        ({"url": "https://hooks.example/x", "events": []}, "events"),
        ({"url": "https://hooks.example/x", "events": ["campaign.exploded"]}, "events.0"),
        ({"url": "http://:80/x", "events": ["campaign.paused"]}, "url"),
        ({"url": "http://[::1]/x", "events": ["campaign.paused"]}, "url"),  # no IPv6 literal (nor its SSRF forms)
        ({"url": "http://[0]/x", "events": ["campaign.paused"]}, "url"),
    ],
)
async def test_bad_endpoints_are_400_naming_the_field(suite, body, field):
    _, auth = await suite.new_workspace()
    status, answer = await suite.call("POST", "/api/v1/webhook-endpoints", auth, json=body)
    assert status == 400 and answer["error"]["details"]["field"] == field, answer


def test_public_addresses_pass_the_ssrf_check():
    assert not is_private("93.184.216.34") and not is_private("2606:4700::1111")
    assert all(
        is_private(a)
        for a in (
            "127.0.0.1",
            "10.0.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "::1",
            "fe80::1",
            "fc00::1",
            "0.0.0.0",
            "224.0.0.1",
            "::ffff:10.0.0.1",
        )
    )


async def test_a_host_that_does_not_resolve_is_refused_422(suite):
    _, auth = await suite.new_workspace()
    for url in ("https://no-such-host.invalid/hook", "https://\u00e9\u00e9\u00e9.invalid/x"):
        status, body = await suite.call(
            "POST", "/api/v1/webhook-endpoints", auth, json={"url": url, "events": ["campaign.paused"]}
        )
        assert status == 422 and body["error"]["code"] == "url_unresolvable", body
        assert body["error"]["details"]["field"] == "url"
