"""Telling a certificate the client could not verify from any other connection failure (issue 14): the inbox's
mail server presents a certificate for another name, an expired one, or one from an authority this machine does
not trust (a private CA not added through SSL_CERT_FILE). That is no network hiccup to wait out: the member must
fix the server name or the trust store, so it is reported at once, with the name and the verifier's message.
Also here: where a password may travel without TLS at all."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from typing import Literal, get_args

from services.common.providers.unipile import FailureKind

# How a mail server (SMTP or IMAP) is reached: TLS from the start, upgraded by STARTTLS, or plaintext.
Security = Literal["ssl", "starttls", "none"]

# The reason both providers give such a failure (SmtpError.reason, ImapError.reason).
TLS_CERTIFICATE = "tls_certificate"


class MailServerError(Exception):
    """A failed exchange with an inbox's mail server (SmtpError, ImapError): what it means (`kind`), the server's
    answer (`answer`: the SMTP reply code or IMAP status, None when there was none) and the message."""

    def __init__(self, kind: FailureKind, answer: int | str | None, message: str, reason: str) -> None:
        super().__init__(kind, answer, message)
        self.kind = kind
        self.message = message
        # TLS_CERTIFICATE when the server's certificate could not be verified, PLAINTEXT_REFUSED, else "".
        self.reason = reason


def certificate_problem(exc: BaseException | None) -> str | None:
    """The verifier's message when `exc` (or what caused it) is a failed certificate check, else None."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, ssl.SSLCertVerificationError):
            return exc.verify_message or exc.reason or str(exc)
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def describe(host: str, verify_message: str) -> str:
    return f"{TLS_CERTIFICATE}: the certificate of {host} could not be verified: {verify_message}"


# The reason given when a password would travel in plaintext to a public address.
PLAINTEXT_REFUSED = "plaintext_refused"


def check_endpoint(security: str, port: int) -> None:
    """A mail server's settings as both providers take them: a known security and a port that can exist."""
    if security not in get_args(Security):
        raise ValueError(f"security must be one of {', '.join(get_args(Security))}, got {security!r}")
    if not 0 < port < 65536:
        raise ValueError(f"port must be between 1 and 65535, got {port}")


def plaintext_refusal(host: str) -> str:
    """What a refused plaintext login says (reason PLAINTEXT_REFUSED)."""
    return (
        f"{PLAINTEXT_REFUSED}: {host} is not a loopback or private address; "
        'security "none" would send the password unencrypted'
    )


async def refuses_plaintext(host: str, port: int, security: str, allow_public_plaintext: bool) -> bool:
    """Must a login keep its password back? security "none" to an address plaintext_allowed refuses, unless the
    operator allows public plaintext (HOLDFAST_ALLOW_PUBLIC_PLAINTEXT)."""
    return security == "none" and not allow_public_plaintext and not await plaintext_allowed(host, port)


async def plaintext_allowed(host: str, port: int) -> bool:
    """`security: "none"` sends the password as is: only to loopback or private addresses (a relay on the same
    machine or network), unless the operator allows more. Every address the name resolves to must qualify."""
    try:
        addresses = {str(info[4][0]) for info in await asyncio.get_running_loop().getaddrinfo(host, port)}
    except OSError:
        # A name that does not resolve now: the connection fails the same way (network trouble, never a
        # refused login), and no password can reach anyone.
        return True
    return all(_private(address) for address in addresses)


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_loopback or ip.is_private
