"""Migration 016 (one inbox poll): where the bounce and reply cursors read the same mailbox, the shared cursor starts
from the lower of the two, so no reply is lost when the reply cursor was behind; the reply cursor's columns go."""

from __future__ import annotations

import shutil
from pathlib import Path

import asyncpg

from services.common.migrations import migrate

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "accounts" / "migrations"


async def test_the_shared_cursor_starts_from_the_lower_of_the_two(fresh_dsn: str, tmp_path: Path) -> None:
    before = tmp_path / "migrations"
    before.mkdir()
    for path in MIGRATIONS.glob("*.sql"):
        if path.name < "016":
            shutil.copy(path, before / path.name)
    conn = await asyncpg.connect(fresh_dsn)
    try:
        await migrate(conn, "accounts", before)
        workspace = await conn.fetchval(
            "INSERT INTO accounts.workspaces (name, created_at, subscription_since)"
            " VALUES ('w', now(), now()) RETURNING id"
        )
        token = b"\x01" + b"x" * 40  # shaped like ciphertext
        cursors = {
            "behind": (7, 120, 7, 100),
            "ahead": (7, 90, 7, 130),
            "renumbered": (7, 50, 8, 10),
            "never read for replies": (7, 60, None, 0),
        }
        ids = {}
        for name, (bounce_validity, bounce_uid, reply_validity, reply_uid) in cursors.items():
            ids[name] = await conn.fetchval(
                """INSERT INTO accounts.inboxes (workspace_id, email, auth_kind, oauth_refresh_token, status_since,
                       created_at, bounce_uidvalidity, bounce_last_uid, reply_uidvalidity, reply_last_uid)
                   VALUES ($1, $2, 'google_oauth', $3, now(), now(), $4, $5, $6, $7) RETURNING id""",
                workspace,
                f"{name.replace(' ', '-')}@acme.example",
                token,
                bounce_validity,
                bounce_uid,
                reply_validity,
                reply_uid,
            )
        assert (await migrate(conn, "accounts", MIGRATIONS))[0] == "016_one_inbox_poll.sql"
        got = {
            name: await conn.fetchval("SELECT bounce_last_uid FROM accounts.inboxes WHERE id = $1", ids[name])
            for name in cursors
        }
        assert got == {"behind": 100, "ahead": 90, "renumbered": 50, "never read for replies": 60}
        columns = {
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'accounts'"
                " AND table_name = 'inboxes'"
            )
        }
        assert not {c for c in columns if "reply" in c}, columns
    finally:
        await conn.close()
