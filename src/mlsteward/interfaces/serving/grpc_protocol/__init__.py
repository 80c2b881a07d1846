"""The Open Inference Protocol's gRPC messages, built at import from the compiled descriptor.

No generated ``_pb2`` modules: those pin the protobuf runtime to the version of the compiler
that wrote them. The serialized descriptor (``descriptor.py``, checked against the .proto by
a test) is loaded into a private pool and the message classes come from protobuf's own
factory, so any protobuf 4.25+ runtime reads and writes the same wire format. The .proto
ships beside it for clients to generate their own stubs.
"""

from __future__ import annotations

import base64
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from mlsteward.interfaces.serving.grpc_protocol.descriptor import FILE_DESCRIPTOR_B64

SERVICE = "inference.GRPCInferenceService"

_pool = descriptor_pool.DescriptorPool()
_pool.Add(descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(FILE_DESCRIPTOR_B64)))


def message_class(name: str) -> Any:
    """The message class for ``inference.<name>``."""
    return message_factory.GetMessageClass(_pool.FindMessageTypeByName(f"inference.{name}"))


ServerLiveRequest = message_class("ServerLiveRequest")
ServerLiveResponse = message_class("ServerLiveResponse")
ServerReadyRequest = message_class("ServerReadyRequest")
ServerReadyResponse = message_class("ServerReadyResponse")
ModelReadyRequest = message_class("ModelReadyRequest")
ModelReadyResponse = message_class("ModelReadyResponse")
ServerMetadataRequest = message_class("ServerMetadataRequest")
ServerMetadataResponse = message_class("ServerMetadataResponse")
ModelMetadataRequest = message_class("ModelMetadataRequest")
ModelMetadataResponse = message_class("ModelMetadataResponse")
ModelInferRequest = message_class("ModelInferRequest")
ModelInferResponse = message_class("ModelInferResponse")

#: RPC name -> (request class, response class)
METHODS: dict[str, tuple[Any, Any]] = {
    "ServerLive": (ServerLiveRequest, ServerLiveResponse),
    "ServerReady": (ServerReadyRequest, ServerReadyResponse),
    "ModelReady": (ModelReadyRequest, ModelReadyResponse),
    "ServerMetadata": (ServerMetadataRequest, ServerMetadataResponse),
    "ModelMetadata": (ModelMetadataRequest, ModelMetadataResponse),
    "ModelInfer": (ModelInferRequest, ModelInferResponse),
}
