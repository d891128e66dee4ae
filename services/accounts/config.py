from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from services.common.config import (
    ServiceSettings,
    allow_public_plaintext_setting,
    listen_setting,
    parse_bool,
    parse_listen,
    parse_login_timeout,
    setting,
    target_setting,
)
from services.common.crypto import Keyring


def parse_base_url(raw: str) -> str:
    parsed = urlsplit(raw.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"expected an http(s) URL, got {raw!r}")
    return raw.strip().rstrip("/")


def parse_failure_count(raw: str) -> int:
    count = int(raw)
    if not 1 <= count <= 100:
        raise ValueError("must be 1 to 100")
    return count


def parse_server(raw: str) -> str:
    host, _, port = parse_listen(raw).rpartition(":")
    if int(port) == 0:
        raise ValueError(f"expected host:port with a port from 1 to 65535, got {raw!r}")
    return raw


def parse_smtp_security(raw: str) -> str:
    if raw not in ("ssl", "starttls", "none"):
        raise ValueError(f"expected ssl, starttls or none, got {raw!r}")
    return raw


def _bounded(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        value = float(raw)
        if not low < value <= high:
            raise ValueError(f"must be more than {low:g} and at most {high:g}")
        return value

    return parse


parse_session_hours = _bounded(0, 24 * 30)
parse_link_minutes = _bounded(0, 24 * 60)
parse_invitation_days = _bounded(0, 30)


def parse_positive_seconds(raw: str) -> float:
    seconds = float(raw)
    if not 0 < seconds <= 7 * 86_400:
        raise ValueError("must be more than 0 and at most 604800 (7 days)")
    return seconds


@dataclass(frozen=True, kw_only=True)
class Settings(ServiceSettings):
    grpc_listen: str = listen_setting("accounts")
    secret_keys: Keyring = setting(
        "HOLDFAST_SECRET_KEYS",
        parse=Keyring.parse,
        secret=True,
        help="keys encrypting stored credentials: comma-separated key_id:base64url(32 bytes); the first "
        "encrypts, all decrypt (rotation)",
    )
    scheduler_target: str = target_setting("scheduler")
    campaigns_target: str = target_setting("campaigns")
    unipile_dsn: str = setting(
        "HOLDFAST_UNIPILE_DSN",
        "",
        parse=parse_base_url,
        help="Unipile base URL (https://apiN.unipile.com:PORT); make run points it at the sandbox",
    )
    unipile_api_key: str = setting("HOLDFAST_UNIPILE_API_KEY", "", secret=True, help="Unipile X-API-KEY")
    account_grace_seconds: float = setting(
        "HOLDFAST_ACCOUNT_GRACE_SECONDS",
        900.0,
        parse=parse_positive_seconds,
        help="how long a LinkedIn account Unipile reports CONNECTING, ERROR or STOPPED still counts as connected "
        "(degraded) before it is disconnected",
    )
    account_recheck_seconds: float = setting(
        "HOLDFAST_ACCOUNT_RECHECK_SECONDS",
        300.0,
        parse=parse_positive_seconds,
        help="how often a LinkedIn account that is not OK (disconnected, degraded) is re-read from Unipile, "
        "webhook or not (+-25 % jitter)",
    )
    unipile_webhook_secret: str = setting(
        "HOLDFAST_UNIPILE_WEBHOOK_SECRET",
        "",
        secret=True,
        help="register-webhooks: the shared secret Unipile sends with every webhook (the gateway checks it)",
    )
    unipile_webhook_header: str = setting(
        "HOLDFAST_UNIPILE_WEBHOOK_HEADER",
        "Unipile-Auth",
        help="register-webhooks: the header carrying that secret",
    )
    public_url: str = setting(
        "HOLDFAST_PUBLIC_URL",
        "http://127.0.0.1:8080",
        parse=parse_base_url,
        help="where users reach Holdfast; hosted reconnect links send them back there",
    )
    system_smtp: str = setting(
        "HOLDFAST_SYSTEM_SMTP",
        "",
        parse=lambda raw: parse_server(raw) if raw else "",
        help="host:port of the SMTP server Holdfast's own mail (invitations, sign-in links, password resets) leaves "
        "through (empty: none is sent, and inviting by email or asking for a link is refused); make run points it "
        "at the sandbox",
    )
    system_smtp_security: str = setting(
        "HOLDFAST_SYSTEM_SMTP_SECURITY",
        "starttls",
        parse=parse_smtp_security,
        help="TLS to that server: ssl, starttls or none",
    )
    system_smtp_username: str = setting(
        "HOLDFAST_SYSTEM_SMTP_USERNAME", "", help="login on that server (empty: no AUTH, a local relay)"
    )
    system_smtp_password: str = setting("HOLDFAST_SYSTEM_SMTP_PASSWORD", "", secret=True, help="password of that login")
    system_mail_from: str = setting(
        "HOLDFAST_SYSTEM_MAIL_FROM", "holdfast@localhost", help="the From address of Holdfast's own mail"
    )
    session_hours: float = setting(
        "HOLDFAST_SESSION_HOURS",
        12.0,
        parse=parse_session_hours,
        help="how long a web UI session lasts after sign-in (then the member signs in again)",
    )
    sign_in_link_minutes: float = setting(
        "HOLDFAST_SIGN_IN_LINK_MINUTES",
        30.0,
        parse=parse_link_minutes,
        help="how long an emailed sign-in or password-reset link works (once)",
    )
    invitation_days: float = setting(
        "HOLDFAST_INVITATION_DAYS",
        7.0,
        parse=parse_invitation_days,
        help="how long an emailed invitation works (once)",
    )
    sign_in_max_failures: int = setting(
        "HOLDFAST_SIGN_IN_MAX_FAILURES",
        5,
        parse=parse_failure_count,
        help="failed sign-ins per email, and per client address, within 15 minutes before more are refused (429 "
        "with Retry-After); the same number bounds emailed links and resets asked for",
    )
    inbox_probe_seconds: float = setting(
        "HOLDFAST_INBOX_PROBE_SECONDS",
        300.0,
        parse=parse_positive_seconds,
        help="how often (jittered ±20%) each password inbox's SMTP and IMAP logins are checked",
    )
    inbox_auth_failures: int = setting(
        "HOLDFAST_INBOX_AUTH_FAILURES",
        3,
        parse=parse_failure_count,
        help="consecutive probes whose SMTP or IMAP login is refused before the inbox is disconnected",
    )
    inbox_network_grace_seconds: float = setting(
        "HOLDFAST_INBOX_NETWORK_GRACE_SECONDS",
        900.0,
        parse=parse_positive_seconds,
        help="how long an inbox's mail servers may stay unreachable (every probe failing) before it is disconnected",
    )
    inbox_login_timeout_seconds: float = setting(
        "HOLDFAST_INBOX_LOGIN_TIMEOUT_SECONDS",
        15.0,
        parse=parse_login_timeout,
        help="longest wait for one SMTP or IMAP login of a probe or a reconnect",
    )
    allow_public_plaintext: bool = allow_public_plaintext_setting()
    inbox_check_login_on_create: bool = setting(
        "HOLDFAST_INBOX_CHECK_LOGIN_ON_CREATE",
        True,
        parse=parse_bool,
        help="log in to a new inbox's SMTP and IMAP servers before saving it, as a reconnect does (422 naming the "
        "login that failed); off only for test suites whose inboxes point at servers that do not exist",
    )
    inbox_probes_enabled: bool = setting(
        "HOLDFAST_INBOX_PROBES_ENABLED",
        True,
        parse=parse_bool,
        help="run the inbox login probes in this process (replica-safe: any number may)",
    )
    bounce_poll_seconds: float = setting(
        "HOLDFAST_BOUNCE_POLL_SECONDS",
        300.0,
        parse=parse_positive_seconds,
        help="how often (jittered ±20%) each inbox is polled for bounce reports (DSNs); one poll serves bounces and "
        "replies, so the shorter of this and HOLDFAST_REPLY_POLL_SECONDS wins while both readers run",
    )
    reply_poll_seconds: float = setting(
        "HOLDFAST_REPLY_POLL_SECONDS",
        120.0,
        parse=parse_positive_seconds,
        help="how often (jittered ±20%) each inbox is polled for replies (the same poll as bounce reports; see "
        "HOLDFAST_BOUNCE_POLL_SECONDS)",
    )
    reply_polls_enabled: bool = setting(
        "HOLDFAST_REPLY_POLLS_ENABLED",
        True,
        parse=parse_bool,
        help="read inboxes for replies in this process (replica-safe: any number may)",
    )
    bounce_polls_enabled: bool = setting(
        "HOLDFAST_BOUNCE_POLLS_ENABLED",
        True,
        parse=parse_bool,
        help="read inboxes for bounce reports in this process (replica-safe: any number may)",
    )
    webhooks_allow_private: bool = setting(
        "HOLDFAST_WEBHOOKS_ALLOW_PRIVATE",
        False,
        parse=parse_bool,
        help="let webhook endpoints resolve to loopback or private addresses (SSRF guard off; local sandboxes only)",
    )
    webhook_delivery_seconds: float = setting(
        "HOLDFAST_WEBHOOK_DELIVERY_SECONDS",
        1.0,
        parse=parse_positive_seconds,
        help="how often due webhook deliveries are sent (replica-safe: any number may)",
    )
    webhook_timeout_seconds: float = setting(
        "HOLDFAST_WEBHOOK_TIMEOUT_SECONDS",
        10.0,
        parse=parse_positive_seconds,
        help="how long a webhook receiver has to answer before the attempt counts as failed",
    )
    google_client_id: str = setting(
        "HOLDFAST_GOOGLE_CLIENT_ID", "", help="OAuth client id of the Google app inboxes connect with (empty: off)"
    )
    google_client_secret: str = setting(
        "HOLDFAST_GOOGLE_CLIENT_SECRET", "", secret=True, help="OAuth client secret of that Google app"
    )
    google_auth_url: str = setting(
        "HOLDFAST_GOOGLE_AUTH_URL",
        "https://accounts.google.com/o/oauth2/v2/auth",
        parse=parse_base_url,
        help="Google's authorization endpoint (the consent page inboxes are sent to)",
    )
    google_token_url: str = setting(
        "HOLDFAST_GOOGLE_TOKEN_URL",
        "https://oauth2.googleapis.com/token",
        parse=parse_base_url,
        help="Google's token endpoint (codes and refresh tokens are exchanged there)",
    )
    microsoft_client_id: str = setting(
        "HOLDFAST_MICROSOFT_CLIENT_ID",
        "",
        help="OAuth client (application) id of the Microsoft app inboxes connect with (empty: off)",
    )
    microsoft_client_secret: str = setting(
        "HOLDFAST_MICROSOFT_CLIENT_SECRET", "", secret=True, help="OAuth client secret of that Microsoft app"
    )
    microsoft_auth_url: str = setting(
        "HOLDFAST_MICROSOFT_AUTH_URL",
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        parse=parse_base_url,
        help="Microsoft identity platform authorization endpoint",
    )
    microsoft_token_url: str = setting(
        "HOLDFAST_MICROSOFT_TOKEN_URL",
        "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        parse=parse_base_url,
        help="Microsoft identity platform token endpoint",
    )
    google_smtp: str = setting(
        "HOLDFAST_GOOGLE_SMTP",
        "smtp.gmail.com:587",
        parse=parse_server,
        help="host:port Google OAuth inboxes send through (SASL XOAUTH2); make run points it at the sandbox",
    )
    google_smtp_security: str = setting(
        "HOLDFAST_GOOGLE_SMTP_SECURITY",
        "starttls",
        parse=parse_smtp_security,
        help="ssl, starttls or none for that server",
    )
    microsoft_smtp: str = setting(
        "HOLDFAST_MICROSOFT_SMTP",
        "smtp.office365.com:587",
        parse=parse_server,
        help="host:port Microsoft OAuth inboxes send through (SASL XOAUTH2); make run points it at the sandbox",
    )
    microsoft_smtp_security: str = setting(
        "HOLDFAST_MICROSOFT_SMTP_SECURITY",
        "starttls",
        parse=parse_smtp_security,
        help="ssl, starttls or none for that server",
    )
    google_imap: str = setting(
        "HOLDFAST_GOOGLE_IMAP",
        "imap.gmail.com:993",
        parse=parse_server,
        help="host:port Google OAuth inboxes are read from for bounce reports (SASL XOAUTH2); make run points it at "
        "the sandbox",
    )
    google_imap_security: str = setting(
        "HOLDFAST_GOOGLE_IMAP_SECURITY",
        "ssl",
        parse=parse_smtp_security,
        help="ssl, starttls or none for that server",
    )
    microsoft_imap: str = setting(
        "HOLDFAST_MICROSOFT_IMAP",
        "outlook.office365.com:993",
        parse=parse_server,
        help="host:port Microsoft OAuth inboxes are read from for bounce reports (SASL XOAUTH2); make run points it "
        "at the sandbox",
    )
    microsoft_imap_security: str = setting(
        "HOLDFAST_MICROSOFT_IMAP_SECURITY",
        "ssl",
        parse=parse_smtp_security,
        help="ssl, starttls or none for that server",
    )

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.account_grace_seconds)
