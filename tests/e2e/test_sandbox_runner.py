"""`python -m sandbox` as a real process, reached by the real Unipile client, the real SMTP sender and the accounts
service's OAuth client, and the local runner (`make run`) starting it for the services: an inbox connects with
"Sign in with Google/Microsoft" against the sandbox's OAuth servers and sends through its SMTP server (XOAUTH2)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import psutil
import pytest

from services.accounts import oauth
from services.accounts.config import Settings as AccountsSettings
from services.common import config
from services.common.crypto import generate_entry
from services.common.providers.smtp import SmtpError, SmtpSettings, send_email
from services.common.providers.unipile import FailureKind, UnipileClient, UnipileError

ROOT = Path(__file__).resolve().parents[2]
# Settings of the developer's shell that would change what the runner does.
INHERITED = ("DATABASE_URL", "HOLDFAST_UNIPILE_DSN", "HOLDFAST_UNIPILE_API_KEY", "HOLDFAST_SANDBOX") + tuple(
    f"HOLDFAST_{provider}_{name}"
    for provider in ("GOOGLE", "MICROSOFT")
    for name in ("CLIENT_ID", "CLIENT_SECRET", "AUTH_URL", "TOKEN_URL", "SMTP", "SMTP_SECURITY")
)
API_KEY = "e2e-key-7Hq2"
SMTP_USER = "outbound@acme.example"
SMTP_PASSWORD = "e2e-pw-Vb81"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_sandbox(*args: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "HOLDFAST_LOG_FORMAT": "json"}
    if "--google-oauth-port" not in args:  # not the fixed defaults: a `make run` may be using them
        args = (*args, "--google-oauth-port", "0", "--microsoft-oauth-port", "0")
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def read_event(proc: asyncio.subprocess.Process, event: str, within_s: float = 20) -> dict[str, Any]:
    assert proc.stdout is not None
    seen: list[bytes] = []
    async with asyncio.timeout(within_s):
        while line := await proc.stdout.readline():
            seen.append(line)
            if line.startswith(b"{") and (record := json.loads(line))["event"] == event:
                return record
    raise AssertionError(f"no {event!r} line; output: {b''.join(seen).decode()}")


async def stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
        await proc.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_sandbox_serves_unipile_and_smtp_then_stops_cleanly(sig: signal.Signals) -> None:
    unipile_port, smtp_port = free_port(), free_port()
    proc = await start_sandbox(
        "--unipile-port",
        str(unipile_port),
        "--smtp-port",
        str(smtp_port),
        "--api-key",
        API_KEY,
        "--smtp-user",
        SMTP_USER,
        "--smtp-password",
        SMTP_PASSWORD,
    )
    try:
        ready = await read_event(proc, "sandbox serving")
        assert ready["unipile_url"] == f"http://127.0.0.1:{unipile_port}"
        assert ready["smtp_address"] == f"127.0.0.1:{smtp_port}"

        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{ready['unipile_url']}/_sandbox/accounts", json={"id": "acc-e2e", "name": "Ada Sender"}
            ) as response:
                assert response.status == 201, await response.text()
            account = await UnipileClient(ready["unipile_url"], API_KEY, http).get_account("acc-e2e")
            assert (account.id, account.name, account.status) == ("acc-e2e", "Ada Sender", "OK")
            with pytest.raises(UnipileError) as wrong_key:
                await UnipileClient(ready["unipile_url"], "another-key", http).get_account("acc-e2e")
            assert wrong_key.value.status == 401

        smtp = SmtpSettings("127.0.0.1", smtp_port, "none", SMTP_USER, SMTP_PASSWORD)
        sent = await send_email(
            smtp,
            sender=SMTP_USER,
            to="grace@prospect.example",
            subject="Hello",
            body="Hello Grace\n",
            message_id="<e2e-1@acme.example>",
        )
        assert sent.accepted and "<e2e-1@acme.example>" in sent.response, "the sandbox parsed what it received"
        with pytest.raises(SmtpError) as wrong_password:
            await send_email(
                SmtpSettings("127.0.0.1", smtp_port, "none", SMTP_USER, "sandbox"),
                sender=SMTP_USER,
                to="grace@prospect.example",
                subject="Hello",
                body="Hello\n",
                message_id="<e2e-2@acme.example>",
            )
        assert wrong_password.value.kind is FailureKind.DISCONNECTED

        proc.send_signal(sig)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
        oauth_ports = [int(ready[f"{flavor}_oauth_url"].rpartition(":")[2]) for flavor in ("google", "microsoft")]
        for port in (unipile_port, smtp_port, *oauth_ports):
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
    finally:
        await stop(proc)


def local_runner() -> ModuleType:
    """deploy/local/run.py (a script, not a package) as a module."""
    spec = importlib.util.spec_from_file_location("holdfast_local_run", ROOT / "deploy" / "local" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("flavor", ["google", "microsoft"])
async def test_runner_points_accounts_oauth_at_the_sandbox_whose_tokens_its_smtp_accepts(flavor: str) -> None:
    """The runner's sandbox and the accounts settings it gives (a real OAuth app of the other provider in the
    environment wins): the accounts service's own OAuth client goes consent page -> code -> tokens over HTTP, and the
    access token logs in to the sandbox SMTP server with XOAUTH2 as the sender does, for its user only."""
    real = "microsoft" if flavor == "google" else "google"
    run = local_runner()
    env = {
        **{k: v for k, v in os.environ.items() if k not in INHERITED},
        "HOLDFAST_LOG_FORMAT": "json",
        **{f"HOLDFAST_SANDBOX_{name}_PORT": str(free_port())
           for name in ("UNIPILE", "SMTP", "IMAP", "GOOGLE_OAUTH", "MICROSOFT_OAUTH")},
        f"HOLDFAST_{real.upper()}_CLIENT_ID": f"real-{real}-app",
        f"HOLDFAST_{real.upper()}_CLIENT_SECRET": f"real-{real}-secret",
        "DATABASE_URL": "postgresql://unused@127.0.0.1:1/unused",
        "HOLDFAST_SECRET_KEYS": generate_entry("e2e"),
    }  # fmt: skip
    providers: list[subprocess.Popen[bytes]] = []
    try:
        banner = run._start_sandbox(env, providers)
        settings = config.load(AccountsSettings, env)
        apps = oauth.providers_from(settings)
        sandbox = f"http://127.0.0.1:{env[f'HOLDFAST_SANDBOX_{flavor.upper()}_OAUTH_PORT']}"
        assert f"{flavor.title()} OAuth at {sandbox}" in banner and f"{real.title()} OAuth" not in banner
        app = apps[flavor]
        assert (app.auth_url, app.token_url, app.configured) == (f"{sandbox}/authorize", f"{sandbox}/token", True)
        smtp_port = int(env["HOLDFAST_SANDBOX_SMTP_PORT"])
        assert (app.smtp_host, app.smtp_port, app.smtp_security) == ("127.0.0.1", smtp_port, "none")
        # The other provider's real app keeps its own endpoints and SMTP server: the sandbox's would refuse its tokens.
        other = apps[real]
        defaults = AccountsSettings.__dataclass_fields__
        assert (other.client_id, other.auth_url, other.token_url, other.smtp_security) == (
            f"real-{real}-app", defaults[f"{real}_auth_url"].default, defaults[f"{real}_token_url"].default, "starttls"
        )  # fmt: skip

        redirect_uri = "http://127.0.0.1:1/oauth/callback"
        verifier, challenge = oauth.pkce_pair()
        state = oauth.new_state()
        async with aiohttp.ClientSession() as http:
            url = oauth.authorization_url(app, redirect_uri, state, challenge, SMTP_USER)
            async with http.get(url, allow_redirects=False) as consent:
                assert consent.status == 302, await consent.text()
                back = urlsplit(consent.headers["Location"])
        assert f"{back.scheme}://{back.netloc}{back.path}" == redirect_uri
        query = parse_qs(back.query)
        assert query["state"] == [state]
        tokens = await oauth.exchange_code(app, query["code"][0], redirect_uri, verifier, timeout_s=5)
        assert tokens.refresh_token and tokens.expires_in == 3599
        with pytest.raises(oauth.TokenError) as reused:
            await oauth.exchange_code(app, query["code"][0], redirect_uri, verifier, timeout_s=5)
        assert reused.value.error == "invalid_grant", "a code is single-use"

        def as_user(user: str) -> SmtpSettings:
            return SmtpSettings(app.smtp_host, app.smtp_port, "none", user, "", access_token=tokens.access_token)

        message_id = f"<{uuid.uuid4()}@acme.example>"
        sent = await send_email(
            as_user(SMTP_USER), sender=SMTP_USER, to="grace@prospect.example", subject="Hi", body="Hi\n",
            message_id=message_id,
        )  # fmt: skip
        assert sent.accepted and message_id in sent.response
        with pytest.raises(SmtpError) as other_user:
            await send_email(
                as_user("mallory@acme.example"), sender="mallory@acme.example", to="grace@prospect.example",
                subject="Hi", body="Hi\n", message_id=f"<{uuid.uuid4()}@acme.example>",
            )  # fmt: skip
        assert other_user.value.code == 535, "the token was issued to another user"
        assert tokens.access_token not in str(other_user.value)
    finally:
        run._stop(providers)
    assert [child.returncode for child in providers] == [0]


async def test_sandbox_exits_1_when_a_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = await start_sandbox("--unipile-port", "0", "--smtp-port", str(taken.getsockname()[1]))
        try:
            failed = await read_event(proc, "start-up failed")
            assert "address already in use" in failed["error"]
            assert await asyncio.wait_for(proc.wait(), 20) == 1
        finally:
            await stop(proc)


@dataclass
class RunningSuite:
    output: str
    children: list[psutil.Process]
    log_path: Path
    env: dict[str, str]

    def stop_events(self) -> list[tuple[str, str]]:
        """(service, event) of every stop line logged so far, in order."""
        records = [json.loads(line) for line in self.log_path.read_text().splitlines() if line.startswith("{")]
        return [(r["service"], r["event"]) for r in records if r["event"] in ("stopped", "sandbox stopping")]

    def environment_of(self, service: str) -> dict[str, str]:
        [found] = [p for p in self.children if p.cmdline()[1:3] == ["-m", f"services.{service}"]]
        return dict(found.environ())

    def service_environments(self) -> list[dict[str, str]]:
        services = [p for p in self.children if "services." in " ".join(p.cmdline())]
        assert len(services) == 4
        return [service.environ() for service in services]

    def sandboxes(self) -> list[psutil.Process]:
        return [p for p in self.children if p.cmdline()[1:3] == ["-m", "sandbox"]]


@contextmanager
def make_run(tmp_path: Path, **extra_env: str) -> Iterator[RunningSuite]:
    """The runner behind `make run` on free ports, until ready; on exit SIGTERM must stop every child, exit 0."""
    grpc_ports = [free_port() for _ in range(3)]
    env = {
        # Not the runner's fixed defaults, which a developer's `make run` may hold.
        "HOLDFAST_SANDBOX_GOOGLE_OAUTH_PORT": str(free_port()),
        "HOLDFAST_SANDBOX_MICROSOFT_OAUTH_PORT": str(free_port()),
        **{k: v for k, v in os.environ.items() if k not in INHERITED},
        "HOLDFAST_HTTP_PORT": str(free_port()),
        "HOLDFAST_LOG_FORMAT": "json",
        "HOLDFAST_ACCOUNTS_LISTEN": f"127.0.0.1:{grpc_ports[0]}",
        "HOLDFAST_CAMPAIGNS_LISTEN": f"127.0.0.1:{grpc_ports[1]}",
        "HOLDFAST_SCHEDULER_LISTEN": f"127.0.0.1:{grpc_ports[2]}",
        "HOLDFAST_LOCAL_DATA": str(tmp_path / "data"),
        **extra_env,
    }
    # The accounts service needs a keyring; give one rather than depend on the runner making it.
    env.setdefault("HOLDFAST_SECRET_KEYS", generate_entry("e2e"))
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "deploy/local/run.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while "holdfast: ready at" not in log_path.read_text():
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.3)
        suite = RunningSuite(
            output=log_path.read_text(),
            children=psutil.Process(proc.pid).children(recursive=True),
            log_path=log_path,
            env=env,
        )
        yield suite
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log_path.read_text()
        time.sleep(0.5)
        left = [p for p in suite.children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert left == [], left
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_make_run_starts_the_sandbox_and_points_the_services_at_it(tmp_path: Path) -> None:
    """The sandbox is one more child, the services' environment names it, and it stops after them."""
    unipile_port, smtp_port, imap_port = free_port(), free_port(), free_port()
    with make_run(
        tmp_path,
        HOLDFAST_SANDBOX_UNIPILE_PORT=str(unipile_port),
        HOLDFAST_SANDBOX_SMTP_PORT=str(smtp_port),
        HOLDFAST_SANDBOX_IMAP_PORT=str(imap_port),
    ) as suite:
        assert f"sandbox Unipile at http://127.0.0.1:{unipile_port}" in suite.output
        assert f"sandbox SMTP at 127.0.0.1:{smtp_port}" in suite.output
        assert f"IMAP at 127.0.0.1:{imap_port}" in suite.output
        assert len(suite.sandboxes()) == 1
        for environ in suite.service_environments():
            assert environ["HOLDFAST_UNIPILE_DSN"] == f"http://127.0.0.1:{unipile_port}"
            assert environ["HOLDFAST_UNIPILE_API_KEY"] == "sandbox-key"
            assert environ["HOLDFAST_SANDBOX"] == "true"
        request = urllib.request.Request(
            f"http://127.0.0.1:{unipile_port}/api/v1/accounts/none", headers={"X-API-KEY": "sandbox-key"}
        )
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(request, timeout=5)
        answer.value.close()
        assert answer.value.code == 404, "the sandbox takes the key the services were given (a wrong one is 401)"
        # T4: the runner registered our webhooks with the code the production Job runs.
        with urllib.request.urlopen(f"http://127.0.0.1:{unipile_port}/_sandbox/state", timeout=5) as response:
            hooks = json.load(response)["webhooks"]
        assert sorted((w["source"], w["name"]) for w in hooks) == [
            ("account_status", "holdfast-account_status"),
            ("messaging", "holdfast-messaging"),
            ("users", "holdfast-users"),
        ]
        assert all(w["request_url"].endswith("/webhooks/unipile") and w["headers"] for w in hooks)
        assert "holdfast: webhooks: created" in suite.output
    # The services drain first: a send in flight still reaches its provider.
    stops = suite.stop_events()
    sandbox_stop = stops.index(("sandbox", "sandbox stopping"))
    assert {service for service, _ in stops[:sandbox_stop]} == {"accounts", "campaigns", "scheduler", "gateway"}


