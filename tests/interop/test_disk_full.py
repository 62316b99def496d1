"""Interop: the real inspectd on a full disk (hardening issue 15, section 4).

The data folder is a 64 MiB tmpfs the test mounts (root only; skipped with a
message otherwise) and always unmounts. With a task and an inspector token
seeded as test_field.py does, concurrent UploadPhoto streams and unary
writes (UpsertDepartment) run while a filler file takes the rest of the
disk. What must hold: inspectd never dies and keeps answering Health; every
refused write is RESOURCE_EXHAUSTED saying the disk is full; reads
(GetTask, ListDepartments, GetUploadStatus) answer meanwhile; `inspectctl
field upload` stops at once with exit status 3 instead of retrying; once the
filler is deleted a write and an upload succeed without a restart.

Run by CTest (label hardening;disk). Exit status 0 only when every test passes
(a skip counts as a pass and prints why).
"""

import hashlib
import os
import subprocess
import sys
import threading
import time
import unittest
import uuid

import grpc

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inspectd_harness import INSPECTCTL, HarnessError, Server, call_unary  # noqa: E402
from inspect_pb.v1 import directory_pb2, dispatch_pb2, field_pb2  # noqa: E402
from grpc_pb.health.v1 import health_pb2  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "seeds")
DIR = "/inspect.v1.Directory/"
DSP = "/inspect.v1.Dispatch/"
FLD = "/inspect.v1.Field/"
RE = grpc.StatusCode.RESOURCE_EXHAUSTED
CHUNK = 64 * 1024
PHOTO = 1 << 20
DISK_FULL = "the disk is full"  # INS_MSG_DISK_FULL, common/ins_error.h


def rid():
    return uuid.uuid4().hex


def _ser(m):
    return m.SerializeToString()


def photo_requests(upload_id, task_id, item, data):
    yield field_pb2.UploadPhotoRequest(header=field_pb2.UploadHeader(
        upload_id=upload_id, task_id=task_id, item_code=item, total_size=len(data),
        sha256=hashlib.sha256(data).digest(), media_type="image/jpeg",
        capture_unix=int(time.time()), latitude=30.82, longitude=104.16))
    for off in range(0, len(data), CHUNK):
        yield field_pb2.UploadPhotoRequest(chunk=field_pb2.UploadChunk(
            offset=off, data=data[off:off + CHUNK]))


