"""Unsubscribe through HTTP (DESIGN V5, RFC 8058): every campaign email carries List-Unsubscribe (a signed
https link under HOLDFAST_PUBLIC_URL and a mailto) and List-Unsubscribe-Post; a GET of the link shows a page and
changes nothing; a one-click POST opts the prospect out at once (suppressed, stopped), idempotently; a tampered
token answers 404 and records nothing."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.e2e.conftest import MONDAY_0800_PARIS, setup_campaign

TWO_EMAILS = [
    {
        "channel": "email",
        "action": "email",
        "subject": "Hello {{first_name}}",
        "body": "Hi {{first_name}}.\n\nNot for you? {{unsubscribe_url}}",
    },
    {
        "channel": "email",
        "action": "email",
        "delay": {"days": 2},
        "subject": "Following up",
        "body": "Just checking in, {{first_name}}.",
    },
]


async def test_one_click_unsubscribe_stops_the_prospect_and_a_get_changes_nothing(world):
    w = world
    setup = await setup_campaign(w, 2, TWO_EMAILS)
    auth, cid = setup.auth, setup.campaign_id
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=12))
    first = {m.rcpt_tos[0]: m for m in w.smtp.messages}
    assert sorted(first) == ["p0@prospect.example", "p1@prospect.example"]

    mail = first["p0@prospect.example"]
    header = mail.message["List-Unsubscribe"]
    links = re.findall(r"<([^>]+)>", header)
    assert (
        len(links) == 2
        and links[0].startswith("http://127.0.0.1:1/u/")
        and links[1].startswith("mailto:sender@acme.example?subject=unsubscribe%20")
    ), header
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert links[0] in mail.body  # {{unsubscribe_url}}
    token = links[0].rsplit("/u/", 1)[1]
    other_token = re.findall(r"/u/([^>]+)>", first["p1@prospect.example"].message["List-Unsubscribe"])[0]
    assert token != other_token and "prospect" not in token and "@" not in token

    # A GET (a mail scanner, a preview) shows a confirm button and records nothing.
    async with w.suite.http.get(f"{w.suite.base_url}/u/{token}") as r:
        assert r.status == 200 and r.content_type == "text/html"
        page = await r.text()
    assert f'action="/u/{token}"' in page and 'method="post"' in page
    status, listed = await w.suite.call("GET", "/api/v1/suppressions", auth)
    assert listed["suppressions"] == []

    # A tampered or unknown token: 404 on GET and POST, nothing recorded.
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for method in ("GET", "POST"):
        for bad in (tampered, "nonsense", "x" * 300):
            async with w.suite.http.request(
                method, f"{w.suite.base_url}/u/{bad}", data="List-Unsubscribe=One-Click"
            ) as r:
                assert r.status == 404, (method, bad, r.status)
    status, listed = await w.suite.call("GET", "/api/v1/suppressions", auth)
    assert listed["suppressions"] == []

    # RFC 8058 one-click: a POST with List-Unsubscribe=One-Click, no cookies, no auth.
    for _ in range(2):  # a second POST changes nothing
        async with w.suite.http.post(
            f"{w.suite.base_url}/u/{token}",
            data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as r:
            assert r.status == 200, await r.text()
    status, listed = await w.suite.call("GET", "/api/v1/suppressions", auth)
    assert [(s["type"], s["value"], s["source"]) for s in listed["suppressions"]] == [
        ("email", "p0@prospect.example", "opt_out")
    ]
    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects", auth)
    states = {p["email"]: (p["state"], p["why_not_now"]) for p in page["prospects"]}
    assert states["p0@prospect.example"] == ("opted_out", ["opted_out"])

    await w.run_until(MONDAY_0800_PARIS + timedelta(days=6))
    follow_ups = sorted(m.rcpt_tos[0] for m in w.smtp.messages if m.subject == "Following up")
    assert follow_ups == ["p1@prospect.example"]
