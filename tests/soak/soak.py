#!/usr/bin/python3
"""Soak: SIGKILLs of a real inspectd under mixed gRPC load (issue 15, 6).

One inspectd on a fixed loopback port and a data folder that lives through
every kill. 16 clients run the whole time: 12 writers, each sending
UpsertDepartment for codes of its own (one code per write, a request id per
write, the same request resent after any failure until it is acknowledged),
and 4 readers (ListDepartments, WhoAmI, ListEvents, VerifyChain of the last
entries). The main thread lets the load run for a random 0.1-0.6 s once the
server listens, SIGKILLs it and starts it again, KILLS times. Then, on a
last clean start, it prints:

  lost        acknowledged writes whose department is not stored
  duplicated  acknowledged writes with more than one audit entry (a replayed
              request applied twice)
  chain       VerifyChain over the whole chain: intact, entries checked

Exit 0 when nothing is lost or duplicated and the chain is intact.
Usage: scripts/soak.sh [KILLS] (default 1000); env INSPECTD, INSPECTCTL,
PYTHONPATH=<build>/py as for tests/interop.
"""
import collections
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from inspectd_harness import INSPECTCTL, INSPECTD, call_server_stream, call_unary  # noqa: E402
from inspect_pb.v1 import audit_pb2, directory_pb2, session_pb2  # noqa: E402

