"""The descriptor the gRPC service loads is exactly what protoc compiles from the shipped .proto.

Run this file with Python to rewrite ``grpc_protocol/descriptor.py`` after editing the .proto.
"""

from __future__ import annotations

import base64
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("grpc_tools")
from google.protobuf import descriptor_pb2
from grpc_tools import protoc

import mlsteward.interfaces.serving.grpc_protocol as package
from mlsteward.interfaces.serving.grpc_protocol import descriptor

PROTO_DIR = Path(package.__file__).parent
DESCRIPTOR_PY = PROTO_DIR / "descriptor.py"


def compile_proto() -> bytes:
    """protoc's serialized ``FileDescriptorProto`` for the shipped .proto."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.pb"
        code = protoc.main(
            ["protoc", f"-I{PROTO_DIR}", f"--descriptor_set_out={out}", descriptor.PROTO_FILE]
        )
        assert code == 0, "protoc failed on the shipped .proto"
        files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file
    assert len(files) == 1
    return files[0].SerializeToString(deterministic=True)


def test_descriptor_matches_the_proto() -> None:
    stored = descriptor_pb2.FileDescriptorProto.FromString(
        base64.b64decode(descriptor.FILE_DESCRIPTOR_B64)
    )
    compiled = descriptor_pb2.FileDescriptorProto.FromString(compile_proto())
    assert stored == compiled, f"stale: run `python {Path(__file__).name}` to regenerate"


def test_the_service_has_the_six_rpcs() -> None:
    proto = descriptor_pb2.FileDescriptorProto.FromString(
        base64.b64decode(descriptor.FILE_DESCRIPTOR_B64)
    )
    (service,) = proto.service
    assert f"{proto.package}.{service.name}" == package.SERVICE
    assert {m.name for m in service.method} == set(package.METHODS)


def _rewrite() -> None:
    text = DESCRIPTOR_PY.read_text()
    head = text[: text.index("FILE_DESCRIPTOR_B64 = (")]
    lines = textwrap.wrap(base64.b64encode(compile_proto()).decode(), 88)
    body = "\n".join(f'    "{line}"' for line in lines)
    DESCRIPTOR_PY.write_text(f"{head}FILE_DESCRIPTOR_B64 = (\n{body}\n)\n")


if __name__ == "__main__":
    _rewrite()
    sys.exit(0)
