"""The numbers of a sender's limit for one action type, named once for every service that carries them:
caps (S5), ramp (S6) and pacing (S7). Accounts stores them, the scheduler enforces them, the gateway shows them."""

from __future__ import annotations

LIMIT_FIELDS = ("daily_cap", "weekly_cap", "ramp_start", "ramp_step", "pacing_min_seconds", "pacing_max_seconds")


def limit_values(limit: object) -> dict[str, int]:
    """The numbers of any limit (a protobuf SendingLimit, a domain limit, a database row's object), by name."""
    return {name: int(getattr(limit, name)) for name in LIMIT_FIELDS}
