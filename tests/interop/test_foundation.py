"""Interop: the foundation's health, reflection, auth and error behaviour,
seen from Python grpcio (Debian's python3-grpcio) against a real inspectd.

Run by CTest (tests/interop/CMakeLists.txt sets PYTHONPATH and the binary
paths). Exit status 0 only when every test passes; unittest prints OK or
FAILED last.
"""

import os
import sys
import tempfile
import time
import unittest

import grpc
from google.protobuf import descriptor_pb2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inspectd_harness import (Server, call_bidi, call_server_stream,  # noqa: E402
                              call_unary, make_node_key)
from grpc_pb.health.v1 import health_pb2  # noqa: E402
from grpc_pb.reflection.v1alpha import reflection_pb2  # noqa: E402
from inspect_pb.v1 import directory_pb2, session_pb2  # noqa: E402

HEALTH_CHECK = "/grpc.health.v1.Health/Check"
HEALTH_WATCH = "/grpc.health.v1.Health/Watch"
REFLECTION = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
WHOAMI = "/inspect.v1.Session/WhoAmI"
SERVER_STATUS = "/inspect.v1.Session/ServerStatus"

SERVING = health_pb2.HealthCheckResponse.SERVING


class ServerTestCase(unittest.TestCase):
    """One inspectd for the whole class; its exit status is checked at the end."""

    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = Server(*cls.server_args).start()
        cls.channel = cls.server.channel()

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"inspectd exited with {code}")

    def assertStatus(self, code, fn, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.code(), code, cm.exception.details())
        return cm.exception


class HealthTest(ServerTestCase):

    def check(self, service):
        return call_unary(self.channel, HEALTH_CHECK,
                          health_pb2.HealthCheckRequest(service=service),
                          health_pb2.HealthCheckResponse)

    def test_health_whole_server_serving(self):
        self.assertEqual(self.check("").status, SERVING)

    def test_health_session_serving(self):
        self.assertEqual(self.check("inspect.v1.Session").status, SERVING)

    def test_health_unknown_service_not_found(self):
        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.check, "no.such.Service")

    def test_health_watch_first_message_serving(self):
        call = call_server_stream(self.channel, HEALTH_WATCH,
                                  health_pb2.HealthCheckRequest(service=""),
                                  health_pb2.HealthCheckResponse, timeout=10)
        first = next(iter(call))
        self.assertEqual(first.status, SERVING)
        call.cancel()


class ReflectionTest(ServerTestCase):

    def reflect(self, **request):
        responses = list(call_bidi(self.channel, REFLECTION,
                                   [reflection_pb2.ServerReflectionRequest(**request)],
                                   reflection_pb2.ServerReflectionResponse))
        self.assertEqual(len(responses), 1)
        return responses[0]

    def test_reflection_list_services(self):
        resp = self.reflect(list_services="*")
        self.assertEqual(resp.WhichOneof("message_response"), "list_services_response")
        names = {s.name for s in resp.list_services_response.service}
        self.assertIn("inspect.v1.Session", names)
        self.assertIn("grpc.health.v1.Health", names)
        self.assertIn("grpc.reflection.v1alpha.ServerReflection", names)

    def session_file(self, resp):
        self.assertEqual(resp.WhichOneof("message_response"), "file_descriptor_response")
        files = [descriptor_pb2.FileDescriptorProto.FromString(b)
                 for b in resp.file_descriptor_response.file_descriptor_proto]
        for fd in files:
            if fd.name == "inspect/v1/session.proto":
                return fd
        self.fail(f"session.proto not among {[fd.name for fd in files]}")

    def check_session_file(self, fd):
        self.assertEqual(fd.package, "inspect.v1")
        services = {s.name: s for s in fd.service}
        self.assertIn("Session", services)
        methods = {m.name: m for m in services["Session"].method}
        self.assertEqual(set(methods), {"WhoAmI", "ServerStatus"})
        self.assertEqual(methods["WhoAmI"].input_type, ".inspect.v1.WhoAmIRequest")
        self.assertEqual(methods["WhoAmI"].output_type, ".inspect.v1.WhoAmIResponse")
        self.assertFalse(methods["WhoAmI"].server_streaming)

    def test_reflection_file_containing_symbol(self):
        resp = self.reflect(file_containing_symbol="inspect.v1.Session")
        self.check_session_file(self.session_file(resp))

    def test_reflection_file_by_filename(self):
        resp = self.reflect(file_by_filename="inspect/v1/session.proto")
        self.check_session_file(self.session_file(resp))

    def test_reflection_unknown_symbol_error_response(self):
        resp = self.reflect(file_containing_symbol="no.such.Symbol")
        self.assertEqual(resp.WhichOneof("message_response"), "error_response")
        self.assertEqual(resp.error_response.error_code, grpc.StatusCode.NOT_FOUND.value[0])

    def test_reflection_health_watch_is_server_streaming(self):
        resp = self.reflect(file_containing_symbol="grpc.health.v1.Health")
        files = [descriptor_pb2.FileDescriptorProto.FromString(b)
                 for b in resp.file_descriptor_response.file_descriptor_proto]
        methods = {m.name: m for fd in files for s in fd.service for m in s.method}
        self.assertTrue(methods["Watch"].server_streaming)
        self.assertFalse(methods["Check"].server_streaming)


