"""Delivery-status notifications (RFC 3464, RFC 3462 multipart/report), parsed with the standard `email` package.

A DSN is a multipart/report with report-type=delivery-status: a human-readable part, a message/delivery-status
part (one block of per-message fields, then one block per recipient: Final-Recipient, Action, Status,
Diagnostic-Code) and usually the returned message or its headers (message/rfc822 or text/rfc822-headers). The
returned message's Message-ID says which email bounced; when the headers were not returned, a non-standard
Original-Message-ID field or the DSN's own In-Reply-To / References stand in for it.

A hard bounce is a recipient whose Action is `failed` with a permanent Status (5.x.x, RFC 3463). Delayed
(4.x.x) and delivered / relayed / expanded reports are not bounces. Pure: no I/O."""

from __future__ import annotations

import email
import email.base64mime
import email.policy
import email.quoprimime
import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser

_POLICY = email.policy.default
_MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    # The Final-Recipient (the Original-Recipient when there is none), and the Original-Recipient as given.
    recipient: str
    action: str
    status: str
    diagnostic: str
    original_recipient: str = ""

    @property
    def hard_bounce(self) -> bool:
        return self.action == "failed" and self.status.startswith("5.")


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    # The Message-ID of the message the report is about ("<...@...>"), "" when it cannot be told.
    original_message_id: str
    recipients: tuple[RecipientStatus, ...]

    @property
    def hard_bounces(self) -> tuple[RecipientStatus, ...]:
        return tuple(r for r in self.recipients if r.hard_bounce)


def parse_report(raw: bytes) -> DeliveryReport | None:
    """The delivery report in a message, None when the message is not one (mail of any other kind)."""
    message = email.message_from_bytes(raw, policy=_POLICY)
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type", "", header="content-type")).lower() != "delivery-status":
        return None
    status_blocks: list[Message] = []
    original: Message | None = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("message/delivery-status", "message/global-delivery-status") and not status_blocks:
            status_blocks = _status_blocks(part)
        elif kind in ("message/rfc822", "message/global") and original is None:
            payload = part.get_payload()
            original = payload[0] if isinstance(payload, list) and payload else None
        elif kind in ("text/rfc822-headers", "message/global-headers") and original is None:
            original = HeaderParser(policy=_POLICY).parsestr(_text(part))
    if not status_blocks:
        return None
    per_message, per_recipient = status_blocks[0], status_blocks[1:]
    recipients = tuple(_recipient(block) for block in per_recipient if block.get("Action") or block.get("Status"))
    return DeliveryReport(_original_id(original, per_message, message), recipients)


def _status_blocks(part: Message) -> list[Message]:
    """The field blocks of a message/delivery-status part: the email package parses them into a list of header
    blocks; a part it left as text (a wrong transfer encoding, say) is split here by blank lines."""
    payload = part.get_payload()
    encoding = str(part.get("Content-Transfer-Encoding") or "").strip().lower()
    if isinstance(payload, list) and payload and encoding not in ("base64", "quoted-printable"):
        return [block for block in payload if isinstance(block, Message)]
    # Some servers (Exchange among them) encode the part, which RFC 2046 forbids for message/*: the parser then
    # took the encoded text for field blocks. Decode it and read the fields from the text.
    if isinstance(payload, list):
        encoded = "\n".join(str(block.get_payload()) for block in payload if isinstance(block, Message))
        text = (
            email.base64mime.decode(encoded).decode("utf-8", "replace")
            if encoding == "base64"
            else email.quoprimime.decode(encoded)
        )
    else:
        text = _text(part)
    text = text.replace("\r\n", "\n")
    return [
        HeaderParser(policy=_POLICY).parsestr(block + "\n") for block in re.split(r"\n\s*\n", text) if block.strip()
    ]


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return str(part.get_payload())


def _recipient(block: Message) -> RecipientStatus:
    original = _typed_value(block.get("Original-Recipient") or "")
    recipient = _typed_value(block.get("Final-Recipient") or "") or original
    status = _field(block, "Status").split(" ", 1)[0]
    return RecipientStatus(
        recipient=recipient,
        action=_field(block, "Action").lower(),
        status=status if _STATUS.match(status) else "",
        diagnostic=_typed_value(block.get("Diagnostic-Code") or "")[:500],
        original_recipient=original,
    )


def _field(block: Message, name: str) -> str:
    return " ".join(str(block.get(name) or "").split())


def _typed_value(value: object) -> str:
    """`rfc822; someone@example.com` -> `someone@example.com` (RFC 3464 address-type; value)."""
    text = " ".join(str(value).split())
    kind, sep, rest = text.partition(";")
    return rest.strip() if sep and kind.strip().replace("-", "").isalnum() else text


def _original_id(original: Message | None, per_message: Message, report: Message) -> str:
    candidates = [
        original.get("Message-ID") if original is not None else None,
        per_message.get("Original-Message-ID"),
        report.get("Original-Message-ID"),
        report.get("In-Reply-To"),
    ]
    for candidate in candidates:
        found = _MESSAGE_ID.findall(str(candidate or ""))
        if found:
            return found[0]
    # References lists the thread oldest first: the message replied to is the last one.
    found = _MESSAGE_ID.findall(str(report.get("References") or ""))
    return found[-1] if found else ""
