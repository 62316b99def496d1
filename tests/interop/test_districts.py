"""Interop: a province of three districts behind nginx (issue 11).

Three real inspectd nodes, one per district (新都 xindu = A, 金牛 jinniu =
B, 武侯 wuhou = C), each with its own store and the seeds of its district,
sharing one token keyring, behind Debian's nginx started with the shipped
deploy/nginx/inspectd.conf (TLS on, ports and certificate paths
substituted, the proxy timeouts cut to 5 s so a test can outwait them; the
nodes send keepalive pings every 2 s), and one real Ceph RGW for the
province (tests/tier/rgw.py, started once, in parallel with the nodes'
seeding): one bucket, each district's photos under its own prefix (A and C
name theirs, s3://BUCKET/CODE; B names only the bucket and gets jinniu/
as the default of a named district). Every call goes through nginx unless
the test says otherwise.

What is shown: a tablet of district B (grpcio) syncs, checks in, uploads a
5 MiB photo and submits findings, and district A's node never shows any of
it; once moved, B's photos are objects under jinniu/ only (size, SHA-256;
no other key in the bucket holds them, none under A's or C's prefix), and
B's dossier exported through nginx verifies and holds the 5 MiB photo byte
for byte; a city department token of A and C follows both feeds through
nginx (inspectctl changes --district xindu,wuhou --follow) and sees its own
changes of A and C, none of B's; a follow stream idle for longer than
nginx's read timeout stays open; C's token sent to A is refused, and a
node refuses x-district not its own; a call without x-district, or with a
district nginx does not know, gets the status of nginx's configuration;
with B's node stopped B's clients see UNAVAILABLE while A and C work, and
`inspectctl field upload` to B resumes when B is back, through both
INTERNAL (killed mid-stream) and UNAVAILABLE (down).

Run by CTest (label districts).
"""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unittest
import uuid

import grpc

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tier"))

from inspectd_harness import (INSPECTCTL, Server, call_server_stream,  # noqa: E402
                              call_unary, issue_token, make_certs, make_node_key)
from nginx_router import SHIPPED, Router, free_port  # noqa: E402
import rgw  # noqa: E402  (tests/tier/rgw.py: a real Ceph RGW on loopback)
import test_field  # noqa: E402  (the tablet's helpers; its TestCase is not run here)
from inspect_pb.v1 import (blobs_pb2, departments_pb2, dispatch_pb2, field_pb2,  # noqa: E402
                           licensing_pb2, session_pb2)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = {"xindu": os.path.join(ROOT, "seeds"),
         "jinniu": os.path.join(ROOT, "seeds", "districts", "jinniu"),
         "wuhou": os.path.join(ROOT, "seeds", "districts", "wuhou")}
A, B, C = "xindu", "jinniu", "wuhou"

DSP = "/inspect.v1.Dispatch/"
FLD = "/inspect.v1.Field/"
LIC = "/inspect.v1.Licensing/"
DEP = "/inspect.v1.Departments/"
WHO = "/inspect.v1.Session/WhoAmI"

PROXY_TIMEOUT = 5  # seconds: grpc_read_timeout and friends in the test config
KEEPALIVE = "2s"
BUCKET = "province-photos"


def rid():
    return uuid.uuid4().hex


def seed(district, name):
    with open(os.path.join(SEEDS[district], name), encoding="utf-8") as f:
        return json.load(f)


def shipped_message(location):
    """The grpc-message the shipped config answers from `location`."""
    with open(SHIPPED, encoding="utf-8") as f:
        text = f.read()
    block = text[text.index(f"location {location} {{"):]
    return re.search(r'add_header grpc-message "([^"]*)"', block).group(1)


class Node(Server):
    """A district's inspectd on a fixed port and a data folder that outlives
    it, so it can be killed and started again where nginx expects it."""

    def __init__(self, district, data_dir, port):
        super().__init__("--listen", f"127.0.0.1:{port}", "--district", district,
                         "--keepalive", KEEPALIVE, "--trusted-proxy", "127.0.0.1",
                         data_dir=data_dir)
        self.district = district

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None
        self._stderr.close()
        self._stderr = None
        os.unlink(os.path.join(self.dir, "port"))
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


