"""The local runner behind `make run`: one command starts the whole suite on this machine.

It uses DATABASE_URL when set, else an embedded PostgreSQL whose data is kept under .holdfast/pgdata
between runs; applies every schema's migrations; starts accounts, campaigns, scheduler and gateway as
child processes; waits until the gateway's /readyz answers 200 and prints the URL. Ctrl-C or SIGTERM
stops the services gracefully, then the database, and leaves no process behind.

Unless HOLDFAST_UNIPILE_DSN is set, it first starts the sandbox providers (`python -m sandbox`: the Unipile
fake, SMTP and IMAP servers, fake Google and Microsoft OAuth servers) and points the services at them; a Google or
Microsoft OAuth app named in the environment (HOLDFAST_<PROVIDER>_CLIENT_ID) is used instead of that provider's fake.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.common import embedded_pg  # noqa: E402
from services.common.crypto import generate_entry  # noqa: E402

SERVICES = {"accounts": 50051, "campaigns": 50052, "scheduler": 50053}
# The sandbox's credentials are fixed and printed: they guard nothing but fakes on 127.0.0.1.
SANDBOX_API_KEY = "sandbox-key"
SANDBOX_SMTP_LOGIN = "sandbox"
SANDBOX_MAIL_FROM = "holdfast@sandbox.invalid"
SANDBOX_OAUTH_PORTS = {"GOOGLE": 8091, "MICROSOFT": 8092}
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # A child that outlives a killed runner would hold its port; tie each child's life to ours.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, preexec_fn=_die_with_parent)


def _wait_ready(url: str, children: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in children:
            if child.poll() is not None:
                raise SystemExit(f"a service exited during start-up (exit {child.returncode}); see its log above")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the suite was not ready within {timeout:.0f}s")


def _wait_listening(
    ports: list[int], child: subprocess.Popen[bytes], timeout: float, what: str = "the sandbox", host: str = "127.0.0.1"
) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(ports)
    while waiting:
        if child.poll() is not None:
            raise SystemExit(f"{what} exited during start-up (exit {child.returncode}); see its log above")
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not listen on {waiting} within {timeout:.0f}s")
        try:
            with socket.create_connection((host, waiting[0]), timeout=1):
                waiting.pop(0)
        except OSError:
            time.sleep(0.1)


def _port(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SystemExit(f"{name}={raw!r} is not a port number")
    return int(raw)


def _start_sandbox(env: dict[str, str], providers: list[subprocess.Popen[bytes]]) -> str:
    """Start the sandbox providers, point the services' environment at them; return where they listen."""
    unipile_port = _port(env, "HOLDFAST_SANDBOX_UNIPILE_PORT", 8090)
    smtp_port = _port(env, "HOLDFAST_SANDBOX_SMTP_PORT", 2525)
    imap_port = _port(env, "HOLDFAST_SANDBOX_IMAP_PORT", 1143)
    oauth_ports = {
        provider: _port(env, f"HOLDFAST_SANDBOX_{provider}_OAUTH_PORT", default)
        for provider, default in SANDBOX_OAUTH_PORTS.items()
    }
    oauth_arguments = []
    for provider, port in oauth_ports.items():
        flavor, (client_id, client_secret) = provider.lower(), _sandbox_client(provider)
        oauth_arguments += [
            f"--{flavor}-oauth-port",
            str(port),
            f"--{flavor}-client-id",
            client_id,
            f"--{flavor}-client-secret",
            client_secret,
        ]
    sandbox = _spawn(
        [
            "-m",
            "sandbox",
            "--unipile-port",
            str(unipile_port),
            "--smtp-port",
            str(smtp_port),
            "--imap-port",
            str(imap_port),
            "--api-key",
            SANDBOX_API_KEY,
            "--smtp-user",
            SANDBOX_SMTP_LOGIN,
            "--smtp-password",
            SANDBOX_SMTP_LOGIN,
            "--print-mail-from",
            SANDBOX_MAIL_FROM,
            *oauth_arguments,
        ],
        env,
    )
    providers.append(sandbox)
    _wait_listening([unipile_port, smtp_port, imap_port, *oauth_ports.values()], sandbox, timeout=30)
    unipile = f"http://127.0.0.1:{unipile_port}"
    env.update(
        HOLDFAST_UNIPILE_DSN=unipile,
        HOLDFAST_UNIPILE_API_KEY=SANDBOX_API_KEY,
        HOLDFAST_SANDBOX="true",
        HOLDFAST_SANDBOX_UNIPILE_URL=unipile,
        # Webhook endpoints may be local receivers here (the SSRF guard is on everywhere else).
        HOLDFAST_WEBHOOKS_ALLOW_PRIVATE="true",
    )
    # Holdfast's own mail (invitations, sign-in and reset links) goes to the sandbox SMTP server, which prints it.
    for name, value in (
        ("HOLDFAST_SYSTEM_SMTP", f"127.0.0.1:{smtp_port}"),
        ("HOLDFAST_SYSTEM_SMTP_SECURITY", "none"),
        ("HOLDFAST_SYSTEM_SMTP_USERNAME", SANDBOX_SMTP_LOGIN),
        ("HOLDFAST_SYSTEM_SMTP_PASSWORD", SANDBOX_SMTP_LOGIN),
        ("HOLDFAST_SYSTEM_MAIL_FROM", SANDBOX_MAIL_FROM),
    ):
        env.setdefault(name, value)
    faked = []
    for provider, port in oauth_ports.items():
        if env.get(f"HOLDFAST_{provider}_CLIENT_ID"):
            continue  # a real OAuth app: its own consent page, token endpoint, SMTP and IMAP servers
        # "Sign in with Google/Microsoft" goes to the sandbox's consent page (it consents at once for the inbox's
        # address), and the inboxes connected so send through the sandbox SMTP server, which takes its tokens.
        oauth, (client_id, client_secret) = f"http://127.0.0.1:{port}", _sandbox_client(provider)
        env.setdefault(f"HOLDFAST_{provider}_CLIENT_ID", client_id)
        env.setdefault(f"HOLDFAST_{provider}_CLIENT_SECRET", client_secret)
        env.setdefault(f"HOLDFAST_{provider}_AUTH_URL", f"{oauth}/authorize")
        env.setdefault(f"HOLDFAST_{provider}_TOKEN_URL", f"{oauth}/token")
        env.setdefault(f"HOLDFAST_{provider}_SMTP", f"127.0.0.1:{smtp_port}")
        env.setdefault(f"HOLDFAST_{provider}_SMTP_SECURITY", "none")  # no TLS there
        # Bounce reports are read from the sandbox IMAP server, which takes its tokens too.
        env.setdefault(f"HOLDFAST_{provider}_IMAP", f"127.0.0.1:{imap_port}")
        env.setdefault(f"HOLDFAST_{provider}_IMAP_SECURITY", "none")
        faked.append(f"{provider.title()} OAuth at {oauth}")
    return (
        f"sandbox Unipile at {unipile} (X-API-KEY {SANDBOX_API_KEY}), sandbox SMTP at 127.0.0.1:{smtp_port} "
        f"and IMAP at 127.0.0.1:{imap_port} (login {SANDBOX_SMTP_LOGIN}, password {SANDBOX_SMTP_LOGIN}; "
        "invitations and sign-in links go there and are printed in the sandbox's log)"
        + (f", sandbox {' and '.join(faked)} (inboxes: Sign in with Google/Microsoft)" if faked else "")
    )


