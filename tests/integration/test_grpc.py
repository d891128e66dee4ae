"""The internal services over real gRPC: health, reflection, rich errors and the resume gates."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from holdfast.accounts.v1.accounts_pb2_grpc import AccountsServiceStub
from holdfast.campaigns.v1 import campaigns_pb2, campaigns_pb2_grpc
from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from services.campaigns.clients import AccountsDirectory, ProtoEvents
from services.campaigns.domain import CATALOG, Actor
from services.campaigns.gates import Gates
from services.campaigns.pause import PauseStates
from services.campaigns.repository import Repository
from services.common import errors
from services.common.clock import SystemClock
from services.common.db import create_pool
from services.common.grpc_client import open_channel

SERVICES = {
    "accounts": "holdfast.accounts.v1.AccountsService",
    "campaigns": "holdfast.campaigns.v1.CampaignsService",
    "scheduler": "holdfast.scheduler.v1.SchedulerService",
}


@pytest.mark.parametrize("name", SERVICES)
async def test_every_service_serves_health(suite, name):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{suite.ports[name]}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", SERVICES[name]):
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=2)
        assert exc.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("name", SERVICES)
async def test_every_service_serves_reflection(suite, name):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{suite.ports[name]}") as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)

        async def ask(request):
            async for reply in stub.ServerReflectionInfo(iter([request]), timeout=2):
                return reply

        listed = await ask(reflection_pb2.ServerReflectionRequest(list_services=""))
        names = {s.name for s in listed.list_services_response.service}
        assert {SERVICES[name], "grpc.health.v1.Health"} <= names
        found = await ask(reflection_pb2.ServerReflectionRequest(file_containing_symbol=SERVICES[name]))
        files = [
            descriptor_pb2.FileDescriptorProto.FromString(raw)
            for raw in found.file_descriptor_response.file_descriptor_proto
        ]
        assert any(s.name == SERVICES[name].rsplit(".", 1)[-1] for f in files for s in f.service)


@pytest.mark.parametrize("name", SERVICES)
async def test_every_service_serves_reflection_v1(suite, name):
    """grpcurl and current clients ask `grpc.reflection.v1` first. Its messages are v1alpha's, field for field, in
    another package, so the v1alpha classes encode the v1 wire format; only the method path differs."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{suite.ports[name]}") as channel:
        call = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )

        async def ask(request):
            async for reply in call(iter([request]), timeout=2):
                return reply

        listed = await ask(reflection_pb2.ServerReflectionRequest(list_services=""))
        names = {s.name for s in listed.list_services_response.service}
        assert {
            SERVICES[name],
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
        } <= names
        for symbol in (SERVICES[name], "grpc.reflection.v1.ServerReflection"):
            found = await ask(reflection_pb2.ServerReflectionRequest(file_containing_symbol=symbol))
            files = [
                descriptor_pb2.FileDescriptorProto.FromString(raw)
                for raw in found.file_descriptor_response.file_descriptor_proto
            ]
            package, _, service = symbol.rpartition(".")
            assert any(f.package == package and s.name == service for f in files for s in f.service), symbol


async def test_domain_errors_cross_grpc_with_code_and_field(suite):
    async with open_channel(f"127.0.0.1:{suite.ports['campaigns']}") as channel:
        stub = campaigns_pb2_grpc.CampaignsServiceStub(channel)
        with pytest.raises(errors.InvalidArgument) as exc:
            await stub.CreateCampaign(
                campaigns_pb2.CreateCampaignRequest(
                    workspace_id=str(uuid.uuid4()),
                    name="x",
                    schedule=campaigns_pb2.Schedule(
                        days=["mon"], window_start="09:00", window_end="10:00", timezone="Nowhere/Town"
                    ),
                )
            )
        assert exc.value.code == "invalid_argument"
        assert exc.value.field == "schedule.timezone"
        with pytest.raises(errors.NotFound):
            await stub.GetCampaign(
                campaigns_pb2.GetCampaignRequest(workspace_id=str(uuid.uuid4()), campaign_id=str(uuid.uuid4()))
            )


async def test_raw_grpc_clients_see_the_rich_status(suite):
    """A client in any language gets google.rpc.Status with ErrorInfo in the trailers."""
    from google.rpc import error_details_pb2, status_pb2

    async with grpc.aio.insecure_channel(f"127.0.0.1:{suite.ports['campaigns']}") as channel:
        stub = campaigns_pb2_grpc.CampaignsServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await stub.GetCampaign(campaigns_pb2.GetCampaignRequest(workspace_id="nope", campaign_id="x"), timeout=2)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    raw = dict(exc.value.trailing_metadata())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(raw)
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert info.reason == "invalid_argument" and info.domain == "holdfast"