class Province(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="districts-")
        cls.nodes = {}
        cls.router = None
        cls.cluster = rgw.Cluster()
        cls.cluster_error = []
        cls.ceph = None
        try:
            cls._set_up()
        except BaseException:
            cls._tear_down()
            raise

    @classmethod
    def _start_cluster(cls):
        try:
            cls.cluster.start()
        except BaseException as e:  # re-raised by _set_up
            cls.cluster_error.append(e)

    @classmethod
    def _attach_object_store(cls):
        """One bucket for the province; every node restarted onto it."""
        s3 = cls.cluster.boto3()
        s3.create_bucket(Bucket=BUCKET)
        cred = os.path.join(cls.tmp, "s3.conf")
        with open(os.open(cred, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(f"[default]\naws_access_key_id = {cls.cluster.access_key}\n"
                    f"aws_secret_access_key = {cls.cluster.secret_key}\n")
        for d, node in cls.nodes.items():
            code = node.stop()
            if code != 0:
                raise AssertionError(f"inspectd of {d} exited with {code}")
            # B names the bucket alone: a named district's prefix is its code
            store = f"s3://{BUCKET}" if d == B else f"s3://{BUCKET}/{d}"
            node.args += ["--blob-store", store, "--s3-endpoint", cls.cluster.endpoint,
                          "--s3-credentials", cred]
            node.start()
        cls.s3 = s3

    @classmethod
    def _set_up(cls):
        # the cluster takes ~20 s: it starts while the nodes are seeded
        # without it, then they restart onto it
        ceph = cls.ceph = threading.Thread(target=cls._start_cluster, daemon=True)
        ceph.start()
        certs = make_certs(os.path.join(cls.tmp, "certs"))
        cls.ca = os.path.join(certs, "ca.pem")
        dirs = {d: os.path.join(cls.tmp, d) for d in (A, B, C)}
        # One keyring for the province: key 0 made in A's folder, copied.
        make_node_key(dirs[A])
        for d in (B, C):
            os.makedirs(dirs[d])
            shutil.copy2(os.path.join(dirs[A], "token.key"), dirs[d])
        for d in (A, B, C):
            cls.nodes[d] = Node(d, dirs[d], free_port()).start()
        for d in (A, B, C):
            res = subprocess.run([INSPECTCTL, "--district", d, "seed", "load", SEEDS[d],
                                  "--data-dir", dirs[d], "--server", cls.nodes[d].addr],
                                 capture_output=True, text=True, timeout=180)
            if res.returncode != 0:
                raise AssertionError(f"seed load {d}: {res.stdout}\n{res.stderr}")
        waited = time.monotonic()
        ceph.join(120)
        if cls.cluster_error or ceph.is_alive():
            raise AssertionError(f"the Ceph cluster did not start: {cls.cluster_error}")
        print(f"ceph rgw up at {cls.cluster.endpoint}; waited {time.monotonic() - waited:.1f} s "
              "for it after the seeding", file=sys.stderr, flush=True)
        cls._attach_object_store()
        cls.router = Router({d: n.port for d, n in cls.nodes.items()},
                            tls=(os.path.join(certs, "server.pem"),
                                 os.path.join(certs, "server.key")),
                            timeout=f"{PROXY_TIMEOUT}s").start()
        with open(cls.ca, "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        cls.channel = grpc.secure_channel(cls.router.addr, creds, options=[
            ("grpc.ssl_target_name_override", "localhost")])
        cls.disp = {d: issue_token(dirs[A], "dispatcher", f"disp-{d}", districts=d)
                    for d in (A, B, C)}
        cls.dirs = dirs

    @classmethod
    def tearDownClass(cls):
        cls._tear_down()

    @classmethod
    def _tear_down(cls):
        if getattr(cls, "channel", None) is not None:
            cls.channel.close()
        if cls.router is not None:
            cls.router.stop()
        codes = {d: n.stop() for d, n in cls.nodes.items()}
        if cls.ceph is not None:
            cls.ceph.join(120)  # a start in flight ends before the stop
        cls.cluster.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        bad = {d: c for d, c in codes.items() if c not in (0, None)}
        if bad:
            raise AssertionError(f"inspectd exited with {bad}")

    # -- helpers ----------------------------------------------------------------

    def token(self, role, principal, districts, department=None):
        """A token of the province's keyring (made in A's folder)."""
        return issue_token(self.dirs[A], role, principal, department, "2h", districts)

    def call(self, district, method, req, resp_cls, token, timeout=20, channel=None):
        md = [("x-district", district)] if district else []
        return call_unary(channel or self.channel, method, req, resp_cls, token=token,
                          timeout=timeout, metadata=md)

    def assertStatus(self, code, fn, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.code(), code, cm.exception.details())
        return cm.exception.details()

    def review_app(self, district, dept, without=None):
        """An application of `district` in review whose item needs `dept`
        (and not `without`)."""
        items = {i["code"]: [x["department"] for x in i["departments"]]
                 for i in seed(district, "service_items.json")}
        for a in seed(district, "applications.json"):
            if (a["stage"] == "STAGE_REVIEW" and dept in items[a["service_item"]]
                    and without not in items[a["service_item"]]
                    and a["id"] not in self.used_apps):
                self.used_apps.add(a["id"])
                return a["id"]
        raise AssertionError(f"no application in review needing {dept} in {district}")

    used_apps = set()

    def new_task(self, district, dept, without=None):
        app = self.review_app(district, dept, without)
        req = dispatch_pb2.CreateTaskRequest(request_id=rid(), application_id=app)
        task = self.call(district, DSP + "CreateTask", req, dispatch_pb2.CreateTaskResponse,
                         self.disp[district]).task
        req = dispatch_pb2.AssignTeamRequest(request_id=rid(), task_id=task.id)
        task = self.call(district, DSP + "AssignTeam", req, dispatch_pb2.AssignTeamResponse,
                         self.disp[district]).task
        self.assertEqual(task.state, dispatch_pb2.TASK_STATE_ASSIGNED)
        return task

    def inspector_token(self, district, inspector_id):
        dept = next(i["department"] for i in seed(district, "inspectors.json")
                    if i["id"] == inspector_id)
        return self.token("inspector", inspector_id, district, dept)

    def upload(self, district, token, requests, timeout=60):
        fn = self.channel.stream_unary(
            FLD + "UploadPhoto", request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=field_pb2.UploadPhotoResponse.FromString)
        return fn(iter(requests), timeout=timeout,
                  metadata=[("authorization", "Bearer " + token), ("x-district", district)])

    def wait_moved(self, district, timeout=60):
        """The district's blob status (through nginx) once nothing waits to move."""
        admin = self.token("admin", "root", district)
        deadline = time.monotonic() + timeout
        while True:
            st = self.call(district, "/inspect.v1.Blobs/GetBlobStatus",
                           blobs_pb2.GetBlobStatusRequest(), blobs_pb2.GetBlobStatusResponse,
                           admin)
            if st.backlog_photos == 0 or time.monotonic() > deadline:
                return st
            time.sleep(0.2)

    def object_keys(self, prefix=""):
        """Every key of the province's bucket under `prefix`."""
        keys = []
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        for page in pages:
            keys += [o["Key"] for o in page.get("Contents", [])]
        return keys

    def assert_moved_under_own_prefix(self, district, photos):
        """Each photo is one object, under `district`/ and nowhere else,
        with its size and SHA-256."""
        st = self.wait_moved(district)
        self.assertEqual(st.backlog_photos, 0, st)
        self.assertEqual(st.store, f"s3://{BUCKET}/{district}/ at {self.cluster.endpoint}")
        everywhere = self.object_keys()
        for p in photos:
            key = f"{district}/{p.id[:2]}/{p.id}"
            self.assertEqual([k for k in everywhere if k.endswith("/" + p.id)], [key])
            body = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            self.assertEqual((len(body), hashlib.sha256(body).hexdigest()),
                             (len(p.data), p.id))
        mine = {p.id for p in photos}
        for other in {A, B, C} - {district}:
            self.assertFalse([k for k in self.object_keys(other + "/")
                              if k.rsplit("/", 1)[1] in mine], other)

    def ctl(self, *args, token, timeout=120):
        argv = [INSPECTCTL, "--server", self.router.addr, "--ca", self.ca, "--target-name",
                "localhost", "--token", token] + list(args)
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)

    # -- a tablet of district B ---------------------------------------------------

    def test_tablet_of_b_through_nginx(self):
        task = self.new_task(B, "bureau")
        lead = test_field.FieldTest.member(task, True).inspector_id
        tok = self.inspector_token(B, lead)
        # sync: the package of the task, with its pinned templates
        sync = self.call(B, FLD + "SyncTasks", field_pb2.SyncTasksRequest(),
                         field_pb2.SyncTasksResponse, tok)
        pkg = next(p for p in sync.tasks if p.task.id == task.id)
        self.assertTrue(pkg.site.application_id.startswith("JN-"))
        # check in on site
        req = field_pb2.CheckInRequest(request_id=rid(), task_id=task.id,
                                       latitude=task.latitude, longitude=task.longitude,
                                       device_unix=int(time.time()))
        self.call(B, FLD + "CheckIn", req, field_pb2.CheckInResponse, tok)
        # findings with every photo they cite; the first is 5 MiB, a client
        # stream far above nginx's default 1 MiB body limit
        dept = next(m.department for m in task.team if m.inspector_id == lead)
        tpl = test_field.FieldTest.template_for(None, pkg, dept)
        answers, photos = test_field.FieldTest.answers(tpl, photo_size=1500)
        self.assertTrue(photos, "the bureau's template asks for photos")
        item, first = photos[0]
        big = test_field.Photo(5 << 20)
        for a in answers:
            if first.id in a.photo_ids:
                a.photo_ids[list(a.photo_ids).index(first.id)] = big.id
        photos[0] = (item, big)
        uploads = []
        for code, p in photos:
            uid = rid()
            r = self.upload(B, tok, [p.header(uid, task.id, code)] + list(p.chunks()))
            self.assertEqual(r.photo_id, p.id)
            uploads.append(uid)
        body = field_pb2.FindingsBody(task_id=task.id, department=dept, inspector_id=lead,
                                      template_version=tpl.version, answers=answers,
                                      device_unix=int(time.time()))
        req = field_pb2.SubmitFindingsRequest(request_id=rid(), findings=body)
        r = self.call(B, FLD + "SubmitFindings", req, field_pb2.SubmitFindingsResponse, tok)
        self.assertEqual(list(r.findings.missing_photos), [])
        # B has it all
        got = self.call(B, DSP + "GetTask", dispatch_pb2.GetTaskRequest(id=task.id),
                        dispatch_pb2.Task, self.disp[B])
        self.assertEqual(got.application_id, task.application_id)
        st = self.call(B, FLD + "GetUploadStatus",
                       field_pb2.GetUploadStatusRequest(upload_id=uploads[0]),
                       field_pb2.GetUploadStatusResponse, tok)
        self.assertEqual(st.photo_id, big.id)
        # A never shows any of it: not the application, not a task on it,
        # not the upload, not the photo
        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.call, A, LIC + "GetApplication",
                          licensing_pb2.GetApplicationRequest(id=task.application_id),
                          licensing_pb2.Application, self.disp[A])
        tasks_a = self.call(A, DSP + "ListTasks", dispatch_pb2.ListTasksRequest(page_size=200),
                            dispatch_pb2.ListTasksResponse, self.disp[A])
        self.assertFalse([t for t in tasks_a.tasks if t.application_id.startswith("JN-")])
        a_insp = self.token("inspector", lead, A, dept)
        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.call, A, FLD + "GetUploadStatus",
                          field_pb2.GetUploadStatusRequest(upload_id=uploads[0]),
                          field_pb2.GetUploadStatusResponse, a_insp)
        auditor = self.token("auditor", "aud", A)
        fn = self.channel.unary_stream(
            DEP + "GetPhoto", request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=departments_pb2.PhotoChunk.FromString)
        with self.assertRaises(grpc.RpcError) as cm:
            list(fn(departments_pb2.GetPhotoRequest(photo_id=big.id), timeout=20,
                    metadata=[("authorization", "Bearer " + auditor), ("x-district", A)]))
        self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND)
        # the node logged the tablet as nginx reported it (trusted proxy);
        # log lines reach stderr within INS_CALLLOG_FLUSH_MS
        want = re.compile(r'method=/inspect.v1.Field/SubmitFindings principal=' + lead
                          + r' role=inspector peer="ipv4:127\.0\.0\.1 via ipv4:127\.0\.0\.1:\d+"')
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not want.search(self.nodes[B].stderr_text()):
            time.sleep(0.05)
        self.assertRegex(self.nodes[B].stderr_text(), want)
        # the province's object store: B's photos under jinniu/ only
        self.assert_moved_under_own_prefix(B, [p for _, p in photos])
        # B's dossier, exported through nginx, is complete: it verifies and
        # holds the 5 MiB photo (now read back from RGW) byte for byte
        out = os.path.join(self.tmp, "jinniu-dossier.tar")
        res = self.ctl("--district", B, "dossier", "export", task.application_id, "-o", out,
                       token=self.token("auditor", "aud-b", B))
        self.assertEqual(res.returncode, 0, res.stderr)
        res = subprocess.run([INSPECTCTL, "dossier", "verify", out], capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        with tarfile.open(out) as tar:
            names = [n for n in tar.getnames()
                     if n.startswith(f"photos/{big.id}.") and not n.endswith(".json")]
            self.assertEqual(len(names), 1, tar.getnames())
            self.assertEqual(tar.extractfile(names[0]).read(), big.data)

    # -- a city department across A and C -------------------------------------------

    def test_department_follows_a_and_c(self):
        tok = self.token("department", "city-fire", f"{A},{C}", "fire")
        proc = subprocess.Popen(
            [INSPECTCTL, "--server", self.router.addr, "--ca", self.ca, "--target-name",
             "localhost", "--token", tok, "changes", "--district", f"{A},{C}", "--follow",
             "--kind", "task"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
        reader.start()
        try:
            time.sleep(1.0)
            ta, tc = self.new_task(A, "fire"), self.new_task(C, "fire")
            self.new_task(B, "fire")  # B's: never seen with a token of A and C
            other = self.new_task(A, "market", without="fire")  # not fire's case
            # outwait nginx's read timeout with nothing to say, then one more
            time.sleep(PROXY_TIMEOUT + 3)
            tc2 = self.new_task(C, "fire")
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(tc2.id in ln and C in ln
                                                          for ln in lines):
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=20)
            reader.join(5)
        self.assertEqual(proc.returncode, 0, err)
        # SEQ  DATE TIME OFFSET  DISTRICT  KIND  ID  CHANGE (times in one local format)
        rows = [ln.split() for ln in lines if ln.strip()]
        seen = {(r[4], r[6]) for r in rows}  # (district, task id)
        self.assertIn((A, ta.id), seen, lines)
        self.assertIn((C, tc.id), seen, lines)
        self.assertIn((C, tc2.id), seen, lines)  # after the idle spell
        self.assertNotIn(B, {r[4] for r in rows}, lines)
        self.assertNotIn((A, other.id), seen, lines)
        # task ids are per district: B's own id may exist in A or C, but
        # never as a change of B
        self.assertNotIn("resuming", err, "the idle follow stream was cut")
        m = re.search(r"resume with --cursor (\S+)", err)
        self.assertIsNotNone(m, err)
        cursors = dict(kv.split("=") for kv in m.group(1).split(","))
        self.assertEqual(set(cursors), {A, C})
        # resumable: from those cursors nothing old comes again
        res = self.ctl("changes", "--district", f"{A},{C}", "--cursor", m.group(1),
                       "--kind", "task", token=tok)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("(0 changes;", res.stdout)

    def test_follow_stream_outlives_proxy_timeout(self):
        """A bare grpcio PullChanges stream, no resuming client in between:
        silent for longer than nginx's read timeout, still open."""
        tok = self.token("department", "fire-watch", C, "fire")
        head = call_server_stream(self.channel, DEP + "PullChanges",
                                  departments_pb2.PullChangesRequest(cursor=0, follow=False),
                                  departments_pb2.ChangeBatch, token=tok, timeout=30,
                                  metadata=[("x-district", C)])
        cursor = max([b.cursor for b in head] or [0])
        stream = call_server_stream(self.channel, DEP + "PullChanges",
                                    departments_pb2.PullChangesRequest(cursor=cursor, follow=True),
                                    departments_pb2.ChangeBatch, token=tok, timeout=60,
                                    metadata=[("x-district", C)])
        got = []

        def read():
            try:
                for b in stream:
                    got.extend(b.changes)
            except grpc.RpcError as e:
                got.append(e)
        t = threading.Thread(target=read, daemon=True)
        t.start()
        time.sleep(PROXY_TIMEOUT * 2 + 1)
        self.assertFalse([g for g in got if isinstance(g, grpc.RpcError)], got)
        task = self.new_task(C, "fire")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not any(
                getattr(g, "entity_id", "") == task.id for g in got):
            time.sleep(0.1)
        stream.cancel()
        t.join(5)
        mine = [g for g in got if not isinstance(g, grpc.RpcError) and g.entity_id == task.id]
        self.assertTrue(mine, got)
        self.assertEqual(mine[0].district, C)

    # -- refusals -----------------------------------------------------------------------

    def test_token_of_c_refused_by_a(self):
        tok_c = self.token("dispatcher", "disp-c", C)
        msg = self.assertStatus(grpc.StatusCode.PERMISSION_DENIED, self.call, A, WHO,
                                session_pb2.WhoAmIRequest(), session_pb2.WhoAmIResponse, tok_c)
        self.assertEqual(msg, "disp-c holds district wuhou, not xindu, which this node serves; "
                              "ask for credentials of district xindu")
        # a token without a district claim opens no named district's node
        plain = self.token("dispatcher", "disp-old", None)
        msg = self.assertStatus(grpc.StatusCode.PERMISSION_DENIED, self.call, C, WHO,
                                session_pb2.WhoAmIRequest(), session_pb2.WhoAmIResponse, plain)
        self.assertIn("holds district default (no district claim), not wuhou", msg)
        who = self.call(C, WHO, session_pb2.WhoAmIRequest(), session_pb2.WhoAmIResponse, tok_c)
        self.assertEqual((who.districts, who.node_district), (C, C))

    def test_node_refuses_another_district(self):
        """Straight to C's node (no nginx): x-district A is misrouted."""
        ch = grpc.insecure_channel(self.nodes[C].addr)
        try:
            tok = self.token("admin", "root", "*")
            msg = self.assertStatus(grpc.StatusCode.FAILED_PRECONDITION, self.call, A, WHO,
                                    session_pb2.WhoAmIRequest(), session_pb2.WhoAmIResponse,
                                    tok, channel=ch)
            self.assertEqual(msg, "this node serves district wuhou, not xindu (x-district): the "
                                  "call was routed to the wrong node; send it to district "
                                  "xindu's node")
            # without the header a node serves its own district
            who = self.call(None, WHO, session_pb2.WhoAmIRequest(), session_pb2.WhoAmIResponse,
                            tok, channel=ch)
            self.assertEqual((who.districts, who.node_district), ("*", C))
        finally:
            ch.close()

    def test_router_answers_without_district(self):
        tok = self.token("admin", "root", "*")
        msg = self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.call, None, WHO,
                                session_pb2.WhoAmIRequest(), session_pb2.WhoAmIResponse, tok)
        self.assertEqual(msg, shipped_message("@no_district"))
        msg = self.assertStatus(grpc.StatusCode.NOT_FOUND, self.call, "chenghua", WHO,
                                session_pb2.WhoAmIRequest(), session_pb2.WhoAmIResponse, tok)
        self.assertEqual(msg, shipped_message("@unknown_district").replace(
            "$http_x_district", "chenghua"))

    # -- B's node stops ------------------------------------------------------------------

    def test_zz_node_b_down(self):
        """Last (zz): stops and restarts B's node."""
        task = self.new_task(B, "bureau")
        lead = test_field.FieldTest.member(task, True).inspector_id
        tok = self.inspector_token(B, lead)
        photo = test_field.Photo(12 << 20)
        node = self.nodes[B]
        # a department of B follows B's feed through nginx meanwhile
        dept_tok = self.token("department", "jn-market", B, "bureau")
        follow = subprocess.Popen(
            [INSPECTCTL, "--server", self.router.addr, "--ca", self.ca, "--target-name",
             "localhost", "--token", dept_tok, "changes", "--district", B, "--follow",
             "--kind", "task"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        followed = []
        reader = threading.Thread(target=lambda: followed.extend(follow.stdout), daemon=True)
        reader.start()
        with tempfile.NamedTemporaryFile(suffix=".jpg", dir=self.tmp) as f:
            f.write(photo.data)
            f.flush()
            up = subprocess.Popen(
                [INSPECTCTL, "--server", self.router.addr, "--ca", self.ca, "--target-name",
                 "localhost", "--token", tok, "--district", B, "field", "upload", f.name,
                 "--task", task.id, "--item", "front_photo", "--chunk-bytes", "16384",
                 "--upload-id", "down-" + photo.id[:12]],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                # kill B while the upload streams: INTERNAL through nginx
                uid = "down-" + photo.id[:12]
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    try:
                        st = self.call(B, FLD + "GetUploadStatus",
                                       field_pb2.GetUploadStatusRequest(upload_id=uid),
                                       field_pb2.GetUploadStatusResponse, tok)
                        if st.committed_offset >= 1 << 20:
                            break
                    except grpc.RpcError as e:
                        if e.code() != grpc.StatusCode.NOT_FOUND:
                            raise
                    time.sleep(0.02)
                self.assertLess(st.committed_offset, len(photo.data), "finished too soon")
                node.kill()
                # B is down: B's clients see UNAVAILABLE, A and C go on
                msg = self.assertStatus(grpc.StatusCode.UNAVAILABLE, self.call, B, WHO,
                                        session_pb2.WhoAmIRequest(), session_pb2.WhoAmIResponse,
                                        self.disp[B])
                self.assertEqual(msg, shipped_message("@district_down").replace(
                    "$http_x_district", B))
                for d in (A, C):
                    who = self.call(d, WHO, session_pb2.WhoAmIRequest(),
                                    session_pb2.WhoAmIResponse, self.disp[d])
                    self.assertEqual(who.node_district, d)
                time.sleep(2.0)  # the upload client retries into the gap
                node.start()
                out, err = up.communicate(timeout=120)
            finally:
                if up.poll() is None:
                    up.kill()
                    up.communicate()
        # B's feed follower resumed too, and sees what B does once back
        later = self.new_task(B, "bureau")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(later.id in ln and B in ln
                                                      for ln in followed):
            time.sleep(0.1)
        follow.send_signal(signal.SIGINT)
        _, ferr = follow.communicate(timeout=30)
        reader.join(5)
        self.assertTrue(any(later.id in ln for ln in followed), (followed, ferr))
        self.assertEqual(follow.returncode, 0, ferr)
        self.assertEqual(up.returncode, 0, err)
        self.assertIn(photo.id, out)
        causes = set(re.findall(r"field upload: (INTERNAL|UNAVAILABLE)", err))
        causes |= set(re.findall(r"changes --follow \(district jinniu\): (INTERNAL|UNAVAILABLE)",
                                 ferr))
        self.assertEqual(causes, {"INTERNAL", "UNAVAILABLE"}, err + ferr)
        st = self.call(B, FLD + "GetUploadStatus",
                       field_pb2.GetUploadStatusRequest(upload_id="down-" + photo.id[:12]),
                       field_pb2.GetUploadStatusResponse, tok)
        self.assertEqual(st.state, field_pb2.UPLOAD_STATE_COMPLETE)
        self.assertEqual(st.photo_id, photo.id)


if __name__ == "__main__":
    unittest.main(verbosity=2)
