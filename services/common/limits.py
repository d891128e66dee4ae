"""The numbers of a sender's limit for one action type, named once for every service that carries them:
caps (S5), ramp (S6) and pacing (S7). Accounts stores them, the scheduler enforces them, the gateway shows them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps, ramp and pacing of one sender for one action type (accounts' SendingLimit adds the action type)."""

    daily_cap: int
    weekly_cap: int
    # Ramp (S6): the cap of the first day the sender actually sends, and its increase per day it sent.
    ramp_start: int
    ramp_step: int
    # Pacing (S7): a random gap in [min, max] seconds between consecutive actions of the sender.
    pacing_min_seconds: int
    pacing_max_seconds: int

    def cap_on_ramp_day(self, ramp_day: int) -> int:
        """S6: the cap grows with each day the sender actually sent, up to its daily cap."""
        return min(self.daily_cap, self.ramp_start + self.ramp_step * max(ramp_day, 0))


LIMIT_FIELDS = tuple(f.name for f in dataclasses.fields(Limits))


def limit_values(limit: object) -> dict[str, int]:
    """The numbers of any limit (a protobuf SendingLimit, a domain limit, a database row's object), by name."""
    return {name: int(getattr(limit, name)) for name in LIMIT_FIELDS}
