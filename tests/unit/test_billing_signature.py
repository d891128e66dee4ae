"""The billing webhook signature: `Holdfast-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{raw body}">`."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from services.gateway.webhooks import (
    SIGNATURE_TOLERANCE_SECONDS,
    SignatureError,
    parse_signature_header,
    sign,
    verify_signature,
)

SECRET = "whsec_test_secret"
BODY = b'{"id":"evt_1","type":"subscription.canceled","created":1700000000,"data":{"workspace_id":"w"}}'
T = 1_700_000_000


def header(t: int = T, *signatures: str) -> str:
    return ",".join([f"t={t}", *(f"v1={s}" for s in signatures or (sign(SECRET, t, BODY),))])


def test_sign_is_hmac_sha256_over_timestamp_dot_raw_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, T, BODY) == expected
    assert len(expected) == 64


def test_parse_takes_the_timestamp_and_every_v1_and_ignores_other_schemes() -> None:
    parsed = parse_signature_header(" t=1700000000 , v0=old, v1=AB12 ,v1=cd34,scheme=x")
    assert parsed.timestamp == T
    assert parsed.signatures == ("ab12", "cd34")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "missing"),
        ("   ", "missing"),
        ("v1=abc", "malformed"),  # no timestamp
        ("t=1700000000", "malformed"),  # no signature
        ("t=1700000000,v1=", "malformed"),
        ("t=soon,v1=abc", "malformed"),
        ("t=-5,v1=abc", "malformed"),
        ("t=1.5,v1=abc", "malformed"),
        ("t=١٧٠٠,v1=abc", "malformed"),  # non-ASCII digits
        ("t=1,t=2,v1=abc", "malformed"),
        ("t=1700000000;v1=abc", "malformed"),
        ("garbage", "malformed"),
        ("t=1700000000," + ",".join(["v1=ab"] * 9), "malformed"),
    ],
)
def test_parse_refuses_missing_or_malformed_headers(raw: str, reason: str) -> None:
    with pytest.raises(SignatureError) as exc:
        parse_signature_header(raw)
    assert exc.value.reason == reason


def test_a_right_signature_within_the_tolerance_is_accepted() -> None:
    assert verify_signature(header(), BODY, SECRET, now=T) == T
    assert verify_signature(header(), BODY, SECRET, now=T + SIGNATURE_TOLERANCE_SECONDS) == T
    assert verify_signature(header(), BODY, SECRET, now=T - SIGNATURE_TOLERANCE_SECONDS) == T
    assert verify_signature(header().upper().replace("T=", "t=").replace("V1=", "v1="), BODY, SECRET, now=T) == T


def test_any_of_several_signatures_may_match() -> None:
    """The sender signs with its old and its new secret while it rotates them."""
    both = header(T, sign("old-secret", T, BODY), sign(SECRET, T, BODY))
    assert verify_signature(both, BODY, SECRET, now=T) == T
    assert verify_signature(both, BODY, "old-secret", now=T) == T
    with pytest.raises(SignatureError) as exc:
        verify_signature(both, BODY, "third-secret", now=T)
    assert exc.value.reason == "mismatch"


@pytest.mark.parametrize(
    ("signed_header", "body", "secret"),
    [
        (header(), BODY + b" ", SECRET),  # the body changed after signing
        (header(), BODY.replace(b"canceled", b"activated"), SECRET),
        (header(), BODY, "another-secret"),
        (header(T, sign(SECRET, T + 1, BODY)), BODY, SECRET),  # the timestamp is part of what is signed
        (header(T, sign(SECRET, T, BODY)[:-1]), BODY, SECRET),
        (header(T, "zz" * 32), BODY, SECRET),
        (header(T, "é" * 64), BODY, SECRET),
    ],
)
def test_a_wrong_signature_is_refused(signed_header: str, body: bytes, secret: str) -> None:
    with pytest.raises(SignatureError) as exc:
        verify_signature(signed_header, body, secret, now=T)
    assert exc.value.reason == "mismatch"


@pytest.mark.parametrize("offset", [SIGNATURE_TOLERANCE_SECONDS + 1, -(SIGNATURE_TOLERANCE_SECONDS + 1), 86_400])
def test_a_timestamp_outside_the_tolerance_is_refused_either_way(offset: int) -> None:
    """Too old is a replay; too new is a clock problem or a forged future replay window."""
    with pytest.raises(SignatureError) as exc:
        verify_signature(header(), BODY, SECRET, now=T + offset)
    assert exc.value.reason == "stale"
    assert exc.value.message


def test_a_forged_signature_is_a_mismatch_even_when_stale() -> None:
    with pytest.raises(SignatureError) as exc:
        verify_signature(header(T, "00" * 32), BODY, SECRET, now=T + 10_000)
    assert exc.value.reason == "mismatch"


def test_verifying_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        verify_signature(header(), BODY, "", now=T)
