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


# ---------------------------------------------------------------------------------------------------------
# Breaking changes. Two references, both checked: the previous commit (from git history), and the committed
# baseline image `protos/baseline.binpb` (the contract as last accepted; it also covers a shallow clone, which has
# no previous commit). A deliberate breaking change replaces the baseline: `make proto-baseline`.

BASELINE = ROOT / "protos" / "baseline.binpb"


def buf() -> str:
    found = shutil.which("buf", path=str(Path(sys.executable).parent))
    assert found, "buf (buf-bin) is installed with the dev dependencies"
    return found


def breaking_against(against: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [buf(), "breaking", "--against", against], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def previous_commit_protos(into: Path) -> Path | None:
    """buf.yaml and protos/ as the previous commit had them, or None when this clone has no previous commit."""
    git = ["git", "-C", str(ROOT)]
    if subprocess.run([*git, "rev-parse", "--verify", "-q", "HEAD~1^{commit}"], capture_output=True).returncode:
        return None
    archive = subprocess.run(
        [*git, "archive", "--format=tar", "HEAD~1", "--", "buf.yaml", "protos"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def test_no_breaking_change_against_the_baseline_image():
    assert BASELINE.stat().st_size > 1000, "protos/baseline.binpb is committed (make proto-baseline)"
    result = breaking_against(str(BASELINE))
    assert result.returncode == 0, "breaking change against protos/baseline.binpb:\n" + result.stdout + result.stderr


def test_no_breaking_change_against_the_previous_commit(tmp_path):
    previous = previous_commit_protos(tmp_path)
    # A shallow clone (CI's depth-1 checkout) has no history: the committed baseline is then the reference.
    against = str(previous) if previous is not None else str(BASELINE)
    result = breaking_against(against)
    assert result.returncode == 0, f"breaking change against {against}:\n" + result.stdout + result.stderr


def test_a_deleted_rpc_is_caught_as_breaking(tmp_path):
    """The check itself works: the protos with one RPC fewer break against the current ones."""
    subprocess.run(["cp", "-r", str(ROOT / "protos"), str(ROOT / "buf.yaml"), str(tmp_path)], check=True)
    scheduler = tmp_path / "protos" / "holdfast" / "scheduler" / "v1" / "scheduler.proto"
    text = scheduler.read_text()
    assert "rpc GetResumePreview(" in text
    scheduler.write_text("\n".join(line for line in text.splitlines() if "rpc GetResumePreview(" not in line))
    result = subprocess.run(
        [buf(), "breaking", str(tmp_path), "--against", str(ROOT)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert 'Previously present RPC "GetResumePreview"' in result.stdout
