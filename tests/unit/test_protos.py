"""Generated code never drifts from the .proto files, and the protos stay lint-clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import protogen  # noqa: E402


def test_committed_generated_code_matches_a_fresh_generation(tmp_path):
    protogen.generate(tmp_path)
    fresh = protogen.generated_files(tmp_path)
    committed = protogen.generated_files(protogen.PROTO_ROOT)
    assert fresh, "nothing was generated"
    assert sorted(committed) == sorted(fresh), "run `make proto` and commit the result"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], f"stale generated files (run `make proto`): {stale}"


def test_every_proto_has_stubs_and_grpc_code():
    for proto in protogen.proto_files():
        stem = proto.with_suffix("")
        for suffix in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"):
            assert Path(f"{stem}{suffix}").exists(), f"{stem}{suffix}"


def test_buf_lint_is_clean():
    buf = shutil.which("buf", path=str(Path(sys.executable).parent))
    assert buf, "buf (buf-bin) is installed with the dev dependencies"
    result = subprocess.run([buf, "lint"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
