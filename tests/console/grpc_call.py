"""grpc_call - one unary call on the gRPC port, for the console tests that
compare an answer of the gRPC-Web listener with the gRPC port's.

    /usr/bin/python3 grpc_call.py ADDR /pkg.Service/Method MODULE.Request MODULE.Response JSON [TOKEN [METADATA]]

MODULE is a module of inspect_pb.v1 (e.g. licensing_pb2). Prints one JSON
line: {"code": <status number>, "details": "..."}. TOKEN may be empty;
METADATA is a JSON object of extra metadata (keys ending in -bin: UTF-8
text sent as bytes).
"""

import importlib
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))

import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402

from inspectd_harness import call_unary  # noqa: E402


def message_class(dotted):
    module, name = dotted.split(".")
    return getattr(importlib.import_module(f"inspect_pb.v1.{module}"), name)


def main():
    addr, method, req_name, resp_name, body = sys.argv[1:6]
    tok = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] else None
    extra = json.loads(sys.argv[7]) if len(sys.argv) > 7 else {}
    metadata = [(k, v.encode() if k.endswith("-bin") else v) for k, v in extra.items()]
    req = json_format.Parse(body, message_class(req_name)())
    with grpc.insecure_channel(addr) as ch:
        try:
            call_unary(ch, method, req, message_class(resp_name), token=tok,
                       metadata=metadata or None)
            print(json.dumps({"code": 0, "details": ""}))
        except grpc.RpcError as e:
            print(json.dumps({"code": e.code().value[0], "details": e.details()}))


if __name__ == "__main__":
    main()
