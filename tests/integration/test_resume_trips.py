"""Issue 12, "one trip": what one resume costs. The campaigns use case runs here against the suite's database and
its real accounts and scheduler over gRPC; the suite's campaigns process delivers the holds from the outbox."""

from __future__ import annotations

import uuid

import pytest

from holdfast.accounts.v1.accounts_pb2_grpc import AccountsServiceStub
from holdfast.scheduler.v1 import scheduler_pb2
from holdfast.scheduler.v1.scheduler_pb2_grpc import SchedulerServiceStub
from services.campaigns.clients import AccountsDirectory, ProtoEvents, SchedulerClient
from services.campaigns.domain import ActiveReason, Actor, Campaign, Gate
from services.campaigns.gates import Gates
from services.campaigns.pause import PauseStates
from services.campaigns.repository import Repository, Transaction
from services.campaigns.service import CampaignsService
from services.common.clock import SystemClock
from services.common.db import create_pool
from services.common.errors import FailedPrecondition
from services.common.grpc_client import open_channel
from services.common.outbox import Relay

SCHEDULE = {
    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "window": {"start": "00:00", "end": "23:59"},
    "timezone": "UTC",
}


class CountingScheduler(SchedulerClient):
    """The real scheduler client, writing down each call."""

    def __init__(self, stub: SchedulerServiceStub):
        super().__init__(stub)
        self.calls: list[str] = []

    async def active_channels(self, campaign_ids: list[str]) -> dict[str, set[str]]:
        self.calls.append("active_channels")
        return await super().active_channels(campaign_ids)

    async def next_sends(self, campaign_id: str):  # type: ignore[no-untyped-def]
        self.calls.append("next_sends")
        return await super().next_sends(campaign_id)


async def active_campaign(suite, auth: dict[str, str], account: str) -> str:
    """An active LinkedIn campaign of the account with one prospect; its id."""
    _, created = await suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "c",
            "schedule": SCHEDULE,
            "steps": [{"channel": "linkedin", "action": "invite"}],
            "senders": {"linkedin_account_ids": [account]},
        },
    )
    cid = created["id"]
    await suite.call(
        "POST",
        f"/api/v1/campaigns/{cid}/prospects",
        auth,
        json={"prospects": [{"linkedin_provider_id": f"P-{cid[:8]}"}]},
    )
    assert (await suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth))[0] == 200
    return cid


async def test_a_resume_reads_the_campaign_once_and_asks_the_scheduler_once(suite, monkeypatch):
    workspace_id, auth = await suite.new_workspace()
    account = await suite.linkedin_account(auth)
    cid = await active_campaign(suite, auth, account)
    assert (await suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth))[0] == 200

    reads: list[str] = []
    read = Transaction.get_campaign

    async def counted(self, *args):  # type: ignore[no-untyped-def]
        reads.append(args[1])
        return await read(self, *args)

    pool = await create_pool(suite.dsn, application_name="test")
    try:
        scheduler = CountingScheduler(SchedulerServiceStub(open_channel(f"127.0.0.1:{suite.ports['scheduler']}")))
        directory = AccountsDirectory(AccountsServiceStub(open_channel(f"127.0.0.1:{suite.ports['accounts']}")))
        service = CampaignsService(
            Repository(pool),
            SystemClock(),
            events=ProtoEvents(),
            outbox=Relay(pool, "campaigns", {}),
            scheduler=scheduler,
            directory=directory,
        )
        monkeypatch.setattr(Transaction, "get_campaign", counted)  # every read of a campaign row goes through it
        change, next_sends = await service.resume(workspace_id, cid, Actor(kind="member", member_id=str(uuid.uuid4())))
        counted_reads = list(reads)
        stored = await Repository(pool).get_campaign(workspace_id, cid)
    finally:
        await pool.close()

    assert change.changed and change.campaign.status == "active"
    assert set(next_sends) <= {"linkedin"}  # empty once the suite's dispatcher has sent the only invite
    assert scheduler.calls == ["next_sends"], "a healthy resume asks the scheduler once, after the holds"
    # One read, to check the gates before the lock; the locked row is that read (it did not change meanwhile), and
    # the row the writes leave is not read back (before: five reads, then three, then two).
    assert counted_reads == [cid]
    assert change.campaign == stored, "the campaign a resume answers with is the row it wrote"


async def test_the_deprecated_reclamp_on_resume_still_answers_as_get_next_sends(suite):
    """ReclampOnResume stays for callers built against the older contract (buf breaking): without scopes it
    re-plans nothing and answers the next sends, as GetNextSends does."""
    _, auth = await suite.new_workspace()
    account = await suite.linkedin_account(auth)
    cid = await active_campaign(suite, auth, account)
    # Paused (held) first: the suite's dispatcher would otherwise send the only invite between two calls (seen in
    # fresh-clone runs), and the answers would differ for that reason alone.
    assert (await suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth))[0] == 200
    stub = SchedulerServiceStub(open_channel(f"127.0.0.1:{suite.ports['scheduler']}"))
    before = await stub.GetNextSends(scheduler_pb2.GetNextSendsRequest(campaign_id=cid))
    old = await stub.ReclampOnResume(scheduler_pb2.ReclampOnResumeRequest(campaign_id=cid))
    after = await stub.GetNextSends(scheduler_pb2.GetNextSendsRequest(campaign_id=cid))
    assert list(old.next_sends) == list(before.next_sends) == list(after.next_sends)
    assert old.replanned == 0


