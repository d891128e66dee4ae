"""The Unipile sandbox on an address the containers can reach (the test network's gateway), in a thread of the
test process. The prod overlay's Unipile DSN is an operator's value ("REPLACE with your Unipile DSN"); the test
puts this sandbox's address there, as an operator would put theirs, since accounts now reads an account from
Unipile before saving it (DESIGN A1, issue 13)."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from sandbox.unipile import create_app


@contextmanager
def unipile_sandbox(host: str, port: int, api_key: str, accounts: list[str]) -> Iterator[str]:
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(create_app(api_key))
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, host, port).start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="unipile-sandbox", daemon=True)
    thread.start()
    assert ready.wait(10), "the Unipile sandbox did not start"
    url = f"http://{host}:{port}"
    try:
        for account in accounts:
            request = urllib.request.Request(
                f"{url}/_sandbox/accounts",
                method="POST",
                data=json.dumps({"id": account, "name": account}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=5) as answer:
                assert answer.status == 201
        yield url
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
