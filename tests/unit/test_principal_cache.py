"""The gateway's memory of who a token belongs to (B5): only successes, for a bounded time and size."""

from __future__ import annotations

from services.gateway.api import Principal, PrincipalCache


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


ANA = Principal(workspace_id="w1", member_id="m1")
BO = Principal(workspace_id="w2", member_id="m2")


def test_a_principal_is_remembered_until_its_time_is_up():
    ticks = Ticks()
    cache = PrincipalCache(10.0, clock=ticks)
    assert cache.get("tok-ana") is None
    cache.put("tok-ana", ANA)
    ticks.now += 9.9
    assert cache.get("tok-ana") == ANA
    assert cache.get("tok-bo") is None, "another token is not mistaken for it"
    ticks.now += 0.1
    assert cache.get("tok-ana") is None, "after the ttl accounts is asked again (a revoked token stops)"


def test_no_token_is_kept_in_memory():
    cache = PrincipalCache(10.0)
    cache.put("secret-token-value", ANA)
    assert all("secret-token-value" not in repr(key) for key in cache._entries)


def test_a_zero_ttl_turns_the_cache_off():
    cache = PrincipalCache(0)
    cache.put("tok-ana", ANA)
    assert cache.get("tok-ana") is None


def test_a_full_cache_drops_expired_entries_then_the_oldest():
    ticks = Ticks()
    cache = PrincipalCache(10.0, max_entries=2, clock=ticks)
    cache.put("a", ANA)
    ticks.now += 20  # "a" expired
    cache.put("b", BO)
    cache.put("c", ANA)
    assert cache.get("b") == BO and cache.get("c") == ANA
    cache.put("d", BO)  # full, nothing expired: the oldest ("b") goes
    assert cache.get("b") is None and cache.get("c") == ANA and cache.get("d") == BO
