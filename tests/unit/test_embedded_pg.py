"""A throwaway embedded PostgreSQL leaves no folder behind (make test must leave the clone as it found it)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from services.common import embedded_pg

SCRIPT = textwrap.dedent("""
    from services.common import embedded_pg
    server, dsn = embedded_pg.start_throwaway()
    print(server.pgdata.parent)
    server.cleanup()
""")


def test_a_throwaway_server_leaves_no_folder_after_its_process_exits() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, cwd=embedded_pg.ROOT
    )
    assert done.returncode == 0, done.stderr
    folder = embedded_pg.ROOT / done.stdout.strip().splitlines()[-1]
    assert folder.name.startswith("pg-") and folder.parent == embedded_pg.ROOT / ".holdfast" / "tmp"
    assert not folder.exists(), f"{folder} left behind"


def test_a_throwaway_server_never_cleaned_up_by_hand_still_leaves_no_folder() -> None:
    script = SCRIPT.replace("server.cleanup()\n", "")
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=embedded_pg.ROOT
    )
    assert done.returncode == 0, done.stderr
    folder = embedded_pg.ROOT / done.stdout.strip().splitlines()[-1]
    assert not folder.exists(), f"{folder} left behind"
