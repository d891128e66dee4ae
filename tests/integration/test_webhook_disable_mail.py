"""When Holdfast disables an outbound webhook endpoint (a 410 answer, or three days of failures), the workspace's
owner is emailed through the system SMTP server (a real sandbox SMTP server here, as in test_sign_in.py), after
the disable commits; with no system SMTP server, or a send that fails, the endpoint is disabled all the same and
the delivery loop goes on. Through the real gateway, services and PostgreSQL, to a local receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import structlog

from sandbox.serving import serve
from sandbox.smtp import SandboxSmtp
from services.common.clock import ManualClock
from tests.conftest import Suite, create_database, start_suite
from tests.integration.test_outbound_webhooks import Receiver, paused_campaign_rig, until
from tests.sign_in_helpers import MAIL_FROM, mails_to, system_smtp

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@dataclass
class Rig:
    suite: Suite
    receiver: Receiver
    clock: ManualClock
    smtp: SandboxSmtp | None


async def rig(pg_dsn: str, stack: AsyncExitStack, *, with_smtp: bool) -> Rig:
    smtp, env = await system_smtp(stack) if with_smtp else (None, {})
    receiver = Receiver()
    receiver.url = await serve(receiver.app(), stack) + "/hook"
    clock = ManualClock(START)
    suite = await start_suite(
        await create_database(pg_dsn),
        stack,
        clock,
        HOLDFAST_WEBHOOKS_ALLOW_PRIVATE="true",
        HOLDFAST_WEBHOOK_DELIVERY_SECONDS="0.05",
        HOLDFAST_PUBLIC_URL="https://holdfast.example",
        **env,
    )
    return Rig(suite, receiver, clock, smtp)


@pytest.fixture
async def mailed(pg_dsn: str) -> AsyncIterator[Rig]:
    async with AsyncExitStack() as stack:
        yield await rig(pg_dsn, stack, with_smtp=True)


@pytest.fixture
async def unmailed(pg_dsn: str) -> AsyncIterator[Rig]:
    async with AsyncExitStack() as stack:
        yield await rig(pg_dsn, stack, with_smtp=False)


async def owner_email(r: Rig, auth: dict[str, str]) -> str:
    status, ws = await r.suite.call("GET", "/api/v1/workspace", auth)
    assert status == 200, ws
    (owner,) = [m for m in ws["members"] if m["role"] == "owner"]
    return owner["email"]


async def disabled(r: Rig, auth: dict[str, str], endpoint_id: str) -> dict:
    """The endpoint once it reads disabled (the answer is recorded just after the receiver got the request)."""
    for _ in range(200):
        status, listed = await r.suite.call("GET", "/api/v1/webhook-endpoints", auth)
        assert status == 200, listed
        (endpoint,) = [e for e in listed["endpoints"] if e["id"] == endpoint_id]
        if not endpoint["enabled"]:
            return endpoint
        await asyncio.sleep(0.05)
    raise AssertionError(f"endpoint {endpoint_id} was never disabled")


async def disable_audit_entries(r: Rig, auth: dict[str, str]) -> list[dict]:
    status, audit = await r.suite.call("GET", "/api/v1/audit?action=disable_webhook_endpoint", auth)
    assert status == 200, audit
    return audit["entries"]


async def test_a_410_emails_the_owner_once_naming_the_url_the_reason_and_the_webhooks_page(mailed: Rig) -> None:
    r = mailed
    assert r.smtp is not None
    auth, endpoint, campaign_id = await paused_campaign_rig(r)
    owner = await owner_email(r, auth)
    r.receiver.answer = 410
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/pause", auth, json={}))[0] == 200
    await until(lambda: len(mails_to(r.smtp, owner)) >= 1, "the owner's email")
    flagged = await disabled(r, auth, endpoint["id"])
    assert flagged["disabled_reason"] == "the endpoint answered 410 Gone"
    [mail] = mails_to(r.smtp, owner)
    assert mail.mail_from == MAIL_FROM and mail.rcpt_tos == (owner,)
    assert r.receiver.url in mail.subject and r.receiver.url in mail.body
    assert "410" in mail.body and "Hooks" in mail.body  # why, and which workspace
    assert "Webhooks page" in mail.body and "https://holdfast.example/#/webhooks" in mail.body
    # The audit entry is still written, once.
    assert len(await disable_audit_entries(r, auth)) == 1
    # Disabled: more events and time make no more attempts and no second email.
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/resume", auth, json={}))[0] == 200
    r.clock.advance(timedelta(hours=1))
    await asyncio.sleep(1.0)
    assert len(r.receiver.got) == 1
    assert len(mails_to(r.smtp, owner)) == 1 and len(r.smtp.messages) == 1
    # Re-enabled and gone again: disabled again, and the owner told again (once more).
    assert (await r.suite.call("PATCH", f"/api/v1/webhook-endpoints/{endpoint['id']}", auth, json={"enabled": True}))[
        0
    ] == 200
    await until(lambda: len(mails_to(r.smtp, owner)) >= 2, "the second email")
    await disabled(r, auth, endpoint["id"])
    await asyncio.sleep(0.5)
    assert len(mails_to(r.smtp, owner)) == 2 and len(await disable_audit_entries(r, auth)) == 2


async def test_three_days_of_failures_email_the_owner_saying_since_when(mailed: Rig) -> None:
    r = mailed
    assert r.smtp is not None
    auth, endpoint, campaign_id = await paused_campaign_rig(r, events=("campaign.paused",))
    owner = await owner_email(r, auth)
    r.receiver.answer = 500
    failing_from = r.clock.now()
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/pause", auth, json={}))[0] == 200
    await until(lambda: len(r.receiver.got) == 1, "the first attempt")
    attempts = 1
    while not mails_to(r.smtp, owner):
        assert attempts < 30, "no email after three days of failures"
        assert not r.smtp.messages, "an email before the endpoint was disabled"
        r.clock.advance(timedelta(hours=12, seconds=1))
        attempts += 1
        await until(lambda n=attempts: len(r.receiver.got) >= n, f"attempt {attempts}")
        await asyncio.sleep(0.2)
    flagged = await disabled(r, auth, endpoint["id"])
    assert "three days" in flagged["disabled_reason"]
    [mail] = mails_to(r.smtp, owner)
    assert r.receiver.url in mail.subject and r.receiver.url in mail.body
    assert f"failed since {failing_from:%Y-%m-%d %H:%M} UTC" in mail.body, mail.body
    assert "https://holdfast.example/#/webhooks" in mail.body


async def test_a_send_that_fails_is_logged_and_the_disable_stands(mailed: Rig) -> None:
    r = mailed
    assert r.smtp is not None
    auth, endpoint, campaign_id = await paused_campaign_rig(r, events=("campaign.paused",))
    owner = await owner_email(r, auth)
    r.smtp.reject_recipient(owner, 550)
    r.receiver.answer = 410
    with structlog.testing.capture_logs() as logs:
        assert (await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/pause", auth, json={}))[0] == 200
        await disabled(r, auth, endpoint["id"])
        await until(lambda: any("not sent" in e["event"] for e in logs), "the failed send's log line")
    assert not r.smtp.messages
    [failed] = [e for e in logs if e["event"] == "webhook endpoint disabled; the email to the owner was not sent"]
    assert failed["log_level"] == "warning" and failed["endpoint_id"] == endpoint["id"]
    assert len(await disable_audit_entries(r, auth)) == 1
    # The delivery loop goes on: another workspace's endpoint still receives its events.
    await delivers_to_a_healthy_endpoint(r)


async def delivers_to_a_healthy_endpoint(r: Rig) -> None:
    r.receiver.answer = 200
    start = len(r.receiver.acknowledged())
    auth, _, campaign_id = await paused_campaign_rig(r, events=("campaign.paused",))
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/pause", auth, json={}))[0] == 200
    await until(lambda: len(r.receiver.acknowledged()) > start, "a delivery after the disable")


async def test_with_no_system_smtp_the_endpoint_is_disabled_and_the_skip_logged_once(unmailed: Rig) -> None:
    r = unmailed
    auth, endpoint, campaign_id = await paused_campaign_rig(r)
    r.receiver.answer = 410
    with structlog.testing.capture_logs() as logs:
        assert (await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/pause", auth, json={}))[0] == 200
        flagged = await disabled(r, auth, endpoint["id"])
        await until(lambda: any("no system SMTP" in e["event"] for e in logs), "the skip's log line")
        assert (await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/resume", auth, json={}))[0] == 200
        r.clock.advance(timedelta(hours=1))
        await asyncio.sleep(1.0)
    assert flagged["disabled_reason"] == "the endpoint answered 410 Gone"
    skipped = [e for e in logs if "no system SMTP" in e["event"]]
    assert len(skipped) == 1 and skipped[0]["log_level"] == "info" and skipped[0]["endpoint_id"] == endpoint["id"]
    assert len(r.receiver.got) == 1
    # The audit entry (which the Webhooks page's notice reads) is written all the same.
    (entry,) = await disable_audit_entries(r, auth)
    assert entry["changes"]["url"] == r.receiver.url
    await delivers_to_a_healthy_endpoint(r)