@unittest.skipUnless(os.geteuid() == 0, "needs root to mount a tmpfs as the data folder")
class DiskFullTest(unittest.TestCase):

    def setUp(self):
        self.server = Server(tmpfs="64m")
        try:
            self.server.start()
        except HarnessError as e:  # root without CAP_SYS_ADMIN (a container): say so, skip
            if not str(e).startswith("mount tmpfs"):
                raise
            self.server.stop()
            self.skipTest(f"cannot mount a tmpfs here: {e}")
        self.addCleanup(self.server.stop)  # stops inspectd and unmounts, also on failure
        self.channel = self.server.channel()
        self.addCleanup(self.channel.close)
        admin = self.server.token("admin", "root")
        self.admin = admin
        self.disp = self.server.token("dispatcher", "disp-wang")
        res = subprocess.run([INSPECTCTL, "seed", "load", SEEDS, "--data-dir",
                              self.server.data_dir, "--server", self.server.addr],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(res.returncode, 0, f"seed load: {res.stdout}\n{res.stderr}")
        req = dispatch_pb2.CreateTaskRequest(request_id=rid(), application_id="XD-2026-001204")
        task = self.call(DSP + "CreateTask", req, dispatch_pb2.CreateTaskResponse, self.disp).task
        req = dispatch_pb2.AssignTeamRequest(request_id=rid(), task_id=task.id)
        self.task = self.call(DSP + "AssignTeam", req, dispatch_pb2.AssignTeamResponse,
                              self.disp).task
        m = next(m for m in self.task.team if m.role == dispatch_pb2.MEMBER_ROLE_MEMBER)
        self.item = "front_photo" if m.department == "bureau" else "kitchen_photo"
        self.inspector = self.server.token("inspector", m.inspector_id, department=m.department)

    def call(self, method, req, resp_cls, token, timeout=30):
        return call_unary(self.channel, method, req, resp_cls, token=token, timeout=timeout)

    def upload(self, upload_id, data, timeout=60):
        fn = self.channel.stream_unary(FLD + "UploadPhoto", request_serializer=_ser,
                                       response_deserializer=field_pb2.UploadPhotoResponse.FromString)
        return fn(photo_requests(upload_id, self.task.id, self.item, data), timeout=timeout,
                  metadata=[("authorization", "Bearer " + self.inspector)])

    def write(self):
        dept = directory_pb2.Department(code="d-" + rid()[:20], name="filler " * 25,
                                        kind=directory_pb2.DEPARTMENT_KIND_INDUSTRY)
        return self.call(DIR + "UpsertDepartment",
                         directory_pb2.UpsertDepartmentRequest(request_id=rid(), department=dept),
                         directory_pb2.UpsertDepartmentResponse, self.admin)

    def alive(self):
        self.assertIsNone(self.server.proc.poll(), "inspectd died:\n" + self.server.stderr_text())
        h = call_unary(self.channel, "/grpc.health.v1.Health/Check",
                       health_pb2.HealthCheckRequest(service=""), health_pb2.HealthCheckResponse)
        self.assertEqual(h.status, health_pb2.HealthCheckResponse.SERVING)

    def reads_answer(self, upload_id):
        self.assertEqual(self.call(DSP + "GetTask", dispatch_pb2.GetTaskRequest(id=self.task.id),
                                   dispatch_pb2.Task, self.disp).id, self.task.id)
        self.assertTrue(self.call(DIR + "ListDepartments", directory_pb2.ListDepartmentsRequest(),
                                  directory_pb2.ListDepartmentsResponse, self.admin).departments)
        st = self.call(FLD + "GetUploadStatus",
                       field_pb2.GetUploadStatusRequest(upload_id=upload_id),
                       field_pb2.GetUploadStatusResponse, self.inspector)
        self.assertEqual(st.state, field_pb2.UPLOAD_STATE_COMPLETE)

    def fill(self, path, leave):
        """A filler file taking all but `leave` bytes of the data folder's disk."""
        st = os.statvfs(self.server.data_dir)
        size = max(0, st.f_bavail * st.f_frsize - leave)
        with open(path, "wb") as f:
            block = b"\0" * (1 << 20)
            while size > 0:
                n = f.write(block[:min(size, len(block))])
                size -= n
            f.flush()
            os.fsync(f.fileno())

    def test_full_disk_refuses_then_writes_resume(self):
        first = rid()
        self.upload(first, os.urandom(PHOTO))  # a photo stored before the disk fills
        filler = os.path.join(self.server.data_dir, "filler")
        self.addCleanup(lambda: os.path.exists(filler) and os.unlink(filler))
        self.fill(filler, 6 << 20)

        stop = threading.Event()
        lock = threading.Lock()
        errors, ok = [], {"upload": 0, "write": 0}

        def note(kind, e):
            with lock:
                errors.append((kind, e.code(), e.details()))

        def keep_writing(kind, fn):  # until stopped or refused with another code
            while not stop.is_set():
                try:
                    fn()
                    with lock:
                        ok[kind] += 1
                except grpc.RpcError as e:
                    note(kind, e)
                    if e.code() != RE:
                        return

        def uploader():
            keep_writing("upload", lambda: self.upload(rid(), os.urandom(PHOTO)))

        def writer():
            keep_writing("write", self.write)

        threads = [threading.Thread(target=uploader) for _ in range(6)]
        threads += [threading.Thread(target=writer) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with lock:
                    if sum(1 for k, _, _ in errors if k == "upload") >= 6:
                        break
                time.sleep(0.2)
            with open(filler, "ab") as f:  # whatever the store left: take it
                try:
                    while True:
                        f.write(b"\0" * (256 << 10))
                        f.flush()
                except OSError:
                    pass
            time.sleep(1.0)
            self.alive()
            self.reads_answer(first)
        finally:
            stop.set()
            for t in threads:
                t.join(120)
        self.alive()
        refused = [e for e in errors if e[0] == "upload"]
        self.assertTrue(refused, f"no upload was refused (ok: {ok})")
        for kind, code, details in errors:
            self.assertEqual(code, RE, f"{kind}: {code}: {details}")
            self.assertTrue(details.startswith(DISK_FULL), f"{kind}: {details}")
        for _ in range(3):  # the disk is still full: a write is refused, not lost
            try:
                self.write()
            except grpc.RpcError as e:
                self.assertEqual(e.code(), RE, e.details())
                self.assertTrue(e.details().startswith(DISK_FULL), e.details())

        # inspectctl field upload: no retry loop; exit status 3 and why.
        photo = os.path.join(self.server.dir, "cli.jpg")
        with open(photo, "wb") as f:
            f.write(os.urandom(PHOTO))
        t0 = time.monotonic()
        res = subprocess.run([INSPECTCTL, "--server", self.server.addr, "--token", self.inspector,
                              "field", "upload", "--task", self.task.id, "--item", self.item,
                              "--retries", "20", photo],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(res.returncode, 3, res.stderr)
        self.assertIn("RESOURCE_EXHAUSTED: " + DISK_FULL, res.stderr)
        self.assertIn("not retried", res.stderr)
        self.assertNotIn("retrying in", res.stderr)
        self.assertLess(time.monotonic() - t0, 30)
        self.alive()

        # Space returns: writes and uploads succeed, no restart.
        os.unlink(filler)
        self.write()
        after = rid()
        r = self.upload(after, os.urandom(PHOTO))
        self.assertEqual(r.size, PHOTO)
        self.reads_answer(after)
        res = subprocess.run([INSPECTCTL, "--server", self.server.addr, "--token", self.inspector,
                              "field", "upload", "--task", self.task.id, "--item", self.item,
                              photo], capture_output=True, text=True, timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.alive()
        self.assertEqual(self.server.stop(), 0, "inspectd did not exit cleanly")


if __name__ == "__main__":
    unittest.main(verbosity=2)
