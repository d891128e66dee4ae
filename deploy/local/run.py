"""The local runner behind `make run`: one command starts the whole suite on this machine.

It uses DATABASE_URL when set, else an embedded PostgreSQL whose data is kept under .holdfast/pgdata
between runs; applies every schema's migrations; starts accounts, campaigns, scheduler and gateway as
child processes; waits until the gateway's /readyz answers 200 and prints the URL. Ctrl-C or SIGTERM
stops the services gracefully, then the database, and leaves no process behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.common import embedded_pg  # noqa: E402

SERVICES = {"accounts": 50051, "campaigns": 50052, "scheduler": 50053}
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


def main() -> int:
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    env = dict(os.environ)
    database = None
    if not env.get("DATABASE_URL"):
        pgdata = Path(env.get("HOLDFAST_LOCAL_DATA") or ROOT / ".holdfast") / "pgdata"
        database, dsn = embedded_pg.start(pgdata, keep=True)
        env["DATABASE_URL"] = dsn
        print(f"holdfast: embedded PostgreSQL with data in {pgdata}", flush=True)
    else:
        print("holdfast: using DATABASE_URL", flush=True)

    http_port = env.get("HOLDFAST_HTTP_PORT", "8080")
    http_host = env.get("HOLDFAST_HTTP_HOST", "127.0.0.1")
    children: list[subprocess.Popen[bytes]] = []
    try:
        for name in SERVICES:
            if subprocess.run([sys.executable, "-m", f"services.{name}", "migrate"], cwd=ROOT, env=env).returncode:
                raise SystemExit(f"migrating {name} failed")
        for name, port in SERVICES.items():
            child_env = {**env, "HOLDFAST_GRPC_LISTEN": env.get(f"HOLDFAST_{name.upper()}_LISTEN",
                                                                 f"127.0.0.1:{port}")}
            children.append(_spawn(["-m", f"services.{name}"], child_env))
        gateway_env = {**env, **{f"HOLDFAST_{n.upper()}_TARGET": env.get(f"HOLDFAST_{n.upper()}_LISTEN",
                                                                         f"127.0.0.1:{p}")
                                 for n, p in SERVICES.items()}}
        children.append(_spawn(["-m", "services.gateway"], gateway_env))
        base = f"http://{http_host}:{http_port}"
        _wait_ready(f"{base}/readyz", children, timeout=60)
        print(f"\nholdfast: ready at {base}  (API under {base}/api/v1, Ctrl-C to stop)\n", flush=True)
        while not stopping:
            if any(child.poll() is not None for child in children):
                print("holdfast: a service stopped unexpectedly; stopping the rest", file=sys.stderr, flush=True)
                return 1
            time.sleep(0.3)
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if database is not None:
            database.cleanup()  # type: ignore[attr-defined]
        print("holdfast: stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
