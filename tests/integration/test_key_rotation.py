"""Key rotation as operators run it (docs/OPERATIONS.md, DESIGN A5): `python -m services.accounts rotate-keys`
as a real process against a real database and a real accounts server process."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from holdfast.accounts.v1 import accounts_pb2, accounts_pb2_grpc
from holdfast.common.v1 import types_pb2
from services.accounts.webhooks import webhook_secret_context
from services.common import errors
from services.common.crypto import Keyring, key_id_of
from services.common.grpc_client import open_channel
from tests.conftest import free_port, suite_env
from tests.e2e.test_processes import wait_serving

ROOT = Path(__file__).resolve().parents[2]
K1 = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()
K2 = "k2:" + base64.urlsafe_b64encode(b"2" * 32).decode()


def env_with(dsn: str, keys: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **suite_env(dsn),
        "HOLDFAST_SECRET_KEYS": keys,
        "HOLDFAST_LOG_FORMAT": "json",
        "HOLDFAST_SCHEDULER_TARGET": f"127.0.0.1:{free_port()}",
        "HOLDFAST_CAMPAIGNS_TARGET": f"127.0.0.1:{free_port()}",
        **extra,
    }


async def run_command(dsn: str, keys: str, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.accounts",
        *args,
        cwd=ROOT,
        env=env_with(dsn, keys),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


def rotated_count(stdout: str) -> int:
    line = next(x for x in stdout.splitlines() if x.startswith("re-encrypted "))
    return int(line.split()[1])


@asynccontextmanager
async def accounts_process(
    dsn: str, keys: str
) -> AsyncIterator[tuple[accounts_pb2_grpc.AccountsServiceStub, asyncio.subprocess.Process]]:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.accounts",
        cwd=ROOT,
        env=env_with(dsn, keys, HOLDFAST_GRPC_LISTEN=f"127.0.0.1:{port}"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_serving(f"127.0.0.1:{port}")
        async with open_channel(f"127.0.0.1:{port}") as channel:
            yield accounts_pb2_grpc.AccountsServiceStub(channel), proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout=20)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def create_inboxes(stub: accounts_pb2_grpc.AccountsServiceStub, count: int) -> dict[str, str]:
    """`count` inboxes in a new workspace; their ids and SMTP passwords."""
    workspace = (
        await stub.CreateWorkspace(accounts_pb2.CreateWorkspaceRequest(name="Rotation", owner_email="r@acme.example"))
    ).workspace.id

    async def one(i: int) -> tuple[str, str]:
        password = f"smtp-pw-{i}-{uuid.uuid4().hex[:6]}"
        inbox = (
            await stub.CreateInbox(
                accounts_pb2.CreateInboxRequest(
                    workspace_id=workspace,
                    email=f"rot{i}-{uuid.uuid4().hex[:6]}@acme.example",
                    smtp=accounts_pb2.ServerSettings(
                        host="smtp.acme.example", port=465, security="ssl", username="u", password=password
                    ),
                    imap=accounts_pb2.ServerSettings(
                        host="imap.acme.example", port=993, security="ssl", username="u", password=f"imap-pw-{i}"
                    ),
                )
            )
        ).inbox
        return inbox.id, password

    created: dict[str, str] = {}
    for start in range(0, count, 25):
        created.update(await asyncio.gather(*(one(i) for i in range(start, min(count, start + 25)))))
    return created


async def stored_key_ids(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT smtp_password, imap_password FROM accounts.inboxes")
    finally:
        await conn.close()
    return sorted(key_id_of(r[c]) for r in rows for c in ("smtp_password", "imap_password"))


async def credentials(stub: accounts_pb2_grpc.AccountsServiceStub, inbox_id: str) -> str:
    reply = await stub.GetSenderCredentials(
        accounts_pb2.GetSenderCredentialsRequest(sender_kind=types_pb2.SENDER_KIND_INBOX, sender_id=inbox_id)
    )
    return reply.smtp.password


@pytest.fixture
async def migrated(fresh_dsn: str) -> str:
    code, _, err = await run_command(fresh_dsn, K1, "migrate")
    assert code == 0, err
    return fresh_dsn


async def test_rotate_keys_reencrypts_under_the_new_key_and_is_idempotent(migrated: str) -> None:
    dsn = migrated
    async with accounts_process(dsn, K1) as (stub, _):
        inboxes = await create_inboxes(stub, 3)
    assert await stored_key_ids(dsn) == ["k1"] * 6

    code, out, err = await run_command(dsn, f"{K2},{K1}", "rotate-keys")
    assert code == 0, err
    assert rotated_count(out) == 6, out
    assert await stored_key_ids(dsn) == ["k2"] * 6

    code, out, err = await run_command(dsn, f"{K2},{K1}", "rotate-keys")
    assert code == 0, err
    assert rotated_count(out) == 0, "a second run has nothing left to do"

    # Every secret is under k2 now: k1 can go, and the inboxes still decrypt.
    async with accounts_process(dsn, K2) as (stub, _):
        for inbox_id, password in inboxes.items():
            assert await credentials(stub, inbox_id) == password
    for text in (out, err):
        assert K1.split(":")[1] not in text and K2.split(":")[1] not in text


async def test_without_the_old_key_the_service_refuses_to_decrypt_and_keeps_running(migrated: str) -> None:
    dsn = migrated
    async with accounts_process(dsn, K1) as (stub, _):
        inboxes = await create_inboxes(stub, 2)
    inbox_id, password = next(iter(inboxes.items()))

    # k1 was dropped before rotating: the server answers a clear error and stays up.
    async with accounts_process(dsn, K2) as (stub, proc):
        for _ in range(2):
            with pytest.raises(errors.FailedPrecondition) as exc:
                await credentials(stub, inbox_id)
            assert exc.value.code == "credentials_unreadable"
            assert "HOLDFAST_SECRET_KEYS" in exc.value.message and password not in exc.value.message
        assert proc.returncode is None, "the server is still running"
        workspace = (
            await stub.CreateWorkspace(accounts_pb2.CreateWorkspaceRequest(name="Still", owner_email="s@acme.example"))
        ).workspace.id
        assert workspace, "and still answers other calls"

    # rotate-keys without k1 cannot rotate: it says which key is missing, exits 1 without a traceback,
    # and leaves the secrets as they were.
    code, out, err = await run_command(dsn, K2, "rotate-keys")
    assert code == 1, (out, err)
    assert rotated_count(out) == 0
    assert "4 stored secret(s) cannot be re-encrypted" in err and "'k1'" in err, err
    assert "Traceback" not in err and password not in out + err
    assert await stored_key_ids(dsn) == ["k1"] * 4

    # With k1 back (after k2) the rotation completes.
    code, out, err = await run_command(dsn, f"{K2},{K1}", "rotate-keys")
    assert code == 0 and rotated_count(out) == 4, (out, err)


async def test_two_rotations_at_once_share_the_work(migrated: str) -> None:
    dsn = migrated
    count = 260  # more than two batches of 100
    async with accounts_process(dsn, K1) as (stub, _):
        inboxes = await create_inboxes(stub, count)
    results = await asyncio.gather(*(run_command(dsn, f"{K2},{K1}", "rotate-keys") for _ in range(2)))
    assert [code for code, _, _ in results] == [0, 0], results
    counts = [rotated_count(out) for _, out, _ in results]
    print(f"\ntwo concurrent rotate-keys runs re-encrypted {counts} secrets")  # noqa: T201
    assert sum(counts) == 2 * count, f"every secret re-encrypted exactly once: {counts}"
    assert await stored_key_ids(dsn) == ["k2"] * (2 * count)
    code, out, _ = await run_command(dsn, f"{K2},{K1}", "rotate-keys")
    assert code == 0 and rotated_count(out) == 0
    async with accounts_process(dsn, K2) as (stub, _):
        some = list(inboxes.items())[:: count // 5]
        assert [await credentials(stub, i) for i, _ in some] == [p for _, p in some]


def test_rotate_keys_is_listed_in_the_help() -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "services.accounts", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    assert "rotate-keys" in result.stdout and "Re-encrypt every stored secret" in result.stdout


async def test_a_row_locked_elsewhere_is_rotated_once_it_is_released(migrated: str) -> None:
    """The first pass skips rows another transaction holds and rotates the rest; the second waits for them."""
    dsn = migrated
    async with accounts_process(dsn, K1) as (stub, _):
        inboxes = await create_inboxes(stub, 5)
    held = sorted(inboxes)[2]
    conn = await asyncpg.connect(dsn)
    try:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("SELECT 1 FROM accounts.inboxes WHERE id = $1 FOR UPDATE", uuid.UUID(held))
        run = asyncio.ensure_future(run_command(dsn, f"{K2},{K1}", "rotate-keys"))
        deadline = asyncio.get_running_loop().time() + 30
        while (await stored_key_ids(dsn)).count("k2") < 8:
            assert asyncio.get_running_loop().time() < deadline, "the unlocked rows were not rotated"
            assert not run.done(), run.result()
            await asyncio.sleep(0.1)
        assert not run.done(), "it waits for the locked row"
        await tx.commit()
        code, out, err = await asyncio.wait_for(run, timeout=30)
    finally:
        await conn.close()
    assert code == 0 and rotated_count(out) == 10, (out, err)
    assert await stored_key_ids(dsn) == ["k2"] * 10


async def test_rotate_keys_reencrypts_webhook_signing_secrets_too(migrated: str) -> None:
    dsn = migrated
    async with accounts_process(dsn, K1) as (stub, _):
        workspace = (
            await stub.CreateWorkspace(accounts_pb2.CreateWorkspaceRequest(name="Hooks", owner_email="h@acme.example"))
        ).workspace.id
        created = await stub.CreateWebhookEndpoint(
            accounts_pb2.CreateWebhookEndpointRequest(
                workspace_id=workspace, url="https://93.184.216.34/hook", events=["campaign.paused"]
            )
        )
    code, out, err = await run_command(dsn, f"{K2},{K1}", "rotate-keys")
    assert code == 0, err
    assert rotated_count(out) == 1, out
    conn = await asyncpg.connect(dsn)
    try:
        stored = await conn.fetchval("SELECT secret FROM accounts.webhook_endpoints")
    finally:
        await conn.close()
    assert key_id_of(stored) == "k2"
    # Under k2 alone, the secret is the one shown when the endpoint was made.
    assert Keyring.parse(K2).decrypt(stored, context=webhook_secret_context(workspace)) == created.secret
