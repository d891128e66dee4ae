from __future__ import annotations

from dataclasses import dataclass

from services.common.config import ServiceSettings, listen_setting, parse_bool, setting, target_setting


@dataclass(frozen=True, kw_only=True)
class Settings(ServiceSettings):
    grpc_listen: str = listen_setting("campaigns")
    accounts_target: str = target_setting("accounts")
    scheduler_target: str = target_setting("scheduler")
    auto_resume_cooldown_seconds: float = setting(
        "HOLDFAST_AUTO_RESUME_COOLDOWN_SECONDS",
        600.0,
        parse=float,
        help="P9: a campaign auto-resumes at most once per this period; a flapping cause waits it out",
    )
    probation_seconds: float = setting(
        "HOLDFAST_PROBATION_SECONDS",
        86400.0,
        parse=float,
        help="after a member resumes a high failure rate, how long a smaller sample of failures pauses again",
    )
    sweep_seconds: float = setting(
        "HOLDFAST_SWEEP_SECONDS",
        30.0,
        parse=float,
        help="how often the sweeper reconciles health with accounts (one replica at a time)",
    )
    sweeper_enabled: bool = setting(
        "HOLDFAST_SWEEPER_ENABLED", True, parse=parse_bool, help="run the reconciliation sweeper in this process"
    )
