"""Interop: inspect.v1.Field seen from Python grpcio as the inspector's
tablet, against a real inspectd holding the seeded demo district.

What a tablet on a weak, intermittent link must be able to count on:
uploads that resume from the committed offset after the client gives up
and after the server is killed with SIGKILL; findings resent after a
timeout that return the first answer and store nothing new; refusals with
their exact status (another team's inspector, a wrong hash, an oversize
photo, a template violation, a chunk at the wrong offset, a bad
signature); the offline package SyncTasks hands out, removals when a task
is taken away, check-in distances, findings before photos. Bad links come
from faultproxy.py (no netem here, DESIGN.md §4); `inspectctl field
upload` is driven through it while it resets the connection mid-upload.

Run by CTest (tests/interop/CMakeLists.txt sets PYTHONPATH and the binary
paths). Exit status 0 only when every test passes.
"""

import hashlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

import grpc

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from faultproxy import FaultProxy  # noqa: E402
from inspectd_harness import INSPECTCTL, INSPECTD, HarnessError, Server, call_unary  # noqa: E402
from inspect_pb.v1 import (directory_pb2, dispatch_pb2, field_pb2,  # noqa: E402
                           licensing_pb2)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "seeds")

DIR = "/inspect.v1.Directory/"
DSP = "/inspect.v1.Dispatch/"
FLD = "/inspect.v1.Field/"

OK = grpc.StatusCode.OK
FP = grpc.StatusCode.FAILED_PRECONDITION
NF = grpc.StatusCode.NOT_FOUND
PD = grpc.StatusCode.PERMISSION_DENIED
IA = grpc.StatusCode.INVALID_ARGUMENT
DL = grpc.StatusCode.DATA_LOSS
RE = grpc.StatusCode.RESOURCE_EXHAUSTED
UA = grpc.StatusCode.UNAUTHENTICATED

CHUNK = 64 * 1024
MAX_PHOTO = 32 << 20  # inspectd's default --max-photo-bytes
RADIUS_M = 300.0      # inspectd's default --checkin-radius-m
EARTH_RADIUS_M = 6371008.8  # server/domain/geo.h


def rid():
    return uuid.uuid4().hex


def sha_hex(data):
    return hashlib.sha256(data).hexdigest()


def haversine_m(lat1, lon1, lat2, lon2):
    rad = math.pi / 180.0
    s1 = math.sin((lat2 - lat1) * rad / 2)
    s2 = math.sin((lon2 - lon1) * rad / 2)
    h = s1 * s1 + math.cos(lat1 * rad) * math.cos(lat2 * rad) * s2 * s2
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(h, 1.0)))


def seed(name):
    with open(os.path.join(SEEDS, name), encoding="utf-8") as f:
        return json.load(f)


def _ser(m):
    return m.SerializeToString()


# -- Ed25519: python3-cryptography when installed, else openssl ------------

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    class Signer:
        def __init__(self):
            self._key = Ed25519PrivateKey.generate()

        def public_raw(self):
            return self._key.public_key().public_bytes(serialization.Encoding.Raw,
                                                       serialization.PublicFormat.Raw)

        def sign(self, msg):
            return self._key.sign(msg)
except ImportError:  # pragma: no cover - the fallback of the brief
    class Signer:
        def __init__(self):
            self._dir = tempfile.mkdtemp(prefix="field-key-")
            self._pem = os.path.join(self._dir, "key.pem")
            subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", self._pem],
                           check=True, capture_output=True)

        def public_raw(self):
            der = subprocess.run(["openssl", "pkey", "-in", self._pem, "-pubout", "-outform",
                                  "DER"], check=True, capture_output=True).stdout
            return der[-32:]

        def sign(self, msg):
            path = os.path.join(self._dir, "msg")
            with open(path, "wb") as f:
                f.write(msg)
            return subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", self._pem,
                                   "-in", path], check=True, capture_output=True).stdout


def findings_digest(body):
    """SHA-256 of the FindingsBody encoded deterministically (field.proto)."""
    return hashlib.sha256(body.SerializeToString(deterministic=True)).digest()


class KillableServer(Server):
    """A Server that can be killed with SIGKILL and started again on the
    same data folder and port (so open channels reconnect by themselves)."""

    def kill_and_restart(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._stderr.close()
        port_file = os.path.join(self.dir, "port")
        os.unlink(port_file)
        self._stderr = open(self._stderr_path, "ab")
        argv = [INSPECTD, "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir,
                "--port-file", port_file, "--metrics-listen", "127.0.0.1:0"] + self.args
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._stderr,
                                     stderr=self._stderr)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            try:
                with open(port_file) as f:
                    if f.read().strip() == str(self.port):
                        return
            except FileNotFoundError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        raise HarnessError(f"inspectd did not restart:\n{self.stderr_text()}")


