"""Unsubscribe tokens (DESIGN V5): one per (workspace, prospect), signed with HMAC-SHA256 under a key from the
environment, so a token cannot be guessed or altered; it holds two random ids and no personal data. Pure."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from urllib.parse import quote

_DOMAIN = b"holdfast-unsubscribe-v1:"
_MAC_BYTES = 16
MIN_KEY_CHARS = 32


def parse_key(raw: str) -> str:
    """HOLDFAST_UNSUBSCRIBE_KEY as a setting: the scheduler signs with it, the gateway reads with it."""
    if len(raw) < MIN_KEY_CHARS:
        raise ValueError(f"expected at least {MIN_KEY_CHARS} characters")
    return raw


class UnsubscribeTokens:
    def __init__(self, key: str):
        if len(key) < MIN_KEY_CHARS:
            raise ValueError(f"the unsubscribe key must be at least {MIN_KEY_CHARS} characters")
        self._key = key.encode()

    def make(self, workspace_id: str, prospect_id: str) -> str:
        body = uuid.UUID(workspace_id).bytes + uuid.UUID(prospect_id).bytes
        return base64.urlsafe_b64encode(body + self._mac(body)).rstrip(b"=").decode()

    def read(self, token: str) -> tuple[str, str] | None:
        """(workspace id, prospect id), or None for anything not made by `make` with this key."""
        if not token or len(token) > 100 or not token.isascii():
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            return None
        if len(raw) != 32 + _MAC_BYTES:
            return None
        body, mac = raw[:32], raw[32:]
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        return str(uuid.UUID(bytes=body[:16])), str(uuid.UUID(bytes=body[16:]))

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, _DOMAIN + body, hashlib.sha256).digest()[:_MAC_BYTES]


def unsubscribe_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/u/{token}"


def list_unsubscribe_headers(public_url: str, token: str, mailbox: str) -> dict[str, str]:
    """RFC 2369 / RFC 8058: the one-click https URL first, then a mailto whose subject carries the token."""
    mailto = f"mailto:{mailbox}?subject={quote(f'unsubscribe {token}')}"
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(public_url, token)}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
