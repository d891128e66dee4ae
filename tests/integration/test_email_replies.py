"""Email replies matched and recorded by the scheduler (DESIGN V2, V3, V5, V9): campaign emails really sent
through the SMTP sandbox, then replies written as Gmail, Outlook and Apple Mail write them, read by the same
parser the IMAP reader uses, handed to EmailReplies. Matched by In-Reply-To to our Message-ID, or by the
sender's address alone; a forged In-Reply-To from a stranger and a redelivery change nothing; an "unsubscribe
TOKEN" mail opts out; an out-of-office in French parks until its date."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sandbox.smtp import SandboxSmtp
from services.common.clock import ManualClock
from services.common.inbound_email import parse
from services.common.providers.smtp import SmtpSettings
from services.common.records import ReplyCandidate
from services.common.reply_classifier import AUTO_HEADERS
from services.common.unsubscribe import UnsubscribeTokens
from services.scheduler.domain import CampaignPlan, Limits, Step
from services.scheduler.email_replies import EmailReplies
from services.scheduler.plan_rows_repository import Enrollee
from services.scheduler.providers import Providers, UnsubscribeLinks
from services.scheduler.repository import Repository
from services.scheduler.voices import ProspectVoices
from tests.scheduler_rig import MONDAY_7_UTC, PARIS, scheduler_rig

EMAIL = Limits(daily_cap=100, weekly_cap=500, ramp_start=100, ramp_step=0, pacing_min_seconds=0, pacing_max_seconds=0)
TWO_EMAILS = (
    Step(0, "email", "email", 0, "", "Hello {{first_name}}", "Hi {{first_name}}, {{unsubscribe_url}}"),
    Step(1, "email", "email", 48, "", "Following up", "Checking in, {{first_name}}."),
)
KEY = "email-replies-test-key-" + "k" * 20
PEOPLE = [("Ana", "ana@acme.example"), ("Bo", "bo@acme.example"), ("Cy", "cy@gmail.com"), ("Di", "di@other.example")]


def gmail_reply(sender: str, to: str, message_id: str, text: str, *, subject: str = "Re: Hello") -> bytes:
    return (
        f"MIME-Version: 1.0\r\nMessage-ID: <{uuid.uuid4().hex}@mail.gmail.com>\r\nSubject: {subject}\r\n"
        f"From: {sender}\r\nTo: {to}\r\nIn-Reply-To: {message_id}\r\nReferences: {message_id}\r\n"
        'Content-Type: text/plain; charset="UTF-8"\r\n\r\n'
        f"{text}\r\n\r\nOn Mon, Mar 2, 2026 at 10:00 AM <{to}> wrote:\r\n> Hi, unsubscribe here\r\n"
    ).encode()


def as_inbound(raw: bytes, at: datetime) -> ReplyCandidate:
    m = parse(raw)
    return ReplyCandidate(
        m.message_id,
        m.in_reply_to,
        m.references,
        m.from_address,
        m.subject,
        m.text,
        at,
        {k: v for k, v in m.headers.items() if k in AUTO_HEADERS},
    )


async def test_email_replies_are_matched_classified_and_recorded_once(fresh_dsn):
    smtp = SandboxSmtp()
    smtp.set_password("sam", "pw")
    port = await smtp.start()

    async def credentials(_: str) -> SmtpSettings:
        return SmtpSettings("127.0.0.1", port, "none", "sam", "pw")

    try:
        async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC), credentials) as rig:
            tokens = UnsubscribeTokens(KEY)
            rig.dispatcher._providers = Providers(
                None,
                credentials,
                unsubscribe=UnsubscribeLinks(  # noqa: SLF001
                    "https://hf.example", tokens
                ),
            )
            voices = ProspectVoices(Repository(rig.pool), rig.clock)
            replies = EmailReplies(Repository(rig.pool), voices, tokens=tokens)
            inbox = str(uuid.uuid4())
            await rig.service.set_sender(
                "inbox", inbox, 1, "connected", "Europe/Paris", None, "", "sam@holdfast.example", {"email": EMAIL}
            )
            campaign_id, workspace = str(uuid.uuid4()), str(uuid.uuid4())
            await rig.service.upsert_plan(
                CampaignPlan(campaign_id, workspace, 1, PARIS, True, (), (inbox,), TWO_EMAILS)
            )
            ids = [str(uuid.uuid4()) for _ in PEOPLE]
            await rig.service.enroll(
                campaign_id,
                [Enrollee(p, None, email, name, "", "", {}) for p, (name, email) in zip(ids, PEOPLE, strict=True)],
            )
            await rig.run_until(MONDAY_7_UTC + timedelta(hours=12))
            sent = {m.rcpt_tos[0]: m for m in smtp.messages}
            assert sorted(sent) == sorted(e for _, e in PEOPLE)
            assert sent["ana@acme.example"].message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            at = rig.clock.now()

            # Ana answers in the thread (Gmail); Cy from a client that drops In-Reply-To (by address alone).
            ana = as_inbound(
                gmail_reply(
                    "Ana <ana@acme.example>",
                    "sam@holdfast.example",
                    sent["ana@acme.example"].message_id,
                    "Yes, Thursday 10:00 works.",
                ),
                at,
            )
            cy = as_inbound(
                b"From: cy@gmail.com\r\nSubject: hello back\r\nMessage-ID: <cy-1@icloud.example>\r\n"
                b"Content-Type: text/plain; charset=utf-8\r\n\r\nSend me the deck.\r\n",
                at,
            )
            # A stranger forges a reply in Di's thread; a newsletter arrives.
            eve = as_inbound(
                gmail_reply(
                    "eve@evil.example", "sam@holdfast.example", sent["di@other.example"].message_id, "unsubscribe"
                ),
                at,
            )
            news = as_inbound(
                b"From: news@vendor.example\r\nSubject: Our news\r\nMessage-ID: <n1@vendor.example>"
                b"\r\nPrecedence: bulk\r\n\r\nHello\r\n",
                at,
            )
            heard = await replies.record(inbox, [ana, cy, eve, news])
            assert (heard.recorded, heard.unmatched) == (2, 2)
            assert (await replies.record(inbox, [ana])).recorded == 0  # redelivered: nothing new

            # Di's Outlook out-of-office, in French, in the thread.
            ooo = (
                b"Subject: =?utf-8?Q?R=C3=A9ponse_automatique=C2=A0:_Hello?=\r\nAuto-Submitted: auto-generated\r\n"
                b"From: Di <di@other.example>\r\nMessage-ID: <ooo-1@other.example>\r\n"
                b"In-Reply-To: " + sent["di@other.example"].message_id.encode() + b"\r\n"
                b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
                b"Je suis absente jusqu'au 16 mars 2026 inclus.\r\n"
            )
            assert (await replies.record(inbox, [as_inbound(ooo, at)])).recorded == 1
            # Bo uses the List-Unsubscribe mailto.
            token = tokens.make(workspace, ids[1])
            mailto = (
                f"From: bo@acme.example\r\nTo: sam@holdfast.example\r\nSubject: unsubscribe {token}\r\n"
                f"Message-ID: <u-1@acme.example>\r\n\r\n"
            ).encode()
            assert (await replies.record(inbox, [as_inbound(mailto, at)])).recorded == 1
            tampered = mailto.replace(token[-4:].encode(), b"AAAA" if token[-4:] != "AAAA" else b"BBBB")
            assert (await replies.record(inbox, [as_inbound(tampered, at)])).recorded == 0

            views = {v.plan.prospect_id: v for v in await rig.service.list_plans(campaign_id, ids)}
            assert [views[p].why_not_now[0] for p in ids] == ["replied", "opted_out", "replied", "out_of_office"]
            assert views[ids[3]].plan.parked_until >= datetime(2026, 3, 17, tzinfo=UTC)
            events = await voices.events(ids[0])
            assert [(e.voice, e.channel, e.snippet) for e in events] == [
                ("replied", "email", "Yes, Thursday 10:00 works.")
            ]

            await rig.run_until(MONDAY_7_UTC + timedelta(days=30))
            follow_ups = sorted(m.rcpt_tos[0] for m in smtp.messages if m.subject == "Following up")
            assert follow_ups == ["di@other.example"]
            di_sent = await rig.pool.fetchval(
                "SELECT started_at FROM scheduler.send_attempts WHERE prospect_id = $1 AND step_index = 1",
                uuid.UUID(ids[3]),
            )
            assert di_sent >= views[ids[3]].plan.parked_until >= datetime(2026, 3, 17, tzinfo=UTC)
    finally:
        await smtp.stop()