def _post(url: str, body: dict, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, json.load(refused)


def test_make_run_sends_invitations_through_the_sandbox_smtp_which_prints_the_link(tmp_path: Path) -> None:
    """Holdfast's own mail under `make run` goes to the sandbox SMTP server, whose log shows the link to follow."""
    with make_run(
        tmp_path,
        HOLDFAST_SANDBOX_SMTP_PORT=str(free_port()),
        HOLDFAST_SANDBOX_UNIPILE_PORT=str(free_port()),
        HOLDFAST_SANDBOX_IMAP_PORT=str(free_port()),
    ) as suite:
        base = f"http://127.0.0.1:{suite.env['HOLDFAST_HTTP_PORT']}/api/v1"
        status, created = _post(f"{base}/workspaces", {"name": "Run Co", "owner_email": "owner@run.example"})
        assert status == 201, created
        status, invited = _post(
            f"{base}/invitations",
            {"email": "new@run.example", "role": "member"},
            {"Authorization": f"Bearer {created['token']}"},
        )
        assert status == 201, invited
        deadline, token = time.monotonic() + 10, ""
        while not token:
            assert time.monotonic() < deadline, suite.log_path.read_text()[-3000:]
            found = re.search(r"accept-invitation\?token=(hfl_[A-Za-z0-9_-]{43})", suite.log_path.read_text())
            token = found.group(1) if found else ""
            time.sleep(0.2)
        status, joined = _post(f"{base}/invitations/accept", {"token": token, "password": "run-password-1"})
        assert status == 200 and joined["email"] == "new@run.example" and joined["role"] == "member", joined


def test_make_run_without_sandbox_when_a_unipile_dsn_is_given(tmp_path: Path) -> None:
    dsn = "https://api8.unipile.example:13851"
    with make_run(tmp_path, HOLDFAST_UNIPILE_DSN=dsn, HOLDFAST_UNIPILE_API_KEY="real-key") as suite:
        assert "sandbox Unipile" not in suite.output
        assert suite.sandboxes() == []
        for environ in suite.service_environments():
            assert environ["HOLDFAST_UNIPILE_DSN"] == dsn
            assert environ["HOLDFAST_UNIPILE_API_KEY"] == "real-key"
            assert "HOLDFAST_SANDBOX" not in environ


def call(method: str, url: str, body: object | None = None, token: str = "") -> dict[str, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        with exc:
            raise AssertionError(f"{method} {url} -> {exc.code}: {exc.read().decode()}") from None


def test_make_run_connects_inboxes_with_sandbox_oauth_and_sends_with_xoauth2(tmp_path: Path) -> None:
    """Under `make run`, "Sign in with Google/Microsoft" goes to the sandbox's consent page, which sends the user back
    to the gateway's callback, and the inbox's campaign email goes out through the sandbox SMTP server with XOAUTH2.
    The inboxes are created with the sandbox's password login (checked live at creation); connecting them through
    OAuth drops it: only the OAuth access token logs in afterwards."""
    oauth_ports = {"google": free_port(), "microsoft": free_port()}
    with make_run(
        tmp_path,
        HOLDFAST_SANDBOX_SMTP_PORT=str(smtp_port := free_port()),
        HOLDFAST_SANDBOX_IMAP_PORT=str(imap_port := free_port()),
        HOLDFAST_SANDBOX_UNIPILE_PORT=str(free_port()),
        HOLDFAST_SANDBOX_GOOGLE_OAUTH_PORT=str(oauth_ports["google"]),
        HOLDFAST_SANDBOX_MICROSOFT_OAUTH_PORT=str(oauth_ports["microsoft"]),
    ) as suite:
        sandbox_urls = {flavor: f"http://127.0.0.1:{port}" for flavor, port in oauth_ports.items()}
        assert f"Google OAuth at {sandbox_urls['google']}" in suite.output
        assert f"Microsoft OAuth at {sandbox_urls['microsoft']}" in suite.output
        accounts = suite.environment_of("accounts")
        for flavor, url in sandbox_urls.items():
            up = flavor.upper()
            assert accounts[f"HOLDFAST_{up}_AUTH_URL"] == f"{url}/authorize"
            assert accounts[f"HOLDFAST_{up}_TOKEN_URL"] == f"{url}/token"
            assert accounts[f"HOLDFAST_{up}_CLIENT_ID"] == f"sandbox-{flavor}-client"
            assert accounts[f"HOLDFAST_{up}_SMTP"] == f"127.0.0.1:{smtp_port}"
        api = accounts["HOLDFAST_PUBLIC_URL"]  # the gateway
        token = call("POST", f"{api}/api/v1/workspaces", {"name": "Acme", "owner_email": "me@acme.example"})["token"]
        fast = {"daily_cap": 100, "weekly_cap": 500, "ramp_start": 100, "ramp_step": 0, "pacing_min_seconds": 1,
                "pacing_max_seconds": 2}  # fmt: skip
        campaigns = {}
        for flavor, url in sandbox_urls.items():
            email = f"{flavor}-sender@acme.example"
            # Created with the sandbox's password login (creation checks it live), then switched to OAuth.
            login = {"host": "127.0.0.1", "port": smtp_port, "security": "none", "username": "sandbox",
                     "password": "sandbox"}  # fmt: skip
            inbox = call("POST", f"{api}/api/v1/inboxes", {"email": email, "smtp": login,
                                                             "imap": {**login, "port": imap_port},
                                                             "limits": {"email": fast}}, token)  # fmt: skip
            started = call("POST", f"{api}/api/v1/inboxes/{inbox['id']}/oauth/start", {"provider": flavor}, token)
            assert started["url"].startswith(f"{url}/authorize?"), started
            # The browser's round trip: the sandbox consents at once and redirects to the gateway's callback.
            with urllib.request.urlopen(started["url"], timeout=10) as callback:
                assert callback.url.startswith(f"{api}/oauth/callback?"), callback.url
                connected = json.loads(callback.read())
            assert (connected["id"], connected["auth_kind"], connected["status"]) == (
                inbox["id"], f"{flavor}_oauth", "connected",
            )  # fmt: skip
            campaign = call("POST", f"{api}/api/v1/campaigns", {
                "name": f"Via {flavor}",
                # Open now whatever the wall clock says: the last minutes of a UTC day fall outside 00:00-23:59.
                "schedule": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                             "window": {"start": "00:00", "end": "23:59"},
                             "timezone": "UTC" if 0 < datetime.now(UTC).hour < 23 else "Etc/GMT-12"},
                "steps": [{"channel": "email", "action": "email", "subject": "Hello {{first_name}}", "body": "A note"}],
                "senders": {"inbox_ids": [inbox["id"]]}}, token)  # fmt: skip
            call(
                "POST",
                f"{api}/api/v1/campaigns/{campaign['id']}/prospects",
                {"prospects": [{"email": f"grace.{flavor}@prospect.example", "first_name": "Grace"}]},
                token,
            )
            call("POST", f"{api}/api/v1/campaigns/{campaign['id']}/activate", {}, token)
            campaigns[flavor] = campaign["id"]

        deadline = time.monotonic() + 15
        for flavor, cid in campaigns.items():
            # "done" only once the send was accepted: a refused login leaves the prospect on its step.
            while (prospect := call("GET", f"{api}/api/v1/campaigns/{cid}/prospects", token=token)["prospects"][0])[
                "state"
            ] != "done":  # fmt: skip
                assert time.monotonic() < deadline, f"{flavor}: the email was never sent: {prospect}"
                time.sleep(0.2)
            sandbox_state = call("GET", f"{sandbox_urls[flavor]}/_sandbox/state")
            assert sandbox_state["issued_codes"] == 1 and sandbox_state["live_access_tokens"] >= 1, sandbox_state
