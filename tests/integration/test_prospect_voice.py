"""What a prospect says stops or parks its sequence in the scheduler (DESIGN V1, V3, V4, V6, V7, V9): the real
SchedulerService, Dispatcher and ProspectVoices over real PostgreSQL, LinkedIn sends through the real Unipile
client to the sandbox, on virtual time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.common import timemath
from services.common.clock import ManualClock
from services.scheduler.domain import CampaignPlan, Limits
from services.scheduler.plan_rows_repository import Enrollee
from services.scheduler.repository import Repository
from services.scheduler.voices import ProspectVoices
from tests.scheduler_rig import INVITE_THEN_MESSAGE, MONDAY_7_UTC, PARIS, Rig, scheduler_rig

LIMITS = Limits(daily_cap=50, weekly_cap=200, ramp_start=50, ramp_step=0, pacing_min_seconds=60, pacing_max_seconds=120)


async def campaign(
    rig: Rig,
    sender: str,
    people: list[tuple[str, str]],
    *,
    stop_on_reply: str = "prospect",
    workspace: str | None = None,
) -> tuple[str, list[str]]:
    """A campaign (invite, then a message 48 h after acceptance) with prospects (provider id, email)."""
    campaign_id = str(uuid.uuid4())
    plan = CampaignPlan(
        campaign_id,
        workspace or str(uuid.uuid4()),
        1,
        PARIS,
        True,
        (sender,),
        (),
        INVITE_THEN_MESSAGE,
        stop_on_reply=stop_on_reply,
    )
    assert (await rig.service.upsert_plan(plan))[0]
    ids = [str(uuid.uuid4()) for _ in people]
    await rig.service.enroll(
        campaign_id, [Enrollee(p, prov, email, "P", "", "", {}) for p, (prov, email) in zip(ids, people, strict=True)]
    )
    return campaign_id, ids


async def states(rig: Rig, campaign_id: str, prospects: list[str]) -> dict[str, tuple[str, list[str]]]:
    views = await rig.service.list_plans(campaign_id, prospects)
    return {v.plan.prospect_id: (v.plan.state, v.why_not_now) for v in views}


async def invites_to(rig: Rig, provider_id: str) -> int:
    return sum(1 for i in rig.sandbox.invitations if i.provider_id == provider_id)


async def test_a_reply_stops_the_prospect_for_good_and_a_redelivery_changes_nothing(fresh_dsn):
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as rig:
        voices = ProspectVoices(Repository(rig.pool), rig.clock)
        sender = await rig.add_sender(LIMITS)
        campaign_id, (replier, other) = await campaign(rig, sender, [("prov-r", None), ("prov-o", None)])

        first = await voices.record("<msg-1@mail.example>", replier, "replied", channel="email", snippet="Yes!")
        assert first.applied and first.affected == [replier]
        again = await voices.record("<msg-1@mail.example>", replier, "replied")
        assert not again.applied and again.affected == []

        await rig.run_until(MONDAY_7_UTC + timedelta(days=7))
        assert await invites_to(rig, "prov-r") == 0
        assert await invites_to(rig, "prov-o") == 1
        seen = await states(rig, campaign_id, [replier, other])
        assert seen[replier] == ("stopped", ["replied"])
        events = await voices.events(replier)
        assert [(e.voice, e.snippet, e.channel) for e in events] == [("replied", "Yes!", "email")]


async def test_a_reply_after_the_invite_stops_the_follow_up_even_once_the_invite_is_accepted(fresh_dsn):
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as rig:
        voices = ProspectVoices(Repository(rig.pool), rig.clock)
        sender = await rig.add_sender(LIMITS)
        campaign_id, (prospect,) = await campaign(rig, sender, [("prov-a", None)])
        await rig.run_until(MONDAY_7_UTC + timedelta(hours=12))
        assert await invites_to(rig, "prov-a") == 1
        assert (await voices.record("li-msg-1", prospect, "replied", channel="linkedin")).applied
        # The acceptance arrives after the reply: the message step must not be planned.
        assert await rig.dispatcher.invite_accepted(await rig.account_of(sender), "prov-a") == 0
        await rig.run_until(MONDAY_7_UTC + timedelta(days=10))
        assert not [c for c in rig.sandbox.chats.values() if c.attendee_provider_id == "prov-a" and c.messages]
        assert (await states(rig, campaign_id, [prospect]))[prospect][1] == ["replied"]


async def test_an_out_of_office_parks_the_prospect_until_its_return_then_it_continues_in_the_window(fresh_dsn):
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as rig:
        voices = ProspectVoices(Repository(rig.pool), rig.clock)
        sender = await rig.add_sender(LIMITS)
        campaign_id, (away,) = await campaign(rig, sender, [("prov-away", None)])
        back = datetime(2026, 3, 12, 3, 0, tzinfo=UTC)  # Thursday 04:00 in Paris, before the window opens
        recorded = await voices.record("ooo-1", away, "out_of_office", until=back)
        assert recorded.parked_until is not None and recorded.parked_until >= back
        assert timemath.is_open(PARIS, recorded.parked_until)
        state, why = (await states(rig, campaign_id, [away]))[away]
        assert why[0] == "out_of_office"

        await rig.run_until(back)
        assert await invites_to(rig, "prov-away") == 0
        await rig.run_until(back + timedelta(days=1))
        assert await invites_to(rig, "prov-away") == 1
        sent_at = await rig.pool.fetchval(
            "SELECT started_at FROM scheduler.send_attempts WHERE prospect_id = $1", uuid.UUID(away)
        )
        assert sent_at >= recorded.parked_until and timemath.is_open(PARIS, sent_at)
        assert (await states(rig, campaign_id, [away]))[away][0] == "waiting_acceptance"


async def test_an_out_of_office_without_a_date_parks_for_the_default_days_and_never_undoes_a_reply(fresh_dsn):
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as rig:
        voices = ProspectVoices(Repository(rig.pool), rig.clock, ooo_days=7)
        sender = await rig.add_sender(LIMITS)
        _, (away, replied) = await campaign(rig, sender, [("prov-1", None), ("prov-2", None)])
        parked = (await voices.record("ooo-a", away, "out_of_office")).parked_until
        assert parked is not None and parked >= MONDAY_7_UTC + timedelta(days=7)
        assert parked < MONDAY_7_UTC + timedelta(days=8)
        await voices.record("reply-b", replied, "replied")
        assert (await voices.record("ooo-b", replied, "out_of_office")).affected == []
        await rig.run_until(MONDAY_7_UTC + timedelta(days=14))
        assert await invites_to(rig, "prov-2") == 0
        assert await invites_to(rig, "prov-1") == 1


async def test_stop_on_reply_company_stops_colleagues_at_the_same_domain_but_not_free_mail(fresh_dsn):
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as rig:
        voices = ProspectVoices(Repository(rig.pool), rig.clock)
        sender = await rig.add_sender(LIMITS)
        people = [
            ("p-a", "ana@acme.example"),
            ("p-b", "bo@ACME.example"),
            ("p-c", "cy@gmail.com"),
            ("p-d", "di@gmail.com"),
            ("p-e", "ed@other.example"),
        ]
        _, ids = await campaign(rig, sender, people, stop_on_reply="company")
        assert sorted((await voices.record("r-1", ids[0], "replied")).affected) == sorted(ids[:2])
        assert (await voices.record("r-2", ids[2], "replied")).affected == [ids[2]]
        # With the default (prospect), a reply stops its author alone.
        _, alone = await campaign(rig, sender, people[:2])
        assert (await voices.record("r-3", alone[0], "replied")).affected == [alone[0]]
        await rig.run_until(MONDAY_7_UTC + timedelta(days=3))
        sent = {i.provider_id for i in rig.sandbox.invitations}
        assert sent == {"p-d", "p-e", "p-b"}  # p-b only from the second campaign


async def test_suppressions_stop_matching_prospects_now_and_at_enrollment_in_their_workspace_only(fresh_dsn):
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as rig:
        voices = ProspectVoices(Repository(rig.pool), rig.clock)
        sender = await rig.add_sender(LIMITS)
        workspace, elsewhere = str(uuid.uuid4()), str(uuid.uuid4())
        _, (early,) = await campaign(rig, sender, [("p-early", "x@late.example")], workspace=workspace)
        stopped = await voices.change_suppressions(
            workspace,
            [
                ("email", "no@one.example"),
                ("domain", "blocked.example"),
                ("linkedin", "p-li"),
                ("domain", "late.example"),
            ],
            [],
        )
        assert stopped == 1
        campaign_id, ids = await campaign(
            rig,
            sender,
            [("p-1", "no@one.example"), ("p-2", "any@blocked.example"), ("p-li", None), ("p-ok", "ok@fine.example")],
            workspace=workspace,
        )
        _, other_ws = await campaign(rig, sender, [("p-x", "no@one.example")], workspace=elsewhere)
        seen = await states(rig, campaign_id, ids)
        assert [seen[p][1] for p in ids[:3]] == [["suppressed"]] * 3
        assert seen[ids[3]][0] == "scheduled"
        await rig.run_until(MONDAY_7_UTC + timedelta(days=3))
        assert {i.provider_id for i in rig.sandbox.invitations} == {"p-ok", "p-x"}
        assert early and other_ws
        # A removed entry lets later enrollments through.
        await voices.change_suppressions(workspace, [], [("linkedin", "p-li")])
        _, (again,) = await campaign(rig, sender, [("p-li", None)], workspace=workspace)
        assert (
            await rig.service.list_plans(
                (
                    await rig.pool.fetchval(
                        "SELECT campaign_id::text FROM scheduler.prospect_plans WHERE prospect_id = $1",
                        uuid.UUID(again),
                    )
                ),
                [again],
            )
        )[0].plan.state == "scheduled"


async def test_replies_during_a_pause_are_applied_and_the_resume_leaves_those_prospects_out(fresh_dsn):
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as rig:
        voices = ProspectVoices(Repository(rig.pool), rig.clock)
        sender = await rig.add_sender(LIMITS)
        campaign_id, ids = await campaign(rig, sender, [(f"p-{i}", None) for i in range(5)])
        await rig.service.set_holds(campaign_id, 1, ["campaign"])
        await voices.record("r", ids[0], "replied")
        await voices.record("o", ids[1], "opted_out")
        await voices.record("a", ids[2], "out_of_office", until=MONDAY_7_UTC + timedelta(days=20))
        rig.clock.set(MONDAY_7_UTC + timedelta(days=2))
        assert await voices.left_out(campaign_id) == {"replied": 1, "opted_out": 1, "out_of_office": 1}
        assert (await rig.service.preview(campaign_id)).overdue == 2
        _, replanned = await rig.service.set_holds(campaign_id, 2, [])
        assert replanned == 2
        await rig.run_until(MONDAY_7_UTC + timedelta(days=10))
        assert {i.provider_id for i in rig.sandbox.invitations} == {"p-3", "p-4"}


async def reply_id(voices: ProspectVoices, prospect: str, event_id: str) -> str:
    return next(e.id for e in await voices.events(prospect) if e.event_id == event_id)


async def test_an_author_re_read_as_out_of_office_stays_stopped_while_a_colleagues_reply_stops_it_company_wide(
    fresh_dsn,
):
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as rig:
        voices = ProspectVoices(Repository(rig.pool), rig.clock)
        sender = await rig.add_sender(LIMITS)
        people = [("p-ana", "ana@acme.example"), ("p-bo", "bo@acme.example"), ("p-cy", "cy@other.example")]
        campaign_id, (ana, bo, cy) = await campaign(rig, sender, people, stop_on_reply="company")
        assert sorted((await voices.record("r-ana", ana, "replied")).affected) == sorted([ana, bo])
        # Bo answers too: already stopped by Ana's reply, but its own reply stands on its own (V4: it stops Ana).
        assert (await voices.record("r-bo", bo, "replied")).affected == []

        # A member says Ana's reply was an out-of-office: Bo's reply still stops the whole company, Ana included.
        re_read = await voices.reclassify(
            campaign_id, ana, await reply_id(voices, ana, "r-ana"), "out_of_office", "m-1"
        )
        assert re_read.affected == []
        seen = await states(rig, campaign_id, [ana, bo, cy])
        assert seen[ana] == ("stopped", ["replied"]) and seen[bo] == ("stopped", ["replied"])
        await rig.run_until(MONDAY_7_UTC + timedelta(days=3))
        assert {i.provider_id for i in rig.sandbox.invitations} == {"p-cy"}

        # Bo's reply re-read as an out-of-office too: nothing stands any more, both go back (Bo parked, Ana not).
        back = MONDAY_7_UTC + timedelta(days=6)
        lifted = await voices.reclassify(
            campaign_id, bo, await reply_id(voices, bo, "r-bo"), "out_of_office", "m-1", until=back
        )
        assert sorted(lifted.affected) == sorted([ana, bo])
        await rig.run_until(back + timedelta(days=2))
        assert {i.provider_id for i in rig.sandbox.invitations} == {"p-cy", "p-ana", "p-bo"}


async def test_an_author_re_read_as_out_of_office_stays_stopped_while_another_reply_of_its_own_stands(fresh_dsn):
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as rig:
        voices = ProspectVoices(Repository(rig.pool), rig.clock)
        sender = await rig.add_sender(LIMITS)
        campaign_id, (ana,) = await campaign(rig, sender, [("p-ana", "ana@acme.example")])
        await voices.record("r-1", ana, "replied")
        await voices.record("r-2", ana, "replied")
        first = await reply_id(voices, ana, "r-1")
        assert (await voices.reclassify(campaign_id, ana, first, "out_of_office", "m-1")).affected == []
        assert (await states(rig, campaign_id, [ana]))[ana] == ("stopped", ["replied"])
        # Re-read once more as a real reply, then as an out-of-office again: the latest reading of r-1 counts, and
        # r-2 still stands.
        rig.clock.set(MONDAY_7_UTC + timedelta(minutes=1))
        assert (await voices.reclassify(campaign_id, ana, first, "replied", "m-1")).affected == []
        rig.clock.set(MONDAY_7_UTC + timedelta(minutes=2))
        assert (await voices.reclassify(campaign_id, ana, first, "out_of_office", "m-1")).affected == []
        # Once r-2 is re-read too, no reply of Ana's stands: it goes back, parked.
        lifted = await voices.reclassify(campaign_id, ana, await reply_id(voices, ana, "r-2"), "out_of_office", "m-1")
        assert lifted.affected == [ana] and lifted.parked_until is not None
        assert (await states(rig, campaign_id, [ana]))[ana][1][0] == "out_of_office"
        await rig.run_until(lifted.parked_until + timedelta(days=2))
        assert {i.provider_id for i in rig.sandbox.invitations} == {"p-ana"}
