"""The IMAP login check against the IMAP sandbox: real IMAP over TCP on 127.0.0.1, plus the sandbox spoken to
by hand, line by line, to check it answers like an IMAP4rev1 server."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator

import pytest

from sandbox.imap import SandboxImap
from services.common.providers.imap import ImapError, ImapSettings, check_login
from services.common.providers.unipile import FailureKind

USER = "ada@acme.example"
PASSWORD = "app-pw-Zq8v1W3nB7x0"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[tuple[SandboxImap, int]]:
    imap = SandboxImap()
    port = await imap.start()
    yield imap, port
    await imap.stop()


@pytest.fixture
def imap(server: tuple[SandboxImap, int]) -> SandboxImap:
    sandbox, _ = server
    sandbox.clear()
    sandbox.set_password(USER, PASSWORD)
    return sandbox


@pytest.fixture
def settings(server: tuple[SandboxImap, int]) -> ImapSettings:
    return ImapSettings(host="127.0.0.1", port=server[1], security="none", username=USER, password=PASSWORD)


async def test_login_with_the_right_password_succeeds(imap: SandboxImap, settings: ImapSettings) -> None:
    await check_login(settings, timeout_s=5)
    assert [(a.user, a.accepted) for a in imap.login_attempts] == [(USER, True)]


async def test_a_wrong_password_is_an_authentication_failure_without_the_password(
    imap: SandboxImap, settings: ImapSettings
) -> None:
    wrong = "not-the-password-9f3k"
    with pytest.raises(ImapError) as caught:
        await check_login(dataclasses.replace(settings, password=wrong), timeout_s=5)
    assert caught.value.kind is FailureKind.DISCONNECTED
    assert caught.value.status == "NO"
    assert "AUTHENTICATIONFAILED" in caught.value.message
    for text in (str(caught.value), repr(caught.value), caught.value.message):
        assert wrong not in text and PASSWORD not in text
    assert PASSWORD not in repr(settings)


async def test_a_changed_password_refuses_the_old_one_and_accepts_the_new(
    imap: SandboxImap, settings: ImapSettings
) -> None:
    await check_login(settings, timeout_s=5)
    imap.set_password(USER, "rotated-app-password")
    with pytest.raises(ImapError) as caught:
        await check_login(settings, timeout_s=5)
    assert caught.value.kind is FailureKind.DISCONNECTED
    await check_login(dataclasses.replace(settings, password="rotated-app-password"), timeout_s=5)
    assert [a.accepted for a in imap.login_attempts] == [True, False, True]


async def test_an_unknown_user_is_an_authentication_failure(imap: SandboxImap, settings: ImapSettings) -> None:
    with pytest.raises(ImapError) as caught:
        await check_login(dataclasses.replace(settings, username="nobody@acme.example"), timeout_s=5)
    assert caught.value.kind is FailureKind.DISCONNECTED


@pytest.mark.parametrize("password", ['quo"te\\back slash', "ünïcödé-pässwörd", "a{5}b"])
async def test_passwords_needing_quoting_or_a_literal_log_in(
    imap: SandboxImap, settings: ImapSettings, password: str
) -> None:
    imap.set_password(USER, password)
    await check_login(dataclasses.replace(settings, password=password), timeout_s=5)
    with pytest.raises(ImapError):
        await check_login(dataclasses.replace(settings, password=password + "x"), timeout_s=5)


async def test_a_closed_port_is_a_network_failure(settings: ImapSettings) -> None:
    with pytest.raises(ImapError) as caught:
        await check_login(dataclasses.replace(settings, port=_closed_port()), timeout_s=5)
    assert caught.value.kind is FailureKind.TRANSIENT
    assert caught.value.status is None
    assert caught.value.message.startswith("connect:")


async def test_a_silent_server_times_out_as_a_network_failure(settings: ImapSettings) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # never greets
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(ImapError) as caught:
            await check_login(dataclasses.replace(settings, port=port), timeout_s=0.3)
        assert caught.value.kind is FailureKind.TRANSIENT
        assert caught.value.message.startswith("greeting:")
    finally:
        server.close()
        await server.wait_closed()


async def test_a_server_saying_unavailable_is_transient(settings: ImapSettings) -> None:
    async def busy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"* OK ready\r\n")
        line = await reader.readuntil(b"\r\n")
        tag = line.split(b" ")[0]
        writer.write(tag + b" NO [UNAVAILABLE] Try again later\r\n")
        await writer.drain()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(busy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(ImapError) as caught:
            await check_login(dataclasses.replace(settings, port=port), timeout_s=2)
        assert caught.value.kind is FailureKind.TRANSIENT
    finally:
        server.close()
        await server.wait_closed()


class Raw:
    """The sandbox spoken to line by line."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, line: bytes) -> None:
        self.writer.write(line + b"\r\n")
        await self.writer.drain()

    async def until(self, tag: bytes) -> list[bytes]:
        lines = []
        while True:
            line = (await asyncio.wait_for(self.reader.readuntil(b"\r\n"), 5))[:-2]
            lines.append(line)
            if line.startswith(tag + b" "):
                return lines