def _sandbox_client(provider: str) -> tuple[str, str]:
    """The client id and secret the sandbox's fake OAuth server of this provider accepts."""
    return f"sandbox-{provider.lower()}-client", f"sandbox-{provider.lower()}-secret"


def _local_secrets(env: dict[str, str], data: Path) -> None:
    """Secrets a local run needs, made once and kept (mode 0600) so stored credentials stay readable
    across runs. Values already in the environment win."""
    path = data / "local-secrets.json"
    data.mkdir(parents=True, exist_ok=True)
    if path.exists():
        saved = json.loads(path.read_text())
    else:
        saved = {
            "HOLDFAST_SECRET_KEYS": generate_entry("local1"),
            "HOLDFAST_UNIPILE_WEBHOOK_SECRET": secrets.token_urlsafe(24),
            "HOLDFAST_BILLING_WEBHOOK_SECRET": secrets.token_urlsafe(24),
            "HOLDFAST_UNSUBSCRIBE_KEY": secrets.token_urlsafe(32),
        }
        path.touch(mode=0o600)
        path.write_text(json.dumps(saved))
    for name, value in saved.items():
        env.setdefault(name, value)
    if "HOLDFAST_UNSUBSCRIBE_KEY" not in saved:  # made by an older runner
        saved["HOLDFAST_UNSUBSCRIBE_KEY"] = secrets.token_urlsafe(32)
        path.write_text(json.dumps(saved))
        env.setdefault("HOLDFAST_UNSUBSCRIBE_KEY", saved["HOLDFAST_UNSUBSCRIBE_KEY"])
    if "HOLDFAST_BILLING_WEBHOOK_SECRET" not in saved:  # made by an older runner
        saved["HOLDFAST_BILLING_WEBHOOK_SECRET"] = secrets.token_urlsafe(24)
        path.write_text(json.dumps(saved))
        env.setdefault("HOLDFAST_BILLING_WEBHOOK_SECRET", saved["HOLDFAST_BILLING_WEBHOOK_SECRET"])


