"""HOLDFAST_ALLOW_PUBLIC_PLAINTEXT (issue 14 item 7): off by default, an inbox with security `none` never sends its
password to a public address (reason plaintext_refused, nothing is sent); on, accounts' live logins and the
scheduler's sends try such a server. The public address is asked on the discard port, where no mail server
answers: an attempt reads "unreachable" (no greeting, so no password is ever sent), a refusal plaintext_refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.accounts import main as accounts_main
from services.accounts.config import Settings as AccountsSettings
from services.accounts.domain import ServerLogin
from services.accounts.inboxes import LoginFailed
from services.common import config
from services.common.clock import ManualClock
from services.common.providers.smtp import SmtpSettings
from services.common.providers.unipile import FailureKind
from services.scheduler.config import Settings as SchedulerSettings
from services.scheduler.domain import Limits, Sender, Step
from services.scheduler.plan_rows_repository import PlanRow
from services.scheduler.providers import Providers
from tests.conftest import suite_env

PUBLIC = "1.1.1.1"  # not loopback nor private (192.0.2.0/24 counts as private in ipaddress)
DISCARD = 9
DSN = "postgresql://holdfast@127.0.0.1:1/holdfast"


def _env(**extra: str) -> dict[str, str]:
    return suite_env(DSN, HOLDFAST_INBOX_LOGIN_TIMEOUT_SECONDS="1", **extra)


def test_the_setting_is_off_by_default_and_read_by_accounts_and_the_scheduler() -> None:
    for cls in (AccountsSettings, SchedulerSettings):
        assert config.load(cls, _env()).allow_public_plaintext is False
        assert config.load(cls, _env(HOLDFAST_ALLOW_PUBLIC_PLAINTEXT="true")).allow_public_plaintext is True
        with pytest.raises(config.ConfigError) as bad:
            config.load(cls, _env(HOLDFAST_ALLOW_PUBLIC_PLAINTEXT="maybe"))
        assert "HOLDFAST_ALLOW_PUBLIC_PLAINTEXT" in str(bad.value)


@pytest.mark.parametrize(("allowed", "reason"), [("false", "plaintext_refused"), ("true", "unreachable")])
async def test_inbox_creation_logs_in_to_a_public_plaintext_server_only_when_allowed(allowed: str, reason: str) -> None:
    # The live login runs before anything is stored: no database is needed to see what it did.
    settings = config.load(
        AccountsSettings, _env(HOLDFAST_INBOX_CHECK_LOGIN_ON_CREATE="true", HOLDFAST_ALLOW_PUBLIC_PLAINTEXT=allowed)
    )
    service = accounts_main.build_service(
        settings,
        None,
        ManualClock(datetime(2026, 3, 2, tzinfo=UTC)),  # type: ignore[arg-type]
        unipile=None,
    )
    login = ServerLogin(PUBLIC, DISCARD, "none", "sales@acme.example", "app-password")
    with pytest.raises(LoginFailed) as failed:
        await service.inboxes.create_inbox(
            str(uuid.uuid4()),
            "sales@acme.example",
            "Sales",
            "Europe/Paris",
            "password",
            login,
            ServerLogin(PUBLIC, DISCARD, "none", login.username, login.password),
            [],
        )
    assert failed.value.details["reasons"] == {"smtp": reason, "imap": reason}, failed.value.details


@pytest.mark.parametrize(
    ("allowed", "kind", "said"),
    [
        (False, FailureKind.DISCONNECTED, "plaintext_refused"),
        (True, FailureKind.TRANSIENT, "connect"),
    ],
)
async def test_a_send_goes_to_a_public_plaintext_server_only_when_allowed(
    allowed: bool, kind: FailureKind, said: str
) -> None:
    async def credentials(_: str) -> SmtpSettings:
        return SmtpSettings(PUBLIC, DISCARD, "none", "sales@acme.example", "app-password")

    providers = Providers(None, credentials, timeout_s=1.0, allow_public_plaintext=allowed)
    plan = PlanRow(
        prospect_id=str(uuid.uuid4()),
        campaign_id=str(uuid.uuid4()),
        step_index=0,
        state="in_flight",
        channel="email",
        action_type="email",
        sender_id=str(uuid.uuid4()),
        due_at=None,
        next_action_at=None,
        linkedin_provider_id=None,
        email="ada@example.org",
        first_name="Ada",
        last_name="",
        company="",
        fields={},
        linkedin_sender_id=None,
        inbox_id=None,
        failures=0,
        stop_reason="",
    )
    sender = Sender(
        sender_id=plan.sender_id or "",
        kind="inbox",
        status="connected",
        timezone="Europe/Paris",
        unipile_account_id="",
        email="sales@acme.example",
        ramp_day=0,
        last_sent_local_date=None,
        next_send_after=datetime(2026, 3, 2, tzinfo=UTC),
        limits={"email": Limits(1, 1, 1, 0, 0, 0)},
    )
    outcome = await providers.perform(
        str(uuid.uuid4()), plan, sender, Step(0, "email", "email", 0, subject="Hi", body="Hello")
    )
    assert not outcome.ok and outcome.kind is kind and said in outcome.detail, outcome
    assert "app-password" not in outcome.detail