async def test_a_resume_with_an_unusable_sender_asks_which_channels_are_active(suite):
    """P6: a sender reason found at resume pauses only a channel the campaign still sends on, so then (and only
    then) the scheduler is asked for the active channels before the lock, and the resume is refused."""
    workspace_id, auth = await suite.new_workspace()
    account = await suite.linkedin_account(auth)
    cid = await active_campaign(suite, auth, account)
    assert (await suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth))[0] == 200

    class Unusable(AccountsDirectory):
        async def sender_health(self, workspace_id, kind, sender_id):  # type: ignore[no-untyped-def]
            found = await super().sender_health(workspace_id, kind, sender_id)
            assert found is not None
            return type(found)("disconnected", found.restriction_verified)

    pool = await create_pool(suite.dsn, application_name="test")
    try:
        scheduler = CountingScheduler(SchedulerServiceStub(open_channel(f"127.0.0.1:{suite.ports['scheduler']}")))
        directory = Unusable(AccountsServiceStub(open_channel(f"127.0.0.1:{suite.ports['accounts']}")))
        service = CampaignsService(
            Repository(pool),
            SystemClock(),
            events=ProtoEvents(),
            outbox=Relay(pool, "campaigns", {}),
            scheduler=scheduler,
            directory=directory,
        )
        with pytest.raises(FailedPrecondition) as refused:
            await service.resume(workspace_id, cid, Actor(kind="member", member_id=str(uuid.uuid4())))
    finally:
        await pool.close()

    assert refused.value.code == "resume_blocked"
    assert scheduler.calls == ["active_channels"]


async def test_each_pause_state_change_answers_with_the_row_it_wrote(suite):
    """A pause-state change answers with the campaign row as its writes left it, without reading it back: what it
    answers is what a later read finds, reason by reason, through an auto-resume (P9 mark)."""
    workspace_id, auth = await suite.new_workspace()
    account = await suite.linkedin_account(auth)
    cid = await active_campaign(suite, auth, account)

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


# Writes another use case may commit while a resume checks its gates (no lock is held then). A new reason moves the
# pause version, an edit the definition version and `updated_at`; a clear marked pending moves no version at all.
async def add_reason(repository: Repository, states: PauseStates, campaign: Campaign, account: str) -> None:
    system = Actor(kind="system", source="send_failure", event_id="evt_2")
    await states.add(campaign.workspace_id, campaign.id, "account_restricted", "linkedin", system, subject=account)


async def rename(repository: Repository, states: PauseStates, campaign: Campaign, account: str) -> None:
    async with repository.transaction() as tx:
        await tx.update_definition(
            campaign,
            "renamed",
            campaign.schedule,
            list(campaign.steps),
            campaign.senders,
            campaign.stop_on_reply,
            SystemClock().now(),
        )


async def mark_clear_pending(repository: Repository, states: PauseStates, campaign: Campaign, account: str) -> None:
    async with repository.transaction() as tx:
        assert await tx.mark_clear_pending(campaign.id, "account_restricted", account)


@pytest.mark.parametrize("write", [add_reason, rename, mark_clear_pending])
async def test_a_campaign_changed_while_its_gates_are_checked_is_read_again_under_the_lock(suite, monkeypatch, write):
    """The one read of a resume is reused under the lock only when the row is as read: each write committed
    meanwhile makes the resume read the locked row again, so it decides on it and answers with what it wrote."""
    workspace_id, auth = await suite.new_workspace()
    account = await suite.linkedin_account(auth)
    cid = await active_campaign(suite, auth, account)
    system = Actor(kind="system", source="send_failure", event_id="evt_1")
    member = Actor(kind="member", member_id=str(uuid.uuid4()))

    pool = await create_pool(suite.dsn, application_name="test")
    try:
        repository = Repository(pool)
        written: list[str] = []
        reads: list[str] = []

        async def gate(campaign: Campaign, reason: ActiveReason) -> Gate:
            if not written:  # once, before the first gate's answer: as if another use case committed meanwhile
                written.append(reason.reason)
                before = len(reads)
                await write(repository, states, campaign, account)
                del reads[before:]  # the writer's own reads are not the resume's
            # A member's pause lifts; the restriction is not lifted yet.
            return Gate(reason.reason, "checked", reason.reason == "manual", "", "")

        states = PauseStates(repository, SystemClock(), gate, ProtoEvents())
        if write is not add_reason:
            await states.add(workspace_id, cid, "account_restricted", "linkedin", system, subject=account)
        await states.add(workspace_id, cid, "manual", "campaign", member)
        read = await repository.get_campaign(workspace_id, cid)
        assert read is not None

        get = Transaction.get_campaign

        async def counted(self, *args):  # type: ignore[no-untyped-def]
            reads.append(args[1])
            return await get(self, *args)

        monkeypatch.setattr(Transaction, "get_campaign", counted)
        if write is add_reason:
            # The reason that appeared was never checked: the resume is refused and changes nothing.
            with pytest.raises(FailedPrecondition) as refused:
                await states.resume(read, member)
            assert refused.value.code == "resume_blocked"
            assert [b["gate"] for b in refused.value.details["blocking"]] == ["not_checked"]
            change = None
        else:
            # With the member's intent kept: the manual pause clears, the campaign waits for the restriction.
            change = await states.resume(read, member, when_unblocked=True)
        monkeypatch.undo()
        stored = await repository.get_campaign(workspace_id, cid)
    finally:
        await pool.close()

    assert reads == [cid], "the locked row is read again, once"
    assert stored is not None
    if change is None:
        assert sorted(r.reason for r in stored.reasons) == ["account_restricted", "manual"]
        assert stored.pause_version == read.pause_version + 1  # the add only
        return
    assert change.changed and [r.reason for r in change.campaign.reasons] == ["account_restricted"]
    assert change.campaign == stored, "the answer is the row the resume wrote, the write meanwhile included"
    if write is rename:
        assert stored.name == "renamed"
    else:
        assert [r.clear_pending for r in stored.reasons] == [True]
