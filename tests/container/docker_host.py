"""The Docker engine the container test talks to: the running one, or a dockerd this test starts (and then
stops again; a daemon it did not start is never touched)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DOCKER = os.environ.get("DOCKER", "docker")


def docker(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([DOCKER, *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args[:3])} … failed ({result.returncode}): {result.stderr.strip()}")
    return result


def engine_answers() -> bool:
    try:
        return docker("version", "-f", "{{json .Server.Version}}", timeout=20, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@contextmanager
def engine(log_dir: Path) -> Iterator[str]:
    """Yields the engine's version. Starts `dockerd --iptables=false --bridge=none` (as DESIGN §5 found it
    working here) when none answers, and stops exactly that process at the end."""
    started: subprocess.Popen[bytes] | None = None
    if not engine_answers():
        dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
        assert os.path.exists(dockerd), "no Docker engine answers and dockerd is not installed (apt: docker.io)"
        assert os.geteuid() == 0, "no Docker engine answers and starting dockerd needs root"
        log_dir.mkdir(parents=True, exist_ok=True)
        with open(log_dir / "dockerd.log", "wb") as log:
            started = subprocess.Popen(
                [dockerd, "--iptables=false", "--bridge=none"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while not engine_answers():
            assert started.poll() is None, f"dockerd exited ({started.returncode}); see {log_dir / 'dockerd.log'}"
            assert time.monotonic() < deadline, "dockerd did not answer within 60 s"
            time.sleep(0.5)
    try:
        yield json.loads(docker("version", "-f", "{{json .Server.Version}}").stdout)
    finally:
        if started is not None:
            started.send_signal(signal.SIGTERM)
            try:
                started.wait(timeout=60)
            except subprocess.TimeoutExpired:
                started.kill()
                started.wait()
