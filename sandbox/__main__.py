"""`python -m sandbox`: the third-party fakes as one local process, for `make run` and end-to-end tests.

Serves the Unipile fake (HTTP, `sandbox.unipile`), the SMTP server (`sandbox.smtp`), the IMAP server
(`sandbox.imap`, same login as SMTP) and the Google and Microsoft OAuth authorization servers (`sandbox.oauth`,
whose access tokens the SMTP and IMAP servers accept with XOAUTH2) on 127.0.0.1, logs one line with every address once
all listen, and on SIGTERM or SIGINT stops them all and exits 0. Exit 1 when a port cannot be bound, 2 on bad
settings.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from contextlib import AsyncExitStack

import structlog
from aiohttp import web

from sandbox import oauth
from sandbox.imap import SandboxImap
from sandbox.smtp import SandboxSmtp
from sandbox.unipile import create_app
from services.common import config
from services.common import logging as holdfast_logging

HOST = "127.0.0.1"
DEFAULT_IMAP_PORT = 1143
DEFAULT_OAUTH_PORTS = {"google": 8091, "microsoft": 8092}
log = structlog.get_logger("sandbox")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Serve the Unipile fake and the SMTP and IMAP sandboxes on 127.0.0.1.",
    )
    parser.add_argument("--unipile-port", type=int, default=8090, help="port of the Unipile fake (0: any free port)")
    parser.add_argument("--smtp-port", type=int, default=2525, help="port of the SMTP server (0: any free port)")
    parser.add_argument(
        "--imap-port",
        type=int,
        default=None,
        help=f"port of the IMAP server (0: any free port; default {DEFAULT_IMAP_PORT}, or a free one if taken)",
    )
    parser.add_argument("--api-key", default="sandbox-key", help="X-API-KEY the Unipile fake accepts")
    parser.add_argument("--smtp-user", default="sandbox", help="login the SMTP and IMAP servers accept")
    parser.add_argument("--smtp-password", default="sandbox", help="password of that login")
    parser.add_argument(
        "--print-mail-from",
        default="",
        help="print each message from this address (Holdfast's own mail: invitations, sign-in and "
        "reset links) to the log, so its link can be followed",
    )
    for flavor, default_port in DEFAULT_OAUTH_PORTS.items():
        parser.add_argument(
            f"--{flavor}-oauth-port",
            type=int,
            default=None,
            help=f"port of the fake {flavor.title()} OAuth server (0: any free port; default {default_port}, "
            "or a free one if taken)",
        )
        parser.add_argument(
            f"--{flavor}-client-id", default=f"sandbox-{flavor}-client", help="OAuth client id that server accepts"
        )
        parser.add_argument(
            f"--{flavor}-client-secret", default=f"sandbox-{flavor}-secret", help="client secret of that client"
        )
    return parser.parse_args(argv)


async def _serve_http(stack: AsyncExitStack, app: web.Application, port: int) -> int:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    await web.TCPSite(runner, HOST, port).start()
    return int(runner.addresses[0][1])


async def _serve_oauth(stack: AsyncExitStack, args: argparse.Namespace, flavor: str) -> tuple[str, oauth.OAuthState]:
    """One fake OAuth server; returns its base URL and its state (for the SMTP server to trust its tokens)."""
    client = getattr(args, f"{flavor}_client_id"), getattr(args, f"{flavor}_client_secret")
    app = oauth.create_app(flavor, *client)
    port = getattr(args, f"{flavor}_oauth_port")
    try:
        port = await _serve_http(stack, app, DEFAULT_OAUTH_PORTS[flavor] if port is None else port)
    except OSError:
        if port is not None:
            raise
        # Like IMAP: callers that came before these servers name no port for them; another one is as good.
        log.warning("default OAuth port taken; using a free one", flavor=flavor, port=DEFAULT_OAUTH_PORTS[flavor])
        app = oauth.create_app(flavor, *client)
        port = await _serve_http(stack, app, 0)
    return f"http://{HOST}:{port}", app[oauth.STATE]


async def _serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncExitStack() as stack:
        unipile_port = await _serve_http(stack, create_app(args.api_key), args.unipile_port)

        smtp = SandboxSmtp()
        smtp.set_password(args.smtp_user, args.smtp_password)
        if args.print_mail_from:
            shown = args.print_mail_from.lower()
            smtp.on_message = lambda m: (
                log.info("sandbox mail", to=list(m.rcpt_tos), subject=m.subject, body=m.body)
                if m.mail_from.lower() == shown
                else None
            )
        smtp_port = await smtp.start(HOST, args.smtp_port)
        stack.push_async_callback(smtp.stop)

        imap = SandboxImap()
        imap.set_password(args.smtp_user, args.smtp_password)
        if args.imap_port is not None:
            imap_port = await imap.start(HOST, args.imap_port)
        else:
            # The IMAP server came after the callers that name every port (tests, the make run runner): when the
            # default is taken, another one is as good, and the line below says which.
            try:
                imap_port = await imap.start(HOST, DEFAULT_IMAP_PORT)
            except OSError:
                log.warning("default IMAP port taken; using a free one", port=DEFAULT_IMAP_PORT)
                imap_port = await imap.start(HOST, 0)
        stack.push_async_callback(imap.stop)

        google_url, google = await _serve_oauth(stack, args, "google")
        microsoft_url, microsoft = await _serve_oauth(stack, args, "microsoft")
        smtp.trust_oauth(google, microsoft)
        imap.trust_oauth(google, microsoft)

        log.info(
            "sandbox serving",
            unipile_url=f"http://{HOST}:{unipile_port}",
            smtp_address=f"{HOST}:{smtp_port}",
            imap_address=f"{HOST}:{imap_port}",
            google_oauth_url=google_url,
            microsoft_oauth_url=microsoft_url,
            smtp_user=args.smtp_user,
            google_client_id=args.google_client_id,
            microsoft_client_id=args.microsoft_client_id,
        )
        await stop.wait()
        log.info("sandbox stopping")
    log.info("stopped")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        settings = config.load(config.CommonSettings)
    except config.ConfigError as exc:
        print(f"holdfast sandbox: {exc}", file=sys.stderr)
        return 2
    holdfast_logging.configure("sandbox", level=settings.log_level, fmt=settings.log_format)
    # aiosmtpd logs every command at info and warns on each AUTH about an attribute it sets itself.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    try:
        asyncio.run(_serve(args))
    except OSError as exc:
        log.error("start-up failed", error=str(exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
