"""Senders (LinkedIn accounts and email inboxes) and their sending limits, through the real gateway, the
accounts service and PostgreSQL; encrypted passwords (DESIGN A5); sender state for the scheduler carried by
the accounts outbox (checked against a private accounts server whose scheduler is a fake we control, so
the checks never race the real scheduler's delivery)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import asyncpg
import grpc
import pytest

from holdfast.accounts.v1 import accounts_pb2, accounts_pb2_grpc
from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from services.accounts import main as accounts_main
from services.accounts.config import Settings as AccountsSettings
from services.accounts.domain import ServerLogin
from services.accounts.repository import Repository
from services.accounts.service import AccountsService
from services.common import config, errors
from services.common.clock import SystemClock
from services.common.crypto import Keyring, key_id_of
from services.common.db import create_pool
from services.common.grpc_client import open_channel
from services.gateway.routes import ROUTES
from tests.conftest import TEST_SECRET_KEYS, create_database, suite_env

LIMIT_FIELDS = ("daily_cap", "weekly_cap", "ramp_start", "ramp_step", "pacing_min_seconds", "pacing_max_seconds")


def limit(daily: int, weekly: int, ramp_start: int, ramp_step: int, pacing_min: int, pacing_max: int) -> dict:
    return dict(zip(LIMIT_FIELDS, (daily, weekly, ramp_start, ramp_step, pacing_min, pacing_max), strict=True))


# DESIGN S5-S7 defaults, written out here so that a changed default fails a test.
LINKEDIN_DEFAULTS = {
    "linkedin_invite": limit(80, 200, 10, 5, 120, 300),
    "linkedin_message": limit(100, 500, 20, 10, 120, 300),
    "linkedin_inmail": limit(25, 100, 5, 5, 120, 300),
}
INBOX_DEFAULTS = {"email": limit(50, 300, 10, 5, 60, 180)}
ACTION_PB = {
    "linkedin_invite": types_pb2.ACTION_TYPE_LINKEDIN_INVITE,
    "linkedin_message": types_pb2.ACTION_TYPE_LINKEDIN_MESSAGE,
    "linkedin_inmail": types_pb2.ACTION_TYPE_LINKEDIN_INMAIL,
    "email": types_pb2.ACTION_TYPE_EMAIL,
}


def linkedin_body(**overrides: Any) -> dict:
    body = {"unipile_account_id": f"upa_{uuid.uuid4().hex}", "name": "Jane's LinkedIn", "timezone": "Europe/Paris"}
    body.update(overrides)
    return body


def server(kind: str, password: str, **overrides: Any) -> dict:
    body = {
        "host": f"{kind}.acme.example",
        "port": 465 if kind == "smtp" else 993,
        "security": "ssl",
        "username": "jane@acme.example",
        "password": password,
    }
    body.update(overrides)
    return body


def inbox_body(**overrides: Any) -> dict:
    body = {
        "email": f"jane.{uuid.uuid4().hex[:8]}@acme.example",
        "display_name": "Jane Doe",
        "timezone": "America/New_York",
        "smtp": server("smtp", f"smtp-pw-{uuid.uuid4().hex}"),
        "imap": server("imap", f"imap-pw-{uuid.uuid4().hex}"),
    }
    body.update(overrides)
    return body


def passwords_in(body: dict) -> list[str]:
    return [
        s["password"]
        for s in (body.get("smtp"), body.get("imap"))
        if isinstance(s, dict) and isinstance(s.get("password"), str) and len(s["password"]) >= 3
    ]


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def assert_error(body: dict, code: str, field: str | None = None) -> None:
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    if field is not None:
        assert body["error"]["details"]["field"] == field, body


async def create(suite, auth, path: str, body: dict) -> dict:
    status, created = await suite.call("POST", path, auth, json=body)
    assert status == 201, created
    return created


async def db_fetchval(dsn: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


def test_sender_routes_are_in_the_gateway_route_table():
    paths = {(r.method, r.path) for r in ROUTES}
    assert {
        ("POST", "/api/v1/linkedin-accounts"),
        ("GET", "/api/v1/linkedin-accounts"),
        ("GET", "/api/v1/linkedin-accounts/{account_id}"),
        ("PUT", "/api/v1/linkedin-accounts/{account_id}/limits"),
        ("POST", "/api/v1/inboxes"),
        ("GET", "/api/v1/inboxes"),
        ("GET", "/api/v1/inboxes/{inbox_id}"),
        ("PUT", "/api/v1/inboxes/{inbox_id}/limits"),
    } <= paths
    assert all(
        r.tag == "senders" for r in ROUTES if r.path.startswith(("/api/v1/linkedin-accounts", "/api/v1/inboxes"))
    )


# Create, list, get


async def test_linkedin_account_create_list_get_with_defaults(suite):
    _, auth = await suite.new_workspace()
    body = linkedin_body()
    created = await create(suite, auth, "/api/v1/linkedin-accounts", body)
    uuid.UUID(created["id"])
    assert set(created) == {
        "id",
        "name",
        "unipile_account_id",
        "timezone",
        "status",
        "status_since",
        "status_detail",
        "restriction_kind",
        "restriction_verified",
        "history",
        "limits",
        "created_at",
    }
    assert (created["restriction_kind"], created["restriction_verified"], created["history"]) == (None, False, [])
    assert (created["name"], created["unipile_account_id"], created["timezone"]) == (
        body["name"],
        body["unipile_account_id"],
        "Europe/Paris",
    )
    assert created["status"] == "connected" and created["status_detail"] == ""
    assert created["status_since"] == created["created_at"]
    assert created["limits"] == LINKEDIN_DEFAULTS

    status, got = await suite.call("GET", f"/api/v1/linkedin-accounts/{created['id']}", auth)
    assert status == 200 and got == created
    second = await create(suite, auth, "/api/v1/linkedin-accounts", linkedin_body(name="Second", timezone="UTC"))
    status, listed = await suite.call("GET", "/api/v1/linkedin-accounts", auth)
    assert status == 200
    assert listed == {"linkedin_accounts": [created, second]}, "oldest first"


async def test_linkedin_account_timezone_defaults_to_utc_and_text_is_trimmed(suite):
    _, auth = await suite.new_workspace()
    body = linkedin_body(name="  Padded  ")
    del body["timezone"]
    created = await create(suite, auth, "/api/v1/linkedin-accounts", body)
    assert created["timezone"] == "UTC" and created["name"] == "Padded"


async def test_inbox_create_list_get_with_defaults(suite):
    _, auth = await suite.new_workspace()
    body = inbox_body(email="Jane.Doe@ACME.example", smtp=server("smtp", "pw-1", host="SMTP.Acme.Example"))
    del body["timezone"], body["display_name"]
    created = await create(suite, auth, "/api/v1/inboxes", body)
    uuid.UUID(created["id"])
    assert set(created) == {
        "id",
        "email",
        "display_name",
        "timezone",
        "auth_kind",
        "smtp",
        "imap",
        "status",
        "status_since",
        "status_detail",
        "limits",
        "created_at",
        "bounce_poll_error",
        "next_probe_at",
    }
    assert created["email"] == "jane.doe@acme.example", "addresses are stored lower-cased"
    assert (created["display_name"], created["timezone"], created["auth_kind"]) == ("", "UTC", "password")
    assert created["smtp"] == {
        "host": "smtp.acme.example",
        "port": 465,
        "security": "ssl",
        "username": "jane@acme.example",
    }
    assert created["imap"] == {
        "host": "imap.acme.example",
        "port": 993,
        "security": "ssl",
        "username": "jane@acme.example",
    }
    assert created["status"] == "connected"
    assert created["limits"] == INBOX_DEFAULTS

    status, got = await suite.call("GET", f"/api/v1/inboxes/{created['id']}", auth)
    assert status == 200 and got == created
    second = await create(suite, auth, "/api/v1/inboxes", inbox_body())
    assert second["display_name"] == "Jane Doe" and second["timezone"] == "America/New_York"
    status, listed = await suite.call("GET", "/api/v1/inboxes", auth)
    assert status == 200 and listed == {"inboxes": [created, second]}


# Limits


async def test_custom_limits_at_creation_fill_in_the_rest_with_defaults(suite):
    _, auth = await suite.new_workspace()
    invite = limit(40, 120, 4, 2, 0, 0)
    created = await create(
        suite,
        auth,
        "/api/v1/linkedin-accounts",
        linkedin_body(limits={"linkedin_invite": invite, "linkedin_inmail": None}),
    )
    assert created["limits"] == {**LINKEDIN_DEFAULTS, "linkedin_invite": invite}
    email = limit(20, 100, 20, 0, 30, 30)
    inbox = await create(suite, auth, "/api/v1/inboxes", inbox_body(limits={"email": email}))
    assert inbox["limits"] == {"email": email}
    _, got = await suite.call("GET", f"/api/v1/inboxes/{inbox['id']}", auth)
    assert got["limits"] == {"email": email}


async def test_put_limits_changes_only_the_action_types_given(suite):
    _, auth = await suite.new_workspace()
    invite = limit(40, 120, 4, 2, 60, 90)
    account = await create(suite, auth, "/api/v1/linkedin-accounts", linkedin_body(limits={"linkedin_invite": invite}))
    message = limit(60, 300, 60, 0, 200, 400)
    status, limits = await suite.call(
        "PUT", f"/api/v1/linkedin-accounts/{account['id']}/limits", auth, json={"linkedin_message": message}
    )
    assert status == 200, limits
    expected = {
        "linkedin_invite": invite,
        "linkedin_message": message,
        "linkedin_inmail": LINKEDIN_DEFAULTS["linkedin_inmail"],
    }
    assert limits == expected
    _, got = await suite.call("GET", f"/api/v1/linkedin-accounts/{account['id']}", auth)
    assert got["limits"] == expected
    assert {k: v for k, v in got.items() if k != "limits"} == {k: v for k, v in account.items() if k != "limits"}

    inmail = limit(10, 10, 1, 1, 0, 5)
    status, limits = await suite.call(
        "PUT",
        f"/api/v1/linkedin-accounts/{account['id']}/limits",
        auth,
        json={"linkedin_inmail": inmail, "linkedin_invite": LINKEDIN_DEFAULTS["linkedin_invite"]},
    )
    assert status == 200
    assert limits == {
        "linkedin_invite": LINKEDIN_DEFAULTS["linkedin_invite"],
        "linkedin_message": message,
        "linkedin_inmail": inmail,
    }

    inbox = await create(suite, auth, "/api/v1/inboxes", inbox_body())
    email = limit(5, 35, 1, 1, 600, 900)
    status, limits = await suite.call("PUT", f"/api/v1/inboxes/{inbox['id']}/limits", auth, json={"email": email})
    assert status == 200 and limits == {"email": email}
    _, got = await suite.call("GET", f"/api/v1/inboxes/{inbox['id']}", auth)
    assert got["limits"] == {"email": email}


BAD_LIMITS = [
    ("zero daily cap", {"daily_cap": 0}, "daily_cap"),
    ("negative daily cap", {"daily_cap": -5}, "daily_cap"),
    ("absurd daily cap", {"daily_cap": 100_000, "weekly_cap": 700_000}, "daily_cap"),
    ("weekly below daily", {"daily_cap": 50, "weekly_cap": 49}, "weekly_cap"),
    ("zero weekly cap", {"weekly_cap": 0}, "weekly_cap"),
    ("ramp start zero", {"ramp_start": 0}, "ramp_start"),
    ("ramp start above daily cap", {"daily_cap": 10, "ramp_start": 11}, "ramp_start"),
    ("negative ramp step", {"ramp_step": -1}, "ramp_step"),
    ("negative pacing", {"pacing_min_seconds": -1}, "pacing_min_seconds"),
    ("pacing max below min", {"pacing_min_seconds": 300, "pacing_max_seconds": 120}, "pacing_max_seconds"),
    ("pacing over a day", {"pacing_max_seconds": 86_401}, "pacing_max_seconds"),
    ("cap as a string", {"daily_cap": "80"}, "daily_cap"),
    # 80.0 is the integer 80 in JSON (and in the OpenAPI document's JSON Schema): accepted; a fraction is not.
    ("cap with a fraction", {"daily_cap": 80.5}, "daily_cap"),
    ("cap outside int32", {"daily_cap": 2**40}, "daily_cap"),
    ("unknown limit field", {"burst": 3}, "burst"),
]


async def counts(dsn: str) -> tuple[int, int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        return (
            await conn.fetchval("SELECT count(*) FROM accounts.linkedin_accounts"),
            await conn.fetchval("SELECT count(*) FROM accounts.inboxes"),
            await conn.fetchval("SELECT count(*) FROM accounts.sending_limits"),
        )
    finally:
        await conn.close()


async def test_a_whole_number_written_with_a_fraction_is_the_integer(suite):
    """JSON has one number type and JSON Schema counts 602.0 as an integer: the API takes it as 602."""
    _, auth = await suite.new_workspace()
    account = await create(suite, auth, "/api/v1/linkedin-accounts", linkedin_body())
    invite = limit(40, 120, 4, 2, 60, 90)
    written = {key: float(value) for key, value in invite.items()}
    status, limits = await suite.call(
        "PUT", f"/api/v1/linkedin-accounts/{account['id']}/limits", auth, json={"linkedin_invite": written}
    )
    assert status == 200, limits
    assert limits["linkedin_invite"] == invite


@pytest.mark.parametrize(("case", "change", "attr"), BAD_LIMITS, ids=[c[0] for c in BAD_LIMITS])
async def test_invalid_limits_name_the_field_and_write_nothing(suite, case, change, attr):
    _, auth = await suite.new_workspace()
    account = await create(suite, auth, "/api/v1/linkedin-accounts", linkedin_body())
    inbox = await create(suite, auth, "/api/v1/inboxes", inbox_body())
    before = await counts(suite.dsn)
    good = LINKEDIN_DEFAULTS["linkedin_invite"]
    bad = {**LINKEDIN_DEFAULTS["linkedin_inmail"], **change}
    # The bad limit is the second one given, so the field must name its action type, not its position.
    attempts = [
        (
            "POST",
            "/api/v1/linkedin-accounts",
            linkedin_body(limits={"linkedin_invite": good, "linkedin_inmail": bad}),
            f"limits.linkedin_inmail.{attr}",
        ),
        (
            "PUT",
            f"/api/v1/linkedin-accounts/{account['id']}/limits",
            {"linkedin_invite": good, "linkedin_inmail": bad},
            f"linkedin_inmail.{attr}",
        ),
        (
            "POST",
            "/api/v1/inboxes",
            inbox_body(limits={"email": {**INBOX_DEFAULTS["email"], **change}}),
            f"limits.email.{attr}",
        ),
        (
            "PUT",
            f"/api/v1/inboxes/{inbox['id']}/limits",
            {"email": {**INBOX_DEFAULTS["email"], **change}},
            f"email.{attr}",
        ),
    ]
    for method, path, body, field in attempts:
        status, answer = await suite.call(method, path, auth, json=body)
        assert status == 400, (method, path, answer)
        assert_error(answer, "invalid_argument", field)
        assert field in answer["error"]["message"] or attr in answer["error"]["message"], answer
    assert await counts(suite.dsn) == before
    _, got = await suite.call("GET", f"/api/v1/linkedin-accounts/{account['id']}", auth)
    assert got == account, "a refused change leaves the sender as it was"
    _, got = await suite.call("GET", f"/api/v1/inboxes/{inbox['id']}", auth)
    assert got == inbox


async def test_limits_of_the_wrong_channel_or_none_are_refused(suite):
    _, auth = await suite.new_workspace()
    account = await create(suite, auth, "/api/v1/linkedin-accounts", linkedin_body())
    inbox = await create(suite, auth, "/api/v1/inboxes", inbox_body())
    cases = [
        ("POST", "/api/v1/linkedin-accounts", linkedin_body(limits={"email": INBOX_DEFAULTS["email"]}), "limits.email"),
        ("PUT", f"/api/v1/linkedin-accounts/{account['id']}/limits", {"email": INBOX_DEFAULTS["email"]}, "email"),
        (
            "POST",
            "/api/v1/inboxes",
            inbox_body(limits={"linkedin_invite": LINKEDIN_DEFAULTS["linkedin_invite"]}),
            "limits.linkedin_invite",
        ),
        (
            "PUT",
            f"/api/v1/inboxes/{inbox['id']}/limits",
            {"linkedin_message": LINKEDIN_DEFAULTS["linkedin_message"]},
            "linkedin_message",
        ),
        ("PUT", f"/api/v1/linkedin-accounts/{account['id']}/limits", {}, "body"),
        ("PUT", f"/api/v1/inboxes/{inbox['id']}/limits", {"email": None}, "body"),
        ("PUT", f"/api/v1/inboxes/{inbox['id']}/limits", {"email": {"daily_cap": 10}}, "email.weekly_cap"),
    ]
    for method, path, body, field in cases:
        status, answer = await suite.call(method, path, auth, json=body)
        assert status == 400, (method, path, answer)
        assert_error(answer, "invalid_argument", field)
    _, got = await suite.call("GET", f"/api/v1/linkedin-accounts/{account['id']}", auth)
    assert got["limits"] == LINKEDIN_DEFAULTS
    _, listed = await suite.call("GET", "/api/v1/linkedin-accounts", auth)
    assert [a["id"] for a in listed["linkedin_accounts"]] == [account["id"]]


# Validation of the senders themselves


BAD_LINKEDIN = [
    ("unipile id empty", {"unipile_account_id": ""}, "unipile_account_id"),
    ("unipile id blank", {"unipile_account_id": "   "}, "unipile_account_id"),
    ("unipile id too long", {"unipile_account_id": "u" * 201}, "unipile_account_id"),
    ("unipile id missing", {"unipile_account_id": None}, "unipile_account_id"),
    ("unipile id wrong type", {"unipile_account_id": 42}, "unipile_account_id"),
    ("name empty", {"name": " "}, "name"),
    ("name too long", {"name": "n" * 101}, "name"),
    ("name missing", {"name": None}, "name"),
    ("unknown timezone", {"timezone": "Mars/Olympus"}, "timezone"),
    ("timezone folder", {"timezone": "America"}, "timezone"),
    ("timezone path", {"timezone": "../../etc/passwd"}, "timezone"),
    ("unknown field", {"colour": "blue"}, "colour"),
    ("limits not a map", {"limits": [1, 2]}, "limits"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), BAD_LINKEDIN, ids=[c[0] for c in BAD_LINKEDIN])
async def test_invalid_linkedin_account_is_400_naming_the_field_and_writes_nothing(suite, case, overrides, field):
    _, auth = await suite.new_workspace()
    before = await counts(suite.dsn)
    body = linkedin_body(**overrides)
    body = {k: v for k, v in body.items() if v is not None}
    status, answer = await suite.call("POST", "/api/v1/linkedin-accounts", auth, json=body)
    assert status == 400, answer
    assert_error(answer, "invalid_argument", field)
    assert await counts(suite.dsn) == before
    _, listed = await suite.call("GET", "/api/v1/linkedin-accounts", auth)
    assert listed == {"linkedin_accounts": []}


SMTP_SECRET = "Sup3r-Secret-SMTP-pw"
BAD_INBOXES = [
    ("email malformed", {"email": "not-an-email"}, "email"),
    ("email missing", {"email": None}, "email"),
    ("display name too long", {"display_name": "d" * 101}, "display_name"),
    ("unknown timezone", {"timezone": "Atlantis/Capital"}, "timezone"),
    ("smtp missing", {"smtp": None}, "smtp"),
    ("imap missing", {"imap": None}, "imap"),
    ("smtp host empty", {"smtp": server("smtp", SMTP_SECRET, host="")}, "smtp.host"),
    ("smtp host malformed", {"smtp": server("smtp", SMTP_SECRET, host="smtp host!")}, "smtp.host"),
    ("smtp port zero", {"smtp": server("smtp", SMTP_SECRET, port=0)}, "smtp.port"),
    ("smtp port too high", {"smtp": server("smtp", SMTP_SECRET, port=65536)}, "smtp.port"),
    ("smtp port a string", {"smtp": server("smtp", SMTP_SECRET, port="465")}, "smtp.port"),
    ("smtp security unknown", {"smtp": server("smtp", SMTP_SECRET, security="tls")}, "smtp.security"),
    ("smtp username empty", {"smtp": server("smtp", SMTP_SECRET, username=" ")}, "smtp.username"),
    ("smtp password empty", {"smtp": server("smtp", "")}, "smtp.password"),
    ("smtp password too long", {"smtp": server("smtp", "p" * 1025)}, "smtp.password"),
    ("smtp password wrong type", {"smtp": server("smtp", 123456)}, "smtp.password"),
    ("smtp unknown field", {"smtp": {**server("smtp", SMTP_SECRET), "oauth": True}}, "smtp.oauth"),
    ("imap port negative", {"imap": server("imap", SMTP_SECRET, port=-1)}, "imap.port"),
    ("imap security unknown", {"imap": server("imap", SMTP_SECRET, security="SSL")}, "imap.security"),
    (
        "imap password missing",
        {"imap": {k: v for k, v in server("imap", "x").items() if k != "password"}},
        "imap.password",
    ),
    (
        "imap username missing",
        {"imap": {k: v for k, v in server("imap", "x").items() if k != "username"}},
        "imap.username",
    ),
    ("auth kind is not settable here", {"auth_kind": "google_oauth"}, "auth_kind"),
    ("unknown field", {"signature": "--"}, "signature"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), BAD_INBOXES, ids=[c[0] for c in BAD_INBOXES])
async def test_invalid_inbox_is_400_naming_the_field_and_writes_nothing(suite, case, overrides, field):
    _, auth = await suite.new_workspace()
    before = await counts(suite.dsn)
    body = inbox_body(**overrides)
    body["smtp"] = body["smtp"] if "smtp" in overrides else server("smtp", SMTP_SECRET)
    body = {k: v for k, v in body.items() if v is not None}
    async with suite.http.post(f"{suite.base_url}/api/v1/inboxes", headers=auth, json=body) as r:
        status, raw = r.status, await r.text()
    assert status == 400, raw
    answer = json.loads(raw)
    assert_error(answer, "invalid_argument", field)
    for secret in passwords_in(body):
        assert secret not in raw, "an error never echoes a password"
    assert await counts(suite.dsn) == before
    _, listed = await suite.call("GET", "/api/v1/inboxes", auth)
    assert listed == {"inboxes": []}


# Duplicates


async def test_duplicate_unipile_account_is_409_in_any_workspace(suite):
    _, auth_a = await suite.new_workspace("A")
    _, auth_b = await suite.new_workspace("B")
    body = linkedin_body()
    await create(suite, auth_a, "/api/v1/linkedin-accounts", body)
    before = await counts(suite.dsn)
    for auth in (auth_a, auth_b):
        status, answer = await suite.call("POST", "/api/v1/linkedin-accounts", auth, json={**body, "name": "Again"})
        assert status == 409, answer
        assert_error(answer, "already_exists", "unipile_account_id")
    assert await counts(suite.dsn) == before
    _, listed = await suite.call("GET", "/api/v1/linkedin-accounts", auth_b)
    assert listed == {"linkedin_accounts": []}


async def test_duplicate_inbox_email_is_409_within_a_workspace_only(suite):
    _, auth_a = await suite.new_workspace("A")
    _, auth_b = await suite.new_workspace("B")
    body = inbox_body(email="sales@acme.example")
    first = await create(suite, auth_a, "/api/v1/inboxes", body)
    before = await counts(suite.dsn)
    status, answer = await suite.call("POST", "/api/v1/inboxes", auth_a, json={**body, "email": "Sales@ACME.example"})
    assert status == 409, answer
    assert_error(answer, "already_exists", "email")
    assert await counts(suite.dsn) == before
    _, listed = await suite.call("GET", "/api/v1/inboxes", auth_a)
    assert listed == {"inboxes": [first]}
    other = await create(suite, auth_b, "/api/v1/inboxes", body)
    assert other["email"] == "sales@acme.example" and other["id"] != first["id"]


# Workspace scoping


async def test_another_workspaces_senders_are_not_found_and_not_listed(suite):
    _, auth_a = await suite.new_workspace("A")
    _, auth_b = await suite.new_workspace("B")
    account = await create(suite, auth_a, "/api/v1/linkedin-accounts", linkedin_body())
    inbox = await create(suite, auth_a, "/api/v1/inboxes", inbox_body())
    mine_b = await create(suite, auth_b, "/api/v1/linkedin-accounts", linkedin_body())
    attempts = [
        ("GET", f"/api/v1/linkedin-accounts/{account['id']}", None),
        ("PUT", f"/api/v1/linkedin-accounts/{account['id']}/limits", {"linkedin_invite": limit(1, 1, 1, 0, 0, 0)}),
        ("GET", f"/api/v1/inboxes/{inbox['id']}", None),
        ("PUT", f"/api/v1/inboxes/{inbox['id']}/limits", {"email": limit(1, 1, 1, 0, 0, 0)}),
        # An id of the other kind is not found either.
        ("GET", f"/api/v1/inboxes/{mine_b['id']}", None),
        ("PUT", f"/api/v1/inboxes/{mine_b['id']}/limits", {"email": limit(1, 1, 1, 0, 0, 0)}),
    ]
    for method, path, body in attempts:
        status, answer = await suite.call(method, path, auth_b, json=body)
        assert status == 404, (method, path, answer)
        assert_error(answer, "not_found")
    _, listed = await suite.call("GET", "/api/v1/linkedin-accounts", auth_b)
    assert [a["id"] for a in listed["linkedin_accounts"]] == [mine_b["id"]]
    _, listed = await suite.call("GET", "/api/v1/inboxes", auth_b)
    assert listed == {"inboxes": []}
    _, got = await suite.call("GET", f"/api/v1/linkedin-accounts/{account['id']}", auth_a)
    assert got == account, "the other workspace's calls changed nothing"
    _, got = await suite.call("GET", f"/api/v1/inboxes/{inbox['id']}", auth_a)
    assert got == inbox


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/linkedin-accounts/{id}",
        "/api/v1/inboxes/{id}",
        "/api/v1/linkedin-accounts/{id}/limits",
        "/api/v1/inboxes/{id}/limits",
    ],
)
@pytest.mark.parametrize("sender_id", ["not-a-uuid", str(uuid.uuid4())])
async def test_unknown_sender_is_not_found(suite, path, sender_id):
    _, auth = await suite.new_workspace()
    if path.endswith("/limits"):
        body = {"email": limit(1, 1, 1, 0, 0, 0)} if "inboxes" in path else {"linkedin_invite": limit(1, 1, 1, 0, 0, 0)}
        status, answer = await suite.call("PUT", path.format(id=sender_id), auth, json=body)
    else:
        status, answer = await suite.call("GET", path.format(id=sender_id), auth)
    assert status == 404, answer
    assert_error(answer, "not_found")


@pytest.mark.parametrize("route", [r for r in ROUTES if r.tag == "senders"], ids=lambda r: f"{r.method} {r.path}")
async def test_sender_routes_refuse_without_a_token(suite, route):
    path = route.path.replace("{account_id}", str(uuid.uuid4())).replace("{inbox_id}", str(uuid.uuid4()))
    status, body = await suite.call(route.method, path, json={} if route.method in ("POST", "PUT") else None)
    assert status == 401, body
    assert_error(body, "unauthenticated")


# Secrets


async def test_passwords_never_appear_in_responses_and_are_encrypted_at_rest(suite):
    _, auth = await suite.new_workspace()
    smtp_pw, imap_pw = f"smtp-{uuid.uuid4().hex}", f"imap-{uuid.uuid4().hex}"
    body = inbox_body(smtp=server("smtp", smtp_pw), imap=server("imap", imap_pw))
    texts = []

    async def call(method: str, path: str, payload: Any = None) -> tuple[int, str]:
        async with suite.http.request(method, f"{suite.base_url}{path}", headers=auth, json=payload) as r:
            text = await r.text()
        texts.append(text)
        return r.status, text

    status, text = await call("POST", "/api/v1/inboxes", body)
    assert status == 201
    inbox_id = json.loads(text)["id"]
    assert (await call("GET", "/api/v1/inboxes"))[0] == 200
    assert (await call("GET", f"/api/v1/inboxes/{inbox_id}"))[0] == 200
    assert (await call("PUT", f"/api/v1/inboxes/{inbox_id}/limits", {"email": INBOX_DEFAULTS["email"]}))[0] == 200
    assert (await call("POST", "/api/v1/inboxes", body))[0] == 409
    assert (await call("POST", "/api/v1/inboxes", {**body, "email": "broken"}))[0] == 400
    for text in texts:
        assert smtp_pw not in text and imap_pw not in text
        assert "password" not in keys_in(json.loads(text))

    conn = await asyncpg.connect(suite.dsn)
    try:
        row = await conn.fetchrow(
            "SELECT smtp_password, imap_password FROM accounts.inboxes WHERE id = $1", uuid.UUID(inbox_id)
        )
        in_clear = await conn.fetchval(
            "SELECT count(*) FROM accounts.inboxes WHERE position($1::bytea in smtp_password) > 0"
            " OR position($2::bytea in imap_password) > 0 OR position($1::bytea in imap_password) > 0"
            " OR encode(smtp_password, 'escape') LIKE '%' || $3 || '%'",
            smtp_pw.encode(),
            imap_pw.encode(),
            smtp_pw[5:20],
        )
        anywhere = await conn.fetchval(
            "SELECT count(*) FROM accounts.inboxes i"
            " WHERE i::text LIKE '%' || $1 || '%' OR i::text LIKE '%' || $2 || '%'",
            smtp_pw,
            imap_pw,
        )
        outbox = await conn.fetchval(
            "SELECT count(*) FROM accounts.outbox WHERE position($1::bytea in payload) > 0", smtp_pw.encode()
        )
    finally:
        await conn.close()
    assert in_clear == 0 and anywhere == 0 and outbox == 0
    ring = Keyring.parse(TEST_SECRET_KEYS)
    assert key_id_of(row["smtp_password"]) == ring.active_key_id
    assert ring.decrypt(row["smtp_password"], context=f"inbox:{inbox_id}:smtp") == smtp_pw
    assert ring.decrypt(row["imap_password"], context=f"inbox:{inbox_id}:imap") == imap_pw


async def test_the_database_refuses_a_password_in_clear(suite):
    _, auth = await suite.new_workspace()
    inbox = await create(suite, auth, "/api/v1/inboxes", inbox_body())
    conn = await asyncpg.connect(suite.dsn)
    try:
        with pytest.raises(asyncpg.CheckViolationError, match="inboxes_smtp_password_encrypted"):
            await conn.execute(
                "UPDATE accounts.inboxes SET smtp_password = $2 WHERE id = $1",
                uuid.UUID(inbox["id"]),
                b"plain text password that is long enough",
            )
    finally:
        await conn.close()


def test_a_server_login_never_shows_its_password():
    login = ServerLogin("smtp.acme.example", 465, "ssl", "jane", "hunter2-secret")
    assert "hunter2-secret" not in repr(login) and "hunter2-secret" not in str(login)
    assert "hunter2-secret" not in repr(login.config())


async def test_get_sender_credentials_over_grpc(suite):
    workspace_id, auth = await suite.new_workspace()
    smtp_pw = f"smtp-{uuid.uuid4().hex}"
    inbox = await create(
        suite, auth, "/api/v1/inboxes", inbox_body(smtp=server("smtp", smtp_pw, port=587, security="starttls"))
    )
    account = await create(suite, auth, "/api/v1/linkedin-accounts", linkedin_body())
    async with open_channel(f"127.0.0.1:{suite.ports['accounts']}") as channel:
        stub = accounts_pb2_grpc.AccountsServiceStub(channel)
        got = await stub.GetSenderCredentials(
            accounts_pb2.GetSenderCredentialsRequest(sender_kind=types_pb2.SENDER_KIND_INBOX, sender_id=inbox["id"])
        )
        assert got.smtp == accounts_pb2.ServerSettings(
            host="smtp.acme.example", port=587, security="starttls", username="jane@acme.example", password=smtp_pw
        )
        assert (got.email, got.display_name, got.unipile_account_id) == (inbox["email"], "Jane Doe", "")

        got = await stub.GetSenderCredentials(
            accounts_pb2.GetSenderCredentialsRequest(
                sender_kind=types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT, sender_id=account["id"]
            )
        )
        assert got.unipile_account_id == account["unipile_account_id"] and not got.HasField("smtp")

        # Over gRPC too, a sender read never carries a password.
        read = await stub.GetInbox(accounts_pb2.GetInboxRequest(workspace_id=workspace_id, inbox_id=inbox["id"]))
        assert read.inbox.smtp.password == "" and read.inbox.imap.password == ""
        assert smtp_pw.encode() not in read.SerializeToString()

        with pytest.raises(errors.NotFound):
            await stub.GetSenderCredentials(
                accounts_pb2.GetSenderCredentialsRequest(
                    sender_kind=types_pb2.SENDER_KIND_INBOX, sender_id=account["id"]
                )
            )
        with pytest.raises(errors.NotFound):
            await stub.GetSenderCredentials(
                accounts_pb2.GetSenderCredentialsRequest(
                    sender_kind=types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT, sender_id=str(uuid.uuid4())
                )
            )
        with pytest.raises(errors.InvalidArgument) as exc:
            await stub.GetSenderCredentials(accounts_pb2.GetSenderCredentialsRequest(sender_id=inbox["id"]))
        assert exc.value.field == "sender_kind"


async def test_grpc_create_names_the_limit_by_its_position(suite):
    workspace_id, _ = await suite.new_workspace()
    async with open_channel(f"127.0.0.1:{suite.ports['accounts']}") as channel:
        stub = accounts_pb2_grpc.AccountsServiceStub(channel)
        good = types_pb2.SendingLimit(
            action_type=types_pb2.ACTION_TYPE_LINKEDIN_INVITE, **LINKEDIN_DEFAULTS["linkedin_invite"]
        )
        bad = types_pb2.SendingLimit(
            action_type=types_pb2.ACTION_TYPE_LINKEDIN_MESSAGE,
            **{**LINKEDIN_DEFAULTS["linkedin_message"], "weekly_cap": 1},
        )
        with pytest.raises(errors.InvalidArgument) as exc:
            await stub.CreateLinkedInAccount(
                accounts_pb2.CreateLinkedInAccountRequest(
                    workspace_id=workspace_id, unipile_account_id="u1", name="n", limits=[good, bad]
                )
            )
        assert exc.value.field == "limits.1.weekly_cap"
        unspecified = types_pb2.SendingLimit(**LINKEDIN_DEFAULTS["linkedin_invite"])
        for limits, field in (
            ([good, good], "limits.1.action_type"),
            ([unspecified], "limits.0.action_type"),
            (
                [types_pb2.SendingLimit(action_type=types_pb2.ACTION_TYPE_EMAIL, **INBOX_DEFAULTS["email"])],
                "limits.0.action_type",
            ),
        ):
            with pytest.raises(errors.InvalidArgument) as exc:
                await stub.CreateLinkedInAccount(
                    accounts_pb2.CreateLinkedInAccountRequest(
                        workspace_id=workspace_id, unipile_account_id="u1", name="n", limits=limits
                    )
                )
            assert exc.value.field == field
        with pytest.raises(errors.NotFound):
            await stub.CreateLinkedInAccount(
                accounts_pb2.CreateLinkedInAccountRequest(
                    workspace_id=str(uuid.uuid4()), unipile_account_id=f"u-{uuid.uuid4()}", name="n"
                )
            )
        with pytest.raises(errors.InvalidArgument) as exc:
            await stub.CreateInbox(
                accounts_pb2.CreateInboxRequest(
                    workspace_id=workspace_id, email="a@b.io", auth_kind=accounts_pb2.INBOX_AUTH_KIND_GOOGLE_OAUTH
                )
            )
        assert exc.value.field == "auth_kind"


# Sender state for the scheduler, through the outbox: a private accounts server whose scheduler is a fake.


class FakeScheduler(scheduler_pb2_grpc.SchedulerServiceServicer):
    def __init__(self) -> None:
        self.accepting = False
        self.received: list[scheduler_pb2.SetSenderStateRequest] = []

    async def SetSenderState(
        self, request: scheduler_pb2.SetSenderStateRequest, context: grpc.aio.ServicerContext
    ) -> scheduler_pb2.SetSenderStateResponse:
        if not self.accepting:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the fake scheduler is down")
        self.received.append(request)
        return scheduler_pb2.SetSenderStateResponse(applied=True)


@dataclass
class Private:
    dsn: str
    stub: accounts_pb2_grpc.AccountsServiceStub
    scheduler: FakeScheduler

    async def workspace(self) -> str:
        created = await self.stub.CreateWorkspace(
            accounts_pb2.CreateWorkspaceRequest(name="Outbox", owner_email="o@acme.example")
        )
        return created.workspace.id

    async def outbox(self, key: str) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.dsn)
        try:
            return await conn.fetch("SELECT * FROM accounts.outbox WHERE ordering_key = $1 ORDER BY id", key)
        finally:
            await conn.close()


@pytest.fixture(scope="module")
async def private(pg_dsn):
    async with AsyncExitStack() as stack:
        fake = FakeScheduler()
        scheduler = grpc.aio.server()
        scheduler_pb2_grpc.add_SchedulerServiceServicer_to_server(fake, scheduler)
        port = scheduler.add_insecure_port("127.0.0.1:0")
        await scheduler.start()
        stack.push_async_callback(scheduler.stop, None)
        dsn = await create_database(pg_dsn)
        settings = config.load(AccountsSettings, suite_env(dsn, HOLDFAST_SCHEDULER_TARGET=f"127.0.0.1:{port}"))
        running = await accounts_main.start(settings, stack, SystemClock())
        await running.mark_serving()
        channel = open_channel(f"127.0.0.1:{running.port}")
        stack.push_async_callback(channel.close)
        yield Private(dsn=dsn, stub=accounts_pb2_grpc.AccountsServiceStub(channel), scheduler=fake)


def limits_of(request: scheduler_pb2.SetSenderStateRequest) -> dict[str, dict]:
    words = {v: k for k, v in ACTION_PB.items()}
    return {words[x.action_type]: {f: getattr(x, f) for f in LIMIT_FIELDS} for x in request.limits}


async def test_creating_and_changing_a_sender_enqueues_its_state_for_the_scheduler(private):
    workspace_id = await private.workspace()
    account = (
        await private.stub.CreateLinkedInAccount(
            accounts_pb2.CreateLinkedInAccountRequest(
                workspace_id=workspace_id, unipile_account_id=f"upa-{uuid.uuid4()}", name="Jane", timezone="Asia/Tokyo"
            )
        )
    ).account
    [row] = await private.outbox(account.id)
    assert row["destination"] == "scheduler.SetSenderState"
    state = scheduler_pb2.SetSenderStateRequest.FromString(row["payload"])
    assert state.kind == types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT
    assert (state.sender_id, state.workspace_id, state.version) == (account.id, workspace_id, 1)
    assert state.status == types_pb2.SENDER_STATUS_CONNECTED
    assert (state.timezone, state.unipile_account_id, state.email) == ("Asia/Tokyo", account.unipile_account_id, "")
    assert limits_of(state) == LINKEDIN_DEFAULTS

    message = limit(30, 90, 3, 3, 0, 10)
    updated = await private.stub.UpdateSendingLimits(
        accounts_pb2.UpdateSendingLimitsRequest(
            workspace_id=workspace_id,
            sender_kind=types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT,
            sender_id=account.id,
            limits=[types_pb2.SendingLimit(action_type=types_pb2.ACTION_TYPE_LINKEDIN_MESSAGE, **message)],
        )
    )
    assert len(updated.limits) == 3
    first, second = await private.outbox(account.id)
    assert first["id"] == row["id"] and second["id"] > first["id"]
    state = scheduler_pb2.SetSenderStateRequest.FromString(second["payload"])
    assert state.version == 2, "every change bumps the sender's version"
    assert limits_of(state) == {**LINKEDIN_DEFAULTS, "linkedin_message": message}

    inbox = (
        await private.stub.CreateInbox(
            accounts_pb2.CreateInboxRequest(
                workspace_id=workspace_id,
                email="Out@Acme.Example",
                display_name="Out",
                smtp=accounts_pb2.ServerSettings(
                    host="smtp.acme.example", port=465, security="ssl", username="out", password="smtp-secret-123"
                ),
                imap=accounts_pb2.ServerSettings(
                    host="imap.acme.example", port=993, security="ssl", username="out", password="imap-secret-456"
                ),
            )
        )
    ).inbox
    [row] = await private.outbox(inbox.id)
    assert b"smtp-secret-123" not in row["payload"] and b"imap-secret-456" not in row["payload"]
    state = scheduler_pb2.SetSenderStateRequest.FromString(row["payload"])
    assert (state.kind, state.sender_id, state.version, state.email, state.unipile_account_id, state.timezone) == (
        types_pb2.SENDER_KIND_INBOX,
        inbox.id,
        1,
        "out@acme.example",
        "",
        "UTC",
    )
    assert state.workspace_id == workspace_id and state.status == types_pb2.SENDER_STATUS_CONNECTED
    assert limits_of(state) == INBOX_DEFAULTS
    version = await db_fetchval(
        private.dsn, "SELECT version FROM accounts.linkedin_accounts WHERE id = $1", uuid.UUID(account.id)
    )
    assert version == 2


async def outbox_size(dsn: str) -> int:
    return await db_fetchval(dsn, "SELECT count(*) FROM accounts.outbox")


async def test_a_failing_write_leaves_no_outbox_row(private):
    workspace_id = await private.workspace()
    other_workspace = await private.workspace()
    unipile = f"upa-{uuid.uuid4()}"
    account = (
        await private.stub.CreateLinkedInAccount(
            accounts_pb2.CreateLinkedInAccountRequest(
                workspace_id=workspace_id, unipile_account_id=unipile, name="Jane"
            )
        )
    ).account
    before = await outbox_size(private.dsn)
    invite = types_pb2.SendingLimit(
        action_type=types_pb2.ACTION_TYPE_LINKEDIN_INVITE, **LINKEDIN_DEFAULTS["linkedin_invite"]
    )
    with pytest.raises(errors.AlreadyExists):
        await private.stub.CreateLinkedInAccount(
            accounts_pb2.CreateLinkedInAccountRequest(
                workspace_id=other_workspace, unipile_account_id=unipile, name="Again"
            )
        )
    with pytest.raises(errors.NotFound):
        await private.stub.UpdateSendingLimits(
            accounts_pb2.UpdateSendingLimitsRequest(
                workspace_id=other_workspace,
                sender_kind=types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT,
                sender_id=account.id,
                limits=[invite],
            )
        )
    with pytest.raises(errors.InvalidArgument):
        await private.stub.UpdateSendingLimits(
            accounts_pb2.UpdateSendingLimitsRequest(
                workspace_id=workspace_id,
                sender_kind=types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT,
                sender_id=account.id,
                limits=[
                    types_pb2.SendingLimit(
                        action_type=types_pb2.ACTION_TYPE_LINKEDIN_INVITE, daily_cap=5, weekly_cap=1, ramp_start=1
                    )
                ],
            )
        )
    with pytest.raises(errors.InvalidArgument) as exc:
        await private.stub.UpdateSendingLimits(
            accounts_pb2.UpdateSendingLimitsRequest(
                workspace_id=workspace_id, sender_kind=types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT, sender_id=account.id
            )
        )
    assert exc.value.field == "limits"
    with pytest.raises(errors.InvalidArgument) as exc:
        await private.stub.UpdateSendingLimits(
            accounts_pb2.UpdateSendingLimitsRequest(workspace_id=workspace_id, sender_id=account.id, limits=[invite])
        )
    assert exc.value.field == "sender_kind"
    with pytest.raises(errors.NotFound):
        await private.stub.UpdateSendingLimits(
            accounts_pb2.UpdateSendingLimitsRequest(
                workspace_id=workspace_id,
                sender_kind=types_pb2.SENDER_KIND_INBOX,
                sender_id=account.id,
                limits=[types_pb2.SendingLimit(action_type=types_pb2.ACTION_TYPE_EMAIL, **INBOX_DEFAULTS["email"])],
            )
        )
    assert await outbox_size(private.dsn) == before
    assert len(await private.outbox(account.id)) == 1
    version = await db_fetchval(
        private.dsn, "SELECT version FROM accounts.linkedin_accounts WHERE id = $1", uuid.UUID(account.id)
    )
    assert version == 1, "a refused change does not bump the version"


async def test_the_relay_delivers_sender_state_to_the_scheduler_in_order(private):
    workspace_id = await private.workspace()
    account = (
        await private.stub.CreateLinkedInAccount(
            accounts_pb2.CreateLinkedInAccountRequest(
                workspace_id=workspace_id, unipile_account_id=f"upa-{uuid.uuid4()}", name="Jane"
            )
        )
    ).account
    for daily in (60, 70):
        await private.stub.UpdateSendingLimits(
            accounts_pb2.UpdateSendingLimitsRequest(
                workspace_id=workspace_id,
                sender_kind=types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT,
                sender_id=account.id,
                limits=[
                    types_pb2.SendingLimit(
                        action_type=types_pb2.ACTION_TYPE_LINKEDIN_INVITE,
                        **{**LINKEDIN_DEFAULTS["linkedin_invite"], "daily_cap": daily},
                    )
                ],
            )
        )
    await asyncio.sleep(0.3)
    rows = await private.outbox(account.id)
    assert len(rows) == 3, "the scheduler is down: nothing is lost"
    assert rows[0]["attempts"] >= 1 and "unavailable" in (rows[0]["last_error"] or "")
    assert all(r["attempts"] == 0 for r in rows[1:]), "a later state never overtakes an undelivered one"
    private.scheduler.accepting = True
    try:
        conn = await asyncpg.connect(private.dsn)
        try:
            await conn.execute("UPDATE accounts.outbox SET next_attempt_at = clock_timestamp()")  # skip the backoff
        finally:
            await conn.close()
        deadline = time.monotonic() + 10
        while await private.outbox(account.id):
            assert time.monotonic() < deadline, "the relay did not deliver"
            await asyncio.sleep(0.05)
    finally:
        private.scheduler.accepting = False
    delivered = [r for r in private.scheduler.received if r.sender_id == account.id]
    assert [r.version for r in delivered] == [1, 2, 3]
    assert [limits_of(r)["linkedin_invite"]["daily_cap"] for r in delivered] == [80, 60, 70]


async def test_key_rotation_reencrypts_stored_passwords(private):
    workspace_id = await private.workspace()
    inbox = (
        await private.stub.CreateInbox(
            accounts_pb2.CreateInboxRequest(
                workspace_id=workspace_id,
                email=f"rot-{uuid.uuid4().hex[:6]}@acme.example",
                smtp=accounts_pb2.ServerSettings(
                    host="smtp.acme.example", port=465, security="ssl", username="u", password="old-key-smtp"
                ),
                imap=accounts_pb2.ServerSettings(
                    host="imap.acme.example", port=993, security="ssl", username="u", password="old-key-imap"
                ),
            )
        )
    ).inbox
    new_key = "k2:" + base64.urlsafe_b64encode(b"n" * 32).decode()
    rotated = Keyring.parse(f"{new_key},{TEST_SECRET_KEYS}")
    pool = await create_pool(private.dsn, application_name="test-rotation", max_size=2)
    try:
        service = AccountsService(Repository(pool), SystemClock(), keyring=rotated, sender_state=lambda s: b"")
        assert await service.keys.rotate_secrets(batch=1) >= 2
        assert await service.keys.rotate_secrets() == 0, "nothing left under the old key"
        conn = await asyncpg.connect(private.dsn)
        try:
            row = await conn.fetchrow(
                "SELECT smtp_password, imap_password FROM accounts.inboxes WHERE id = $1", uuid.UUID(inbox.id)
            )
        finally:
            await conn.close()
        assert key_id_of(row["smtp_password"]) == "k2" and key_id_of(row["imap_password"]) == "k2"
        assert rotated.decrypt(row["imap_password"], context=f"inbox:{inbox.id}:imap") == "old-key-imap"
        found = await service.senders.sender_credentials("inbox", inbox.id)
        assert found.smtp is not None and found.smtp.password == "old-key-smtp"
        # The running server only knows the old key now: it says so, without leaking anything.
        with pytest.raises(errors.FailedPrecondition) as exc:
            await private.stub.GetSenderCredentials(
                accounts_pb2.GetSenderCredentialsRequest(sender_kind=types_pb2.SENDER_KIND_INBOX, sender_id=inbox.id)
            )
        assert exc.value.code == "credentials_unreadable" and "old-key" not in exc.value.message
    finally:
        await pool.close()


def test_accounts_settings_need_secret_keys():
    with pytest.raises(config.ConfigError) as exc:
        config.load(AccountsSettings, {"DATABASE_URL": "postgresql://x/y"})
    assert "HOLDFAST_SECRET_KEYS is required" in str(exc.value)
    loaded = config.load(
        AccountsSettings, {"DATABASE_URL": "postgresql://x/y", "HOLDFAST_SECRET_KEYS": TEST_SECRET_KEYS}
    )
    assert loaded.scheduler_target == "127.0.0.1:50053"
    assert loaded.secret_keys.active_key_id == "test1"
    assert TEST_SECRET_KEYS.split(":", 1)[1].rstrip("=") not in repr(loaded)
