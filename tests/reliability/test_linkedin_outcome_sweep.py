"""The sweep of issue 13 (DESIGN T1-T3): every error type Unipile documents, injected into invites, messages
and InMails, through the real dispatcher, the real Unipile client over real HTTP and the Unipile sandbox.

Each (action, error type) gets its own sender, sandbox account and prospect, and the failure is injected for
that account only, once. Then days of virtual time run with the reconciler. Checked:
* the first attempt of each case ends in the outcome class its type has (a definite refusal is closed at once,
  never left unknown; a 5xx that cannot tell is reconciled with what the sandbox shows);
* 0 re-sends after a definite refusal: a refused prospect had one attempt and the sandbox holds nothing for it;
* every other case ends sent exactly once, and 0 invites or messages are booked sent that the sandbox never
  received;
* while a cool-down lasts, why-not-now says whose it is and why."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from services.common.clock import ManualClock
from services.common.metrics import PROVIDER_UNMAPPED_ERRORS
from services.common.providers.unipile import DOCUMENTED_ERRORS, FailureKind
from services.scheduler.domain import CampaignPlan, Limits, Step
from services.scheduler.plan_rows_repository import Enrollee
from tests.scheduler_rig import MONDAY_7_UTC, PARIS, Rig, scheduler_rig

ROOMY = Limits(daily_cap=200, weekly_cap=1000, ramp_start=200, ramp_step=0, pacing_min_seconds=0, pacing_max_seconds=0)
STEPS = {
    "linkedin_invite": Step(0, "linkedin", "linkedin_invite", 0, "Hi {{first_name}}"),
    "linkedin_message": Step(0, "linkedin", "linkedin_message", 0, "Hello {{first_name}}"),
    "linkedin_inmail": Step(0, "linkedin", "linkedin_inmail", 0, "Dear {{first_name}}"),
}
ENDPOINT = {"linkedin_invite": "send_invite", "linkedin_message": "start_chat", "linkedin_inmail": "start_chat"}
# Beyond the documented types: what Unipile may add later, a proxy's page, and LinkedIn's limit as a 500.
EXTRA = [
    ("errors/brand_new_refusal", 422, "", FailureKind.PROSPECT_REFUSED),
    ("", 502, "", FailureKind.UNKNOWN),
    ("errors/provider_error", 500, "LinkedIn weekly limit reached", FailureKind.SENDER_COOLDOWN),
]
FIRST_OUTCOME = {
    FailureKind.SENDER_COOLDOWN: ("failed", "sender_cooldown"),
    FailureKind.RATE_LIMITED: ("failed", "rate_limited"),
    FailureKind.DISCONNECTED: ("failed", "disconnected"),
    FailureKind.RESTRICTED: ("failed", "restricted"),
    FailureKind.TRANSIENT: ("failed", "transient"),
    # The sandbox answered before acting: the reconciler must find nothing and let the step go again.
    FailureKind.UNKNOWN: ("abandoned", "not_sent"),
}


@dataclass
class Case:
    action: str
    error_type: str
    status: int
    detail: str
    kind: FailureKind
    sender_id: str = ""
    account: str = ""
    campaign_id: str = ""
    prospect_id: str = ""
    provider_id: str = ""


async def _set_up(rig: Rig, case: Case, n: int) -> None:
    case.sender_id = str(uuid.uuid4())
    case.account = f"acc-sweep-{n}"
    case.provider_id = f"prov-sweep-{n}"
    # Messages go to relations; InMails to strangers, with credits to pay for them.
    connections = [case.provider_id] if case.action == "linkedin_message" else []
    await rig.control(
        "accounts", {"id": case.account, "name": case.account, "connections": connections, "inmail_credits": 5}
    )
    await rig.service.set_sender(
        "linkedin_account",
        case.sender_id,
        1,
        "connected",
        "Europe/Paris",
        None,
        case.account,
        "",
        {action: ROOMY for action in STEPS},
    )
    case.campaign_id = str(uuid.uuid4())
    plan = CampaignPlan(
        case.campaign_id, str(uuid.uuid4()), 1, PARIS, True, (case.sender_id,), (), (STEPS[case.action],)
    )
    assert (await rig.service.upsert_plan(plan))[0]
    case.prospect_id = str(uuid.uuid4())
    await rig.service.enroll(
        case.campaign_id, [Enrollee(case.prospect_id, case.provider_id, None, f"P{n}", "", "", {})]
    )
    failure = {
        "endpoint": ENDPOINT[case.action],
        "account_id": case.account,
        "status": case.status,
        "type": case.error_type or "ignored",
        "non_json": not case.error_type,
    }
    if case.detail:
        failure["detail"] = case.detail
    await rig.control("failures", failure)


def _cases() -> list[Case]:
    cases = [
        Case(action, error_type, status, "", kind)
        for action in STEPS
        for error_type, (status, kind) in DOCUMENTED_ERRORS.items()
    ]
    cases += [
        Case(action, error_type, status, detail, kind) for action in STEPS for error_type, status, detail, kind in EXTRA
    ]
    return cases


def _unmapped_total() -> float:
    return sum(s.value for m in PROVIDER_UNMAPPED_ERRORS.collect() for s in m.samples if s.name.endswith("_total"))


async def _run(rig: Rig, until: timedelta) -> None:
    """Dispatch from event to event in half-hour steps, the reconciler running after each."""
    end = MONDAY_7_UTC + until
    while rig.clock.now() < end:
        await rig.run_until(min(rig.clock.now() + timedelta(minutes=30), end))
        await rig.dispatcher.reconcile_once()


async def test_every_documented_error_type_in_every_linkedin_action_gets_its_outcome(fresh_dsn):
    clock = ManualClock(MONDAY_7_UTC)
    unmapped_before = _unmapped_total()
    async with scheduler_rig(fresh_dsn, clock) as rig:
        cases = _cases()
        for n, case in enumerate(cases):
            await _set_up(rig, case, n)

        # The first hours: each case meets its failure once.
        await _run(rig, timedelta(hours=4))
        first = {}
        for case in cases:
            attempts = await rig.pool.fetch(
                "SELECT status, outcome FROM scheduler.send_attempts WHERE prospect_id = $1 ORDER BY started_at, id",
                uuid.UUID(case.prospect_id),
            )
            assert attempts, f"{case.action} {case.error_type}: never attempted"
            first[case.prospect_id] = (attempts[0]["status"], attempts[0]["outcome"])
        wrong = {}
        for case in cases:
            got = first[case.prospect_id]
            if case.kind in (FailureKind.PROSPECT_REFUSED, FailureKind.RECIPIENT_COOLDOWN):
                expected = ("refused", case.error_type or "")
            else:
                expected = FIRST_OUTCOME[case.kind]
            if got != expected:
                wrong[case.action, case.error_type, case.status, case.detail] = (got, expected)
        assert wrong == {}, wrong
        # 0 definite refusals (any 4xx) left unknown.
        open_4xx = [c for c in cases if 400 <= c.status < 500 and first[c.prospect_id][0] in ("started", "abandoned")]
        assert open_4xx == []

        # While a cool-down lasts, why-not-now names it and whose it is.
        for case in cases:
            [view] = await rig.service.list_plans(case.campaign_id, [case.prospect_id])
            if case.error_type == "errors/limit_exceeded":
                assert "sender_cooldown:errors/limit_exceeded" in view.why_not_now, view.why_not_now
            if case.error_type == "errors/insufficient_credits":
                assert "sender_cooldown:errors/insufficient_credits" in view.why_not_now, view.why_not_now
            if case.error_type == "errors/cannot_resend_yet":
                assert "recipient_cooldown:errors/cannot_resend_yet" in view.why_not_now, view.why_not_now

        # Two weeks on: everything that could go has gone, and nothing twice.
        await _run(rig, timedelta(days=14))
        state = rig.sandbox
        resent, missing, booked_unseen = [], [], []
        for case in cases:
            attempts = await rig.pool.fetch(
                "SELECT status, outcome FROM scheduler.send_attempts WHERE prospect_id = $1",
                uuid.UUID(case.prospect_id),
            )
            plan = await rig.pool.fetchrow(
                "SELECT state, stop_reason FROM scheduler.prospect_plans WHERE prospect_id = $1",
                uuid.UUID(case.prospect_id),
            )
            invites = [
                i for i in state.invitations if i.account_id == case.account and i.provider_id == case.provider_id
            ]
            messages = [
                m
                for c in state.chats.values()
                if c.account_id == case.account and c.attendee_provider_id == case.provider_id
                for m in c.messages
                if m.is_sender
            ]
            at_provider = len(invites) if case.action == "linkedin_invite" else len(messages)
            booked = sum(1 for a in attempts if a["status"] in ("succeeded", "reconciled_sent"))
            key = (case.action, case.error_type, case.status, case.detail)
            if case.kind is FailureKind.PROSPECT_REFUSED:
                if len(attempts) != 1 or at_provider:
                    resent.append((key, len(attempts), at_provider))
                waiting = case.action == "linkedin_invite" and case.error_type == "errors/action_already_performed"
                expected_state = "waiting_acceptance" if waiting else "stopped"
                assert plan["state"] == expected_state, (key, dict(plan))
                if not waiting:
                    assert plan["stop_reason"] == (case.error_type or "refused"), (key, dict(plan))
            elif booked != 1 or at_provider != 1:
                missing.append((key, booked, at_provider, [tuple(a) for a in attempts]))
            if booked > at_provider:
                booked_unseen.append(key)
        assert resent == [], f"re-sent after a definite refusal: {resent}"
        assert missing == [], f"not sent exactly once: {missing}"
        assert booked_unseen == [], f"booked sent, never received by the sandbox: {booked_unseen}"

        assert _unmapped_total() - unmapped_before == 2 * len(STEPS)  # the new 4xx type and the 502 page
        classes = Counter(c.kind.value for c in cases)
        print(
            f"\noutcome sweep: {len(cases)} cases ({len(DOCUMENTED_ERRORS)} documented types x {len(STEPS)} "
            f"actions + {len(EXTRA) * len(STEPS)} undocumented); classes {dict(classes)}; 0 refusals left "
            f"unknown, 0 re-sends after a refusal, 0 booked sent unseen by the sandbox"
        )