WRITERS, READERS = 12, 4
D = "/inspect.v1.Directory/"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Soak:
    def __init__(self, kills):
        self.kills = kills
        self.dir = tempfile.mkdtemp(prefix="inspectd-soak-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.addr = "127.0.0.1:%d" % self.port
        self.proc = None
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = set()
        self.counts = collections.Counter()

    def token(self, role, name):
        return subprocess.run([INSPECTCTL, "token", "issue", "--data-dir", self.data, "--role",
                               role, "--principal", name, "--ttl", "24h"], check=True,
                              capture_output=True, text=True).stdout.strip()

    def start(self):
        log = open(os.path.join(self.dir, "stderr.log"), "ab")
        self.proc = subprocess.Popen([INSPECTD, "--listen", self.addr, "--data-dir", self.data,
                                      "--metrics-listen", "127.0.0.1:0",
                                      "--quiet", "--grace", "1"], stdout=log, stderr=log)
        log.close()
        end = time.time() + 30
        while time.time() < end:
            if self.proc.poll() is not None:
                raise SystemExit("soak: inspectd exited with %d on start; see %s/stderr.log"
                                 % (self.proc.returncode, self.dir))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.01)
        raise SystemExit("soak: inspectd did not listen in 30 s")

    def writer(self, w, token):
        ch = grpc.insecure_channel(self.addr)
        n = 0
        while not self.stop.is_set():
            code = "s%02d-%06d" % (w, n)
            req = directory_pb2.UpsertDepartmentRequest(
                request_id="soak-" + code, department=directory_pb2.Department(
                    code=code, name="soak " + code,
                    kind=directory_pb2.DEPARTMENT_KIND_INDUSTRY))
            while True:  # the same request until it is acknowledged
                try:
                    call_unary(ch, D + "UpsertDepartment", req,
                               directory_pb2.UpsertDepartmentResponse, token=token, timeout=5)
                    with self.lock:
                        self.acked.add(code)
                    break
                except grpc.RpcError as e:
                    c = e.code()
                    with self.lock:
                        self.counts["write " + c.name] += 1
                    if c not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                                 grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN,
                                 grpc.StatusCode.INTERNAL):
                        break  # refused: not acknowledged, not retried
                    if self.stop.is_set():
                        return
                    time.sleep(0.02)
            n += 1
        ch.close()

    def reader(self, r, admin, auditor):
        ch = grpc.insecure_channel(self.addr)
        while not self.stop.is_set():
            try:
                k = random.randrange(4)
                if k == 0:
                    call_unary(ch, D + "ListDepartments", directory_pb2.ListDepartmentsRequest(),
                               directory_pb2.ListDepartmentsResponse, token=admin, timeout=5)
                elif k == 1:
                    call_unary(ch, "/inspect.v1.Session/WhoAmI", session_pb2.WhoAmIRequest(),
                               session_pb2.WhoAmIResponse, token=admin, timeout=5)
                elif k == 2:
                    list(call_server_stream(ch, "/inspect.v1.Audit/ListEvents",
                                            audit_pb2.ListEventsRequest(limit=50),
                                            audit_pb2.AuditEvent, token=auditor, timeout=5))
                else:
                    call_unary(ch, "/inspect.v1.Audit/VerifyChain", audit_pb2.VerifyChainRequest(),
                               audit_pb2.VerifyChainResponse, token=auditor, timeout=5)
                with self.lock:
                    self.counts["read OK"] += 1
            except grpc.RpcError as e:
                with self.lock:
                    self.counts["read " + e.code().name] += 1
                time.sleep(0.02)
        ch.close()

    def run(self):
        os.makedirs(self.data)
        self.start()  # the server makes the token key on its first start
        admin, auditor = self.token("admin", "soak-admin"), self.token("auditor", "soak-auditor")
        threads = [threading.Thread(target=self.writer, args=(w, admin)) for w in range(WRITERS)]
        threads += [threading.Thread(target=self.reader, args=(r, admin, auditor))
                    for r in range(READERS)]
        for t in threads:
            t.start()
        t0 = time.time()
        for k in range(self.kills):
            time.sleep(random.uniform(0.1, 0.6))
            self.proc.kill()
            self.proc.wait()
            self.start()
            if (k + 1) % 50 == 0:
                print("soak: %d kills, %d acknowledged writes, %.0f s" %
                      (k + 1, len(self.acked), time.time() - t0), flush=True)
        time.sleep(0.5)
        self.stop.set()
        for t in threads:
            t.join()
        return self.check(admin, auditor, time.time() - t0)

    def check(self, admin, auditor, secs):
        ch = grpc.insecure_channel(self.addr)
        deps = call_unary(ch, D + "ListDepartments", directory_pb2.ListDepartmentsRequest(),
                          directory_pb2.ListDepartmentsResponse, token=admin, timeout=120)
        stored = {d.code for d in deps.departments}
        per_entity = collections.Counter(
            e.entity for e in call_server_stream(ch, "/inspect.v1.Audit/ListEvents",
                                                 audit_pb2.ListEventsRequest(),
                                                 audit_pb2.AuditEvent, token=auditor,
                                                 timeout=600))
        chain = call_unary(ch, "/inspect.v1.Audit/VerifyChain", audit_pb2.VerifyChainRequest(),
                           audit_pb2.VerifyChainResponse, token=auditor, timeout=600)
        ch.close()
        lost = sorted(self.acked - stored)
        dup = sorted(c for c in self.acked if per_entity["department/" + c] > 1)
        print("soak: %d SIGKILLs in %.0f s, %d clients (%d writers, %d readers)"
              % (self.kills, secs, WRITERS + READERS, WRITERS, READERS))
        print("soak: acknowledged writes %d, stored %d" % (len(self.acked),
                                                           len(stored & self.acked)))
        print("soak: lost %d%s" % (len(lost), (" e.g. " + ", ".join(lost[:5])) if lost else ""))
        print("soak: duplicated %d%s" % (len(dup), (" e.g. " + ", ".join(dup[:5])) if dup else ""))
        print("soak: chain %s, entries %d..%d, head %s%s" % (
            "intact" if chain.intact else "BROKEN at %d" % chain.first_bad_seq,
            chain.checked_from, chain.checked_to, chain.head_hash.hex()[:16],
            (": " + chain.message) if chain.message else ""))
        print("soak: answers " + ", ".join("%s %d" % kv for kv in sorted(self.counts.items())))
        return 0 if not lost and not dup and chain.intact else 1

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if os.environ.get("SOAK_KEEP"):
            print("soak: data kept in " + self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def main():
    s = Soak(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
    try:
        return s.run()
    finally:
        s.close()


if __name__ == "__main__":
    sys.exit(main())
