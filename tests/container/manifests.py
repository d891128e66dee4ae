"""The rendered prod overlay turned into `docker run` arguments, field by field, so the container test runs
each workload the way its manifest says Kubernetes runs it. A field this translation does not know fails the
test instead of being dropped: a manifest that asks for something the test does not reproduce is a gap."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = ROOT / ".venv" / "bin" / "kubectl"

POD_SPEC_KEYS = {
    "serviceAccountName",
    "automountServiceAccountToken",
    "enableServiceLinks",
    "securityContext",
    "terminationGracePeriodSeconds",
    "containers",
    "volumes",
    "restartPolicy",
}
CONTAINER_KEYS = {
    "name",
    "image",
    "imagePullPolicy",
    "args",
    "ports",
    "envFrom",
    "env",
    "resources",
    "startupProbe",
    "readinessProbe",
    "livenessProbe",
    "lifecycle",
    "securityContext",
    "volumeMounts",
}
SECURITY_KEYS = {
    "runAsNonRoot",
    "runAsUser",
    "runAsGroup",
    "fsGroup",
    "readOnlyRootFilesystem",
    "allowPrivilegeEscalation",
    "capabilities",
    "seccompProfile",
}
QUANTITY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def render_prod() -> list[dict[str, Any]]:
    out = subprocess.run(
        [str(KUBECTL), "kustomize", str(ROOT / "deploy" / "k8s" / "overlays" / "prod")],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@dataclass
class Workload:
    """One Deployment's or Job's single container, as docker run will run it (`env` goes in an env file, so
    no secret value appears on a command line)."""

    kind: str
    name: str
    service_alias: str | None
    run_args: list[str]
    command: list[str]
    ports: dict[str, int]
    probes: dict[str, dict[str, Any]]
    grace_seconds: int
    pre_stop_seconds: int
    deadline_seconds: int | None
    annotations: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


def _unknown(where: str, given: dict[str, Any], known: set[str]) -> None:
    extra = set(given) - known
    assert not extra, f"{where}: the container test does not reproduce {sorted(extra)}; teach tests/container"


def _bytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([KMG]i)?", quantity).groups()  # type: ignore[union-attr]
    return int(number) * QUANTITY.get(unit or "", 1)


def _cpus(quantity: str) -> str:
    return str(int(quantity[:-1]) / 1000) if quantity.endswith("m") else quantity


def _environment(
    by_name: dict[tuple[str, str], dict[str, Any]], container: dict[str, Any], secret: dict[str, str], where: str
) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        _unknown(f"{where} envFrom", source, {"configMapRef"})
        config_map = by_name.get(("ConfigMap", source["configMapRef"]["name"]))
        assert config_map, f"{where}: ConfigMap {source['configMapRef']['name']} is not in the render"
        env.update(config_map["data"])
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = str(var["value"])
            continue
        _unknown(f"{where} env {var['name']}", var["valueFrom"], {"secretKeyRef"})
        ref = var["valueFrom"]["secretKeyRef"]
        assert ref["name"] == "holdfast-secrets", f"{where}: Secret {ref['name']} is not the documented one"
        if ref.get("optional") is True and ref["key"] not in secret:
            continue  # as Kubernetes does: an optional key the Secret lacks leaves the variable unset
        assert ref["key"] in secret, f"{where}: the Secret has no key {ref['key']!r} (docs/OPERATIONS.md lists them)"
        env[var["name"]] = secret[ref["key"]]
    return env


def _security(pod: dict[str, Any], container: dict[str, Any], where: str) -> list[str]:
    pod_ctx, ctx = pod.get("securityContext", {}), container.get("securityContext", {})
    _unknown(f"{where} pod securityContext", pod_ctx, SECURITY_KEYS)
    _unknown(f"{where} securityContext", ctx, SECURITY_KEYS)
    merged = {**pod_ctx, **ctx}
    assert merged.get("runAsNonRoot") is True and merged.get("runAsUser", 0) != 0, f"{where}: not non-root"
    args = ["--user", f"{merged['runAsUser']}:{merged.get('runAsGroup', merged['runAsUser'])}"]
    if "fsGroup" in merged:
        args += ["--group-add", str(merged["fsGroup"])]
    if merged.get("readOnlyRootFilesystem"):
        args.append("--read-only")
    if merged.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    capabilities = merged.get("capabilities", {})
    _unknown(f"{where} capabilities", capabilities, {"drop", "add"})
    args += [arg for cap in capabilities.get("drop", []) for arg in ("--cap-drop", cap)]
    args += [arg for cap in capabilities.get("add", []) for arg in ("--cap-add", cap)]
    profile = merged.get("seccompProfile", {}).get("type", "RuntimeDefault")
    assert profile == "RuntimeDefault", f"{where}: seccomp {profile} (docker runs its default profile)"
    return args


def _volumes(pod: dict[str, Any], container: dict[str, Any], where: str) -> list[str]:
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    args = []
    for mount in container.get("volumeMounts", []):
        _unknown(f"{where} volumeMount", mount, {"name", "mountPath", "readOnly"})
        volume = volumes[mount["name"]]
        _unknown(f"{where} volume {mount['name']}", volume, {"name", "emptyDir"})
        size = volume["emptyDir"].get("sizeLimit")
        # An emptyDir is a fresh writable directory every pod may write to; a tmpfs of the declared size is one.
        options = "rw,nosuid,nodev,mode=1777" + (f",size={_bytes(size)}" if size else "")
        args += ["--tmpfs", f"{mount['mountPath']}:{options}"]
    return args


def _service_for(docs: list[dict[str, Any]], labels: dict[str, str]) -> str | None:
    for doc in docs:
        if doc["kind"] == "Service" and all(labels.get(k) == v for k, v in doc["spec"]["selector"].items()):
            return doc["metadata"]["name"]
    return None


def workloads(docs: list[dict[str, Any]], secret: dict[str, str], image: str) -> dict[str, Workload]:
    """Every Deployment and Job of the render, keyed by metadata.name."""
    by_name = {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}
    found = {}
    for doc in docs:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        name = doc["metadata"]["name"]
        template = doc["spec"]["template"]
        pod = template["spec"]
        _unknown(name, pod, POD_SPEC_KEYS)
        assert len(pod["containers"]) == 1, f"{name}: one container per pod"
        container = pod["containers"][0]
        _unknown(name, container, CONTAINER_KEYS)
        assert "command" not in container, f"{name}: the image's ENTRYPOINT is python -m; set args only"
        repository, _, _tag = container["image"].rpartition(":")
        assert repository.rsplit("/", 1)[-1] == "holdfast", f"{name}: image {container['image']}"
        env = _environment(by_name, container, secret, name)
        run_args = _security(pod, container, name) + _volumes(pod, container, name)
        limits = container.get("resources", {}).get("limits", {})
        if "memory" in limits:
            run_args += ["--memory", str(_bytes(limits["memory"]))]
        if "cpu" in limits:
            run_args += ["--cpus", _cpus(str(limits["cpu"]))]
        pre_stop = container.get("lifecycle", {}).get("preStop", {})
        _unknown(f"{name} preStop", pre_stop, {"sleep"})
        found[name] = Workload(
            kind=doc["kind"],
            name=name,
            service_alias=_service_for(docs, template["metadata"]["labels"]) if doc["kind"] == "Deployment" else None,
            run_args=run_args,
            command=[image, *container.get("args", [])],
            ports={p["name"]: p["containerPort"] for p in container.get("ports", [])},
            probes={
                kind: container[kind]
                for kind in ("startupProbe", "readinessProbe", "livenessProbe")
                if kind in container
            },
            grace_seconds=pod.get("terminationGracePeriodSeconds", 30),
            pre_stop_seconds=pre_stop.get("sleep", {}).get("seconds", 0),
            deadline_seconds=doc["spec"].get("activeDeadlineSeconds"),
            annotations=template["metadata"].get("annotations", {}),
            env=env,
        )
    return found
