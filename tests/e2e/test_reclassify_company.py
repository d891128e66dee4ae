"""Re-classifying a reply on a campaign with `stop_on_reply: company` (DESIGN V3, V4), through HTTP: the colleagues
the reply stopped go back where they were with it, except those a reply that still stands stops (their own); read
as a real reply again, it stops them again. The LinkedIn sandbox carries the replies (webhooks, as Unipile sends)."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.conftest import MONDAY_0800_PARIS, World, setup_campaign
from tests.e2e.test_linkedin_replies import INVITE_THEN_MESSAGE, SCHEDULE, accept_all, states, write

PEOPLE = [
    ("ACo0200", "ana@acme.example"),
    ("ACo0201", "bo@acme.example"),
    ("ACo0202", "cy@acme.example"),
    ("ACo0203", "di@other.example"),
]


async def test_an_out_of_office_read_again_restores_the_colleagues_its_reply_stopped(world: World) -> None:
    w = world
    setup = await setup_campaign(w, 1, INVITE_THEN_MESSAGE)
    auth, account = setup.auth, setup.unipile_account_id
    status, campaign = await w.suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "Company-wide",
            "schedule": SCHEDULE,
            "steps": INVITE_THEN_MESSAGE,
            "stop_on_reply": "company",
            "senders": {"linkedin_account_ids": [setup.linkedin_account_id]},
        },
    )
    assert status == 201, campaign
    cid = campaign["id"]
    status, added = await w.suite.call(
        "POST",
        f"/api/v1/campaigns/{cid}/prospects",
        auth,
        json={"prospects": [{"linkedin_provider_id": p, "email": e} for p, e in PEOPLE]},
    )
    assert status == 200 and added["added"] == 4, added
    assert (await w.suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth))[0] == 200
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=6))
    await accept_all(w, account, [p for p, _ in PEOPLE])

    await write(w, account, "ACo0200", "Thanks! Travelling this week, talk when I'm back.")  # acme: Ana, Bo, Cy
    seen = {p: s for p, (s, _) in (await states(w, auth, cid)).items()}
    assert seen == {"ACo0200": "replied", "ACo0201": "replied", "ACo0202": "replied", "ACo0203": "scheduled"}, seen

    _, listed = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects", auth)
    ana = next(p["id"] for p in listed["prospects"] if p["linkedin_provider_id"] == "ACo0200")
    _, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects/{ana}", auth)
    (reply,) = page["replies"]
    path = f"/api/v1/campaigns/{cid}/prospects/{ana}/replies/{reply['id']}/classification"
    out_of_office = {"classification": "out_of_office", "until": "2026-03-10T00:00:00+00:00"}
    status, body = await w.suite.call("POST", path, auth, json=out_of_office)
    assert status == 200 and body["changed"], body
    seen = await states(w, auth, cid)
    assert seen["ACo0200"][0] == "out_of_office", seen
    for colleague in ("ACo0201", "ACo0202"):  # back where they were, not parked
        assert seen[colleague][0] == "scheduled" and "replied" not in seen[colleague][1], seen
    _, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects/{ana}", auth)
    replies = [(r["classification"], r["prospects_affected"]) for r in page["replies"]]
    assert replies == [("replied", 3), ("out_of_office", 3)], replies

    # Bo and Cy continue from their step in the window; Ana is parked.
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=3))
    assert sorted(messaged(w)) == ["ACo0201", "ACo0202", "ACo0203"], messaged(w)

    # Read as a real reply again, it stops the colleagues again, like a new reply.
    status, body = await w.suite.call("POST", path, auth, json={"classification": "replied"})
    assert status == 200 and body["changed"], body
    seen = {p: s for p, (s, _) in (await states(w, auth, cid)).items()}
    assert seen == {"ACo0200": "replied", "ACo0201": "replied", "ACo0202": "replied", "ACo0203": "done"}, seen

    # Cy now replies himself: his reply stands, and with stop_on_reply=company it stops the whole company, Ana
    # included. Ana's reply read as an out-of-office again restores nobody, not even her (V4).
    await write(w, account, "ACo0202", "Who is this?")
    status, body = await w.suite.call("POST", path, auth, json=out_of_office)
    assert status == 200 and body == {"changed": False, "out_of_office_until": None}, body  # nothing parked
    seen = {p: s for p, (s, _) in (await states(w, auth, cid)).items()}
    assert seen == {"ACo0200": "replied", "ACo0201": "replied", "ACo0202": "replied", "ACo0203": "done"}, seen

    await w.run_until(MONDAY_0800_PARIS + timedelta(days=14))
    sent = messaged(w)
    assert {p: len(at) for p, at in sent.items()} == {"ACo0201": 1, "ACo0202": 1, "ACo0203": 1}, sent


def messaged(w: World) -> dict[str, list]:
    """When each prospect was messaged (the invitation aside), by provider id."""
    return {
        c.attendee_provider_id: at
        for c in w.unipile.chats.values()
        if (at := [m.sent_at for m in c.messages if m.is_sender])
    }
