"""Writes the pip settings for `make image` from this machine's own pip configuration.

The image build installs the locked packages with the same index, proxy and certificate settings the host's
pip uses, without writing any of them into the Dockerfile, the repository or an image layer: this script puts
a pip.conf (and the CA bundle it names) into a private directory that scripts/image_build.sh hands to the
build as BuildKit secrets, mounted only for the `pip install` step.

Settings that point at this machine's disk (file:// indexes, find-links folders, constraint files) do not
exist inside the build and are left out; the certificate file is carried over as the `pip-cert` secret.

    usage: python scripts/image_pip_config.py OUTDIR     (writes OUTDIR/pip.conf, maybe OUTDIR/pip-cert)
"""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

# Where the secrets appear inside the build (RUN --mount=type=secret,id=...).
SECRET_DIR = "/run/secrets"
LOCAL_ONLY_KEYS = {"find-links", "constraint", "requirement", "client-cert", "log", "cache-dir", "src"}
URL_LIST_KEYS = {"index-url", "extra-index-url"}


def host_settings(python: str) -> dict[tuple[str, str], str]:
    """(section, key) -> value as the host's pip sees it; environment variables (PIP_*) win over files."""
    listed = subprocess.run([python, "-m", "pip", "config", "list"], check=True, capture_output=True, text=True)
    files: dict[tuple[str, str], str] = {}
    env: dict[tuple[str, str], str] = {}
    for line in listed.stdout.splitlines():
        name, sep, raw = line.partition("=")
        if not sep:
            continue
        value = raw.strip().strip("'\"")
        if name.startswith(":env:."):
            env[("global", name.removeprefix(":env:."))] = value
        else:
            section, _, key = name.partition(".")
            files[(section, key)] = value
    return files | env


def build_settings(settings: dict[tuple[str, str], str]) -> tuple[configparser.ConfigParser, Path | None]:
    conf = configparser.ConfigParser(interpolation=None)
    cert: Path | None = None
    for (section, key), value in sorted(settings.items()):
        if key in LOCAL_ONLY_KEYS:
            continue
        if key == "cert":
            cert = Path(value)
            value = f"{SECRET_DIR}/pip-cert"
        elif key in URL_LIST_KEYS:
            value = " ".join(url for url in value.split() if not url.startswith("file:"))
            if not value:
                continue
        if not conf.has_section(section):
            conf.add_section(section)
        conf.set(section, key, value)
    return conf, cert


def main(outdir: str) -> None:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    conf, cert = build_settings(host_settings(sys.executable))
    if cert is not None:
        (out / "pip-cert").write_bytes(cert.read_bytes())
    with (out / "pip.conf").open("w") as handle:
        conf.write(handle)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
