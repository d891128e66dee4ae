from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from services.common.config import (
    ConfigError,
    ServiceSettings,
    allow_public_plaintext_setting,
    listen_setting,
    parse_bool,
    setting,
    target_setting,
)
from services.common.unsubscribe import parse_key


def _positive(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError(f"expected a positive number, got {raw!r}")
    return value


def _non_negative(raw: str) -> float:
    value = float(raw)
    if not value >= 0:
        raise ValueError(f"expected a number >= 0, got {raw!r}")
    return value


def _fraction(raw: str) -> float:
    value = float(raw)
    if not 0 <= value < 1:
        raise ValueError(f"expected a fraction in [0, 1), got {raw!r}")
    return value


def _at_least_one(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(f"expected an integer >= 1, got {raw!r}")
    return value


def _base_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"expected an http(s) base URL, got {raw!r}")
    return raw.strip().rstrip("/")


@dataclass(frozen=True, kw_only=True)
class Settings(ServiceSettings):
    grpc_listen: str = listen_setting("scheduler")
    accounts_target: str = target_setting("accounts")
    campaigns_target: str = target_setting("campaigns")
    dispatch_enabled: bool = setting(
        "HOLDFAST_DISPATCH_ENABLED",
        True,
        parse=parse_bool,
        help="run the dispatcher, reconciler and acceptance polling in this process",
    )
    dispatch_interval_seconds: float = setting(
        "HOLDFAST_DISPATCH_INTERVAL_SECONDS",
        1.0,
        parse=float,
        help="how often the dispatcher looks for due actions when idle",
    )
    dispatch_batch: int = setting(
        "HOLDFAST_DISPATCH_BATCH", 100, parse=int, help="senders claimed per dispatcher round"
    )
    attempt_stale_seconds: float = setting(
        "HOLDFAST_ATTEMPT_STALE_SECONDS",
        600.0,
        parse=float,
        help="an attempt unfinished after this long is reconciled with the provider",
    )
    relations_poll_seconds: float = setting(
        "HOLDFAST_RELATIONS_POLL_SECONDS",
        4 * 3600.0,
        parse=float,
        help="how often (jittered ±25%) each LinkedIn sender's relations are "
        "read to catch acceptances the webhook missed",
    )
    provider_timeout_seconds: float = setting(
        "HOLDFAST_PROVIDER_TIMEOUT_SECONDS",
        15.0,
        parse=float,
        help="longest wait for Unipile or an SMTP server on one send",
    )
    allow_public_plaintext: bool = allow_public_plaintext_setting()
    unipile_dsn: str = setting(
        "HOLDFAST_UNIPILE_DSN",
        "",
        help="Unipile base URL (https://apiN.unipile.com:PORT); make run points it at the sandbox",
    )
    unipile_api_key: str = setting("HOLDFAST_UNIPILE_API_KEY", "", secret=True, help="Unipile X-API-KEY")
    failure_window_seconds: float = setting(
        "HOLDFAST_FAILURE_WINDOW_SECONDS",
        6 * 3600.0,
        parse=_positive,
        help="sliding window over which each LinkedIn sender's failure rate is measured",
    )
    failure_rate_threshold: float = setting(
        "HOLDFAST_FAILURE_RATE_THRESHOLD",
        0.5,
        parse=_fraction,
        help="failures / attempts above which a sender's campaigns pause (linkedin_high_failure_rate)",
    )
    failure_min_sample: int = setting(
        "HOLDFAST_FAILURE_MIN_SAMPLE",
        10,
        parse=_at_least_one,
        help="attempts in the window needed before a failure rate can pause",
    )
    failure_probation_sample: int = setting(
        "HOLDFAST_FAILURE_PROBATION_SAMPLE",
        3,
        parse=_at_least_one,
        help="attempts needed while a sender is on probation after a resume",
    )
    bounce_window_seconds: float = setting(
        "HOLDFAST_BOUNCE_WINDOW_SECONDS",
        7 * 86400.0,
        parse=_positive,
        help="sliding window of sent emails over which each inbox's hard-bounce rate is measured",
    )
    bounce_rate_threshold: float = setting(
        "HOLDFAST_BOUNCE_RATE_THRESHOLD",
        0.05,
        parse=_fraction,
        help="hard bounces / emails sent above which an inbox's campaigns pause "
        "their email steps (email_high_bounce_rate)",
    )
    bounce_min_sample: int = setting(
        "HOLDFAST_BOUNCE_MIN_SAMPLE",
        20,
        parse=_at_least_one,
        help="emails sent in the window needed before a bounce rate can pause",
    )
    warmup_feed_interval_seconds: float = setting(
        "HOLDFAST_WARMUP_FEED_INTERVAL_SECONDS",
        60.0,
        parse=_positive,
        help="how often warm-up campaigns' queues are topped up to what the next two ramp days allow",
    )
    lookup_daily_cap: int = setting(
        "HOLDFAST_LOOKUP_DAILY_CAP",
        80,
        parse=_at_least_one,
        help="profile look-ups (URL -> provider id) per LinkedIn sender per day",
    )
    lookup_gap_seconds: float = setting(
        "HOLDFAST_LOOKUP_GAP_SECONDS",
        90.0,
        parse=_non_negative,
        help="seconds between two profile look-ups of one sender (+-25 % jitter)",
    )
    hold_drain_seconds: float = setting(
        "HOLDFAST_HOLD_DRAIN_SECONDS",
        30.0,
        parse=_non_negative,
        help="how long setting a hold waits for sends already at the provider "
        "on the held scope before it answers anyway (with a warning)",
    )

    unsubscribe_key: str = setting(
        "HOLDFAST_UNSUBSCRIBE_KEY",
        secret=True,
        parse=parse_key,
        help="key (32+ characters) signing the unsubscribe links of campaign emails; the gateway needs the same one",
    )
    public_url: str = setting(
        "HOLDFAST_PUBLIC_URL",
        "http://127.0.0.1:8080",
        parse=_base_url,
        help="where users reach Holdfast; unsubscribe links point there",
    )
    chats_poll_seconds: float = setting(
        "HOLDFAST_CHATS_POLL_SECONDS",
        900.0,
        parse=_positive,
        help="how often (jittered ±25%) each LinkedIn sender's recent chats are read "
        "to catch replies whose webhook was lost",
    )
    ooo_days: float = setting(
        "HOLDFAST_OOO_DAYS",
        7.0,
        parse=_positive,
        help="how long an out-of-office reply without a return date parks its prospect",
    )

    def __post_init__(self) -> None:
        # An attempt older than the stale threshold is taken for cut off by a crash; if a live send could
        # still be waiting on its provider by then, another replica would reconcile it while it runs.
        if self.attempt_stale_seconds < 2 * self.provider_timeout_seconds:
            raise ConfigError(
                [
                    f"HOLDFAST_ATTEMPT_STALE_SECONDS ({self.attempt_stale_seconds:g}) must be at least "
                    f"twice HOLDFAST_PROVIDER_TIMEOUT_SECONDS ({self.provider_timeout_seconds:g})"
                ]
            )