async def test_an_actor_is_required_to_pause(suite):
    workspace_id, auth = await suite.new_workspace()
    _, created = await suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "c",
            "schedule": {"days": ["mon"], "window": {"start": "09:00", "end": "10:00"}, "timezone": "UTC"},
        },
    )
    async with open_channel(f"127.0.0.1:{suite.ports['campaigns']}") as channel:
        stub = campaigns_pb2_grpc.CampaignsServiceStub(channel)
        with pytest.raises(errors.InvalidArgument) as exc:
            await stub.PauseCampaign(
                campaigns_pb2.PauseCampaignRequest(workspace_id=workspace_id, campaign_id=created["id"])
            )
        assert exc.value.field == "actor"


async def test_resume_blocked_names_each_reason_gate_and_action(suite):
    """P8 over gRPC and HTTP: a reason whose gate does not pass blocks resume with a structured 409, and the
    refused resume changes nothing: the manual reason, whose gate passes, stays (issue 15)."""
    workspace_id, auth = await suite.new_workspace()
    account = await suite.linkedin_account(auth)
    _, created = await suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "c",
            "schedule": {"days": ["mon"], "window": {"start": "09:00", "end": "10:00"}, "timezone": "UTC"},
            "steps": [{"channel": "linkedin", "action": "invite"}],
            "senders": {"linkedin_account_ids": [account]},
        },
    )
    cid = created["id"]
    await suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
    await suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth)
    # A system reason added through the canonical helper (health events arrive in a later issue).
    pool = await create_pool(suite.dsn, application_name="test")
    try:
        directory = AccountsDirectory(AccountsServiceStub(open_channel(f"127.0.0.1:{suite.ports['accounts']}")))
        helper = PauseStates(Repository(pool), SystemClock(), Gates(directory).check, ProtoEvents())
        change = await helper.add(
            workspace_id,
            cid,
            "account_restricted",
            "linkedin",
            Actor(kind="system", source="send_failure", event_id="evt_1"),
            subject=account,
        )
        assert change.changed and change.campaign.paused_reason == "account_restricted"
    finally:
        await pool.close()

    status, body = await suite.call("POST", f"/api/v1/campaigns/{cid}/resume", auth)
    assert status == 409
    assert body["error"]["code"] == "resume_blocked"
    assert body["error"]["details"]["blocking"] == [
        {
            "reason": "account_restricted",
            "gate": "restriction_lifted_and_verified",
            "message": "the account is connected and has not been verified since its restriction",
            "action": CATALOG["account_restricted"].action,
        }
    ]
    _, got = await suite.call("GET", f"/api/v1/campaigns/{cid}", auth)
    assert got["status"] == "paused" and got["paused_reason"] == "account_restricted"
    assert sorted((r["reason"], r["scope"]) for r in got["pause_reasons"]) == [
        ("account_restricted", "linkedin"),
        ("manual", "campaign"),
    ], "a refused resume changes nothing"
    _, history = await suite.call("GET", f"/api/v1/campaigns/{cid}/pause-history", auth)
    assert [(e["action"], e["reason"], e["actor"]["kind"]) for e in history["entries"]] == [
        ("added", "manual", "member"),
        ("added", "account_restricted", "system"),
    ]
    assert history["entries"][1]["actor"] == {
        "kind": "system",
        "member_id": None,
        "source": "send_failure",
        "event_id": "evt_1",
    }


async def test_sender_stats_of_an_unknown_sender_is_not_found(suite):
    async with open_channel(f"127.0.0.1:{suite.ports['scheduler']}") as channel:
        from holdfast.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc

        with pytest.raises(errors.NotFound):
            await scheduler_pb2_grpc.SchedulerServiceStub(channel).GetSenderStats(
                scheduler_pb2.GetSenderStatsRequest(sender_id=str(uuid.uuid4()))
            )


def test_reason_enum_matches_the_database_and_domain():
    from services.campaigns.domain import PRECEDENCE, REASONS
    from services.common.proto_enums import to_word

    words = {to_word(types_pb2.PauseReason, v) for v in types_pb2.PauseReason.values() if v}
    assert words == set(REASONS) == set(PRECEDENCE)


@pytest.mark.parametrize(
    "rpc", ["GetResumePreview", "GetWarmupProgress", "ListProspectPlans", "SetCampaignHolds", "EnrollProspects"]
)
async def test_the_scheduler_refuses_a_malformed_campaign_id_as_invalid_argument(suite, rpc):
    """Like every other service: an id that does not parse is a bad argument naming its field, not a missing
    object (the gateway decides what a malformed id in a URL means, before any call)."""
    async with open_channel(f"127.0.0.1:{suite.ports['scheduler']}") as channel:
        stub = scheduler_pb2_grpc.SchedulerServiceStub(channel)
        request = getattr(scheduler_pb2, f"{rpc}Request")(campaign_id="not-a-uuid")
        with pytest.raises(errors.InvalidArgument) as exc:
            await getattr(stub, rpc)(request)
        assert exc.value.field == "campaign_id"
