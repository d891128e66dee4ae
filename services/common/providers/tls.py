"""Telling a certificate the client could not verify from any other connection failure (issue 14): the inbox's
mail server presents a certificate for another name, an expired one, or one from an authority this machine does
not trust (a private CA not added through SSL_CERT_FILE). That is no network hiccup to wait out: the member must
fix the server name or the trust store, so it is reported at once, with the name and the verifier's message.
Also here: where a password may travel without TLS at all."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl

# The reason both providers give such a failure (SmtpError.reason, ImapError.reason).
TLS_CERTIFICATE = "tls_certificate"


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
