"""A prospect's LinkedIn identity as users have it (issue 13): a profile URL or a public identifier, turned
into the identifier Unipile's `GET /users/{identifier}` resolves to the provider id an invite needs. Pure."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

# LinkedIn's public identifiers ("vanity names"): letters (any script, once percent-decoded), digits, hyphens.
_IDENTIFIER = re.compile(r"^[\w\-]{3,100}$")
# Sales Navigator lead and people URLs carry the member's id as the first comma-separated part.
_SALES_ID = re.compile(r"^[A-Za-z0-9_\-]{10,100}$")


class IdentityError(ValueError):
    """Not a LinkedIn profile URL or identifier; `code` and the message say why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def linkedin_identifier(value: str) -> str:
    """The identifier of `value`, a profile URL (`https://www.linkedin.com/in/ada-lovelace/`, a Sales Navigator
    `/sales/lead/<id>,...` or `/sales/people/<id>,...` URL) or a bare public identifier."""
    text = value.strip()
    if not text:
        raise IdentityError("invalid_linkedin_identifier", "the LinkedIn identifier is empty")
    looks_like_url = "/" in text or "." in text
    if not looks_like_url:
        if not _IDENTIFIER.match(text):
            raise IdentityError(
                "invalid_linkedin_identifier", "a public identifier is 3 to 100 letters, digits or hyphens"
            )
        return text
    if "://" not in text:
        text = f"https://{text}"
    try:
        url = urlsplit(text)
    except ValueError:
        raise IdentityError("invalid_linkedin_url", "not a URL") from None
    host = (url.hostname or "").lower()
    if url.scheme not in ("http", "https") or not (host == "linkedin.com" or host.endswith(".linkedin.com")):
        raise IdentityError("invalid_linkedin_url", "not a linkedin.com URL")
    parts = [unquote(p) for p in url.path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "in":
        if _IDENTIFIER.match(parts[1]):
            return parts[1]
        raise IdentityError("invalid_linkedin_url", "the profile URL's identifier is not valid")
    if len(parts) >= 3 and parts[0] == "sales" and parts[1] in ("lead", "people"):
        member = parts[2].split(",")[0]
        if _SALES_ID.match(member):
            return member
        raise IdentityError("invalid_linkedin_url", "the Sales Navigator URL carries no member id")
    raise IdentityError("invalid_linkedin_url", "not a profile URL (linkedin.com/in/... or /sales/lead/...)")