async def test_the_sandbox_speaks_imap4rev1(imap: SandboxImap, server: tuple[SandboxImap, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server[1])
    raw = Raw(reader, writer)
    try:
        greeting = (await reader.readuntil(b"\r\n"))[:-2]
        assert greeting.startswith(b"* OK [CAPABILITY IMAP4rev1]")
        await raw.send(b"a1 CAPABILITY")
        assert await raw.until(b"a1") == [b"* CAPABILITY IMAP4rev1", b"a1 OK CAPABILITY completed"]
        await raw.send(b"a2 SELECT INBOX")
        assert (await raw.until(b"a2"))[-1].startswith(b"a2 BAD")
        await raw.send(b'a3 LOGIN "ada@acme.example" "wrong"')
        assert await raw.until(b"a3") == [b"a3 NO [AUTHENTICATIONFAILED] Invalid credentials"]
        await raw.send(b"a4 LOGIN {16}")
        assert (await reader.readuntil(b"\r\n")).startswith(b"+ ")
        await raw.send(b"ada@acme.example " + PASSWORD.encode())
        assert (await raw.until(b"a4"))[-1].startswith(b"a4 OK")
        await raw.send(b"a5 NOOP")
        assert await raw.until(b"a5") == [b"a5 OK NOOP completed"]
        await raw.send(b"a6 SELECT inbox")
        selected = await raw.until(b"a6")
        assert b"* 0 EXISTS" in selected and b"* OK [UIDVALIDITY 1] UIDs valid" in selected
        assert selected[-1] == b"a6 OK [READ-WRITE] SELECT completed"
        await raw.send(b"a7 EXAMINE INBOX")
        assert (await raw.until(b"a7"))[-1] == b"a7 OK [READ-ONLY] EXAMINE completed"
        await raw.send(b"a8 SELECT Archive")
        assert (await raw.until(b"a8"))[-1].startswith(b"a8 NO [NONEXISTENT]")
        await raw.send(b"a9 FROBNICATE")
        assert (await raw.until(b"a9"))[-1].startswith(b"a9 BAD")
        await raw.send(b"b1 LOGOUT")
        assert await raw.until(b"b1") == [b"* BYE Logging out", b"b1 OK LOGOUT completed"]
        assert await reader.read() == b""
    finally:
        writer.close()
        await writer.wait_closed()


async def test_stop_closes_open_sessions() -> None:
    sandbox = SandboxImap()
    port = await sandbox.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reader.readuntil(b"\r\n")
    await sandbox.stop()
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    await writer.wait_closed()
    with pytest.raises(ImapError) as caught:
        await check_login(ImapSettings("127.0.0.1", port, "none", USER, PASSWORD), timeout_s=5)
    assert caught.value.kind is FailureKind.TRANSIENT


async def test_a_password_never_travels_in_plaintext_to_a_public_address() -> None:
    with pytest.raises(ImapError) as refused:
        await check_login(ImapSettings("1.1.1.1", 143, "none", USER, PASSWORD), timeout_s=5)
    assert refused.value.reason == "plaintext_refused" and "1.1.1.1" in refused.value.message
    assert refused.value.kind is FailureKind.DISCONNECTED and PASSWORD not in refused.value.message
