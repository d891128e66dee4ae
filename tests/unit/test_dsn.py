"""Delivery-status notifications (RFC 3464) as real mail servers send them, parsed with the stdlib email package;
the bounce-rate rule; reading an INBOX for reports over real IMAP against the sandbox (UIDs, UIDVALIDITY).

The samples are written here in the shape Gmail and Exchange Online (Outlook) use: a human part, the
message/delivery-status part, and the returned message (whole, or its headers only)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from sandbox.imap import SandboxImap, build_dsn
from services.accounts.bounces import bounces_in
from services.accounts.dsn import parse_report
from services.common.providers.imap import ImapError, ImapSettings, fetch_reports
from services.common.providers.unipile import FailureKind
from services.scheduler.bounce_rate import BouncePolicy, attempt_id_of, names_the_prospect

ATTEMPT = "0b5c3f9e-3a51-4d2e-9a0e-6f1d2c3b4a59"
OURS = f"<{ATTEMPT}@holdfast>"


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


GMAIL_HARD = crlf(f"""Delivered-To: sender@acme.example
Return-Path: <>
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: sender@acme.example
Subject: Delivery Status Notification (Failure)
Date: Mon, 02 Mar 2026 01:02:03 -0800 (PST)
Message-ID: <67e1a0b2.050a0220.3b1c2.9f1aSMTPIN_ADDED_BROKEN@mx.google.com>
References: {OURS}
In-Reply-To: {OURS}
X-Failed-Recipients: nobody@prospect.example
MIME-Version: 1.0
Content-Type: multipart/report; boundary="000000000000aa11bb22cc33dd44"; report-type=delivery-status

--000000000000aa11bb22cc33dd44
Content-Type: multipart/related; boundary="000000000000aa11bb22cc33dd55"

--000000000000aa11bb22cc33dd55
Content-Type: text/html; charset="UTF-8"

<html><body><h2>Address not found</h2><p>Your message wasn't delivered to nobody@prospect.example because
the address couldn't be found, or is unable to receive mail.</p></body></html>

--000000000000aa11bb22cc33dd55--

--000000000000aa11bb22cc33dd44
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Received-From-MTA: dns; sender@acme.example
Arrival-Date: Mon, 02 Mar 2026 01:02:02 -0800 (PST)
X-Original-Message-ID: {OURS}

Final-Recipient: rfc822; nobody@prospect.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.prospect.example. (192.0.2.25, the server for the domain prospect.example.)
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try
 550-5.1.1 double-checking the recipient's email address for typos or
 550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser a1si2 - gsmtp
Last-Attempt-Date: Mon, 02 Mar 2026 01:02:03 -0800 (PST)

--000000000000aa11bb22cc33dd44
Content-Type: message/rfc822

Message-ID: {OURS}
Date: Mon, 02 Mar 2026 09:02:00 +0000
From: sender@acme.example
To: nobody@prospect.example
Subject: Hello Bo
Content-Type: text/plain; charset="utf-8"

A note

--000000000000aa11bb22cc33dd44--
""")

# Exchange Online: "rfc822;addr" without a space, an enhanced status with three digits in the last part, and the
# returned headers only; no In-Reply-To.
OUTLOOK_HARD = crlf(f"""From: Microsoft Outlook <postmaster@contoso.onmicrosoft.com>
To: <sender@acme.example>
Date: Mon, 2 Mar 2026 09:03:10 +0000
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="b0b1b2b3-c4c5-d6d7-e8e9-fafbfcfdfeff"
X-MS-Exchange-Message-Is-Ndr:
Content-Language: en-US
Message-ID: <d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6@AM0PR01MB1234.eurprd01.prod.outlook.com>
Subject: Undeliverable: Hello Bo
MIME-Version: 1.0

--b0b1b2b3-c4c5-d6d7-e8e9-fafbfcfdfeff
Content-Type: multipart/alternative; differences=Content-Type;
\tboundary="a0a1a2a3-b4b5-c6c7-d8d9-eaebecedeeef"

--a0a1a2a3-b4b5-c6c7-d8d9-eaebecedeeef
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Your message to nobody@contoso.example couldn't be delivered.
nobody wasn't found at contoso.example.

--a0a1a2a3-b4b5-c6c7-d8d9-eaebecedeeef--

--b0b1b2b3-c4c5-d6d7-e8e9-fafbfcfdfeff
Content-Type: message/delivery-status

Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.outlook.com
Received-From-MTA: dns;mail.acme.example
Arrival-Date: Mon, 2 Mar 2026 09:03:08 +0000

