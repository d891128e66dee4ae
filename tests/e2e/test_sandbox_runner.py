"""`python -m sandbox` as a real process, reached by the real Unipile client and the real SMTP sender, and the
local runner (`make run`) starting it for the services."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import pytest

from services.common.crypto import generate_entry
from services.common.providers.smtp import SmtpError, SmtpSettings, send_email
from services.common.providers.unipile import FailureKind, UnipileClient, UnipileError

ROOT = Path(__file__).resolve().parents[2]
# Settings of the developer's shell that would change what the runner does.
INHERITED = ("DATABASE_URL", "HOLDFAST_UNIPILE_DSN", "HOLDFAST_UNIPILE_API_KEY", "HOLDFAST_SANDBOX")
API_KEY = "e2e-key-7Hq2"
SMTP_USER = "outbound@acme.example"
SMTP_PASSWORD = "e2e-pw-Vb81"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_sandbox(*args: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "HOLDFAST_LOG_FORMAT": "json"}
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
        for port in (unipile_port, smtp_port):
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
    finally:
        await stop(proc)


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

    def stop_events(self) -> list[tuple[str, str]]:
        """(service, event) of every stop line logged so far, in order."""
        records = [json.loads(line) for line in self.log_path.read_text().splitlines() if line.startswith("{")]
        return [(r["service"], r["event"]) for r in records if r["event"] in ("stopped", "sandbox stopping")]

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
            output=log_path.read_text(), children=psutil.Process(proc.pid).children(recursive=True), log_path=log_path
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
        tmp_path, HOLDFAST_SANDBOX_UNIPILE_PORT=str(unipile_port), HOLDFAST_SANDBOX_SMTP_PORT=str(smtp_port),
        HOLDFAST_SANDBOX_IMAP_PORT=str(imap_port)
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
    # The services drain first: a send in flight still reaches its provider.
    stops = suite.stop_events()
    sandbox_stop = stops.index(("sandbox", "sandbox stopping"))
    assert {service for service, _ in stops[:sandbox_stop]} == {"accounts", "campaigns", "scheduler", "gateway"}


def test_make_run_without_sandbox_when_a_unipile_dsn_is_given(tmp_path: Path) -> None:
    dsn = "https://api8.unipile.example:13851"
    with make_run(tmp_path, HOLDFAST_UNIPILE_DSN=dsn, HOLDFAST_UNIPILE_API_KEY="real-key") as suite:
        assert "sandbox Unipile" not in suite.output
        assert suite.sandboxes() == []
        for environ in suite.service_environments():
            assert environ["HOLDFAST_UNIPILE_DSN"] == dsn
            assert environ["HOLDFAST_UNIPILE_API_KEY"] == "real-key"
            assert "HOLDFAST_SANDBOX" not in environ
