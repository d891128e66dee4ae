"""gRPC server reflection under both names clients use: `grpc.reflection.v1` (grpcurl and current tools ask for it
first) and the older `grpc.reflection.v1alpha`.

grpcio-reflection only ships v1alpha. The v1 protocol is the same messages with the same field numbers in another
package, so the v1alpha servicer answers both; a v1 copy of its descriptor is added to the pool so that v1 can
itself be described."""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection, reflection_pb2

V1_SERVICE_NAME = "grpc.reflection.v1.ServerReflection"
V1ALPHA_SERVICE_NAME = reflection.SERVICE_NAME


def _add_v1_descriptor(pool: descriptor_pool.DescriptorPool) -> None:
    try:
        pool.FindServiceByName(V1_SERVICE_NAME)
        return  # already added (one pool, several servers in a test process)
    except KeyError:
        pass
    v1 = descriptor_pb2.FileDescriptorProto.FromString(reflection_pb2.DESCRIPTOR.serialized_pb)
    old, new = v1.package, "grpc.reflection.v1"
    v1.name, v1.package = "grpc/reflection/v1/reflection.proto", new
    for message in v1.message_type:
        for field in message.field:
            if field.type_name.startswith(f".{old}."):
                field.type_name = f".{new}." + field.type_name.removeprefix(f".{old}.")
    for service in v1.service:
        for method in service.method:
            method.input_type = f".{new}." + method.input_type.removeprefix(f".{old}.")
            method.output_type = f".{new}." + method.output_type.removeprefix(f".{old}.")
    pool.Add(v1)


def enable(server: grpc.aio.Server, service_names: Sequence[str]) -> None:
    """Serve reflection (v1 and v1alpha) for `service_names` and for reflection itself."""
    _add_v1_descriptor(descriptor_pool.Default())
    names = [*service_names, V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME]
    servicer = reflection.aio.ReflectionServicer(names)
    v1alpha_handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(name, {"ServerReflectionInfo": v1alpha_handler})
            for name in (V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME)
        ]
    )
