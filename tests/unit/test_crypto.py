"""Secrets at rest (DESIGN A5): AES-256-GCM, bound to a context, with key rotation."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest

from services.common import config
from services.common.crypto import Keyring, KeyringError, SecretError, generate_entry, key_id_of

K1 = b"\x01" * 32
K2 = b"\x02" * 32


def entry(key_id: str, key: bytes, *, pad: bool = True) -> str:
    encoded = base64.urlsafe_b64encode(key).decode()
    return f"{key_id}:{encoded if pad else encoded.rstrip('=')}"


def test_round_trip_and_fresh_nonce_each_time():
    ring = Keyring.parse(entry("k1", K1))
    secret = "app passwörd with ünïcode & spaces"
    first = ring.encrypt(secret, context="inbox:1:smtp")
    second = ring.encrypt(secret, context="inbox:1:smtp")
    assert first != second, "a fresh nonce per encryption"
    assert secret.encode() not in first
    assert ring.decrypt(first, context="inbox:1:smtp") == secret
    assert ring.decrypt(second, context="inbox:1:smtp") == secret
    assert first[0] == 1 and key_id_of(first) == "k1"


def test_empty_plaintext_round_trips():
    ring = Keyring.parse(entry("k1", K1))
    assert ring.decrypt(ring.encrypt("", context="c"), context="c") == ""


def test_wrong_context_fails_without_leaking():
    ring = Keyring.parse(entry("k1", K1))
    blob = ring.encrypt("hunter2", context="inbox:1:smtp")
    for other in ("inbox:2:smtp", "inbox:1:imap", "inbox:1:smtp "):
        with pytest.raises(SecretError) as exc:
            ring.decrypt(blob, context=other)
        assert "hunter2" not in str(exc.value)
    with pytest.raises(ValueError, match="context"):
        ring.encrypt("x", context="")


def test_tampered_blob_fails():
    ring = Keyring.parse(entry("k1", K1))
    blob = ring.encrypt("hunter2", context="c")
    for position in (len(blob) - 1, len(blob) - 20, 2 + 2 + 3):  # tag, ciphertext, nonce
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(SecretError):
            ring.decrypt(bytes(tampered), context="c")
    with pytest.raises(SecretError, match="truncated"):
        ring.decrypt(blob[:20], context="c")
    with pytest.raises(SecretError, match="known format"):
        ring.decrypt(b"\x09" + blob[1:], context="c")
    with pytest.raises(SecretError, match="known format"):
        ring.decrypt(b"hunter2 stored in clear", context="c")


def test_relabelling_the_key_id_fails():
    """The key id is authenticated: a blob moved under another key id of the ring does not decrypt."""
    ring = Keyring.parse(f"{entry('k1', K1)},{entry('k2', K2)}")
    blob = ring.encrypt("hunter2", context="c")
    relabelled = blob[:2] + b"k2" + blob[4:]
    with pytest.raises(SecretError):
        ring.decrypt(relabelled, context="c")


def test_rotation():
    old = Keyring.parse(entry("k1", K1))
    blob = old.encrypt("hunter2", context="inbox:1:smtp")
    assert not old.needs_rotation(blob)

    rotated = Keyring.parse(f"{entry('k2', K2)},{entry('k1', K1)}")
    assert rotated.active_key_id == "k2" and rotated.key_ids == ("k2", "k1")
    assert rotated.decrypt(blob, context="inbox:1:smtp") == "hunter2"
    assert rotated.needs_rotation(blob)

    fresh = rotated.reencrypt(blob, context="inbox:1:smtp")
    assert key_id_of(fresh) == "k2"
    assert not rotated.needs_rotation(fresh)
    assert rotated.decrypt(fresh, context="inbox:1:smtp") == "hunter2"
    assert key_id_of(rotated.encrypt("new", context="x")) == "k2", "new secrets use the first key"

    only_new = Keyring.parse(entry("k2", K2))
    assert only_new.decrypt(fresh, context="inbox:1:smtp") == "hunter2"
    with pytest.raises(SecretError, match="'k1'"):
        only_new.decrypt(blob, context="inbox:1:smtp")


def test_unpadded_base64url_and_whitespace_are_accepted():
    ring = Keyring.parse(f" {entry('a', K1, pad=False)} , {entry('b', K2)} ")
    assert ring.key_ids == ("a", "b")
    other = Keyring.parse(entry("a", K1))
    assert other.decrypt(ring.encrypt("x", context="c"), context="c") == "x"


def test_generated_entries_parse():
    ring = Keyring.parse(f"{generate_entry('new')},{entry('old', K1)}")
    assert ring.active_key_id == "new"
    with pytest.raises(KeyringError):
        generate_entry("bad id!")


SECRET_TEXT = base64.urlsafe_b64encode(b"S" * 16).decode()  # a would-be key that must never be echoed

BAD_CONFIG = [
    ("empty", "", "no keys"),
    ("blank", "  ", "no keys"),
    ("only commas", ",", "entry 1 is empty"),
    ("stray comma", f"{entry('k1', K1)},", "entry 2 is empty"),
    ("no key id", SECRET_TEXT, "entry 1 is not key_id:base64url"),
    ("empty key", "k1:", "entry 1 is not key_id:base64url"),
    ("empty key id", f":{SECRET_TEXT}", "entry 1 is not key_id:base64url"),
    ("bad key id", f"k 1:{SECRET_TEXT}", "entry 1: a key id must be"),
    ("wrong length", f"k1:{SECRET_TEXT}", "key 'k1' must decode to 32 bytes (AES-256), got 16"),
    ("too long", entry("k1", b"x" * 33), "got 33"),
    ("bad base64", "k1:" + "!" * 43, "key 'k1' is not valid base64url"),
    ("duplicate ids", f"{entry('k1', K1)},{entry('k1', K2)}", "key id 'k1' appears more than once"),
]


@pytest.mark.parametrize(("case", "raw", "message"), BAD_CONFIG, ids=[c[0] for c in BAD_CONFIG])
def test_bad_configuration_is_rejected_with_a_clear_message(case, raw, message):
    with pytest.raises(KeyringError) as exc:
        Keyring.parse(raw)
    assert message in str(exc.value)
    assert SECRET_TEXT not in str(exc.value) and SECRET_TEXT.rstrip("=") not in str(exc.value)


def test_repr_shows_only_key_ids():
    ring = Keyring.parse(f"{entry('k2', K2)},{entry('k1', K1)}")
    for text in (repr(ring), str(ring), f"{ring}", repr({"keys": ring})):
        assert "k2" in text and "k1" in text
        for key in (K1, K2):
            assert base64.urlsafe_b64encode(key).decode().rstrip("=") not in text
            assert repr(key) not in text and key.hex() not in text


@dataclass(frozen=True, kw_only=True)
class WithKeys(config.CommonSettings):
    keys: Keyring = config.setting("DEMO_SECRET_KEYS", parse=Keyring.parse, secret=True)


def test_settings_report_a_bad_keyring_without_echoing_it():
    raw = f"k1:{SECRET_TEXT}"
    with pytest.raises(config.ConfigError) as exc:
        config.load(WithKeys, {"DEMO_SECRET_KEYS": raw})
    text = str(exc.value)
    assert "DEMO_SECRET_KEYS=<hidden> is invalid: key 'k1' must decode to 32 bytes" in text
    assert SECRET_TEXT not in text
    loaded = config.load(WithKeys, {"DEMO_SECRET_KEYS": entry("k1", K1)})
    assert loaded.keys.active_key_id == "k1"
    assert base64.urlsafe_b64encode(K1).decode() not in repr(loaded)
