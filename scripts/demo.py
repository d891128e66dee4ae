"""Watch a campaign run end to end against the local sandbox started by `make run`.

It creates a workspace, a sandbox LinkedIn account and inbox, a campaign (invite -> message -> email)
whose window is open around the clock, and a handful of prospects; activates it; then every few seconds
accepts a pending invitation in the sandbox (which calls our webhook) and prints what was sent and each
prospect's state and why-not-now. Pacing is shortened to seconds so there is something to watch.

    make run            # in one terminal
    make demo           # in another

It reads the same port variables as `make run` (HOLDFAST_HTTP_HOST, HOLDFAST_HTTP_PORT,
HOLDFAST_SANDBOX_UNIPILE_PORT, HOLDFAST_SANDBOX_SMTP_PORT, HOLDFAST_SANDBOX_IMAP_PORT), so the same
environment finds the same suite; the command-line options override them.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime

FAST = {
    "daily_cap": 2000,
    "weekly_cap": 10000,
    "ramp_start": 2000,
    "ramp_step": 0,
    "pacing_min_seconds": 3,
    "pacing_max_seconds": 6,
}


class NotRunning(Exception):
    """Nothing answers where the suite should be."""


def call(method: str, url: str, body: object | None = None, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{method} {url} -> {exc.code}: {exc.read().decode()}") from None
    except (urllib.error.URLError, ConnectionError) as exc:  # refused, reset: no suite listening there
        raise NotRunning(url) from exc
    return json.loads(raw) if raw else {}


def _local_host(host: str) -> str:
    # The runner may bind every address; the demo reaches it on the loopback.
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


def main() -> None:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    http_host = _local_host(env.get("HOLDFAST_HTTP_HOST", "127.0.0.1"))
    parser.add_argument("--api", default=f"http://{http_host}:{env.get('HOLDFAST_HTTP_PORT', '8080')}")
    parser.add_argument("--unipile", default=f"http://127.0.0.1:{env.get('HOLDFAST_SANDBOX_UNIPILE_PORT', '8090')}")
    parser.add_argument("--smtp-port", type=int, default=int(env.get("HOLDFAST_SANDBOX_SMTP_PORT", "2525")))
    parser.add_argument("--imap-port", type=int, default=int(env.get("HOLDFAST_SANDBOX_IMAP_PORT", "1143")))
    parser.add_argument("--prospects", type=int, default=5)
    parser.add_argument("--minutes", type=float, default=3.0)
    args = parser.parse_args()
    try:
        watch(args)
    except NotRunning as exc:
        raise SystemExit(
            f"demo: nothing answers at {exc}; start `make run` first (in another terminal, with "
            "the same HOLDFAST_* port variables), then run `make demo` again"
        ) from None


def watch(args: argparse.Namespace) -> None:
    api = f"{args.api}/api/v1"

    workspace = call("POST", f"{api}/workspaces", {"name": "Demo", "owner_email": "demo@holdfast.example"})
    token = workspace["token"]
    account = f"demo-{uuid.uuid4().hex[:6]}"
    call("POST", f"{args.unipile}/_sandbox/accounts", {"id": account, "name": "Demo account"})
    linkedin = call(
        "POST",
        f"{api}/linkedin-accounts",
        {
            "unipile_account_id": account,
            "name": "Demo account",
            "limits": {"linkedin_invite": FAST, "linkedin_message": FAST},
        },
        token,
    )
    server = {
        "host": "127.0.0.1",
        "port": args.smtp_port,
        "security": "none",
        "username": "sandbox",
        "password": "sandbox",
    }
    imap = {**server, "port": args.imap_port}
    inbox = call(
        "POST",
        f"{api}/inboxes",
        {"email": "demo@sandbox.example", "smtp": server, "imap": imap, "limits": {"email": FAST}},
        token,
    )
    campaign = call(
        "POST",
        f"{api}/campaigns",
        {
            "name": "Demo outreach",
            # Open now, whenever the demo runs (the last minutes of a UTC day fall outside 00:00-23:59).
            "schedule": {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "window": {"start": "00:00", "end": "23:59"},
                "timezone": "UTC" if 0 < datetime.now(UTC).hour < 23 else "Etc/GMT-12",
            },
            "steps": [
                {"channel": "linkedin", "action": "invite", "text": "Hi {{first_name}}, let's connect"},
                {"channel": "linkedin", "action": "message", "text": "Thanks for connecting, {{first_name}}!"},
                {
                    "channel": "email",
                    "action": "email",
                    "subject": "Hello {{first_name}}",
                    "body": "A short note for {{first_name}}.",
                },
            ],
            "senders": {"linkedin_account_ids": [linkedin["id"]], "inbox_ids": [inbox["id"]]},
        },
        token,
    )
    cid = campaign["id"]
    call(
        "POST",
        f"{api}/campaigns/{cid}/prospects",
        {
            "prospects": [
                {
                    "linkedin_provider_id": f"ACoDemo{i}",
                    "email": f"prospect{i}@example.com",
                    "first_name": f"Prospect{i}",
                }
                for i in range(args.prospects)
            ]
        },
        token,
    )
    call("POST", f"{api}/campaigns/{cid}/activate", {}, token)
    print(f"campaign {cid} is active; token for the API: {token}\n")

    deadline = time.monotonic() + args.minutes * 60
    while time.monotonic() < deadline:
        time.sleep(4)
        state = call("GET", f"{args.unipile}/_sandbox/state")
        pending = [i for i in state.get("invitations", []) if not i.get("accepted_at")]
        if pending:  # someone accepts; the sandbox calls our webhook
            call(
                "POST", f"{args.unipile}/_sandbox/accounts/{account}/accept", {"provider_id": pending[0]["provider_id"]}
            )
        page = call("GET", f"{api}/campaigns/{cid}/prospects", token=token)
        print(
            time.strftime("%H:%M:%S"),
            f"invites {len(state.get('invitations', []))}",
            f"messages {sum(len(c.get('messages', [])) for c in state.get('chats', []))}",
        )
        for p in page["prospects"]:
            print(
                f"   {p['first_name']:<10} step {p['current_step']} {p['state']:<19} "
                f"next {p['next_action_at'] or '-':<28} {', '.join(p['why_not_now'])}"
            )
    print(
        "\nDone. Try: curl -H 'Authorization: Bearer TOKEN' "
        f"{api}/campaigns/{cid}/pause -XPOST, then .../resume-preview and .../resume"
    )


if __name__ == "__main__":
    main()
