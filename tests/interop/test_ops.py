"""Interop (issue 12, label ops): what an operator sees of a real inspectd.

  - Debian's Prometheus, started here on loopback with a 1 s scrape of the
    server's /metrics, answers PromQL through /api/v1/query: after a known
    number of GetApplication calls the grpc_server_handled_total sum for
    grpc_code="OK" is that number, the failing calls show under NotFound,
    and the target is up; /healthz and /readyz answer;
  - with --log-format json every line parses and a call's line carries the
    time (RFC 3339 UTC, ms), level, peer, principal, request id, status and
    the client's message; with --quiet a call slower than --log-slow is
    still logged at warn;
  - grpc.reflection.v1 answers list_services and file_containing_symbol, and
    the descriptor carries the method's comment saying who may call it;
  - --max-streams-per-connection is advertised in HTTP/2 SETTINGS and
    enforced (streams past it wait), and the per-principal rate and stream
    limits answer RESOURCE_EXHAUSTED "the server is busy" with the retry
    delay in the trailing metadata.

Run by CTest (tests/interop/CMakeLists.txt). Exit 0 only when all pass.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request
import uuid

import grpc

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inspectd_harness import (Server, call_bidi, call_server_stream, call_unary,  # noqa: E402
                              seeded)
from grpc_pb.health.v1 import health_pb2  # noqa: E402
from grpc_pb.reflection.v1 import reflection_pb2 as refl_v1  # noqa: E402
from google.protobuf import descriptor_pb2  # noqa: E402
from inspect_pb.v1 import audit_pb2, dispatch_pb2, licensing_pb2, session_pb2  # noqa: E402

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"

GET_APP = "/inspect.v1.Licensing/GetApplication"
LIST_APPS = "/inspect.v1.Licensing/ListApplications"
UPSERT_APP = "/inspect.v1.Licensing/UpsertApplication"
VERIFY_CHAIN = "/inspect.v1.Audit/VerifyChain"
WHOAMI = "/inspect.v1.Session/WhoAmI"
WATCH_ALERTS = "/inspect.v1.Dispatch/WatchAlerts"
HEALTH_WATCH = "/grpc.health.v1.Health/Watch"
REFLECTION_V1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
BUSY = "the server is busy"


def http_get(port, path, timeout=10):
    """(status, body) of GET http://127.0.0.1:port/path."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metric_sum(text, name, **labels):
    """The sum of the samples of `name` in exposition `text` whose labels
    include `labels`."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        series, value = line.rsplit(" ", 1)
        if all(f'{k}="{v}"' in series for k, v in labels.items()):
            total += float(value)
    return total


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def json_lines(server):
    """Every stderr line of `server`, each parsed as JSON (fails on one that is not)."""
    out = []
    for line in server.stderr_text().splitlines():
        if line.startswith("====") or line.startswith("    #") or not line.strip():
            continue  # sanitizer report framing, if any: the exit code tells
        out.append(json.loads(line))
    return out


def wait_for(fn, timeout=20.0, every=0.1):
    """Calls fn until it returns a true value (returned) or timeout (last value)."""
    end = time.monotonic() + timeout
    value = fn()
    while not value and time.monotonic() < end:
        time.sleep(every)
        value = fn()
    return value


class Prometheus:
    """Debian's prometheus on loopback scraping one target every second,
    with its own temporary storage; stopped by pid."""

    def __init__(self, target_port):
        self.dir = tempfile.mkdtemp(prefix="prom-ops-")
        self.port = free_port()
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: inspectd\n"
                    f"    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n")
        self.log = open(os.path.join(self.dir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)

    def query(self, promql):
        """The scalar value of an instant query, or None when it has no sample."""
        url = (f"http://127.0.0.1:{self.port}/api/v1/query?"
               + urllib.parse.urlencode({"query": promql}))
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                body = json.loads(r.read())
        except (OSError, ValueError):
            return None
        if body.get("status") != "success" or not body["data"]["result"]:
            return None
        return float(body["data"]["result"][0]["value"][1])

    def wait_value(self, promql, want, timeout=60.0):
        """Polls until the query returns `want`; returns the last value seen."""
        end = time.monotonic() + timeout
        value = self.query(promql)
        while value != want and time.monotonic() < end:
            time.sleep(0.2)
            value = self.query(promql)
        return value

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "prometheus.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""


class MetricsLogsTest(unittest.TestCase):
    """One seeded server with JSON logs, scraped by a real Prometheus."""

    N_OK = 7
    N_MISSING = 3

    @classmethod
    def setUpClass(cls):
        cls.server = seeded("--log-format", "json")
        cls.prom = None
        try:
            cls.channel = cls.server.channel()
            cls.disp = cls.server.token("dispatcher", "disp-wang")
            page = call_unary(cls.channel, LIST_APPS, licensing_pb2.ListApplicationsRequest(),
                              licensing_pb2.ListApplicationsResponse, token=cls.disp)
            cls.app_id = page.applications[0].id
            cls.prom = Prometheus(cls.server.metrics_port)
        except BaseException:
            cls.server.stop()
            if cls.prom:
                cls.prom.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.prom.stop()
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"inspectd exited with {code}")

    def get_app(self, app_id):
        return call_unary(self.channel, GET_APP, licensing_pb2.GetApplicationRequest(id=app_id),
                          licensing_pb2.Application, token=self.disp)

    def test_ops_prometheus_counts_calls_by_code(self):
        ok_q = 'sum(grpc_server_handled_total{grpc_method="GetApplication",grpc_code="OK"})'
        nf_q = 'sum(grpc_server_handled_total{grpc_method="GetApplication",grpc_code="NotFound"})'
        # The seed load read some applications: Prometheus must see that count first.
        _, before = http_get(self.server.metrics_port, "/metrics")
        base_ok = metric_sum(before, "grpc_server_handled_total", grpc_method="GetApplication",
                             grpc_code="OK")
        base_nf = metric_sum(before, "grpc_server_handled_total", grpc_method="GetApplication",
                             grpc_code="NotFound")
        base_started = metric_sum(before, "grpc_server_started_total",
                                  grpc_method="GetApplication")
        self.assertEqual(self.prom.wait_value(ok_q, base_ok), base_ok, self.prom.log_text())
        for _ in range(self.N_OK):
            self.assertEqual(self.get_app(self.app_id).id, self.app_id)
        for i in range(self.N_MISSING):
            with self.assertRaises(grpc.RpcError) as cm:
                self.get_app(f"no-such-app-{i}")
            self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND)
        want_ok, want_nf = base_ok + self.N_OK, base_nf + self.N_MISSING
        self.assertEqual(self.prom.wait_value(ok_q, want_ok), want_ok, self.prom.log_text())
        self.assertEqual(self.prom.wait_value(nf_q, want_nf), want_nf)
        self.assertEqual(self.prom.wait_value('up{job="inspectd"}', 1.0), 1.0)
        started = self.prom.query(
            'sum(grpc_server_started_total{grpc_service="inspect.v1.Licensing",'
            'grpc_method="GetApplication",grpc_type="unary"})')
        self.assertEqual(started, base_started + self.N_OK + self.N_MISSING)
        count = self.prom.query(
            'sum(grpc_server_handling_seconds_count{grpc_method="GetApplication"})')
        self.assertEqual(count, base_started + self.N_OK + self.N_MISSING)

    def test_ops_metrics_server_gauges(self):
        status, text = http_get(self.server.metrics_port, "/metrics")
        self.assertEqual(status, 200)
        for name in ("inspectd_store_map_bytes", "inspectd_store_used_bytes",
                     "inspectd_store_max_bytes", "inspectd_writer_queue_depth",
                     "inspectd_commit_seconds_bucket", "inspectd_commit_batch_size_count",
                     "inspectd_uploads_staged", "inspectd_photos_stored",
                     "inspectd_follow_streams_open", "inspectd_alerts_open",
                     "inspectd_tasks", "inspectd_idempotency_entries",
                     "inspectd_upload_bytes_received_total"):
            self.assertIn("\n" + name, text, name)
        self.assertEqual(metric_sum(text, "inspectd_store_max_bytes"), float(64 << 30))
        self.assertGreater(metric_sum(text, "inspectd_feed_head_sequence"), 0, "seeded")
        self.assertGreater(metric_sum(text, "inspectd_audit_head_sequence"), 0, "seeded")
        self.assertGreater(metric_sum(text, "inspectd_commit_seconds_count", env="meta"), 0)

    def test_ops_health_endpoints(self):
        self.assertEqual(http_get(self.server.metrics_port, "/healthz"), (200, "ok\n"))
        # every readiness check, the object store's too (ready: no tier here)
        self.assertEqual(http_get(self.server.metrics_port, "/readyz"),
                         (200, "ok store\nok objectstore\n"))
        self.assertEqual(http_get(self.server.metrics_port, "/nope")[0], 404)

    def test_ops_json_log_lines_carry_the_fields(self):
        rid = uuid.uuid4().hex
        with self.assertRaises(grpc.RpcError) as cm:
            self.get_app("missing-for-log")
        client_message = cm.exception.details()
        # An upsert with a request id that fails validation: the id is logged.
        with self.assertRaises(grpc.RpcError):
            call_unary(self.channel, UPSERT_APP,
                       licensing_pb2.UpsertApplicationRequest(request_id=rid),
                       licensing_pb2.UpsertApplicationResponse, token=self.disp)

        def find():
            lines = json_lines(self.server)
            fail = [e for e in lines if e.get("method") == GET_APP
                    and e.get("message") == client_message]
            upsert = [e for e in lines if e.get("request_id") == rid]
            return (lines, fail, upsert) if fail and upsert else None
        found = wait_for(find, timeout=10)
        self.assertTrue(found, self.server.stderr_text()[-3000:])
        lines, fail, upsert = found
        for e in lines:
            self.assertRegex(e["time"], RFC3339_MS)
            self.assertIn(e["level"], ("error", "warn", "info", "debug"))
            self.assertIn("msg", e)
        e = fail[0]
        self.assertEqual(e["level"], "info")
        self.assertEqual(e["status"], "NOT_FOUND")
        self.assertEqual(e["code"], 5)
        self.assertEqual(e["principal"], "disp-wang")
        self.assertEqual(e["role"], "dispatcher")
        self.assertRegex(e["peer"], r"^ipv4:127\.0\.0\.1:\d+$")
        self.assertIsInstance(e["ms"], (int, float))
        self.assertEqual(upsert[0]["method"], UPSERT_APP)
        self.assertEqual(upsert[0]["status"], "INVALID_ARGUMENT")


class SlowLogTest(unittest.TestCase):
    """--quiet: no per-call lines, but a call slower than --log-slow is warned."""

    def test_ops_slow_call_logged_at_warn_when_quiet(self):
        # 1us: every call is slower than that, however fast the machine.
        server = seeded("--log-format", "json", "--quiet", "--log-slow", "1us")
        try:
            with server.channel() as ch:
                auditor = server.token("auditor", "aud-li")
                resp = call_unary(ch, VERIFY_CHAIN, audit_pb2.VerifyChainRequest(),
                                  audit_pb2.VerifyChainResponse, token=auditor)
                self.assertTrue(resp.intact)

            def slow():
                return [e for e in json_lines(server)
                        if e.get("msg") == "slow call" and e.get("method") == VERIFY_CHAIN]
            found = wait_for(slow, timeout=10)
            self.assertTrue(found, server.stderr_text()[-3000:])
            self.assertEqual(found[0]["level"], "warn")
            self.assertGreater(found[0]["ms"], 0.0)
            self.assertEqual(found[0]["principal"], "aud-li")
            self.assertFalse([e for e in json_lines(server) if e.get("msg") == "call"],
                             "--quiet writes no per-call info lines")
        finally:
            self.assertEqual(server.stop(), 0)


class ReflectionV1Test(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.channel = cls.server.channel()

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"inspectd exited with {code}")

    def reflect(self, **request):
        responses = list(call_bidi(self.channel, REFLECTION_V1,
                                   [refl_v1.ServerReflectionRequest(**request)],
                                   refl_v1.ServerReflectionResponse))
        self.assertEqual(len(responses), 1)
        return responses[0]

    def test_ops_reflection_v1_list_services(self):
        names = {s.name for s in self.reflect(list_services="").list_services_response.service}
        for want in ("grpc.reflection.v1.ServerReflection",
                     "grpc.reflection.v1alpha.ServerReflection", "grpc.health.v1.Health",
                     "inspect.v1.Licensing", "inspect.v1.Field", "inspect.v1.Audit"):
            self.assertIn(want, names)

    def test_ops_reflection_v1_descriptor_carries_method_comment(self):
        resp = self.reflect(file_containing_symbol="inspect.v1.Licensing.GetApplication")
        files = [descriptor_pb2.FileDescriptorProto.FromString(b)
                 for b in resp.file_descriptor_response.file_descriptor_proto]
        fd = next(f for f in files if f.name == "inspect/v1/licensing.proto")
        svc_i = next(i for i, s in enumerate(fd.service) if s.name == "Licensing")
        m_i = next(i for i, m in enumerate(fd.service[svc_i].method)
                   if m.name == "GetApplication")
        comments = [loc.leading_comments for loc in fd.source_code_info.location
                    if list(loc.path) == [6, svc_i, 2, m_i]]
        self.assertTrue(comments, "no source info for the method")
        self.assertIn("Roles: dispatcher, admin, auditor, department", comments[0])

    def test_ops_reflection_v1_unknown_symbol_not_found(self):
        resp = self.reflect(file_containing_symbol="no.such.Thing")
        self.assertEqual(resp.error_response.error_code, grpc.StatusCode.NOT_FOUND.value[0])


class LimitsTest(unittest.TestCase):
    """Stream limit per connection; rate and open streams per principal."""

    MAX_STREAMS = 4

    @classmethod
    def setUpClass(cls):
        cls.server = Server("--max-streams-per-connection", str(cls.MAX_STREAMS),
                            "--principal-rate", "5", "--principal-burst", "5",
                            "--principal-streams", "2").start()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"inspectd exited with {code}")

    def started(self, method):
        _, text = http_get(self.server.metrics_port, "/metrics")
        return metric_sum(text, "grpc_server_started_total", grpc_method=method)

    def test_ops_stream_limit_advertised_in_settings(self):
        res = subprocess.run(["nghttp", "-nv", "-t", "10",
                              f"http://127.0.0.1:{self.server.port}/"],
                             capture_output=True, text=True, timeout=30)
        # The server's SETTINGS: the "recv SETTINGS" frame and its indented entries.
        m = re.search(r"recv SETTINGS frame <length=[1-9].*?\n((?:[ \t]+[(\[].*\n)+)",
                      res.stdout)
        self.assertTrue(m, res.stdout + res.stderr)
        self.assertIn(f"[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):{self.MAX_STREAMS}]", m.group(1))

    def test_ops_stream_limit_enforced(self):
        before = self.started("Watch")
        n = self.MAX_STREAMS + 2
        served = {}  # stream index -> its first status, filled by one thread each
        with self.server.channel() as ch:
            calls = [call_server_stream(ch, HEALTH_WATCH, health_pb2.HealthCheckRequest(),
                                        health_pb2.HealthCheckResponse, timeout=60)
                     for _ in range(n)]

            def first(i):
                try:
                    served[i] = next(iter(calls[i])).status
                except grpc.RpcError as e:
                    served.setdefault(i, e.code())
            threads = [threading.Thread(target=first, args=(i,), daemon=True) for i in range(n)]
            for t in threads:
                t.start()
            self.assertTrue(wait_for(lambda: len(served) >= self.MAX_STREAMS))
            time.sleep(1.0)  # streams past the limit would have been served by now
            self.assertEqual(len(served), self.MAX_STREAMS, served)
            self.assertEqual(set(served.values()), {health_pb2.HealthCheckResponse.SERVING})
            self.assertEqual(self.started("Watch") - before, self.MAX_STREAMS)
            for i in list(served)[:2]:  # two end: the two waiting ones start
                calls[i].cancel()
            self.assertTrue(wait_for(lambda: len(served) == n, timeout=20), served)
            self.assertEqual(self.started("Watch") - before, n)
            self.assertEqual(set(served.values()), {health_pb2.HealthCheckResponse.SERVING})
            for c in calls:
                c.cancel()
            for t in threads:
                t.join(10)

    def test_ops_principal_rate_limit_retry_delay(self):
        token = self.server.token("dispatcher", "disp-rate")
        with self.server.channel() as ch:
            fn = ch.unary_unary(WHOAMI, request_serializer=lambda m: m.SerializeToString(),
                                response_deserializer=session_pb2.WhoAmIResponse.FromString)
            md = [("authorization", f"Bearer {token}")]
            err = None
            for _ in range(20):  # burst 5: the sixth within a second is refused
                try:
                    fn(session_pb2.WhoAmIRequest(), timeout=10, metadata=md)
                except grpc.RpcError as e:
                    err = e
                    break
            self.assertIsNotNone(err, "no call was refused")
            self.assertEqual(err.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
            self.assertTrue(err.details().startswith(BUSY), err.details())
            self.assertIn("disp-rate", err.details())
            trailer = dict(err.trailing_metadata())
            retry_ms = int(trailer["retry-after-ms"])
            self.assertGreater(retry_ms, 0)
            self.assertLessEqual(retry_ms, 200 + 1)  # one token at 5/s
            self.assertEqual(trailer["grpc-retry-pushback-ms"], trailer["retry-after-ms"])
            time.sleep(retry_ms / 1000.0 + 0.05)
            self.assertEqual(fn(session_pb2.WhoAmIRequest(), timeout=10, metadata=md).principal,
                             "disp-rate")

    def test_ops_principal_stream_limit(self):
        token = self.server.token("dispatcher", "disp-streams")
        with self.server.channel() as ch:
            open_calls = [call_server_stream(ch, WATCH_ALERTS, dispatch_pb2.WatchAlertsRequest(),
                                             dispatch_pb2.Alert, token=token, timeout=60)
                          for _ in range(2)]
            self.assertTrue(wait_for(lambda: self.started("WatchAlerts") >= 2))
            third = call_server_stream(ch, WATCH_ALERTS, dispatch_pb2.WatchAlertsRequest(),
                                       dispatch_pb2.Alert, token=token, timeout=60)
            with self.assertRaises(grpc.RpcError) as cm:
                next(iter(third))
            self.assertEqual(cm.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
            self.assertTrue(cm.exception.details().startswith(BUSY), cm.exception.details())
            self.assertIn("--principal-streams", cm.exception.details())
            self.assertIn("retry-after-ms", dict(cm.exception.trailing_metadata()))
            open_calls[0].cancel()
            # The slot comes back once the cancelled stream is over.
            def reopened():
                c = call_server_stream(ch, WATCH_ALERTS, dispatch_pb2.WatchAlertsRequest(),
                                       dispatch_pb2.Alert, token=token, timeout=2)
                try:
                    next(iter(c))
                except grpc.RpcError as e:
                    return e.code() == grpc.StatusCode.DEADLINE_EXCEEDED
                return True
            self.assertTrue(wait_for(reopened, timeout=20, every=0.2))
            for c in open_calls:
                c.cancel()


if __name__ == "__main__":
    unittest.main(verbosity=2)
