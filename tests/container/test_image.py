"""The image built from deploy/Dockerfile, run the way the rendered prod overlay (deploy/k8s) runs it: each
schema's migration Job, then accounts, campaigns, scheduler and gateway as four containers with the
manifests' environment (ConfigMaps plus a test Secret), user, read-only root filesystem, emptyDir mounts,
dropped capabilities, no privilege escalation and resource limits, against a real PostgreSQL.

Each container gets its own network namespace on one Docker network, as each pod gets its own IP: the
ConfigMaps' addresses (holdfast-accounts:50051, ...) and the shared metrics port 9090 are used unchanged, the
Service names resolving to the containers. The test then probes what the manifests probe, drives a campaign
through the gateway, reads the metrics the pods advertise and stops every container with SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.conftest import TEST_SECRET_KEYS
from tests.container import docker_host, manifests
from tests.container.docker_host import docker
from tests.container.postgres_tcp import postgres
from tests.container.unipile_sandbox import unipile_sandbox

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "holdfast:container-test"
FIGURES = ROOT / ".holdfast" / "container-test.json"
SERVERS = ("holdfast-accounts", "holdfast-campaigns", "holdfast-scheduler", "holdfast-gateway")
JOBS = {
    "holdfast-accounts-migrate": "accounts",
    "holdfast-campaigns-migrate": "campaigns",
    "holdfast-scheduler-migrate": "scheduler",
}
# Rendered and checked like the others (environment, Secret keys, security), but not run: it registers webhooks
# with Unipile, which cannot be reached from here (its command runs against the sandbox in tests/integration and
# under `make run`).
NOT_RUN = {"holdfast-accounts-register-webhooks"}
UNIPILE_ACCOUNT = "acc-container-1"


@dataclass
class Running:
    workload: manifests.Workload
    container: str
    ip: str
    started_at: float
    serving_after: float | None = None


@dataclass
class Deployment:
    dsn: str
    password: str
    servers: dict[str, Running]
    jobs: dict[str, tuple[int, str]]
    figures: dict[str, Any] = field(default_factory=dict)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _ip(container: str) -> str:
    return docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container).stdout.strip()


def _logs(container: str) -> str:
    result = docker("logs", container, check=False)
    return result.stdout + result.stderr


def _port(probe_port: int | str, ports: dict[str, int]) -> int:
    return ports[probe_port] if isinstance(probe_port, str) else probe_port


def grpc_health(ip: str, port: int, service: str = "", timeout: float = 2) -> int:
    with grpc.insecure_channel(f"{ip}:{port}") as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=timeout
        )
    return reply.status


def http_get(url: str, timeout: float = 3) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def probe_passes(running: Running, probe: dict[str, Any]) -> bool:
    """One attempt of a Kubernetes probe (grpc or httpGet), with its timeout."""
    ports, timeout = running.workload.ports, probe.get("timeoutSeconds", 1)
    try:
        if "grpc" in probe:
            status = grpc_health(
                running.ip, _port(probe["grpc"]["port"], ports), probe["grpc"].get("service", ""), timeout
            )
            return status == health_pb2.HealthCheckResponse.SERVING
        get = probe["httpGet"]
        status, _ = http_get(f"http://{running.ip}:{_port(get['port'], ports)}{get['path']}", timeout)
        return 200 <= status < 400
    except (grpc.RpcError, OSError):
        return False


def call(
    gateway: Running, method: str, path: str, token: str | None = None, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://{gateway.ip}:{gateway.workload.ports['http']}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _run(stack: ExitStack, workload: manifests.Workload, prefix: str, network: str) -> str:
    name = f"{prefix}-{workload.name.removeprefix('holdfast-')}"
    alias = ["--network-alias", workload.service_alias] if workload.service_alias else []
    env_file = Path(tempfile.mkdtemp(prefix="hf-ct-env-")) / "env"
    stack.callback(shutil.rmtree, env_file.parent, ignore_errors=True)
    env_file.write_text("".join(f"{key}={value}\n" for key, value in workload.env.items()))
    stack.callback(docker, "rm", "-f", name, check=False)
    docker(
        "run",
        "--detach",
        "--name",
        name,
        "--network",
        network,
        *alias,
        "--env-file",
        str(env_file),
        *workload.run_args,
        *workload.command,
    )
    return name


def _build_image() -> float:
    started = time.monotonic()
    build = subprocess.run(
        ["bash", "scripts/image_build.sh", IMAGE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert build.returncode == 0, f"make image failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}"
    return time.monotonic() - started


def _migrate(
    stack: ExitStack, specs: dict[str, manifests.Workload], prefix: str, network: str
) -> dict[str, tuple[int, str]]:
    # The Jobs run side by side, as `kubectl apply` starts them; each takes its schema's advisory lock.
    names = {job: _run(stack, specs[job], prefix, network) for job in JOBS}
    results = {}
    for job, name in names.items():
        waited = docker("wait", name, timeout=specs[job].deadline_seconds or 900)
        results[job] = (int(waited.stdout.strip()), _logs(name))
    return results


def _start_servers(
    stack: ExitStack, specs: dict[str, manifests.Workload], prefix: str, network: str
) -> dict[str, Running]:
    servers = {}
    for name in SERVERS:
        started = time.monotonic()
        container = _run(stack, specs[name], prefix, network)
        servers[name] = Running(specs[name], container, _ip(container), started)
    # The startup probe, tried every 0.1 s (rather than every periodSeconds) to time start-up closely, within
    # the manifest's whole budget of periodSeconds x failureThreshold.
    pending = dict(servers)
    while pending:
        for name, running in list(pending.items()):
            probe = running.workload.probes["startupProbe"]
            budget = probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3)
            if probe_passes(running, probe):
                running.serving_after = time.monotonic() - running.started_at
                del pending[name]
                continue
            state = docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", running.container).stdout
            assert state.startswith("running"), f"{name} stopped ({state.strip()}):\n{_logs(running.container)}"
            assert time.monotonic() - running.started_at < budget, (
                f"{name}: startup probe failing after {budget} s:\n{_logs(running.container)}"
            )
        time.sleep(0.1)
    return servers


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    prefix = f"hf-ct-{secrets.token_hex(3)}"
    with ExitStack() as stack:
        version = stack.enter_context(docker_host.engine(ROOT / ".holdfast" / "container-test"))
        build_seconds = _build_image()
        docker("network", "create", prefix)
        stack.callback(docker, "network", "rm", prefix, check=False)
        gateway_ip = docker(
            "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", prefix
        ).stdout.strip()
        password = secrets.token_urlsafe(18)
        dsn = stack.enter_context(postgres(gateway_ip, _free_port(gateway_ip), password))
        secret = {f"{schema}-database-url": dsn for schema in JOBS.values()} | {
            "secret-keys": TEST_SECRET_KEYS,
            "unipile-api-key": "container-test-unipile-key",
            "unipile-webhook-secret": "container-test-webhook-secret",
            "billing-webhook-secret": "container-test-billing-secret",
            "unsubscribe-key": "container-test-unsubscribe-key-0123456789abcdef",
        }
        unipile = stack.enter_context(
            unipile_sandbox(gateway_ip, _free_port(gateway_ip), secret["unipile-api-key"], [UNIPILE_ACCOUNT])
        )
        render = manifests.render_prod()
        for doc in render:
            if doc["kind"] == "ConfigMap" and "HOLDFAST_UNIPILE_DSN" in doc.get("data", {}):
                doc["data"]["HOLDFAST_UNIPILE_DSN"] = unipile
        specs = manifests.workloads(render, secret, IMAGE)
        assert set(SERVERS) | set(JOBS) | NOT_RUN == set(specs), f"workloads in the render: {sorted(specs)}"
        jobs = _migrate(stack, specs, prefix, network=prefix)
        servers = _start_servers(stack, specs, prefix, network=prefix)
        size = int(docker("image", "inspect", "-f", "{{.Size}}", IMAGE).stdout)
        figures = {
            "engine": version,
            "build_seconds": round(build_seconds, 1),
            "image_bytes": size,
            "run_to_serving_seconds": {n: round(r.serving_after or -1, 2) for n, r in servers.items()},
        }
        deployment = Deployment(dsn, password, servers, jobs, figures)
        yield deployment
        FIGURES.parent.mkdir(parents=True, exist_ok=True)
        FIGURES.write_text(json.dumps(deployment.figures, indent=2) + "\n")


def test_each_schema_migration_job_completes_from_the_image(deployment: Deployment) -> None:
    async def applied() -> dict[str, int]:
        conn = await asyncpg.connect(deployment.dsn)
        try:
            return {
                schema: await conn.fetchval(f"SELECT count(*) FROM {schema}.schema_migrations")
                for schema in JOBS.values()
            }
        finally:
            await conn.close()

    for job, (code, logs) in deployment.jobs.items():
        assert code == 0, f"{job} exited {code}:\n{logs}"
    counts = asyncio.run(applied())
    for schema, count in counts.items():
        assert count == len(list((ROOT / "services" / schema / "migrations").glob("*.sql"))), schema


def test_every_probe_the_manifests_declare_passes(deployment: Deployment) -> None:
    for name, running in deployment.servers.items():
        assert running.serving_after is not None, name
        for kind, probe in running.workload.probes.items():
            assert probe_passes(running, probe), f"{name}: {kind} {probe} fails"
    gateway = deployment.servers["holdfast-gateway"]
    assert http_get(f"http://{gateway.ip}:{gateway.workload.ports['http']}/readyz")[0] == 200


def test_grpc_health_is_serving_on_each_service(deployment: Deployment) -> None:
    for name in SERVERS[:3]:
        running = deployment.servers[name]
        port = running.workload.ports["grpc"]
        assert grpc_health(running.ip, port) == health_pb2.HealthCheckResponse.SERVING, name
        # and reachable under the Service name the other pods use (the ConfigMaps' *_TARGET)
        target = running.workload.service_alias
        assert any(
            target and f"{target}:{port}" in value
            for r in deployment.servers.values()
            for value in r.workload.env.values()
        ), f"nothing addresses {target}:{port}"


def test_a_campaign_is_created_paused_and_resumed_through_the_gateway(deployment: Deployment) -> None:
    gateway = deployment.servers["holdfast-gateway"]
    status, workspace = call(
        gateway, "POST", "/api/v1/workspaces", body={"name": "Container Co", "owner_email": "owner@container.example"}
    )
    assert status == 201, workspace
    token = workspace["token"]
    schedule = {
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "window": {"start": "09:00", "end": "17:00"},
        "timezone": "Europe/Paris",
        "randomize_within_window": True,
    }
    # accounts announces the new sender to scheduler, campaigns hands the plan to scheduler: every service
    # takes part, each reaching the others by the Service names of the ConfigMaps.
    status, account = call(
        gateway,
        "POST",
        "/api/v1/linkedin-accounts",
        token,
        {"unipile_account_id": UNIPILE_ACCOUNT, "name": "Sales Nav"},
    )
    assert status == 201, account
    step = {"channel": "linkedin", "action": "invite", "text": "Hello {{first_name}}"}
    status, campaign = call(
        gateway,
        "POST",
        "/api/v1/campaigns",
        token,
        {"name": "Boxed", "schedule": schedule, "steps": [step], "senders": {"linkedin_account_ids": [account["id"]]}},
    )
    assert status == 201, campaign
    cid = campaign["id"]
    status, activated = call(gateway, "POST", f"/api/v1/campaigns/{cid}/activate", token)
    assert status == 200 and activated["campaign"]["status"] == "active", activated
    status, paused = call(gateway, "POST", f"/api/v1/campaigns/{cid}/pause", token)
    assert status == 200 and paused["campaign"]["status"] == "paused", paused
    status, resumed = call(gateway, "POST", f"/api/v1/campaigns/{cid}/resume", token)
    assert status == 200 and resumed["campaign"]["status"] == "active", resumed
    status, read = call(gateway, "GET", f"/api/v1/campaigns/{cid}", token)
    assert status == 200 and read["status"] == "active", read


def test_metrics_are_served_where_the_pods_advertise_them(deployment: Deployment) -> None:
    for name, running in deployment.servers.items():
        annotations = running.workload.annotations
        if annotations.get("prometheus.io/scrape") == "true":
            port, path = int(annotations["prometheus.io/port"]), annotations.get("prometheus.io/path", "/metrics")
            assert running.workload.ports.get("metrics") == port, f"{name}: the metrics port is not declared"
        else:
            port, path = running.workload.ports["http"], "/metrics"
        status, text = http_get(f"http://{running.ip}:{port}{path}")
        assert status == 200 and "# TYPE holdfast_" in text, f"{name}: {status} {text[:200]}"


def test_sigterm_stops_every_container_with_exit_0_within_the_grace_period(deployment: Deployment) -> None:
    # The kubelet runs preStop (a sleep) first and kills at terminationGracePeriodSeconds: what is left of the
    # grace period after the sleep is the container's budget.
    started = {}
    for running in deployment.servers.values():
        docker("kill", "--signal", "TERM", running.container)
        started[running.container] = time.monotonic()
    stopped = {}
    for name, running in deployment.servers.items():
        budget = running.workload.grace_seconds - running.workload.pre_stop_seconds
        left = max(0.5, budget - (time.monotonic() - started[running.container]))
        waited = docker("wait", running.container, timeout=left)
        stopped[name] = round(time.monotonic() - started[running.container], 2)
        assert int(waited.stdout.strip()) == 0, f"{name} exited {waited.stdout.strip()}:\n{_logs(running.container)}"
        logs = _logs(running.container)
        assert deployment.password not in logs, f"{name} logged the database password"
    deployment.figures["sigterm_to_exit_seconds"] = stopped