def _register_webhooks(env: dict[str, str], gateway: str) -> None:
    """Ask the (sandbox) Unipile to call our webhooks, with the shared secret in its header: the command the
    production Job runs."""
    done = subprocess.run(
        [sys.executable, "-m", "services.accounts", "register-webhooks"],
        cwd=ROOT,
        env={**env, "HOLDFAST_PUBLIC_URL": gateway},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"registering the Unipile webhooks failed: {done.stderr.strip()[-500:]}")
    print(f"holdfast: {done.stdout.strip()}", flush=True)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for child in processes:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in processes:
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main() -> int:
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    env = dict(os.environ)
    data = Path(env.get("HOLDFAST_LOCAL_DATA") or ROOT / ".holdfast")
    _local_secrets(env, data)
    database = None
    if not env.get("DATABASE_URL"):
        pgdata = data / "pgdata"
        database, dsn = embedded_pg.start(pgdata, keep=True)
        env["DATABASE_URL"] = dsn
        print(f"holdfast: embedded PostgreSQL with data in {pgdata}", flush=True)
    else:
        print("holdfast: using DATABASE_URL", flush=True)

    http_port = env.get("HOLDFAST_HTTP_PORT", "8080")
    http_host = env.get("HOLDFAST_HTTP_HOST", "127.0.0.1")
    env.setdefault("HOLDFAST_PUBLIC_URL", f"http://{http_host}:{http_port}")
    children: list[subprocess.Popen[bytes]] = []
    # Stopped after the services, which may still call them while they drain (like the database).
    providers: list[subprocess.Popen[bytes]] = []
    try:
        sandbox = "" if env.get("HOLDFAST_UNIPILE_DSN") else _start_sandbox(env, providers)
        for name in SERVICES:
            if subprocess.run([sys.executable, "-m", f"services.{name}", "migrate"], cwd=ROOT, env=env).returncode:
                raise SystemExit(f"migrating {name} failed")
        base = f"http://{http_host}:{http_port}"
        if sandbox:
            # Before the services start: Unipile only needs the URL, and the services then start with it done.
            _register_webhooks(env, base)
        listen = {
            name: env.get(f"HOLDFAST_{name.upper()}_LISTEN", f"127.0.0.1:{port}") for name, port in SERVICES.items()
        }
        env.update({f"HOLDFAST_{name.upper()}_TARGET": address for name, address in listen.items()})
        for name in SERVICES:
            children.append(_spawn(["-m", f"services.{name}"], {**env, "HOLDFAST_GRPC_LISTEN": listen[name]}))
            if name == "accounts":
                # Campaigns calls it as it starts (its sweeper), and a gRPC channel whose first connection is refused
                # fails every call for its reconnect backoff (about a second), so a "ready" suite would answer 503.
                host, _, port = listen[name].rpartition(":")
                host = host.strip("[]")
                _wait_listening(
                    [int(port)],
                    children[-1],
                    timeout=60,
                    what="the accounts service",
                    host="127.0.0.1" if host in ("", "0.0.0.0", "::") else host,
                )
        children.append(_spawn(["-m", "services.gateway"], env))
        _wait_ready(f"{base}/readyz", providers + children, timeout=60)
        print(f"\nholdfast: ready at {base}  (API under {base}/api/v1, Ctrl-C to stop)", flush=True)
        if sandbox:
            print(f"holdfast: {sandbox}", flush=True)
        print(
            f"holdfast: next, open {base} in a browser and create a workspace (or sign in with a workspace token)",
            flush=True,
        )
        if sandbox:  # the demo drives the sandbox providers
            print(
                "holdfast: or run `make demo` in another terminal, with the same HOLDFAST_* variables: it creates "
                "a campaign in the sandbox and prints what it sends",
                flush=True,
            )
        print(flush=True)
        while not stopping:
            if any(child.poll() is not None for child in providers + children):
                print("holdfast: a service stopped unexpectedly; stopping the rest", file=sys.stderr, flush=True)
                return 1
            time.sleep(0.3)
        return 0
    finally:
        _stop(children)
        _stop(providers)
        if database is not None:
            database.cleanup()  # type: ignore[attr-defined]
        print("holdfast: stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
