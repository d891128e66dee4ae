"""Generate the Python code and .pyi stubs for every .proto under protos/.

`make proto` writes them beside the protos; the test suite generates into a temporary folder and fails
if the committed files differ, so generated code never drifts from its source.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"


def proto_files() -> list[Path]:
    return sorted(PROTO_ROOT.rglob("*.proto"))


def generate(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    well_known = Path(protoc.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *(str(p) for p in proto_files()),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    # Every folder of generated code is a regular package so it imports the same way everywhere.
    for proto in proto_files():
        folder = out_dir / proto.parent.relative_to(PROTO_ROOT)
        while folder != out_dir:
            (folder / "__init__.py").touch()
            folder = folder.parent


def generated_files(root: Path) -> dict[str, bytes]:
    patterns = ("*_pb2.py", "*_pb2.pyi", "*_pb2_grpc.py", "__init__.py")
    files: dict[str, bytes] = {}
    for pattern in patterns:
        for path in root.rglob(pattern):
            files[str(path.relative_to(root))] = path.read_bytes()
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=PROTO_ROOT)
    args = parser.parse_args()
    generate(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
