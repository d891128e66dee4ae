"""The common kit: settings, log redaction, enum words, clock."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import structlog

from holdfast.campaigns.v1 import campaigns_pb2
from holdfast.common.v1 import types_pb2
from services.common import config
from services.common.clock import ManualClock
from services.common.logging import REDACTED, redact_secrets, redact_text
from services.common.proto_enums import from_word, to_word


@dataclass(frozen=True, kw_only=True)
class Demo(config.CommonSettings):
    url: str = config.setting("DEMO_URL", help="where")
    port: int = config.setting("DEMO_PORT", 80, parse=int)
    secret: str = config.setting("DEMO_SECRET", secret=True)
    flag: bool = config.setting("DEMO_FLAG", False, parse=config.parse_bool)


def test_settings_load_with_defaults_and_parsing():
    s = config.load(Demo, {"DEMO_URL": "x", "DEMO_SECRET": "s", "DEMO_FLAG": "yes", "HOLDFAST_LOG_LEVEL": "debug"})
    assert (s.url, s.port, s.secret, s.flag, s.log_level) == ("x", 80, "s", True, "debug")


def test_settings_report_every_problem_at_once_and_hide_secrets():
    with pytest.raises(config.ConfigError) as exc:
        config.load(Demo, {"DEMO_PORT": "eighty", "DEMO_SECRET": ""})
    text = str(exc.value)
    assert "DEMO_URL is required" in text and "DEMO_SECRET is required" in text
    assert "DEMO_PORT='eighty' is invalid" in text
    with pytest.raises(config.ConfigError) as exc:
        config.load(Demo, {"DEMO_URL": "x", "DEMO_SECRET": "s", "DEMO_FLAG": "hunter2"})
    assert "hunter2" in str(exc.value)  # not a secret field: shown to help
    with pytest.raises(config.ConfigError) as exc:
        config.load(Demo, {"DEMO_URL": "x", "DEMO_SECRET": "s", "HOLDFAST_SHUTDOWN_GRACE_SECONDS": "soon"})
    assert "soon" in str(exc.value)


def test_describe_lists_every_variable():
    names = [row["env"] for row in config.describe(Demo)]
    assert {"DEMO_URL", "DEMO_PORT", "DEMO_SECRET", "DEMO_FLAG", "HOLDFAST_LOG_LEVEL"} <= set(names)


@pytest.mark.parametrize("raw", ["host", ":80", "h:99999", "h:port"])
def test_listen_addresses_are_validated(raw):
    with pytest.raises(ValueError):
        config.parse_listen(raw)


def test_redaction_by_key_and_by_shape():
    event = {
        "event": "login with hf_abcdefghijklmnopqrstuvwxyz0123",
        "password": "p4ss",
        "api_key": "k",
        "nested": {"refresh_token": "r", "ok": "fine"},
        "dsn_like": "postgresql://u:secretpw@h/db",
        "items": [{"Authorization": "Bearer x"}],
    }
    out = redact_secrets(None, "info", dict(event))
    assert out["password"] == out["api_key"] == REDACTED
    assert out["nested"] == {"refresh_token": REDACTED, "ok": "fine"}
    assert out["items"] == [{"Authorization": REDACTED}]
    assert "hf_abc" not in out["event"] and REDACTED in out["event"]
    assert "secretpw" not in json.dumps(out)
    assert redact_text("smtp://user:pw@mail.example:587") == f"smtp://user:{REDACTED}@mail.example:587"


def test_configured_logging_writes_json_without_secrets(monkeypatch):
    from services.common import logging as holdfast_logging

    buffer = io.StringIO()
    monkeypatch.setattr("sys.stdout", buffer)
    holdfast_logging.configure("demo", level="info", fmt="json")
    try:
        structlog.get_logger("t").info("connected", password="hunter2", user="bob")
        logging.getLogger("lib").warning("dsn %s", "postgresql://a:topsecret@h/db")
        lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        holdfast_logging.configure("tests", level="warning", fmt="json")
    assert lines[0]["event"] == "connected" and lines[0]["user"] == "bob" and lines[0]["service"] == "demo"
    assert "hunter2" not in buffer.getvalue() and "topsecret" not in buffer.getvalue()


def test_enum_words_round_trip():
    for value in types_pb2.PauseReason.values():
        word = to_word(types_pb2.PauseReason, value)
        assert from_word(types_pb2.PauseReason, word) == value
    assert (
        to_word(types_pb2.PauseReason, types_pb2.PAUSE_REASON_LINKEDIN_ACCOUNT_DISCONNECTED)
        == "linkedin_account_disconnected"
    )
    assert to_word(campaigns_pb2.CampaignStatus, campaigns_pb2.CAMPAIGN_STATUS_PAUSED) == "paused"
    assert to_word(types_pb2.Scope, 0) is None


def test_manual_clock_only_moves_forward():
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.advance(timedelta(days=3)) == datetime(2026, 1, 4, tzinfo=UTC)
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 1, 1))


def test_readme_configuration_table_matches_the_code():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    table = subprocess.run(
        [sys.executable, "scripts/config_table.py"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    readme = (root / "README.md").read_text()
    documented = readme.split("<!-- config-table:start -->")[1].split("<!-- config-table:end -->")[0].strip()
    assert documented == table, "README configuration table is stale: paste `.venv/bin/python scripts/config_table.py`"


def test_the_scheduler_refuses_a_stale_threshold_shorter_than_a_send_can_take():
    from services.scheduler.config import Settings

    base = {
        "DATABASE_URL": "postgresql://x/y",
        "HOLDFAST_PROVIDER_TIMEOUT_SECONDS": "15",
        "HOLDFAST_UNSUBSCRIBE_KEY": "k" * 32,
    }
    with pytest.raises(config.ConfigError, match="at least twice"):
        config.load(Settings, {**base, "HOLDFAST_ATTEMPT_STALE_SECONDS": "20"})
    assert config.load(Settings, {**base, "HOLDFAST_ATTEMPT_STALE_SECONDS": "30"}).attempt_stale_seconds == 30
