"""An inbound email as the reply reader needs it: its identifying headers and the text the sender wrote, with
the quoted message and the signature cut off. Pure: parses bytes, no I/O.

Mail clients quote differently: Gmail writes "On <date>, <name> wrote:" (localized) above "> " lines and puts
its HTML quote in a `gmail_quote` block; Outlook/Exchange write a "From: / Sent:" header block (or
"-----Original Message-----") and put HTML quotes after `divRplyFwdMsg` or an `<hr>`; Apple Mail writes "On
<date>, at <time>, <name> wrote:" and a `<blockquote type="cite">`. Whatever comes from such a marker on is the
old message, not the reply."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

# Larger messages are not read as replies (a caller logs and skips them).
MAX_MESSAGE_BYTES = 10 * 1024 * 1024

# A line opening the quoted message, in the languages the classifier reads.
_QUOTE_INTRO = re.compile(
    r"^\s*(?:"
    r"on\b.{0,200}\bwrote\s*:|"  # en (Gmail, Apple Mail)
    r"le\b.{0,200}\ba\s+[ée]crit\s*:|"  # fr
    r"am\b.{0,200}\bschrieb\b.{0,200}:|"  # de
    r"el\b.{0,200}\bescribi[óo]\s*:|"  # es
    r"em\b.{0,200}\bescreveu\s*:|"  # pt
    r"il\b.{0,200}\bha\s+scritto\s*:|"  # it
    r"op\b.{0,200}\bschreef\b.{0,200}:|"  # nl
    r"-{2,}\s*(?:original message|message d'origine|urspr[üu]ngliche nachricht|mensaje original|"
    r"mensagem original|messaggio originale|oorspronkelijk bericht)\s*-{2,}|"
    r"_{10,}"  # Outlook's rule above the header block
    r")\s*$",
    re.IGNORECASE,
)
# Outlook's header block: "From:" (localized) followed within a few lines by "Sent:"/"Date:" (localized).
_FROM_LINE = re.compile(r"^\s*\*?(?:from|de|von|da|van|от)\s*\*?\s*:", re.IGNORECASE)
_SENT_LINE = re.compile(
    r"^\s*\*?(?:sent|date|envoy[ée]|gesendet|datum|enviado|inviato|verzonden|data)\s*\*?\s*:", re.IGNORECASE
)
_SIGNATURE = re.compile(r"^-- ?$")
_HTML_QUOTE_START = re.compile(r"gmail_quote|divRplyFwdMsg|appendonsend|moz-cite-prefix|yahoo_quoted", re.I)


@dataclass(frozen=True, slots=True)
class InboundEmail:
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    from_address: str
    to_addresses: tuple[str, ...]
    subject: str
    # Header names lower-cased; a repeated header keeps its first value.
    headers: dict[str, str] = field(repr=False)
    # What the sender wrote: the text part (or the HTML part as text) without the quoted message.
    text: str = field(repr=False)


def parse(raw: bytes) -> InboundEmail:
    """Read a message; never raises on broken MIME or unknown charsets (what cannot be decoded is replaced)."""
    message = BytesParser(policy=policy.default).parsebytes(raw[:MAX_MESSAGE_BYTES])
    headers: dict[str, str] = {}
    for name, value in message.items():
        headers.setdefault(name.lower(), _header_text(value))
    ids = re.findall(r"<[^<>\s]+>", headers.get("references", ""))
    in_reply_to = (re.findall(r"<[^<>\s]+>", headers.get("in-reply-to", "")) or [""])[0]
    recipients = getaddresses([headers.get("to", ""), headers.get("cc", "")])
    return InboundEmail(
        message_id=(re.findall(r"<[^<>\s]+>", headers.get("message-id", "")) or [""])[0],
        in_reply_to=in_reply_to,
        references=tuple(ids),
        from_address=parseaddr(headers.get("from", ""))[1].strip().lower(),
        to_addresses=tuple(a.strip().lower() for _, a in recipients if a),
        subject=" ".join(headers.get("subject", "").split()),
        headers=headers,
        text=_written_text(message),
    )


def _header_text(value: object) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a header the parser cannot decode is kept as nothing, not fatal
        return ""


def _written_text(message: EmailMessage) -> str:
    plain = _part(message, "plain")
    if plain is not None:
        return strip_quoted(plain)
    html = _part(message, "html")
    return strip_quoted(html_to_text(html)) if html is not None else ""


def _part(message: EmailMessage, subtype: str) -> str | None:
    try:
        part = message.get_body(preferencelist=(subtype,))
    except Exception:  # noqa: BLE001 - broken MIME structure: no body of that kind
        return None
    if part is None:
        return None
    try:
        return str(part.get_content())
    except (LookupError, UnicodeDecodeError, AssertionError, ValueError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else None


def strip_quoted(text: str) -> str:
    """The text above the quoted message and the signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if line.lstrip().startswith(">") or _SIGNATURE.match(line) or _QUOTE_INTRO.match(line):
            break
        # Gmail wraps a long "On ... wrote:" over two lines.
        if i + 1 < len(lines) and _QUOTE_INTRO.match(f"{line} {lines[i + 1]}"):
            break
        if _FROM_LINE.match(line) and any(_SENT_LINE.match(x) for x in lines[i + 1 : i + 4]):
            break
        kept.append(line)
    return "\n".join(kept).strip()


class _Text(HTMLParser):
    """HTML as text: block elements break lines; quoted blocks (blockquote, a client's quote container and
    everything after it) are dropped; scripts and styles too."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0
        self._quoted = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        marks = " ".join(v or "" for k, v in attrs if k in ("class", "id", "type"))
        if tag == "blockquote" or _HTML_QUOTE_START.search(marks) or (tag == "hr" and self.out):
            self._quoted = True
        if tag in ("script", "style", "head", "title"):
            self._skip += 1
        if tag in ("br", "p", "div", "tr", "li", "h1", "h2", "h3"):
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title") and self._skip:
            self._skip -= 1
        if tag in ("p", "div"):
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip and not self._quoted:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.out)
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()
