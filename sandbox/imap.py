"""A real IMAP server for tests and local runs: the sandbox of an inbox's incoming mail server.

A small IMAP4rev1 server (RFC 3501) on asyncio streams, enough for the login check behind inbox health and
reconnect (DESIGN A4): CAPABILITY, NOOP, LOGOUT, LOGIN (plain text, no TLS here), SELECT and EXAMINE of an
always empty INBOX, CLOSE. Arguments are atoms, quoted strings or synchronizing literals, as clients send
them; a command in the wrong state answers BAD, an unknown one BAD, a refused login
`NO [AUTHENTICATIONFAILED]`. Tests steer it: change a password (later logins with the old one are refused;
sessions already logged in stay logged in), read the login attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from dataclasses import dataclass

SERVER_NAME = "imap.sandbox.invalid"
CAPABILITIES = "IMAP4rev1"
# Longest command line and literal accepted: an attacker cannot make the sandbox buffer without bound.
_MAX_LINE = 8192
_MAX_LITERAL = 8192
_FLAGS = r"(\Answered \Flagged \Deleted \Seen \Draft)"


class _ProtocolError(Exception):
    """A malformed command: answered BAD (with the tag when it was read)."""


@dataclass(frozen=True)
class LoginAttempt:
    user: str
    accepted: bool


class SandboxImap:
    """One IMAP server with an empty INBOX for every user."""

    def __init__(self) -> None:
        self._passwords: dict[str, str] = {}
        self._attempts: list[LoginAttempt] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on host:port (0: any free port) and return the bound port."""
        if self._server is not None:
            raise RuntimeError("the IMAP sandbox is already running")
        self._server = await asyncio.start_server(self._serve, host, port, limit=_MAX_LINE * 2)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening, drop open connections and wait until their handlers have ended."""
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    def set_password(self, username: str, password: str) -> None:
        """Create the user or change its password; sessions already logged in stay logged in."""
        self._passwords[username] = password

    @property
    def login_attempts(self) -> list[LoginAttempt]:
        """Every LOGIN so far, oldest first (a copy)."""
        return list(self._attempts)

    def clear(self) -> None:
        """Forget the login attempts; users and passwords stay."""
        self._attempts.clear()

    def _check(self, user: str, password: str) -> bool:
        expected = self._passwords.get(user)
        accepted = expected is not None and hmac.compare_digest(password.encode(), expected.encode())
        self._attempts.append(LoginAttempt(user, accepted))
        return accepted

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            await _Session(self, reader, writer).run()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # the client went away or sent an endless line: nothing to answer
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


class _Session:
    """One connection: the not-authenticated, authenticated and selected states of RFC 3501."""

    def __init__(self, sandbox: SandboxImap, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._sandbox = sandbox
        self._reader = reader
        self._writer = writer
        self._user: str | None = None
        self._selected: str | None = None

    async def _send(self, line: str) -> None:
        self._writer.write(line.encode("utf-8") + b"\r\n")
        await self._writer.drain()

    async def run(self) -> None:
        await self._send(f"* OK [CAPABILITY {CAPABILITIES}] {SERVER_NAME} Holdfast IMAP sandbox ready")
        while True:
            line = await self._reader.readuntil(b"\r\n")
            if len(line) > _MAX_LINE:
                raise ValueError("line too long")
            tag = "*"
            try:
                tag, command, rest = _split_command(line)
                args = await self._arguments(rest)
                if not await self._dispatch(tag, command.upper(), args):
                    return
            except _ProtocolError as exc:
                await self._send(f"{tag} BAD {exc}")

    async def _arguments(self, rest: bytes) -> list[str]:
        """Parse the arguments, reading synchronizing literals ({n}) from the stream as the client sends them."""
        args: list[str] = []
        while True:
            parsed, literal = _parse_arguments(rest)
            args.extend(parsed)
            if literal is None:
                return args
            if literal > _MAX_LITERAL:
                raise _ProtocolError("literal too long")
            await self._send("+ Ready for literal data")
            data = await self._reader.readexactly(literal)
            args.append(data.decode("utf-8", "replace"))
            rest = await self._reader.readuntil(b"\r\n")
            if len(rest) > _MAX_LINE:
                raise ValueError("line too long")

    async def _dispatch(self, tag: str, command: str, args: list[str]) -> bool:
        """Answer one command; False once the connection must close."""
        if command == "CAPABILITY":
            _arity(args, 0)
            await self._send(f"* CAPABILITY {CAPABILITIES}")
            await self._send(f"{tag} OK CAPABILITY completed")
        elif command == "NOOP":
            _arity(args, 0)
            await self._send(f"{tag} OK NOOP completed")
        elif command == "LOGOUT":
            _arity(args, 0)
            await self._send("* BYE Logging out")
            await self._send(f"{tag} OK LOGOUT completed")
            return False
        elif command == "LOGIN":
            _arity(args, 2)
            if self._user is not None:
                raise _ProtocolError("already logged in")
            if self._sandbox._check(args[0], args[1]):
                self._user = args[0]
                await self._send(f"{tag} OK [CAPABILITY {CAPABILITIES}] Logged in")
            else:
                await self._send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
        elif command in ("SELECT", "EXAMINE"):
            _arity(args, 1)
            if self._user is None:
                raise _ProtocolError(f"{command} is valid only after LOGIN")
            if args[0].upper() != "INBOX":
                self._selected = None
                await self._send(f"{tag} NO [NONEXISTENT] Mailbox does not exist")
                return True
            self._selected = "INBOX"
            writable = command == "SELECT"
            await self._send(f"* FLAGS {_FLAGS}")
            await self._send("* 0 EXISTS")
            await self._send("* 0 RECENT")
            await self._send("* OK [UIDVALIDITY 1] UIDs valid")
            await self._send("* OK [UIDNEXT 1] Predicted next UID")
            await self._send(
                f"* OK [PERMANENTFLAGS {_FLAGS[:-1]} \\*)] Limited"
                if writable
                else "* OK [PERMANENTFLAGS ()] Read-only mailbox"
            )
            await self._send(f"{tag} OK [{'READ-WRITE' if writable else 'READ-ONLY'}] {command} completed")
        elif command == "CLOSE":
            _arity(args, 0)
            if self._selected is None:
                raise _ProtocolError("CLOSE is valid only with a mailbox selected")
            self._selected = None
            await self._send(f"{tag} OK CLOSE completed")
        else:
            raise _ProtocolError(f"unknown command {command[:40]}")
        return True


def _arity(args: list[str], count: int) -> None:
    if len(args) != count:
        raise _ProtocolError(f"expected {count} argument(s), got {len(args)}")


def _split_command(line: bytes) -> tuple[str, str, bytes]:
    """tag SP command [SP arguments] CRLF."""
    body = line[:-2]
    parts = body.split(b" ", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise _ProtocolError("expected: tag command [arguments]")
    tag = parts[0].decode("ascii", "replace")
    if any(c in tag for c in '(){%*"\\+') or not tag.isprintable():
        raise _ProtocolError("invalid tag")
    return tag, parts[1].decode("ascii", "replace"), (parts[2] + b"\r\n") if len(parts) > 2 else b"\r\n"


def _parse_arguments(rest: bytes) -> tuple[list[str], int | None]:
    """Atoms and quoted strings up to CRLF; a line ending in a literal announcement {n} returns n as well."""
    text = rest[:-2] if rest.endswith(b"\r\n") else rest
    args: list[str] = []
    i = 0
    while i < len(text):
        c = text[i : i + 1]
        if c == b" ":
            i += 1
            continue
        if c == b'"':
            value = bytearray()
            i += 1
            while True:
                if i >= len(text):
                    raise _ProtocolError("unterminated quoted string")
                ch = text[i : i + 1]
                if ch == b"\\":
                    if i + 1 >= len(text) or text[i + 1 : i + 2] not in (b"\\", b'"'):
                        raise _ProtocolError("invalid escape in quoted string")
                    value += text[i + 1 : i + 2]
                    i += 2
                elif ch == b'"':
                    i += 1
                    break
                else:
                    value += ch
                    i += 1
            args.append(value.decode("utf-8", "replace"))
            continue
        if c == b"{":
            end = text.find(b"}", i)
            if end != len(text) - 1:
                raise _ProtocolError("a literal must end the line")
            size = text[i + 1 : end]
            if not size.isdigit():
                raise _ProtocolError("invalid literal size")
            return args, int(size)
        end = text.find(b" ", i)
        end = len(text) if end < 0 else end
        atom = text[i:end]
        if any(ch in atom for ch in b'(){"\\') or any(ch < 0x21 or ch > 0x7E for ch in atom):
            raise _ProtocolError("invalid atom")
        args.append(atom.decode("ascii"))
        i = end
    return args, None
