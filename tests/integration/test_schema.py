"""Schema rules enforced by PostgreSQL itself, and the migration runner."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import pytest

from services.common.migrations import MigrationError, check, migrate
from tests.conftest import suite_env

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = {name: ROOT / "services" / name / "migrations" for name in ("accounts", "campaigns", "scheduler")}


async def migrated(dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    for schema, folder in SCHEMAS.items():
        await migrate(conn, schema, folder)
    return conn


INSERT = """INSERT INTO campaigns.campaigns (workspace_id, name, status, paused_reason, schedule_days, window_start,
            window_end, timezone, created_at, updated_at)
            VALUES (gen_random_uuid(), 'c', $1, $2, '{mon}', '09:00', '17:00', 'UTC', now(), now())"""


async def test_a_paused_campaign_without_a_reason_cannot_be_written(fresh_dsn):
    conn = await migrated(fresh_dsn)
    try:
        with pytest.raises(asyncpg.CheckViolationError, match="paused_iff_reason"):
            await conn.execute(INSERT, "paused", None)
        with pytest.raises(asyncpg.CheckViolationError, match="paused_iff_reason"):
            await conn.execute(INSERT, "active", "manual")
        await conn.execute(INSERT, "paused", "manual")
        with pytest.raises(asyncpg.CheckViolationError, match="paused_iff_reason"):
            await conn.execute("UPDATE campaigns.campaigns SET paused_reason = NULL")
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM campaigns.campaigns WHERE status = 'paused' AND paused_reason IS NULL"
            )
            == 0
        )
    finally:
        await conn.close()


@pytest.mark.parametrize("reason", ["holiday", "MANUAL", ""])
async def test_only_known_reasons_can_be_stored(fresh_dsn, reason):
    conn = await migrated(fresh_dsn)
    try:
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(INSERT, "paused", reason)
    finally:
        await conn.close()


async def test_migrations_are_idempotent(fresh_dsn):
    conn = await asyncpg.connect(fresh_dsn)
    try:
        first = {s: await migrate(conn, s, f) for s, f in SCHEMAS.items()}
        second = {s: await migrate(conn, s, f) for s, f in SCHEMAS.items()}
        for schema, folder in SCHEMAS.items():
            await check(conn, schema, folder)
    finally:
        await conn.close()
    assert all(first.values()), first
    assert second == {s: [] for s in SCHEMAS}


async def test_two_processes_migrating_at_once_apply_each_migration_once(fresh_dsn):
    env = {**os.environ, **suite_env(fresh_dsn), "HOLDFAST_LOG_FORMAT": "json"}

    async def run(schema: str) -> tuple[int, bytes]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            f"services.{schema}",
            "migrate",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        return proc.returncode, out

    for schema in SCHEMAS:
        results = await asyncio.gather(run(schema), run(schema), run(schema))
        assert [code for code, _ in results] == [0, 0, 0], results
    conn = await asyncpg.connect(fresh_dsn)
    try:
        for schema, folder in SCHEMAS.items():
            rows = await conn.fetch(f"SELECT version FROM {schema}.schema_migrations ORDER BY version")
            assert [r["version"] for r in rows] == list(range(1, len(list(folder.glob("*.sql"))) + 1))
    finally:
        await conn.close()


async def test_an_edited_migration_is_refused(fresh_dsn, tmp_path):
    (tmp_path / "001_first.sql").write_text("CREATE TABLE demo.t (id int);")
    conn = await asyncpg.connect(fresh_dsn)
    try:
        assert await migrate(conn, "demo", tmp_path) == ["001_first.sql"]
        (tmp_path / "001_first.sql").write_text("CREATE TABLE demo.t (id bigint);")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, "demo", tmp_path)
    finally:
        await conn.close()


async def test_check_refuses_a_schema_behind_the_code(fresh_dsn, tmp_path):
    (tmp_path / "001_first.sql").write_text("CREATE TABLE demo.t (id int);")
    conn = await asyncpg.connect(fresh_dsn)
    try:
        await migrate(conn, "demo", tmp_path)
        (tmp_path / "002_second.sql").write_text("ALTER TABLE demo.t ADD COLUMN name text;")
        with pytest.raises(MigrationError, match="lacks 1 migration"):
            await check(conn, "demo", tmp_path)
        assert await migrate(conn, "demo", tmp_path) == ["002_second.sql"]
        await check(conn, "demo", tmp_path)
    finally:
        await conn.close()


async def test_a_failing_migration_applies_nothing(fresh_dsn, tmp_path):
    (tmp_path / "001_first.sql").write_text("CREATE TABLE demo.t (id int);")
    (tmp_path / "002_broken.sql").write_text("ALTER TABLE demo.nope ADD COLUMN x int;")
    conn = await asyncpg.connect(fresh_dsn)
    try:
        with pytest.raises(asyncpg.UndefinedTableError):
            await migrate(conn, "demo", tmp_path)
        assert await conn.fetchval("SELECT to_regclass('demo.t')") is None
    finally:
        await conn.close()


def test_migration_files_must_be_numbered_without_gaps(tmp_path):
    from services.common.migrations import discover

    (tmp_path / "001_a.sql").write_text("")
    (tmp_path / "003_c.sql").write_text("")
    with pytest.raises(MigrationError, match="without gaps"):
        discover(tmp_path)
