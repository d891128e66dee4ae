"""Rules of sign-in for the web UI (issue 18): passwords (argon2id), one-time emailed links (invitations, sign-in
links, password resets), sessions and the rate limit of sign-in attempts. Pure: no I/O."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from services.common.errors import InvalidArgument, ResourceExhausted
from services.common.roles import Role

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 256
LINK_PREFIX = "hfl_"
SESSION_PREFIX = "hfs_"
PURPOSES = ("invitation", "sign_in", "password_reset")
METHODS = ("password", "link", "invitation", "password_reset")

# argon2id with the library's defaults (RFC 9106's second recommended option: 64 MiB, 3 passes, 4 lanes).
_HASHER = PasswordHasher()
# Verified when the address is unknown, so an unknown address takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class SignInPolicy:
    """How long things live and how many failures a window allows (settings in config.py)."""

    session_ttl: timedelta = timedelta(hours=12)
    link_ttl: timedelta = timedelta(minutes=30)
    invitation_ttl: timedelta = timedelta(days=7)
    max_failures: int = 5
    max_emails: int = 5
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Session:
    id: str
    workspace_id: str
    member_id: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    method: str
    address: str
    user_agent: str


@dataclass(frozen=True)
class SignedIn:
    session: Session
    secret: str  # the cookie's value: shown once
    role: Role
    email: str


@dataclass(frozen=True)
class Invitation:
    id: str
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Link:
    """A one-time link once redeemed."""

    id: str
    purpose: str
    workspace_id: str
    member_id: str | None
    email: str
    role: Role | None


def validate_password(password: str, field: str = "password") -> str:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise InvalidArgument(f"{field}: between {MIN_PASSWORD_CHARS} and {MAX_PASSWORD_CHARS} characters", field=field)
    if "\x00" in password:
        raise InvalidArgument(f"{field}: no NUL characters", field=field)
    return password


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches the stored argon2 hash; without a hash, a dummy verification (same time)."""
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def clean_address(address: str) -> str:
    return address[:100]


def clean_user_agent(user_agent: str) -> str:
    return "".join(c for c in user_agent if c.isprintable())[:300]


def check_rate(
    kind: str, by_email: list[datetime], by_address: list[datetime], now: datetime, policy: SignInPolicy
) -> None:
    """Refuse with 429 (and how long to wait) when the email or the address had `max` attempts of this kind
    within the window; `by_email` and `by_address` are those attempts' times, oldest first."""
    limit = policy.max_failures if kind == "failure" else policy.max_emails
    waits = [times[-limit] + policy.window - now for times in (by_email, by_address) if len(times) >= limit]
    if waits:
        seconds = max(1, ceil(max(waits).total_seconds()))
        what = "failed sign-ins" if kind == "failure" else "emails requested"
        raise ResourceExhausted(
            f"too many {what}; try again in {seconds} seconds",
            code="rate_limited",
            details={"retry_after_seconds": seconds},
        )