class AuthTest(ServerTestCase):

    def whoami(self, token):
        return call_unary(self.channel, WHOAMI, session_pb2.WhoAmIRequest(),
                          session_pb2.WhoAmIResponse, token=token)

    def server_status(self, token):
        return call_unary(self.channel, SERVER_STATUS, session_pb2.ServerStatusRequest(),
                          session_pb2.ServerStatusResponse, token=token)

    def test_whoami_valid_token(self):
        # The server checks a department token's department against the
        # directory: it must exist.
        dept = directory_pb2.Department(code="fire", name="fire",
                                        kind=directory_pb2.DEPARTMENT_KIND_INDUSTRY)
        call_unary(self.channel, "/inspect.v1.Directory/UpsertDepartment",
                   directory_pb2.UpsertDepartmentRequest(request_id="auth-fire", department=dept),
                   directory_pb2.UpsertDepartmentResponse,
                   token=self.server.token("admin", "root"))
        tok = self.server.token("department", "dept-fire-01", department="fire")
        resp = self.whoami(tok)
        self.assertEqual(resp.principal, "dept-fire-01")
        self.assertEqual(resp.role, session_pb2.ROLE_DEPARTMENT)
        self.assertEqual(resp.department, "fire")
        self.assertEqual(resp.auth_method, "bearer")
        self.assertGreater(resp.expires_unix, time.time())

    def test_whoami_no_token_unauthenticated(self):
        self.assertStatus(grpc.StatusCode.UNAUTHENTICATED, self.whoami, None)

    def test_whoami_tampered_token_unauthenticated(self):
        tok = self.server.token("inspector", "insp-001")
        payload, mac = tok.split(".")
        # Same length, still base64url: the MAC no longer matches.
        forged = payload[:3] + ("A" if payload[3] != "A" else "B") + payload[4:]
        self.assertStatus(grpc.StatusCode.UNAUTHENTICATED, self.whoami, f"{forged}.{mac}")

    def test_whoami_garbage_token_unauthenticated(self):
        self.assertStatus(grpc.StatusCode.UNAUTHENTICATED, self.whoami, "not-a-token")

    def test_whoami_expired_token_unauthenticated(self):
        tok = self.server.token("inspector", "insp-001", ttl="1s")
        time.sleep(2.1)
        self.assertStatus(grpc.StatusCode.UNAUTHENTICATED, self.whoami, tok)

    def test_whoami_token_from_other_key_unauthenticated(self):
        with tempfile.TemporaryDirectory(prefix="inspectd-otherkey-") as other:
            make_node_key(other)  # another node's key
            tok = self.server.token("admin", "root", data_dir=other)
        self.assertStatus(grpc.StatusCode.UNAUTHENTICATED, self.whoami, tok)

    def test_server_status_inspector_permission_denied(self):
        tok = self.server.token("inspector", "insp-001")
        self.assertStatus(grpc.StatusCode.PERMISSION_DENIED, self.server_status, tok)

    def test_server_status_dispatcher_permission_denied(self):
        tok = self.server.token("dispatcher", "disp-01")
        self.assertStatus(grpc.StatusCode.PERMISSION_DENIED, self.server_status, tok)

    def test_server_status_admin_ok(self):
        resp = self.server_status(self.server.token("admin", "root"))
        self.assertGreaterEqual(resp.calls_active, 1)
        self.assertGreaterEqual(resp.worker_threads, 1)
        self.assertFalse(resp.draining)

    def test_server_status_auditor_ok(self):
        resp = self.server_status(self.server.token("auditor", "audit-1"))
        self.assertTrue(resp.version)


class ErrorsTest(ServerTestCase):

    def test_unknown_method_unimplemented(self):
        self.assertStatus(grpc.StatusCode.UNIMPLEMENTED, call_unary, self.channel,
                          "/inspect.v1.Session/NoSuchMethod", session_pb2.WhoAmIRequest(),
                          session_pb2.WhoAmIResponse)

    def test_unknown_service_unimplemented(self):
        self.assertStatus(grpc.StatusCode.UNIMPLEMENTED, call_unary, self.channel,
                          "/no.such.Service/Method", session_pb2.WhoAmIRequest(),
                          session_pb2.WhoAmIResponse)

    def test_watch_deadline_exceeded(self):
        call = call_server_stream(self.channel, HEALTH_WATCH,
                                  health_pb2.HealthCheckRequest(service=""),
                                  health_pb2.HealthCheckResponse, timeout=0.5)
        seen = []
        with self.assertRaises(grpc.RpcError) as cm:
            for resp in call:
                seen.append(resp.status)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertEqual(seen, [SERVING])


class OversizeTest(ServerTestCase):

    server_args = ("--max-message-bytes", "1024")

    def check(self, service):
        return call_unary(self.channel, HEALTH_CHECK,
                          health_pb2.HealthCheckRequest(service=service),
                          health_pb2.HealthCheckResponse)

    def test_oversize_message_resource_exhausted(self):
        self.assertStatus(grpc.StatusCode.RESOURCE_EXHAUSTED, self.check, "x" * 4096)

    def test_message_within_limit_ok(self):
        self.assertEqual(self.check("").status, SERVING)


if __name__ == "__main__":
    unittest.main(verbosity=2)
