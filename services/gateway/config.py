from __future__ import annotations

from dataclasses import dataclass

from services.common.config import CommonSettings, parse_login_timeout, setting, target_setting
from services.common.unsubscribe import parse_key


def _port(raw: str) -> int:
    port = int(raw)
    if not 0 <= port <= 65535:
        raise ValueError("port must be 0..65535")
    return port


@dataclass(frozen=True, kw_only=True)
class Settings(CommonSettings):
    http_host: str = setting("HOLDFAST_HTTP_HOST", "127.0.0.1", help="address the HTTP server binds")
    http_port: int = setting("HOLDFAST_HTTP_PORT", 8080, parse=_port, help="port of the HTTP API and web UI")
    accounts_target: str = target_setting("accounts")
    campaigns_target: str = target_setting("campaigns")
    scheduler_target: str = target_setting("scheduler")
    auth_cache_seconds: float = setting(
        "HOLDFAST_AUTH_CACHE_SECONDS",
        10.0,
        parse=float,
        help="how long the gateway remembers who a valid API token belongs to "
        "(a revoked token stops working within this; 0: ask accounts every time)",
    )
    inbox_login_timeout_seconds: float = setting(
        "HOLDFAST_INBOX_LOGIN_TIMEOUT_SECONDS",
        15.0,
        parse=parse_login_timeout,
        help="accounts' budget for one live SMTP or IMAP login: inbox creation and reconnect, which log in before "
        "saving, wait this long plus a margin for accounts' answer instead of the general RPC deadline",
    )
    max_body_bytes: int = setting(
        "HOLDFAST_MAX_BODY_BYTES",
        8 * 1024 * 1024,
        parse=int,
        help="largest request body accepted (prospect uploads are the big ones)",
    )
    unipile_webhook_secret: str = setting(
        "HOLDFAST_UNIPILE_WEBHOOK_SECRET",
        "",
        secret=True,
        help="shared secret Unipile sends with each webhook (empty: refused)",
    )
    unipile_webhook_header: str = setting(
        "HOLDFAST_UNIPILE_WEBHOOK_HEADER", "Unipile-Auth", help="header that carries the Unipile webhook secret"
    )
    billing_webhook_secret: str = setting(
        "HOLDFAST_BILLING_WEBHOOK_SECRET",
        "",
        secret=True,
        help="secret signing billing webhooks (Holdfast-Signature, HMAC-SHA256; empty: refused)",
    )
    unsubscribe_key: str = setting(
        "HOLDFAST_UNSUBSCRIBE_KEY",
        secret=True,
        parse=parse_key,
        help="key (32+ characters) the scheduler signs unsubscribe links with (V5)",
    )
    sandbox_unipile_url: str = setting(
        "HOLDFAST_SANDBOX_UNIPILE_URL",
        "",
        help="base URL of the local Unipile sandbox; when set, /api/v1/sandbox routes "
        "let the UI disconnect, reconnect or fail an account (empty: no sandbox)",
    )
