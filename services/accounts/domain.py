from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from services.common.errors import InvalidArgument

TOKEN_PREFIX = "hf_"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class Workspace:
    id: str
    name: str
    subscription_status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a bearer token belongs to."""

    workspace_id: str
    member_id: str


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def validate_workspace_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidArgument("name must be 1 to 100 characters", field="name")
    return name


def validate_email(email: str, field: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidArgument(f"{field} must be an email address", field=field)
    return email
