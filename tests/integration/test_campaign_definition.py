"""Campaign steps, senders and prospects through HTTP: validation that names the field and writes
nothing, idempotent prospect uploads of up to 10,000, paging and workspace isolation."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

SCHEDULE = {
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "window": {"start": "09:00", "end": "17:00"},
    "timezone": "America/New_York",
}
INVITE = {"channel": "linkedin", "action": "invite", "text": "Hi {{first_name}}"}
MESSAGE = {"channel": "linkedin", "action": "message", "delay": {"days": 2}, "text": "Thanks!"}
EMAIL = {"channel": "email", "action": "email", "delay": {"days": 1, "hours": 6}, "subject": "Hi", "body": "Hello"}
SERVER = {"host": "127.0.0.1", "port": 2525, "security": "none", "username": "u", "password": "p"}


async def senders(suite, auth):
    account = await suite.linkedin_account(auth)
    status, inbox = await suite.call(
        "POST",
        "/api/v1/inboxes",
        auth,
        json={"email": f"{uuid.uuid4().hex[:8]}@acme.example", "smtp": SERVER, "imap": SERVER},
    )
    assert status == 201, inbox
    return {"linkedin_account_ids": [account], "inbox_ids": [inbox["id"]]}


async def test_a_multichannel_campaign_is_stored_as_given(suite):
    _, auth = await suite.new_workspace()
    who = await senders(suite, auth)
    status, created = await suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={"name": "Multi", "schedule": SCHEDULE, "steps": [INVITE, MESSAGE, EMAIL], "senders": who},
    )
    assert status == 201, created
    assert [(s["index"], s["channel"], s["action"], s["delay"]) for s in created["steps"]] == [
        (0, "linkedin", "invite", {"days": 0, "hours": 0}),
        (1, "linkedin", "message", {"days": 2, "hours": 0}),
        (2, "email", "email", {"days": 1, "hours": 6}),
    ]
    assert created["senders"] == who
    _, got = await suite.call("GET", f"/api/v1/campaigns/{created['id']}", auth)
    assert created.pop("warnings") == []  # only the creation answer warns
    assert got == created


BAD_STEPS = [
    ("email action on linkedin", [{"channel": "linkedin", "action": "email"}], "steps.0.action"),
    ("invite on email", [{"channel": "email", "action": "invite"}], "steps.0.action"),
    ("message without invite", [MESSAGE], "steps.0.action"),
    ("two invites", [INVITE, INVITE], "steps.1.action"),
    ("long invite note", [{**INVITE, "text": "x" * 301}], "steps.0.text"),
    ("empty message", [INVITE, {**MESSAGE, "text": " "}], "steps.1.text"),
    ("email without subject", [{**EMAIL, "subject": ""}], "steps.0.subject"),
    ("email without body", [{**EMAIL, "body": ""}], "steps.0.body"),
    ("unknown channel", [{"channel": "fax", "action": "email"}], "steps.0.channel"),
    ("unknown step field", [{**INVITE, "colour": "red"}], "steps.0.colour"),
    ("delay too long", [{**INVITE, "delay": {"days": 400}}], "steps.0.delay.days"),
    ("negative hours", [{**INVITE, "delay": {"hours": -1}}], "steps.0.delay.hours"),
]


@pytest.mark.parametrize(("case", "steps", "field"), BAD_STEPS, ids=[c[0] for c in BAD_STEPS])
async def test_invalid_steps_are_400_naming_the_field(suite, case, steps, field):
    _, auth = await suite.new_workspace()
    who = await senders(suite, auth)
    status, body = await suite.call(
        "POST", "/api/v1/campaigns", auth, json={"name": "c", "schedule": SCHEDULE, "steps": steps, "senders": who}
    )
    assert status == 400, body
    assert body["error"]["details"]["field"] == field, body
    _, listed = await suite.call("GET", "/api/v1/campaigns", auth)
    assert listed["campaigns"] == []


async def test_senders_must_match_the_steps_and_belong_to_the_workspace(suite):
    _, auth = await suite.new_workspace()
    _, other_auth = await suite.new_workspace()
    mine, theirs = await senders(suite, auth), await senders(suite, other_auth)
    cases = [
        ({"linkedin_account_ids": [], "inbox_ids": mine["inbox_ids"]}, [INVITE], "senders.linkedin_account_ids"),
        ({"linkedin_account_ids": mine["linkedin_account_ids"]}, [EMAIL], "senders.inbox_ids"),
        ({"linkedin_account_ids": theirs["linkedin_account_ids"]}, [INVITE], "senders.linkedin_account_ids.0"),
        ({"inbox_ids": theirs["inbox_ids"]}, [EMAIL], "senders.inbox_ids.0"),
        ({"linkedin_account_ids": ["not-a-uuid"]}, [INVITE], "senders.linkedin_account_ids.0"),
        ({"linkedin_account_ids": mine["linkedin_account_ids"] * 2}, [INVITE], "senders.linkedin_account_ids"),
    ]
    for who, steps, field in cases:
        status, body = await suite.call(
            "POST", "/api/v1/campaigns", auth, json={"name": "c", "schedule": SCHEDULE, "steps": steps, "senders": who}
        )
        assert status == 400 and body["error"]["details"]["field"] == field, (who, body)
    _, listed = await suite.call("GET", "/api/v1/campaigns", auth)
    assert listed["campaigns"] == []


async def test_a_campaign_without_steps_cannot_be_activated(suite):
    _, auth = await suite.new_workspace()
    _, created = await suite.call("POST", "/api/v1/campaigns", auth, json={"name": "empty", "schedule": SCHEDULE})
    status, body = await suite.call("POST", f"/api/v1/campaigns/{created['id']}/activate", auth)
    assert status == 409 and body["error"]["code"] == "no_steps"


async def campaign(suite, auth, steps=(INVITE, EMAIL)):
    who = await senders(suite, auth)
    status, created = await suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={"name": "c", "schedule": SCHEDULE, "steps": list(steps), "senders": who},
    )
    assert status == 201, created
    return created["id"]


async def enrolled(suite, auth, cid) -> dict:
    """The prospects page once the scheduler has them (enrollment travels by outbox, in milliseconds)."""
    for _ in range(100):
        status, page = await suite.call("GET", f"/api/v1/campaigns/{cid}/prospects", auth)
        assert status == 200
        if all(p["state"] != "enrolling" for p in page["prospects"]):
            return page
        assert all(p["why_not_now"] == ["enrolling"] for p in page["prospects"] if p["state"] == "enrolling")
        await asyncio.sleep(0.05)
    raise AssertionError("prospects were never enrolled")


async def test_prospects_are_refused_with_reasons_and_added_once(suite):
    _, auth = await suite.new_workspace()
    cid = await campaign(suite, auth)
    prospects = [
        {"linkedin_provider_id": "ACoA", "email": "a@x.example", "first_name": "Ana"},
        {"linkedin_provider_id": "ACoB", "email": "not an email"},
        {"first_name": "Nobody"},
        {"email": "c@x.example"},
        {"linkedin_provider_id": "ACoD", "email": "D@X.example", "fields": {"title": "CTO"}},
        {"linkedin_provider_id": "ACoA", "email": "a@x.example"},
    ]
    status, added = await suite.call("POST", f"/api/v1/campaigns/{cid}/prospects", auth, json={"prospects": prospects})
    assert status == 200, added
    assert (added["added"], added["already_present"]) == (2, 1)
    assert [(r["index"], r["code"]) for r in added["refused"]] == [
        (1, "invalid_email"),
        (2, "missing_identity"),
        (3, "missing_linkedin_identity"),
    ]
    # The same people again, one under another of their identifiers: nobody is added twice.
    status, again = await suite.call(
        "POST",
        f"/api/v1/campaigns/{cid}/prospects",
        auth,
        json={
            "prospects": [
                {"linkedin_provider_id": "ACoX", "email": "d@x.example"},
                {"linkedin_provider_id": "ACoA", "email": "a@x.example"},
            ]
        },
    )
    assert (again["added"], again["already_present"]) == (0, 2)
    page = await enrolled(suite, auth, cid)
    assert [(p["linkedin_provider_id"], p["email"]) for p in page["prospects"]] == [
        ("ACoA", "a@x.example"),
        ("ACoD", "d@x.example"),
    ]
    assert page["prospects"][1]["fields"] == {"title": "CTO"}
    assert all(p["state"] == "scheduled" and p["why_not_now"] for p in page["prospects"])


async def test_ten_thousand_prospects_in_one_call_and_paging(suite):
    _, auth = await suite.new_workspace()
    cid = await campaign(suite, auth, steps=(INVITE,))
    prospects = [{"linkedin_provider_id": f"ACo{i:05d}", "first_name": f"P{i}"} for i in range(10_000)]
    started = time.perf_counter()
    status, added = await suite.call("POST", f"/api/v1/campaigns/{cid}/prospects", auth, json={"prospects": prospects})
    elapsed = time.perf_counter() - started
    assert status == 200 and added["added"] == 10_000 and added["refused"] == [], added
    assert elapsed < 30, f"10,000 prospects took {elapsed:.1f}s"
    seen, token, pages = [], None, 0
    while True:
        query = "page_size=200" + (f"&page_token={token}" if token else "")
        status, page = await suite.call("GET", f"/api/v1/campaigns/{cid}/prospects?{query}", auth)
        assert status == 200
        seen += [p["linkedin_provider_id"] for p in page["prospects"]]
        token, pages = page["next_page_token"], pages + 1
        if token is None or pages >= 3:
            break
    assert seen == [f"ACo{i:05d}" for i in range(600)]
    status, body = await suite.call(
        "POST", f"/api/v1/campaigns/{cid}/prospects", auth, json={"prospects": prospects + [{"email": "one@too.many"}]}
    )
    assert status == 400 and body["error"]["details"]["field"] == "prospects"


async def test_prospects_and_preview_of_another_workspace_are_not_found(suite):
    _, auth = await suite.new_workspace()
    _, other = await suite.new_workspace()
    cid = await campaign(suite, auth, steps=(INVITE,))
    for method, path, body in [
        ("GET", f"/api/v1/campaigns/{cid}/prospects", None),
        ("POST", f"/api/v1/campaigns/{cid}/prospects", {"prospects": []}),
        ("GET", f"/api/v1/campaigns/{cid}/resume-preview", None),
    ]:
        status, answer = await suite.call(method, path, other, json=body)
        assert status == 404 and answer["error"]["code"] == "not_found", (path, answer)
    status, preview = await suite.call("GET", f"/api/v1/campaigns/{cid}/resume-preview", auth)
    assert status == 200 and preview["overdue"] == 0 and preview["days"] == []
