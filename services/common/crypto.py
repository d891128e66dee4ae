"""Secrets at rest (DESIGN A5): AES-256-GCM under a keyring read from the environment, with rotation.

HOLDFAST_SECRET_KEYS holds comma-separated `key_id:base64url(32 bytes)` entries, for example
`k2:<44 characters>,k1:<44 characters>`. **The first entry is the active key**: every new encryption uses
it. The other entries only decrypt what was written under them. To rotate: generate a key
(`python -c "from services.common.crypto import generate_entry; print(generate_entry('k2'))"`), put it
first and keep the old ones after it, restart, re-encrypt every secret for which `needs_rotation` is true,
then drop the old key.

A stored secret is `version (1 byte) | key id length (1 byte) | key id | nonce (12 bytes) | ciphertext+tag`.
The header and a caller-chosen `context` (e.g. "inbox:<id>:smtp") are the associated data, so a ciphertext
copied to another row or field, or relabelled with another key id, fails to decrypt.

Nothing here puts key material or plaintext into an exception message, and `repr(Keyring)` shows only the
key ids.
"""

from __future__ import annotations

import base64
import binascii
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_FORMAT = "comma-separated key_id:base64url(32 bytes) entries, the first being the active key"


class KeyringError(ValueError):
    """HOLDFAST_SECRET_KEYS is malformed. A ValueError, so settings loading reports it with the others."""


class SecretError(Exception):
    """A stored secret cannot be decrypted: unknown key, wrong context, altered, or not a secret at all."""


def generate_entry(key_id: str) -> str:
    """A fresh `key_id:base64url(32 random bytes)` entry for HOLDFAST_SECRET_KEYS."""
    if not _KEY_ID.fullmatch(key_id):
        raise KeyringError("a key id must be 1 to 32 letters, digits, '.', '_' or '-'")
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()}"


def _decode_key(key_id: str, encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"key {key_id!r} is not valid base64url") from None
    if len(key) != KEY_BYTES:
        raise KeyringError(f"key {key_id!r} must decode to {KEY_BYTES} bytes (AES-256), got {len(key)}")
    return key


class Keyring:
    """The keys secrets are encrypted with: one active key (encrypts) and older ones (decrypt only)."""

    __slots__ = ("_active", "_aeads")

    def __init__(self, keys: list[tuple[str, bytes]]):
        if not keys:
            raise KeyringError(f"no keys: expected {_FORMAT}")
        aeads: dict[str, AESGCM] = {}
        for key_id, key in keys:
            if not _KEY_ID.fullmatch(key_id):
                raise KeyringError("a key id must be 1 to 32 letters, digits, '.', '_' or '-'")
            if key_id in aeads:
                raise KeyringError(f"key id {key_id!r} appears more than once")
            if len(key) != KEY_BYTES:
                raise KeyringError(f"key {key_id!r} must be {KEY_BYTES} bytes (AES-256), got {len(key)}")
            aeads[key_id] = AESGCM(key)
        self._aeads = aeads
        self._active = keys[0][0]

    @classmethod
    def parse(cls, raw: str) -> Keyring:
        """Read HOLDFAST_SECRET_KEYS. Messages name entries by position and key id, never by their key."""
        if not raw.strip():
            raise KeyringError(f"no keys: expected {_FORMAT}")
        keys: list[tuple[str, bytes]] = []
        seen: set[str] = set()
        for number, entry in enumerate(raw.split(","), 1):
            entry = entry.strip()
            if not entry:
                raise KeyringError(f"entry {number} is empty (a stray comma?); expected {_FORMAT}")
            key_id, sep, encoded = (part.strip() for part in entry.partition(":"))
            if not sep or not key_id or not encoded:
                raise KeyringError(f"entry {number} is not key_id:base64url(32 bytes)")
            if not _KEY_ID.fullmatch(key_id):
                raise KeyringError(f"entry {number}: a key id must be 1 to 32 letters, digits, '.', '_' or '-'")
            if key_id in seen:
                raise KeyringError(f"key id {key_id!r} appears more than once")
            seen.add(key_id)
            keys.append((key_id, _decode_key(key_id, encoded)))
        return cls(keys)

    @property
    def active_key_id(self) -> str:
        return self._active

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._aeads)

    def __repr__(self) -> str:
        return f"Keyring(active={self._active!r}, key_ids={list(self._aeads)!r})"

    __str__ = __repr__

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        """Encrypt under the active key, bound to `context` (which must be given to decrypt)."""
        _check_context(context)
        header = _header(self._active)
        nonce = os.urandom(NONCE_BYTES)
        return header + nonce + self._aeads[self._active].encrypt(nonce, plaintext.encode(), header + context.encode())

    def decrypt(self, blob: bytes, *, context: str) -> str:
        """The plaintext of a secret written by `encrypt` with the same context, under any key of the ring."""
        _check_context(context)
        key_id, header, body = _split(blob)
        aead = self._aeads.get(key_id)
        if aead is None:
            raise SecretError(f"the secret was encrypted with key {key_id!r}, which HOLDFAST_SECRET_KEYS lacks")
        try:
            plaintext = aead.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], header + context.encode())
        except InvalidTag:
            raise SecretError("the secret does not belong to this context or was altered") from None
        try:
            return plaintext.decode()
        except UnicodeDecodeError:
            raise SecretError("the secret is not text") from None

    def needs_rotation(self, blob: bytes) -> bool:
        """True when the secret was not encrypted with the active key."""
        return key_id_of(blob) != self._active

    def reencrypt(self, blob: bytes, *, context: str) -> bytes:
        """The same secret encrypted under the active key (for rotation)."""
        return self.encrypt(self.decrypt(blob, context=context), context=context)


def key_id_of(blob: bytes) -> str:
    """The id of the key a secret was encrypted with."""
    return _split(blob)[0]


def _header(key_id: str) -> bytes:
    encoded = key_id.encode()
    return bytes([VERSION, len(encoded)]) + encoded


def _split(blob: bytes) -> tuple[str, bytes, bytes]:
    blob = bytes(blob)
    if len(blob) < 2 or blob[0] != VERSION:
        raise SecretError("not an encrypted secret of a known format")
    end = 2 + blob[1]
    if blob[1] == 0 or len(blob) < end + NONCE_BYTES + TAG_BYTES:
        raise SecretError("the encrypted secret is truncated")
    try:
        key_id = blob[2:end].decode("ascii")
    except UnicodeDecodeError:
        raise SecretError("not an encrypted secret of a known format") from None
    return key_id, blob[:end], blob[end:]


def _check_context(context: str) -> None:
    if not context:
        raise ValueError("a secret needs a context (what it belongs to, e.g. 'inbox:<id>:smtp')")