class Photo:
    """Bytes with their SHA-256, cut into chunks."""

    def __init__(self, size=None, data=None):
        self.data = data if data is not None else os.urandom(size)
        self.sha = hashlib.sha256(self.data).digest()
        self.id = self.sha.hex()

    def header(self, upload_id, task_id, item, sha=None, total=None):
        return field_pb2.UploadPhotoRequest(header=field_pb2.UploadHeader(
            upload_id=upload_id, task_id=task_id, item_code=item,
            total_size=len(self.data) if total is None else total,
            sha256=self.sha if sha is None else sha, media_type="image/jpeg",
            capture_unix=int(time.time()), latitude=30.82, longitude=104.16))

    def chunks(self, start=0, end=None, size=CHUNK):
        end = len(self.data) if end is None else end
        for off in range(start, end, size):
            yield field_pb2.UploadPhotoRequest(chunk=field_pb2.UploadChunk(
                offset=off, data=self.data[off:min(off + size, end)]))


class FieldTest(unittest.TestCase):
    """One inspectd with the demo district for the whole file; every test
    works on its own task so that the order does not matter."""

    @classmethod
    def setUpClass(cls):
        cls.server = KillableServer().start()
        try:
            cls._set_up()
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def _set_up(cls):
        tc = cls._district()
        # One task per concern, on applications the seeds leave in review.
        cls.t_pkg = tc.new_task("XD-2026-001204")     # package, check-in, findings+photos
        cls.t_up = tc.new_task("XD-2026-001206")      # uploads
        cls.t_move = tc.new_task("XD-2026-001208")    # reassignment
        cls.t_idem = tc.new_task("XD-2026-001209")    # idempotency, signatures
        cls.t_bad = tc.new_task("XD-2026-001211")     # template violations
        cls.t_cli = tc.new_task("XD-2026-001222")     # inspectctl field

    @classmethod
    def _district(cls):
        """The demo district loaded into cls.server, with the tokens the
        tests use; returns an instance to make tasks with."""
        cls.channel = cls.server.channel()
        cls.tokens = {}
        cls.admin = cls.server.token("admin", "root")
        cls.disp = cls.server.token("dispatcher", "disp-wang")
        res = subprocess.run([INSPECTCTL, "seed", "load", SEEDS, "--data-dir",
                              cls.server.data_dir, "--server", cls.server.addr],
                             capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            raise AssertionError(f"seed load failed: {res.stdout}\n{res.stderr}")
        cls.seed_apps = {a["id"]: a for a in seed("applications.json")}
        cls.seed_inspectors = {i["id"]: i for i in seed("inspectors.json")}
        return cls("setUp")

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"inspectd exited with {code}")

    # -- helpers --------------------------------------------------------------

    def token(self, inspector_id):
        if inspector_id not in self.tokens:
            dept = self.seed_inspectors[inspector_id]["department"]
            self.tokens[inspector_id] = self.server.token("inspector", inspector_id,
                                                          department=dept)
        return self.tokens[inspector_id]

    def call(self, method, req, resp_cls, token, timeout=20, channel=None):
        return call_unary(channel or self.channel, method, req, resp_cls, token=token,
                          timeout=timeout)

    def assertStatus(self, code, fn, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.code(), code, cm.exception.details())
        return cm.exception.details()

    def new_task(self, app_id):
        req = dispatch_pb2.CreateTaskRequest(request_id=rid(), application_id=app_id)
        task = self.call(DSP + "CreateTask", req, dispatch_pb2.CreateTaskResponse, self.disp).task
        req = dispatch_pb2.AssignTeamRequest(request_id=rid(), task_id=task.id)
        task = self.call(DSP + "AssignTeam", req, dispatch_pb2.AssignTeamResponse, self.disp).task
        self.assertEqual(task.state, dispatch_pb2.TASK_STATE_ASSIGNED)
        return task

    def get_task(self, task_id):
        return self.call(DSP + "GetTask", dispatch_pb2.GetTaskRequest(id=task_id),
                         dispatch_pb2.Task, self.disp)

    @staticmethod
    def member(task, lead):
        role = dispatch_pb2.MEMBER_ROLE_LEAD if lead else dispatch_pb2.MEMBER_ROLE_MEMBER
        return next(m for m in task.team if m.role == role)

    def outsider(self, task):
        """An inspector of the member's department who is not on `task`'s team."""
        dept = self.member(task, False).department
        team = {m.inspector_id for m in task.team}
        return next(i for i, s in sorted(self.seed_inspectors.items())
                    if s["department"] == dept and s["active"] and i not in team)

    def sync_all(self, inspector, cursor=""):
        """Pages of SyncTasks until `more` is false: (packages, removed, cursor)."""
        pkgs, removed = [], []
        while True:
            r = self.call(FLD + "SyncTasks", field_pb2.SyncTasksRequest(cursor=cursor),
                          field_pb2.SyncTasksResponse, self.token(inspector))
            pkgs.extend(r.tasks)
            removed.extend(r.removed_task_ids)
            self.assertTrue(r.cursor)
            cursor = r.cursor
            if not r.more:
                return pkgs, removed, cursor

    def package(self, task, inspector):
        pkgs, _, _ = self.sync_all(inspector)
        got = [p for p in pkgs if p.task.id == task.id]
        self.assertEqual(len(got), 1, f"{inspector} does not get task {task.id}")
        return got[0]

    def template_for(self, pkg, dept):
        ref = next(r for r in pkg.task.templates if r.department == dept)
        return next(t for t in pkg.templates if t.id == ref.template_id
                    and t.version == ref.version)

    @staticmethod
    def answers(tpl, photo_size=1500):
        """Valid answers to every required item of `tpl`, with the photos
        they need: (answers, [(item_code, Photo)])."""
        out, photos = [], []
        for it in tpl.items:
            if not it.required and not it.min_photos:
                continue
            a = field_pb2.Answer(item_code=it.code)
            if it.kind == directory_pb2.ITEM_KIND_BOOL:
                a.flag = not it.fail_when_true
            elif it.kind == directory_pb2.ITEM_KIND_NUMBER:
                a.number = (it.min + it.max) / 2 if it.max > it.min else 1.0
            elif it.kind == directory_pb2.ITEM_KIND_CHOICE:
                a.choice = it.choices[0]
            elif it.kind == directory_pb2.ITEM_KIND_TEXT:
                a.text = "符合要求"
            for _ in range(it.min_photos):
                p = Photo(photo_size)
                photos.append((it.code, p))
                a.photo_ids.append(p.id)
            out.append(a)
        return out, photos

    def body(self, pkg, inspector, dept, answers, notes=""):
        tpl = self.template_for(pkg, dept)
        return field_pb2.FindingsBody(task_id=pkg.task.id, department=dept,
                                      inspector_id=inspector, template_version=tpl.version,
                                      answers=answers, notes=notes,
                                      device_unix=int(time.time()))

    def submit(self, inspector, body, request_id=None, signature=b"", timeout=20,
               channel=None):
        req = field_pb2.SubmitFindingsRequest(request_id=request_id or rid(), findings=body,
                                              signature=signature)
        return self.call(FLD + "SubmitFindings", req, field_pb2.SubmitFindingsResponse,
                         self.token(inspector), timeout=timeout, channel=channel)

    def upload(self, inspector, requests, timeout=30, channel=None):
        fn = (channel or self.channel).stream_unary(
            FLD + "UploadPhoto", request_serializer=_ser,
            response_deserializer=field_pb2.UploadPhotoResponse.FromString)
        return fn(iter(list(requests) if isinstance(requests, list) else requests),
                  timeout=timeout,
                  metadata=[("authorization", "Bearer " + self.token(inspector))])

    def upload_photo(self, inspector, task_id, item, photo, upload_id=None):
        uid = upload_id or rid()
        return self.upload(inspector, [photo.header(uid, task_id, item)] + list(photo.chunks()))

    def status(self, inspector, upload_id, channel=None, timeout=10):
        return self.call(FLD + "GetUploadStatus",
                         field_pb2.GetUploadStatusRequest(upload_id=upload_id),
                         field_pb2.GetUploadStatusResponse, self.token(inspector),
                         timeout=timeout, channel=channel)

    def wait_committed(self, inspector, upload_id, at_least, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                st = self.status(inspector, upload_id)
                if st.committed_offset >= at_least:
                    return st.committed_offset
            except grpc.RpcError as e:
                if e.code() != NF:  # not staged yet
                    raise
            time.sleep(0.02)
        self.fail(f"upload {upload_id} never committed {at_least} bytes")

    # -- SyncTasks --------------------------------------------------------------

    def test_sync_package(self):
        task = self.t_pkg
        member = self.member(task, False)
        pkg = self.package(task, member.inspector_id)
        self.assertEqual(pkg.task.id, task.id)
        self.assertEqual({m.inspector_id for m in pkg.task.team},
                         {m.inspector_id for m in task.team})
        # the site, as the application declares it
        app = self.seed_apps[task.application_id]
        self.assertEqual(pkg.site.application_id, app["id"])
        self.assertEqual(pkg.site.applicant_name, app["applicant_name"])
        self.assertEqual(pkg.site.applicant_credit_code, app["applicant_credit_code"])
        self.assertEqual(pkg.site.address, app["site_address"])
        self.assertEqual(pkg.site.town, app["town"])
        self.assertAlmostEqual(pkg.site.latitude, app["latitude"], places=6)
        self.assertAlmostEqual(pkg.site.longitude, app["longitude"], places=6)
        # the exact template versions the task pinned, one per department
        self.assertEqual(len(pkg.templates), len(task.required_departments))
        self.assertEqual(sorted((t.id, t.version, t.department) for t in pkg.templates),
                         sorted((r.template_id, r.version, r.department)
                                for r in task.templates))
        for t in pkg.templates:
            self.assertTrue(t.items, t.id)
        # exactly the declared facts those templates verify
        verified = {it.verifies_fact for t in pkg.templates for it in t.items
                    if it.verifies_fact}
        want = {f["key"] for f in app["declared_facts"] if f["key"] in verified}
        self.assertTrue(want)
        self.assertEqual({f.key for f in pkg.declared_facts}, want)
        # the cursor: a sync from it brings nothing this inspector has not seen
        _, _, cursor = self.sync_all(member.inspector_id)
        pkgs, removed, cursor2 = self.sync_all(member.inspector_id, cursor)
        self.assertNotIn(task.id, [p.task.id for p in pkgs])
        self.assertEqual(removed, [])
        self.assertTrue(cursor2)
        # a cursor the server never handed out
        self.assertStatus(IA, self.call, FLD + "SyncTasks",
                          field_pb2.SyncTasksRequest(cursor="zz-not-a-cursor"),
                          field_pb2.SyncTasksResponse, self.token(member.inspector_id))
        # another team's inspector does not see the task
        other = self.outsider(task)
        pkgs, _, _ = self.sync_all(other)
        self.assertNotIn(task.id, [p.task.id for p in pkgs])

    def test_reassigned_task_is_a_removal(self):
        task = self.t_move
        old = self.member(task, False).inspector_id
        self.package(task, old)
        _, _, cursor = self.sync_all(old)
        req = dispatch_pb2.ReplaceMemberRequest(request_id=rid(), task_id=task.id,
                                                inspector_id=old, reason="病假")
        moved = self.call(DSP + "ReplaceMember", req, dispatch_pb2.ReplaceMemberResponse,
                          self.disp).task
        new = self.member(moved, False).inspector_id
        self.assertNotEqual(new, old)
        pkgs, removed, _ = self.sync_all(old, cursor)
        self.assertIn(task.id, removed)
        self.assertNotIn(task.id, [p.task.id for p in pkgs])
        # a full sync no longer has it either; the new member gets it
        pkgs, _, _ = self.sync_all(old)
        self.assertNotIn(task.id, [p.task.id for p in pkgs])
        self.assertEqual(self.package(moved, new).task.version, moved.version)
        # and the replaced inspector may no longer act on it
        self.assertStatus(PD, self.checkin, old, task.id, task.latitude, task.longitude)

    # -- other team ---------------------------------------------------------------

    def test_other_team_is_refused(self):
        task = self.t_pkg
        other = self.outsider(task)
        dept = self.member(task, False).department
        before = self.get_task(task.id)
        self.assertStatus(PD, self.checkin, other, task.id, task.latitude, task.longitude)
        self.assertStatus(PD, self.call, FLD + "RespondTask",
                          field_pb2.RespondTaskRequest(request_id=rid(), task_id=task.id,
                                                       accept=True),
                          field_pb2.RespondTaskResponse, self.token(other))
        pkg = self.package(task, self.member(task, False).inspector_id)
        answers, _ = self.answers(self.template_for(pkg, dept))
        self.assertStatus(PD, self.submit, other, self.body(pkg, other, dept, answers))
        # someone else's name in the findings is refused too
        self.assertStatus(PD, self.submit, other,
                          self.body(pkg, self.member(task, False).inspector_id, dept, answers))
        photo = Photo(4000)
        uid = rid()
        self.assertStatus(PD, self.upload_photo, other, task.id, "kitchen_photo", photo, uid)
        self.assertStatus(NF, self.status, other, uid)
        self.assertEqual(self.get_task(task.id), before)

    # -- check-in -------------------------------------------------------------------

    def checkin(self, inspector, task_id, lat, lon, reason="", request_id=None, device_unix=None):
        req = field_pb2.CheckInRequest(request_id=request_id or rid(), task_id=task_id,
                                       latitude=lat, longitude=lon, reason=reason,
                                       device_unix=device_unix or int(time.time()))
        return self.call(FLD + "CheckIn", req, field_pb2.CheckInResponse, self.token(inspector))

    def test_checkin_radius(self):
        task = self.t_pkg
        lead = self.member(task, True).inspector_id
        lat, lon = task.latitude + 0.009, task.longitude  # about 1 km north
        far = haversine_m(lat, lon, task.latitude, task.longitude)
        self.assertGreater(far, RADIUS_M)
        msg = self.assertStatus(FP, self.checkin, lead, task.id, lat, lon)
        self.assertIn("%.0f m" % far, msg)
        self.assertIn("300", msg)
        self.assertEqual(len(self.get_task(task.id).checkins), 0)
        t0 = int(time.time())
        # the tablet's clock a little behind: as early as the task itself
        r = self.checkin(lead, task.id, lat, lon, reason="门牌在背街，正门封闭",
                         device_unix=task.created_unix)
        self.assertEqual(r.checkin.inspector_id, lead)
        self.assertEqual(r.checkin.reason, "门牌在背街，正门封闭")
        self.assertAlmostEqual(r.checkin.distance_m, far, delta=1.0)
        self.assertGreaterEqual(r.checkin.server_unix, t0)
        self.assertEqual(r.checkin.device_unix, task.created_unix)
        self.assertGreaterEqual(r.checkin.server_unix, task.created_unix)
        self.assertEqual(r.task.state, dispatch_pb2.TASK_STATE_ON_SITE)
        # recorded on the task
        stored = self.get_task(task.id)
        self.assertEqual(len(stored.checkins), 1)
        self.assertEqual(stored.checkins[0].reason, "门牌在背街，正门封闭")
        # on the spot: no reason needed, none kept
        r = self.checkin(lead, task.id, task.latitude + 0.0005, task.longitude,
                         reason="ignored when close")
        self.assertLess(r.checkin.distance_m, RADIUS_M)
        self.assertEqual(r.checkin.reason, "")
        self.assertStatus(IA, self.checkin, lead, task.id, 91.0, 0.0)

    def test_checkin_cap_and_small_answers(self):
        # a task keeps at most 20 check-ins per inspector; the answer (stored
        # for replays) carries the task without its check-in list
        task = self.t_up
        m = self.member(task, False).inspector_id
        rid0, t0 = rid(), int(time.time())
        first = self.checkin(m, task.id, task.latitude, task.longitude, request_id=rid0,
                             device_unix=t0)
        self.assertEqual(len(first.task.checkins), 0)
        self.assertEqual(first.task.id, task.id)
        for _ in range(19):
            r = self.checkin(m, task.id, task.latitude, task.longitude)
            self.assertEqual(len(r.task.checkins), 0)
        msg = self.assertStatus(RE, self.checkin, m, task.id, task.latitude, task.longitude)
        self.assertIn("20 times", msg)
        self.assertIn("at most 20 check-ins per inspector", msg)
        stored = self.get_task(task.id)
        self.assertEqual(sum(1 for c in stored.checkins if c.inspector_id == m), 20)
        # the replay of the first request answers what it answered then
        again = self.checkin(m, task.id, task.latitude, task.longitude, request_id=rid0,
                             device_unix=t0)
        self.assertEqual(again.checkin, first.checkin)
        # the other member is not held to his colleague's count
        lead = self.member(task, True).inspector_id
        self.checkin(lead, task.id, task.latitude, task.longitude)

    # -- findings before photos -----------------------------------------------------

    def test_findings_before_photos(self):
        task = self.t_pkg
        pkg = self.package(task, self.member(task, True).inspector_id)
        pending = []
        for lead in (True, False):
            m = self.member(task, lead)
            answers, photos = self.answers(self.template_for(pkg, m.department))
            self.assertTrue(photos)
            r = self.submit(m.inspector_id, self.body(pkg, m.inspector_id, m.department,
                                                      answers))
            self.assertEqual(r.findings.version, 1)
            self.assertEqual(sorted(r.findings.missing_photos), sorted(p.id for _, p in photos))
            self.assertNotEqual(r.task.state, dispatch_pb2.TASK_STATE_SUBMITTED)
            pending += [(m.inspector_id, item, p) for item, p in photos]
        # every photo but the last: still waiting
        for who, item, p in pending[:-1]:
            r = self.upload_photo(who, task.id, item, p)
            self.assertEqual(r.photo_id, p.id)
            self.assertFalse(r.duplicate)
            self.assertNotEqual(self.get_task(task.id).state, dispatch_pb2.TASK_STATE_SUBMITTED)
        who, item, p = pending[-1]
        self.assertEqual(self.upload_photo(who, task.id, item, p).photo_id, p.id)
        # SUBMITTED (RECONCILED when the report is made in the same commit)
        self.assertIn(self.get_task(task.id).state,
                      (dispatch_pb2.TASK_STATE_SUBMITTED, dispatch_pb2.TASK_STATE_RECONCILED))

    # -- uploads ------------------------------------------------------------------------

    def test_upload_cancelled_resumes(self):
        task = self.t_up
        who = self.member(task, False).inspector_id
        photo = Photo(2 << 20)
        uid = "cancel-" + rid()
        cut = 13 * CHUNK  # about 40 %
        release = threading.Event()

        def first_part():
            yield photo.header(uid, task.id, "kitchen_photo")
            yield from photo.chunks(0, cut)
            release.wait(20)  # the tablet goes quiet; the user gives up

        fn = self.channel.stream_unary(FLD + "UploadPhoto", request_serializer=_ser,
                                       response_deserializer=field_pb2.UploadPhotoResponse
                                       .FromString)
        fut = fn.future(first_part(), timeout=30,
                        metadata=[("authorization", "Bearer " + self.token(who))])
        self.assertEqual(self.wait_committed(who, uid, cut), cut)
        fut.cancel()
        release.set()
        self.assertEqual(fut.code(), grpc.StatusCode.CANCELLED)
        st = self.status(who, uid)
        self.assertEqual(st.state, field_pb2.UPLOAD_STATE_STAGING)
        self.assertEqual(st.committed_offset, cut)
        self.assertEqual(st.total_size, len(photo.data))
        self.assertAlmostEqual(st.committed_offset / st.total_size, 0.4, delta=0.02)
        # resume from the committed offset with the same upload id
        r = self.upload(who, [photo.header(uid, task.id, "kitchen_photo")] +
                        list(photo.chunks(st.committed_offset)))
        self.assertEqual(r.photo_id, photo.id)
        self.assertEqual(r.photo_id, sha_hex(photo.data))
        self.assertEqual(r.size, len(photo.data))
        self.assertFalse(r.duplicate)
        st = self.status(who, uid)
        self.assertEqual(st.state, field_pb2.UPLOAD_STATE_COMPLETE)
        self.assertEqual(st.photo_id, photo.id)
        # the same upload id again: the same answer, nothing new
        r2 = self.upload(who, [photo.header(uid, task.id, "kitchen_photo")])
        self.assertEqual(r2.photo_id, photo.id)
        # the same photo under another upload id is stored once
        r3 = self.upload_photo(who, task.id, "kitchen_photo", photo)
        self.assertEqual(r3.photo_id, photo.id)
        self.assertTrue(r3.duplicate)
        # the finished upload id reused for another photo is refused, not
        # answered with the first photo's id (the new bytes would be lost)
        other = Photo(5000)
        msg = self.assertStatus(grpc.StatusCode.ALREADY_EXISTS, self.upload_photo, who, task.id,
                                "kitchen_photo", other, uid)
        self.assertIn(uid, msg)
        self.assertEqual(self.status(who, uid).photo_id, photo.id)

    def test_upload_survives_sigkill(self):
        task = self.t_up
        who = self.member(task, False).inspector_id
        photo = Photo(4 << 20)
        uid = "kill-" + rid()
        sent = [0]

        def slow():
            yield photo.header(uid, task.id, "kitchen_photo")
            for c in photo.chunks():
                sent[0] = c.chunk.offset + len(c.chunk.data)
                yield c
                time.sleep(0.01)

        fn = self.channel.stream_unary(FLD + "UploadPhoto", request_serializer=_ser,
                                       response_deserializer=field_pb2.UploadPhotoResponse
                                       .FromString)
        fut = fn.future(slow(), timeout=60,
                        metadata=[("authorization", "Bearer " + self.token(who))])
        seen = self.wait_committed(who, uid, 1 << 20)
        self.server.kill_and_restart()  # mid-upload, chunks still flowing
        self.assertEqual(fut.exception(timeout=30).code(), grpc.StatusCode.UNAVAILABLE)
        self.assertLess(sent[0], len(photo.data))
        st = None
        deadline = time.monotonic() + 10
        while st is None:
            try:
                st = self.status(who, uid)
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.assertEqual(st.state, field_pb2.UPLOAD_STATE_STAGING)
        self.assertEqual(st.total_size, len(photo.data))
        # what was acknowledged as committed before the kill is still there
        self.assertGreaterEqual(st.committed_offset, seen)
        self.assertLessEqual(st.committed_offset, sent[0])
        self.assertEqual(st.committed_offset % CHUNK, 0)
        self.assertLess(st.committed_offset, len(photo.data))
        r = self.upload(who, [photo.header(uid, task.id, "kitchen_photo")] +
                        list(photo.chunks(st.committed_offset)))
        self.assertEqual(r.photo_id, sha_hex(photo.data))
        self.assertEqual(self.status(who, uid).state, field_pb2.UPLOAD_STATE_COMPLETE)

    def test_upload_refusals(self):
        task = self.t_up
        who = self.member(task, False).inspector_id
        photo = Photo(3 * CHUNK + 100)
        # wrong hash: DATA_LOSS, nothing kept
        uid = "badhash-" + rid()
        wrong = hashlib.sha256(b"another photo").digest()
        msg = self.assertStatus(DL, self.upload, who,
                                [photo.header(uid, task.id, "kitchen_photo", sha=wrong)] +
                                list(photo.chunks()))
        self.assertIn("SHA-256", msg)
        self.assertStatus(NF, self.status, who, uid)
        # oversize: refused at the header, the limit in the message
        uid = "big-" + rid()
        msg = self.assertStatus(RE, self.upload, who,
                                [photo.header(uid, task.id, "kitchen_photo",
                                              total=MAX_PHOTO + 1)])
        self.assertIn(str(MAX_PHOTO), msg)
        self.assertIn("32 MiB", msg)
        self.assertStatus(NF, self.status, who, uid)
        # a chunk at the wrong offset names the expected one
        uid = "offset-" + rid()
        chunks = list(photo.chunks())
        msg = self.assertStatus(FP, self.upload, who,
                                [photo.header(uid, task.id, "kitchen_photo"), chunks[0],
                                 chunks[2]])
        self.assertIn("committed offset is %d" % CHUNK, msg)
        st = self.status(who, uid)
        self.assertEqual(st.committed_offset, CHUNK)
        # ... and the upload goes on from there
        r = self.upload(who, [photo.header(uid, task.id, "kitchen_photo")] + chunks[1:])
        self.assertEqual(r.photo_id, photo.id)
        # a half-close before the end says where to resume
        uid = "short-" + rid()
        msg = self.assertStatus(FP, self.upload, who,
                                [Photo(2 * CHUNK).header(uid, task.id, "kitchen_photo")])
        self.assertIn("resume from offset 0", msg)
        # the same id with another hash or size
        msg = self.assertStatus(grpc.StatusCode.ALREADY_EXISTS, self.upload, who,
                                [Photo(4 * CHUNK).header(uid, task.id, "kitchen_photo")])
        self.assertIn(uid, msg)
        # a chunk past the declared size: the store's code (RESOURCE_EXHAUSTED,
        # not "busy", so no client retries it), and what to do
        uid = "past-" + rid()
        msg = self.assertStatus(RE, self.upload, who,
                                [photo.header(uid, task.id, "kitchen_photo", total=2 * CHUNK + 50)]
                                + list(photo.chunks()))
        self.assertIn("declared total_size of %d bytes" % (2 * CHUNK + 50), msg)
        self.assertIn("new upload_id", msg)
        self.assertNotIn("busy", msg)
        # an upload id too long once scoped to the inspector: one refusal in
        # both methods, with the length this inspector may use
        uid = "x" * (128 - len(who))
        for call in (lambda: self.upload(who, [photo.header(uid, task.id, "kitchen_photo")]),
                     lambda: self.status(who, uid)):
            msg = self.assertStatus(IA, call)
            self.assertIn("may use 1..%d" % (127 - len(who)), msg)
        msg = self.assertStatus(IA, self.status, who, "")
        self.assertIn("upload_id has 0 bytes", msg)

    # -- SubmitFindings: idempotency, signatures, resubmission -----------------------

    def test_submit_retry_after_timeout(self):
        task = self.t_idem
        lead = self.member(task, True)
        pkg = self.package(task, lead.inspector_id)
        answers, _ = self.answers(self.template_for(pkg, lead.department))
        body = self.body(pkg, lead.inspector_id, lead.department, answers, notes="首次提交")
        request_id = rid()
        with FaultProxy(self.server.port) as px:
            with grpc.insecure_channel(px.addr) as slow:
                # connect through the proxy first, then make its answers late
                grpc.channel_ready_future(slow).result(timeout=10)
                px.set(down_latency=2.5)
                t0 = time.time()
                with self.assertRaises(grpc.RpcError) as cm:
                    self.submit(lead.inspector_id, body, request_id, timeout=1.0, channel=slow)
                self.assertEqual(cm.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        time.sleep(max(0.0, t0 + 2.2 - time.time()))
        # the tablet sends it again: the first answer, nothing new stored
        r1 = self.submit(lead.inspector_id, body, request_id)
        self.assertEqual(r1.findings.version, 1)
        self.assertEqual(r1.findings.body, body)
        self.assertLessEqual(r1.findings.received_unix, int(t0) + 1,
                             "the retry was applied again instead of answered from the first")
        task_after_first = self.get_task(task.id)
        r2 = self.submit(lead.inspector_id, body, request_id)
        self.assertEqual(r2.SerializeToString(deterministic=True),
                         r1.SerializeToString(deterministic=True))
        self.assertEqual(self.get_task(task.id), task_after_first)
        # the same request id with another request is not a retry
        other = field_pb2.FindingsBody()
        other.CopyFrom(body)
        other.notes = "另一份"
        self.assertStatus(grpc.StatusCode.ALREADY_EXISTS, self.submit, lead.inspector_id,
                          other, request_id)
        # a real resubmission is version 2: the retries stored nothing
        r3 = self.submit(lead.inspector_id, other)
        self.assertEqual(r3.findings.version, 2)

    def set_key(self, inspector_id, public):
        ins = self.call(DIR + "GetInspector", directory_pb2.GetInspectorRequest(id=inspector_id),
                        directory_pb2.Inspector, self.admin)
        ins.public_key = public
        req = directory_pb2.UpsertInspectorRequest(request_id=rid(), inspector=ins)
        self.call(DIR + "UpsertInspector", req, directory_pb2.UpsertInspectorResponse,
                  self.admin)

    def test_signed_findings(self):
        task = self.t_idem
        m = self.member(task, False)
        who = m.inspector_id
        pkg = self.package(task, who)
        answers, _ = self.answers(self.template_for(pkg, m.department))
        signer = Signer()
        self.set_key(who, signer.public_raw())
        try:
            body = self.body(pkg, who, m.department, answers, notes="v1")
            sig = signer.sign(findings_digest(body))
            self.assertEqual(len(sig), 64)
            # unsigned, or signed by another key, or over other content: refused
            self.assertStatus(UA, self.submit, who, body)
            self.assertStatus(UA, self.submit, who, body, signature=Signer().sign(
                findings_digest(body)))
            bad = bytearray(sig)
            bad[5] ^= 0x40
            msg = self.assertStatus(UA, self.submit, who, body, signature=bytes(bad))
            self.assertIn(who, msg)
            r = self.submit(who, body, signature=sig)
            self.assertEqual(r.findings.version, 1)
            self.assertEqual(r.findings.signature, sig)
            # resubmission before reconciliation: version 2, kept on retry
            body2 = self.body(pkg, who, m.department, answers, notes="v2 复核后修改")
            sig2 = signer.sign(findings_digest(body2))
            self.assertStatus(UA, self.submit, who, body2, signature=sig)  # old signature
            request_id = rid()
            r = self.submit(who, body2, request_id, signature=sig2)
            self.assertEqual(r.findings.version, 2)
            self.assertEqual(r.findings.body.notes, "v2 复核后修改")
            r = self.submit(who, body2, request_id, signature=sig2)
            self.assertEqual(r.findings.version, 2)
        finally:
            self.set_key(who, b"")

    def test_template_violation_names_item(self):
        task = self.t_bad
        m = self.member(task, False)
        who = m.inspector_id
        pkg = self.package(task, who)
        tpl = self.template_for(pkg, m.department)
        good, _ = self.answers(tpl)

        def variant(code, change):
            out = []
            for a in good:
                b = field_pb2.Answer()
                b.CopyFrom(a)
                if a.item_code == code:
                    if change is None:
                        continue
                    change(b)
                out.append(b)
            return out

        cases = []
        for it in tpl.items:
            if it.kind == directory_pb2.ITEM_KIND_NUMBER and it.max > it.min:
                cases.append((it.code, lambda b, it=it: setattr(b, "number", it.max + 1)))
                cases.append((it.code, lambda b: setattr(b, "text", "很多")))
            elif it.kind == directory_pb2.ITEM_KIND_CHOICE:
                cases.append((it.code, lambda b: setattr(b, "choice", "不在选项里")))
            elif it.kind == directory_pb2.ITEM_KIND_BOOL and it.required:
                cases.append((it.code, None))  # a required item left out
            elif it.kind == directory_pb2.ITEM_KIND_PHOTO and it.min_photos:
                cases.append((it.code, lambda b: b.photo_ids.pop()))
        self.assertGreaterEqual(len(cases), 4)
        for code, change in cases:
            with self.subTest(item=code):
                msg = self.assertStatus(IA, self.submit, who,
                                        self.body(pkg, who, m.department, variant(code, change)))
                self.assertIn(code, msg)
        extra = list(good) + [field_pb2.Answer(item_code="no_such_item", flag=True)]
        msg = self.assertStatus(IA, self.submit, who, self.body(pkg, who, m.department, extra))
        self.assertIn("no_such_item", msg)
        # a stale template version is a precondition, not a shape error
        stale = self.body(pkg, who, m.department, good)
        stale.template_version += 1
        self.assertStatus(FP, self.submit, who, stale)
        # nothing was stored: the first good submission is version 1
        r = self.submit(who, self.body(pkg, who, m.department, good))
        self.assertEqual(r.findings.version, 1)

    def test_photo_ids_in_upper_case(self):
        """Findings naming stored photos in upper-case hex wait for nothing."""
        task = self.t_bad
        m = self.member(task, True)
        who = m.inspector_id
        pkg = self.package(task, who)
        answers, photos = self.answers(self.template_for(pkg, m.department))
        for item, p in photos:
            self.upload_photo(who, task.id, item, p)
        for a in answers:
            ids = [i.upper() for i in a.photo_ids]
            del a.photo_ids[:]
            a.photo_ids.extend(ids)
        r = self.submit(who, self.body(pkg, who, m.department, answers))
        self.assertEqual(list(r.findings.missing_photos), [])

    # -- inspectctl field --------------------------------------------------------------

    def setUp(self):
        if self._testMethodName.startswith("test_ctl_") and subprocess.run(
                [INSPECTCTL, "field", "--help"], capture_output=True).returncode != 0:
            self.skipTest("this inspectctl has no field command")

    def ctl(self, inspector, *args, server=None, timeout=90):
        argv = [INSPECTCTL, "--server", server or self.server.addr, "--token",
                self.token(inspector), "field"] + list(args)
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)

    def test_ctl_upload_through_resets(self):
        task = self.t_cli
        who = self.member(task, False).inspector_id
        photo = Photo(3 << 20)
        with tempfile.NamedTemporaryFile(suffix=".jpg") as f:
            f.write(photo.data)
            f.flush()
            # a slow link (2 MB/s) so that the server commits as the bytes
            # come, reset twice: at 40 % of the first connection's bytes and
            # at 40 % of the second's
            with FaultProxy(self.server.port, reset_after=int(len(photo.data) * 0.4),
                            resets=2, bandwidth=2_000_000) as px:
                res = self.ctl(who, "upload", f.name, "--task", task.id, "--item",
                               "yard_photo", "--chunk-bytes", str(CHUNK),
                               "--upload-id", "ctl-" + photo.id[:16], server=px.addr)
                resets = px.stats["resets"]
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn(photo.id, res.stdout)
        self.assertEqual(resets, 2, res.stderr)
        # it said where it resumed: from what the server had committed
        offsets = [int(x) for x in re.findall(r"resuming \S+ at offset (\d+)", res.stderr)]
        self.assertEqual(len(offsets), 2, res.stderr)
        self.assertGreater(offsets[0], 0, res.stderr)
        self.assertGreater(offsets[1], offsets[0], res.stderr)
        self.assertTrue(all(o % CHUNK == 0 for o in offsets), offsets)
        st = self.status(who, "ctl-" + photo.id[:16])
        self.assertEqual(st.state, field_pb2.UPLOAD_STATE_COMPLETE)
        self.assertEqual(st.photo_id, photo.id)

    def test_ctl_commands(self):
        task = self.t_cli
        lead = self.member(task, True)
        res = self.ctl(lead.inspector_id, "sync", "--json")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn(task.id, res.stdout)
        res = self.ctl(lead.inspector_id, "respond", task.id, "--accept")
        self.assertEqual(res.returncode, 0, res.stderr)
        res = self.ctl(lead.inspector_id, "checkin", task.id, "--lat",
                       str(task.latitude + 0.009), "--lon", str(task.longitude))
        self.assertEqual(res.returncode, 1)
        self.assertIn("FAILED_PRECONDITION", res.stderr)
        res = self.ctl(lead.inspector_id, "checkin", task.id, "--lat", str(task.latitude),
                       "--lon", str(task.longitude))
        self.assertEqual(res.returncode, 0, res.stderr)
        res = self.ctl(lead.inspector_id, "checkin", task.id)
        self.assertEqual(res.returncode, 2)
        # submit FILE.json: a FindingsBody; resent, the same answer
        pkg = self.package(task, lead.inspector_id)
        answers, _ = self.answers(self.template_for(pkg, lead.department))
        body = self.body(pkg, lead.inspector_id, lead.department, answers)
        from google.protobuf import json_format
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            f.write(json_format.MessageToJson(body, preserving_proto_field_name=True))
            f.flush()
            for _ in range(2):
                res = self.ctl(lead.inspector_id, "--json", "submit", f.name)
                self.assertEqual(res.returncode, 0, res.stderr)
                out = json.loads(res.stdout)
                self.assertEqual(int(out["findings"]["version"]), 1)
        res = self.ctl(lead.inspector_id, "--help")
        self.assertEqual(res.returncode, 0)
        self.assertIn("upload", res.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
