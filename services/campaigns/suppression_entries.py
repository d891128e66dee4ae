"""Suppression entries (DESIGN V6): what may be suppressed and in which normal form. Pure: no I/O.

An email address is kept lower-cased; a domain lower-cased without a leading "@" (a whole domain, every
address at it); a LinkedIn profile as the provider id Unipile uses (as given) or, from a profile URL or a
bare public identifier, that identifier lower-cased."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from services.common.errors import InvalidArgument

KINDS = ("email", "domain", "linkedin")
SOURCES = ("opt_out", "hard_bounce", "reply", "member", "import")
MAX_ENTRIES_PER_CALL = 100_000
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)+[a-z]{{2,63}}$")
_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
_PROVIDER_ID = re.compile(r"^[A-Za-z0-9_-]{3,200}$")
_PUBLIC_ID = re.compile(r"^[a-z0-9%_.-]{3,100}$")


@dataclass(frozen=True, slots=True)
class Entry:
    kind: str
    value: str


def normalize(kind: str, value: str) -> Entry | None:
    """The entry in normal form, or None when it is not a valid one of its kind."""
    raw = value.strip()
    if kind == "email":
        address = raw.lower()
        local, at, domain = address.rpartition("@")
        if (
            at
            and _LOCAL.match(local)
            and not local.startswith(".")
            and ".." not in local
            and _DOMAIN.match(domain)
            and len(address) <= 254
        ):
            return Entry("email", address)
        return None
    if kind == "domain":
        domain = raw.lower().removeprefix("@")
        return Entry("domain", domain) if len(domain) <= 253 and _DOMAIN.match(domain) else None
    if kind == "linkedin":
        if "/" in raw:
            parts = urlsplit(raw if "://" in raw else f"https://{raw}")
            host = (parts.hostname or "").lower()
            path = [p for p in parts.path.split("/") if p]
            if (host == "linkedin.com" or host.endswith(".linkedin.com")) and len(path) >= 2 and path[0] == "in":
                slug = unquote(path[1]).lower()
                return Entry("linkedin", slug) if _PUBLIC_ID.match(slug) else None
            return None
        if _PROVIDER_ID.match(raw):
            # Provider ids are case-sensitive (ACoAAB...); a public identifier typed bare is lower case anyway.
            return Entry("linkedin", raw)
        return None
    return None


def validate(entries: list[tuple[str, str]]) -> list[Entry]:
    """Every entry in normal form, duplicates dropped; the first invalid one refuses the whole call, named by
    its index (nothing is written)."""
    if not entries:
        raise InvalidArgument("give at least one entry", field="entries")
    if len(entries) > MAX_ENTRIES_PER_CALL:
        raise InvalidArgument(f"at most {MAX_ENTRIES_PER_CALL} entries per call", field="entries")
    out: dict[Entry, None] = {}
    for index, (kind, value) in enumerate(entries):
        if kind not in KINDS:
            raise InvalidArgument(
                f"entries[{index}].type must be one of {', '.join(KINDS)}",
                field=f"entries[{index}].type",
                details={"index": index},
            )
        entry = normalize(kind, value)
        if entry is None:
            raise InvalidArgument(
                f"entries[{index}].value is not a valid {kind}",
                field=f"entries[{index}].value",
                details={"index": index},
            )
        out[entry] = None
    return list(out)


def matches(entries: set[Entry], email: str | None, provider_id: str | None, public_identifier: str | None) -> bool:
    """Whether a prospect with these identifiers is suppressed by one of `entries`."""
    if email:
        address = email.strip().lower()
        if Entry("email", address) in entries or Entry("domain", address.rpartition("@")[2]) in entries:
            return True
    if provider_id and Entry("linkedin", provider_id) in entries:
        return True
    return bool(public_identifier) and Entry("linkedin", public_identifier.lower()) in entries  # type: ignore[union-attr]
