"""The rules of sign-in (services/accounts/sign_in_domain.py): argon2id passwords, the rate limit per email and
per client address, and the CSRF token derived from a session's secret."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.accounts.sign_in_domain import (
    SignInPolicy,
    check_rate,
    hash_password,
    hash_secret,
    new_secret,
    validate_password,
    verify_password,
)
from services.common.errors import InvalidArgument, ResourceExhausted
from services.gateway.api import csrf_token

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
POLICY = SignInPolicy()


def test_passwords_are_argon2id_and_verify_only_themselves() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")
    assert not verify_password(None, "correct horse battery")  # no password set: never matches
    assert not verify_password("not a hash", "x")


@pytest.mark.parametrize("password", ["short", "x" * 257, "ten chars\x00"])
def test_a_password_too_short_too_long_or_with_nul_is_refused_naming_the_field(password: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        validate_password(password)
    assert refused.value.field == "password"


def test_secrets_are_random_and_stored_as_their_sha256() -> None:
    a, b = new_secret("hfl_"), new_secret("hfl_")
    assert a != b and a.startswith("hfl_") and len(a) == 4 + 43
    assert len(hash_secret(a)) == 32 and hash_secret(a) != hash_secret(b)


def times(n: int, start: datetime) -> list[datetime]:
    return [start + timedelta(minutes=i) for i in range(n)]


def test_four_failures_pass_the_fifth_is_the_limit_per_email_or_per_address() -> None:
    check_rate("failure", times(4, NOW - timedelta(minutes=5)), [], NOW, POLICY)
    for by_email, by_address in (
        (times(5, NOW - timedelta(minutes=10)), []),
        ([], times(5, NOW - timedelta(minutes=10))),
    ):
        with pytest.raises(ResourceExhausted) as refused:
            check_rate("failure", by_email, by_address, NOW, POLICY)
        # The oldest of the last five leaves the 15-minute window in 5 minutes.
        assert refused.value.details == {"retry_after_seconds": 300}
        assert refused.value.code == "rate_limited" and refused.value.http_status == 429


def test_the_longer_wait_of_email_and_address_is_given() -> None:
    with pytest.raises(ResourceExhausted) as refused:
        check_rate("failure", times(5, NOW - timedelta(minutes=14)), times(6, NOW - timedelta(minutes=6)), NOW, POLICY)
    assert refused.value.details["retry_after_seconds"] == 10 * 60


def test_the_csrf_token_is_derived_from_the_session_secret_and_differs_per_session() -> None:
    a, b = new_secret("hfs_"), new_secret("hfs_")
    assert csrf_token(a) == csrf_token(a) != csrf_token(b)
    assert a not in csrf_token(a) and len(csrf_token(a)) == 43