Original-Recipient: rfc822;nobody@contoso.example
Final-Recipient: rfc822;nobody@contoso.example
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient nobody@contoso.example not found
 by SMTP address lookup

--b0b1b2b3-c4c5-d6d7-e8e9-fafbfcfdfeff
Content-Type: text/rfc822-headers

Message-ID: {OURS}
Date: Mon, 2 Mar 2026 09:03:00 +0000
From: sender@acme.example
To: nobody@contoso.example
Subject: Hello Bo

--b0b1b2b3-c4c5-d6d7-e8e9-fafbfcfdfeff--
""")


def report(*, status_part: str, returned: str = "", headers: str = "", cte: str = "") -> bytes:
    encoding = f"Content-Transfer-Encoding: {cte}\n" if cte else ""
    if cte == "base64":
        status_part = base64.encodebytes(status_part.replace("\n", "\r\n").encode()).decode()
    return crlf(f"""From: MAILER-DAEMON@mx.example
To: sender@acme.example
Subject: Returned mail
{headers}MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="XX"

--XX
Content-Type: text/plain

See below.

--XX
Content-Type: message/delivery-status
{encoding}
{status_part}
--XX
{returned}--XX--
""")


def test_a_gmail_hard_bounce() -> None:
    parsed = parse_report(GMAIL_HARD)
    assert parsed is not None
    assert parsed.original_message_id == OURS
    (recipient,) = parsed.hard_bounces
    assert recipient.recipient == "nobody@prospect.example"
    assert recipient.status == "5.1.1"
    assert recipient.diagnostic.startswith("550-5.1.1 The email account that you tried to reach does not exist.")
    assert "gsmtp" in recipient.diagnostic  # the folded lines are one value


def test_an_outlook_hard_bounce_with_headers_only() -> None:
    parsed = parse_report(OUTLOOK_HARD)
    assert parsed is not None
    assert parsed.original_message_id == OURS
    (recipient,) = parsed.hard_bounces
    assert (recipient.recipient, recipient.status) == ("nobody@contoso.example", "5.1.10")
    assert "RESOLVER.ADR.RecipientNotFound" in recipient.diagnostic


def test_delayed_and_delivered_reports_are_no_bounces() -> None:
    delayed = report(
        status_part="Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; a@b.example\n"
        "Action: delayed\nStatus: 4.4.7\n",
        headers=f"In-Reply-To: {OURS}\n",
    )
    delivered = report(
        status_part="Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; a@b.example\n"
        "Action: delivered\nStatus: 2.0.0\n",
        headers=f"In-Reply-To: {OURS}\n",
    )
    # "failed" with a transient status is not permanent either (RFC 3463: 4.x.x).
    transient = report(
        status_part="Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; a@b.example\n"
        "Action: failed\nStatus: 4.2.2\n",
        headers=f"In-Reply-To: {OURS}\n",
    )
    for raw in (delayed, delivered, transient):
        parsed = parse_report(raw)
        assert parsed is not None and parsed.original_message_id == OURS
        assert parsed.recipients and parsed.hard_bounces == ()


def test_the_original_message_id_falls_back_to_the_report_fields_then_to_references() -> None:
    by_field = report(
        status_part=f"Reporting-MTA: dns; mx.example\nOriginal-Message-ID: {OURS}\n\n"
        "Final-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.0.0\n"
    )
    assert parse_report(by_field).original_message_id == OURS  # type: ignore[union-attr]
    by_references = report(
        status_part="Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; a@b.example\n"
        "Action: failed\nStatus: 5.1.1\n",
        headers=f"References: <older@elsewhere.example> {OURS}\n",
    )
    assert parse_report(by_references).original_message_id == OURS  # type: ignore[union-attr]
    unknown = report(
        status_part="Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; a@b.example\n"
        "Action: failed\nStatus: 5.1.1\n"
    )
    assert parse_report(unknown).original_message_id == ""  # type: ignore[union-attr]


def test_a_report_part_encoded_against_the_rules_is_still_read() -> None:
    fields = "Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1\n"
    parsed = parse_report(report(status_part=fields, headers=f"In-Reply-To: {OURS}\n", cte="base64"))
    assert parsed is not None
    assert [(r.recipient, r.status) for r in parsed.hard_bounces] == [("a@b.example", "5.1.1")]


def test_one_failed_recipient_among_several() -> None:
    fields = (
        "Reporting-MTA: dns; mx.example\n\n"
        "Final-Recipient: rfc822; ok@b.example\nAction: delivered\nStatus: 2.0.0\n\n"
        "Final-Recipient: rfc822; gone@b.example\nAction: failed\nStatus: 5.2.1\n"
        "Diagnostic-Code: smtp; 550 5.2.1 mailbox disabled\n"
    )
    parsed = parse_report(report(status_part=fields, headers=f"In-Reply-To: {OURS}\n"))
    assert parsed is not None and len(parsed.recipients) == 2
    failed = [(r.recipient, r.diagnostic) for r in parsed.hard_bounces]
    assert failed == [("gone@b.example", "550 5.2.1 mailbox disabled")]


def test_mail_that_is_not_a_delivery_report_is_ignored() -> None:
    assert parse_report(crlf("From: a@b.example\nSubject: Out of office\n\nBack Monday.\n")) is None
    # A multipart/report of another type (a read receipt, RFC 8098).
    mdn = crlf(
        "From: a@b.example\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=disposition-"
        'notification; boundary="Z"\n\n--Z\nContent-Type: text/plain\n\nRead.\n--Z--\n'
    )
    assert parse_report(mdn) is None
    assert parse_report(b"\xff\xfe not even mail") is None


def test_only_hard_bounces_of_our_own_messages_are_reported() -> None:
    received = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    theirs = GMAIL_HARD.replace(OURS.encode(), b"<CAB1234@mail.gmail.com>")
    found = bounces_in([(1, GMAIL_HARD), (2, theirs), (3, OUTLOOK_HARD)], received)
    assert [(b.message_id, b.recipient, b.status) for b in found] == [
        (OURS, "nobody@prospect.example", "5.1.1"),
        (OURS, "nobody@contoso.example", "5.1.10"),
    ]


def test_the_message_id_names_the_attempt() -> None:
    assert attempt_id_of(OURS) == ATTEMPT
    assert attempt_id_of(f"<{ATTEMPT.upper()}@HOLDFAST>") == ATTEMPT
    # The sending inbox's domain is ours too (Message-IDs carry it now); no other domain is.
    assert attempt_id_of(f"<{ATTEMPT}@Acme.example>", ["acme.example"]) == ATTEMPT
    for other in (
        "<CAB1234@mail.gmail.com>",
        f"<{ATTEMPT}@holdfast.evil.example>",
        "<not-a-uuid@holdfast>",
        "",
        f"<{ATTEMPT}@acme.example>",
    ):
        assert attempt_id_of(other) is None
    assert attempt_id_of(f"<{ATTEMPT}@evil.example>", ["acme.example"]) is None


@pytest.mark.parametrize(
    ("final", "original", "counts"),
    [
        ("jane@corp.example", "", True),
        ("JANE@Corp.example", "rfc822; x", True),
        ("<jane@corp.example>", "", True),
        # The receiving system rewrote the address of the same mailbox.
        ("jane.doe@corp.example", "jane@corp.example", True),
        ("", "jane@corp.example", True),
        # A forwarder's bounce: the prospect's mailbox took the email, the copy forwarded elsewhere failed.
        ("jane.private@mail.example", "jane@corp.example", False),
        # A report about someone else (a forged DSN quoting our Message-ID, a list's other member).
        ("someone@corp.example", "", False),
        ("", "", False),
    ],
)
def test_a_report_counts_only_when_its_failed_recipient_is_the_prospect(
    final: str, original: str, counts: bool
) -> None:
    assert names_the_prospect("jane@corp.example", final, original) is counts


def test_the_bounce_rate_needs_its_sample_and_must_exceed_the_threshold() -> None:
    policy = BouncePolicy(window_seconds=7 * 86400, threshold=0.05, min_sample=20)
    assert policy.judge(19, 5) == (False, 5 / 19)  # too few emails sent to judge
    assert policy.judge(20, 1) == (False, 0.05)  # at the threshold is not above it
    assert policy.judge(20, 2) == (True, 0.1)
    assert policy.judge(0, 0) == (False, 0.0)


@pytest.fixture
async def imap() -> AsyncIterator[tuple[SandboxImap, ImapSettings]]:
    sandbox = SandboxImap()
    port = await sandbox.start()
    sandbox.set_password("sender@acme.example", "pw-1")
    yield sandbox, ImapSettings("127.0.0.1", port, "none", "sender@acme.example", "pw-1")
    await sandbox.stop()


SENT = crlf(f"Message-ID: {OURS}\nFrom: sender@acme.example\nTo: nobody@prospect.example\nSubject: Hi\n\nA note\n")


async def test_reports_are_read_after_the_last_uid_and_again_after_a_new_uidvalidity(imap) -> None:
    sandbox, settings = imap
    user = settings.username
    sandbox.deliver(user, b"From: a@b.example\r\nSubject: hello\r\n\r\nnot a report\r\n")
    first = sandbox.deliver_dsn(user, SENT)
    got = await fetch_reports(settings, None, 0)
    assert [uid for uid, _ in got.messages] == [first] and got.last_uid == first
    assert parse_report(got.messages[0][1]).hard_bounces[0].recipient == "nobody@prospect.example"  # type: ignore[union-attr]

    # Nothing new: nothing read, the cursor stays (UID n:* matches the last message even below n: filtered out).
    again = await fetch_reports(settings, got.uidvalidity, got.last_uid)
    assert (again.messages, again.last_uid, again.uidvalidity) == ([], first, got.uidvalidity)

    # Plain mail moves the cursor on without being fetched; a new report is read alone.
    plain = sandbox.deliver(user, b"From: c@d.example\r\nSubject: later\r\n\r\nhi\r\n")
    second = sandbox.deliver_dsn(user, SENT.replace(b"nobody@", b"other@"))
    later = await fetch_reports(settings, got.uidvalidity, got.last_uid)
    assert [uid for uid, _ in later.messages] == [second] and later.last_uid == second > plain

    # The server renumbers the mailbox: the old cursor means nothing, every report is read again.
    sandbox.renumber(user)
    renumbered = await fetch_reports(settings, later.uidvalidity, later.last_uid)
    assert renumbered.uidvalidity != later.uidvalidity
    assert len(renumbered.messages) == 2


async def test_a_limit_reads_reports_in_batches(imap) -> None:
    sandbox, settings = imap
    uids = [sandbox.deliver(settings.username, build_dsn(SENT)) for _ in range(5)]
    # The first read of a mailbox takes the newest reports and moves the cursor to the top (T6)...
    first = await fetch_reports(settings, None, 0, limit=2)
    assert [u for u, _ in first.messages] == uids[3:] and first.last_uid == uids[-1]
    # ...later reads take what arrived since, oldest first, a batch at a time.
    more = [sandbox.deliver(settings.username, build_dsn(SENT)) for _ in range(5)]
    second = await fetch_reports(settings, first.uidvalidity, first.last_uid, limit=2)
    assert [u for u, _ in second.messages] == more[:2] and second.last_uid == more[1]
    rest = await fetch_reports(settings, second.uidvalidity, second.last_uid, limit=10)
    assert [u for u, _ in rest.messages] == more[2:]


async def test_examine_does_not_mark_reports_seen_and_a_refused_login_says_so(imap) -> None:
    sandbox, settings = imap
    sandbox.deliver_dsn(settings.username, SENT)
    await fetch_reports(settings, None, 0)
    assert sandbox.mailbox(settings.username).messages[0].flags == set()
    sandbox.set_password(settings.username, "pw-2")
    with pytest.raises(ImapError) as refused:
        await fetch_reports(settings, None, 0)
    assert refused.value.kind is FailureKind.DISCONNECTED and "pw-1" not in str(refused.value)


def test_a_report_carries_its_final_and_original_recipients_and_the_sending_domain_is_ours() -> None:
    sent = SENT.replace(OURS.encode(), f"<{ATTEMPT}@acme.example>".encode())
    forwarded = build_dsn(sent).replace(
        b"Final-Recipient: rfc822; nobody@prospect.example\r\n",
        b"Original-Recipient: rfc822; nobody@prospect.example\r\n"
        b"Final-Recipient: rfc822; someone@elsewhere.example\r\n",
    )
    received = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    [found] = bounces_in([(1, forwarded)], received)
    assert (found.message_id, found.recipient, found.original_recipient) == (
        f"<{ATTEMPT}@acme.example>",
        "someone@elsewhere.example",
        "nobody@prospect.example",
    )
    # Not a UUID: someone else's Message-ID, whatever its domain.
    other = SENT.replace(OURS.encode(), b"<CAB1234@acme.example>")
    assert bounces_in([(1, build_dsn(other))], received) == []
