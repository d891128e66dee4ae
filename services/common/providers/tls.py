"""Telling a certificate the client could not verify from any other connection failure (issue 14): the inbox's
mail server presents a certificate for another name, an expired one, or one from an authority this machine does
not trust (a private CA not added through SSL_CERT_FILE). That is no network hiccup to wait out: the member must
fix the server name or the trust store, so it is reported at once, with the name and the verifier's message."""

from __future__ import annotations

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
