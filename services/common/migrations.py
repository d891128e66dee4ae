"""Numbered plain-SQL migrations per service schema.

Files are `migrations/NNN_description.sql` inside the service package. They are applied in one
transaction under a transaction-scoped advisory lock keyed by the schema, so two processes migrating at
once serialize and the second finds nothing to do. A file that was already applied may not change: its
checksum is stored and compared.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class MigrationError(Exception):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(folder: Path) -> list[Migration]:
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file name must look like 001_name.sql: {path.name}")
        found.append(Migration(int(match[1]), path.name, path.read_text()))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migrations in {folder} must be numbered 1..n without gaps: {versions}")
    return found


def _lock_key(schema: str) -> int:
    # A stable signed 64-bit key per schema.
    return int.from_bytes(hashlib.sha256(f"holdfast.migrate.{schema}".encode()).digest()[:8], "big", signed=True)


async def _applied(conn: asyncpg.Connection, schema: str) -> dict[int, str]:
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{schema}.schema_migrations")
    if not exists:
        return {}
    rows = await conn.fetch(f"SELECT version, checksum FROM {schema}.schema_migrations")
    return {r["version"]: r["checksum"] for r in rows}


def _verify(applied: dict[int, str], migrations: list[Migration], schema: str) -> list[Migration]:
    known = {m.version: m for m in migrations}
    for version, checksum in applied.items():
        if version not in known:
            raise MigrationError(
                f"schema {schema} has migration {version} that this code does not know; "
                "is an older version of the service running against a newer database?"
            )
        if known[version].checksum != checksum:
            raise MigrationError(
                f"migration {known[version].name} of schema {schema} changed after it was "
                "applied; add a new migration instead"
            )
    return [m for m in migrations if m.version not in applied]


async def migrate(conn: asyncpg.Connection, schema: str, folder: Path) -> list[str]:
    """Apply pending migrations; returns the names applied (empty when up to date)."""
    if not re.fullmatch(r"[a-z_]+", schema):
        raise MigrationError(f"bad schema name {schema!r}")
    migrations = discover(folder)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_key(schema))
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        await conn.execute(
            f"""CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        pending = _verify(await _applied(conn, schema), migrations, schema)
        for migration in pending:
            await conn.execute(migration.sql)
            await conn.execute(
                f"INSERT INTO {schema}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                migration.checksum,
            )
    return [m.name for m in pending]


async def check(conn: asyncpg.Connection, schema: str, folder: Path) -> None:
    """Refuse to start against a schema that is not exactly at this code's version."""
    pending = _verify(await _applied(conn, schema), discover(folder), schema)
    if pending:
        raise MigrationError(
            f"schema {schema} lacks {len(pending)} migration(s) starting with {pending[0].name}; "
            f"run `python -m services.{schema} migrate` first"
        )
