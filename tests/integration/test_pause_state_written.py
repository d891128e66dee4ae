"""A pause-state change answers with the campaign row as its writes left it, without reading it back (issue 12,
"one trip"): what it answers is what a later read finds, reason by reason, through an auto-resume (P9 mark)."""

from __future__ import annotations

import uuid

from holdfast.accounts.v1.accounts_pb2_grpc import AccountsServiceStub
from services.campaigns.clients import AccountsDirectory, ProtoEvents
from services.campaigns.domain import Actor
from services.campaigns.gates import Gates
from services.campaigns.pause import PauseStates
from services.campaigns.repository import Repository
from services.common.clock import SystemClock
from services.common.db import create_pool
from services.common.grpc_client import open_channel

SCHEDULE = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "window": {"start": "00:00", "end": "23:59"},
            "timezone": "UTC"}


async def test_each_pause_state_change_answers_with_the_row_it_wrote(suite):
    workspace_id, auth = await suite.new_workspace()
    account = await suite.linkedin_account(auth)
    _, created = await suite.call("POST", "/api/v1/campaigns", auth, json={
        "name": "c", "schedule": SCHEDULE, "steps": [{"channel": "linkedin", "action": "invite"}],
        "senders": {"linkedin_account_ids": [account]}})
    cid = created["id"]
    await suite.call("POST", f"/api/v1/campaigns/{cid}/prospects", auth, json={"prospects": [
        {"linkedin_provider_id": f"P-{cid[:8]}"}]})
    assert (await suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth))[0] == 200

    system = Actor(kind="system", source="send_failure", event_id="evt_1")
    member = Actor(kind="member", member_id=str(uuid.uuid4()))
    pool = await create_pool(suite.dsn, application_name="test")
    try:
        repository = Repository(pool)
        directory = AccountsDirectory(AccountsServiceStub(open_channel(f"127.0.0.1:{suite.ports['accounts']}")))
        states = PauseStates(repository, SystemClock(), Gates(directory).check, ProtoEvents())
        steps = [
            lambda: states.add(workspace_id, cid, "account_restricted", "linkedin", system, subject=account),
            lambda: states.add(workspace_id, cid, "manual", "campaign", member),
            lambda: states.clear(workspace_id, cid, "manual", member),
            lambda: states.clear(workspace_id, cid, "account_restricted", system, subject=account, damped=False),
        ]
        changes, stored = [], []
        for step in steps:
            changes.append(await step())
            stored.append(await repository.get_campaign(workspace_id, cid))
    finally:
        await pool.close()

    answered = [change.campaign for change in changes]
    assert all(change.changed for change in changes)
    assert answered == stored, "each change answers with the row a read finds after it"
    assert [(c.status, sorted(r.reason for r in c.reasons)) for c in answered] == [
        ("paused", ["account_restricted"]),
        ("paused", ["account_restricted", "manual"]),
        ("paused", ["account_restricted"]),
        ("active", []),
    ]
    assert [c.pause_version for c in answered] == [answered[0].pause_version + i for i in range(4)]
    assert answered[-1].last_auto_resumed_at == answered[-1].updated_at, "the system's resume is marked (P9)"
