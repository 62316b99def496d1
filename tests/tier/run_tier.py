"""The photo tier against a real Ceph RADOS Gateway (issue 17), label `tier`.

One cluster (rgw.py: mon, memstore OSD, radosgw on loopback) for every case,
one inspectd with the demo district and --blob-store s3://photos/district-a
for most of them; boto3 (Signature V4, path-style) is the independent client
that checks what the server wrote. Cases, each its own test:

- a photo moves to RGW (key, size, SHA-256), its local copy is freed,
  GetPhoto returns the same bytes, the dossier holds it byte for byte, a
  backup lists it as living in the object store;
- RGW down during uploads: every upload completes, the backlog is reported,
  then the landing zone fills: RESOURCE_EXHAUSTED with the reason while reads
  and other writes go on; RGW back: the backlog drains to zero;
- 20+ SIGKILLs of inspectd while it moves: every acknowledged photo reads
  back from one tier or the other with the right hash;
- an object overwritten behind the server's back: GetPhoto DATA_LOSS naming
  the photo, `inspectctl dossier export` refuses to write the dossier;
- wrong credentials / unknown bucket / unreachable endpoint / a credentials
  file others can read: inspectd refuses to start, each with its message;
- `inspectctl blobs migrate` moves photos uploaded before the tier existed;
- `inspectctl blobs orphans` lists an object no photo references, and it
  stays;
- the s3 blob store's own requests (tests/tier/test_s3.c);
- 25 SIGKILLs while uploads finish: a committed offset GetUploadStatus
  reported never goes back (the finish's hand-over from the blob stripe to
  meta), and every upload completes by resuming.

Exit status 0 only when every case passes.
"""

import hashlib
import io
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))

import grpc  # noqa: E402

import rgw  # noqa: E402
from inspectd_harness import INSPECTCTL, INSPECTD, call_server_stream, call_unary  # noqa: E402
from test_field import KillableServer, Photo, rid  # noqa: E402
from inspect_pb.v1 import blobs_pb2, departments_pb2, dispatch_pb2, field_pb2  # noqa: E402

TEST_S3 = os.environ.get("TEST_S3", "")
SEEDS = os.path.join(ROOT, "seeds")
BUCKET = "photos"
PREFIX = "district-a/"
FLD = "/inspect.v1.Field/"
DSP = "/inspect.v1.Dispatch/"
LANDING = 6 << 20
MIB = 1 << 20

CLUSTER = None


def key_of(photo_id):
    return f"{PREFIX}{photo_id[:2]}/{photo_id}"


def _ser(m):
    return m.SerializeToString()


class TierTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = CLUSTER
        cls.s3 = cls.c.boto3()
        cls.s3.create_bucket(Bucket=BUCKET)
        cls.cred_dir = tempfile.mkdtemp(prefix="inspect-tier-cred-")
        cls.cred = os.path.join(cls.cred_dir, "s3.conf")
        with open(os.open(cls.cred, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(f"[default]\naws_access_key_id = {cls.c.access_key}\n"
                    f"aws_secret_access_key = {cls.c.secret_key}\n")
        cls.tier_args = ["--blob-store", f"s3://{BUCKET}/{PREFIX}", "--s3-endpoint",
                         cls.c.endpoint, "--s3-credentials", cls.cred,
                         "--blob-landing-bytes", str(LANDING), "--quiet"]
        # First without a tier: the demo district and one photo that only
        # `blobs migrate` will move.
        cls.server = KillableServer("--quiet").start()
        try:
            cls._set_up()
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def _set_up(cls):
        srv = cls.server
        cls.admin = srv.token("admin", "root")
        cls.disp = srv.token("dispatcher", "disp-wang")
        cls.auditor = srv.token("auditor", "audit-li")
        res = subprocess.run([INSPECTCTL, "seed", "load", SEEDS, "--data-dir", srv.data_dir,
                              "--server", srv.addr], capture_output=True, text=True, timeout=180)
        if res.returncode != 0:
            raise AssertionError(f"seed load failed: {res.stdout}\n{res.stderr}")
        cls.channel = srv.channel()
        cls.tokens = {}
        cls.apps = {}
        for name, app in (("move", "XD-2026-001206"), ("bad", "XD-2026-001208"),
                          ("load", "XD-2026-001209")):
            cls.apps[name] = app
            setattr(cls, "t_" + name, cls._new_task(app))
        cls.before_tier = Photo(300 * 1024)
        cls._upload(cls.t_load, cls.before_tier)
        srv.args = cls.tier_args
        cls._kill_and_restart()

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"inspectd exited with {code}")

    # -- helpers --------------------------------------------------------------

    @classmethod
    def _new_task(cls, app_id):
        ch = cls.server.channel()
        req = dispatch_pb2.CreateTaskRequest(request_id=rid(), application_id=app_id)
        task = call_unary(ch, DSP + "CreateTask", req, dispatch_pb2.CreateTaskResponse,
                          token=cls.disp).task
        req = dispatch_pb2.AssignTeamRequest(request_id=rid(), task_id=task.id)
        task = call_unary(ch, DSP + "AssignTeam", req, dispatch_pb2.AssignTeamResponse,
                          token=cls.disp).task
        ch.close()
        return task

    @classmethod
    def _kill_and_restart(cls):
        cls.channel.close()
        cls.server.kill_and_restart()
        cls.channel = cls.server.channel()

    @classmethod
    def _who(cls, task):
        m = next(m for m in task.team if m.role == dispatch_pb2.MEMBER_ROLE_MEMBER)
        if m.inspector_id not in cls.tokens:
            cls.tokens[m.inspector_id] = cls.server.token("inspector", m.inspector_id,
                                                          department=m.department)
        return cls.tokens[m.inspector_id]

    @classmethod
    def _upload(cls, task, photo, timeout=60):
        fn = cls.channel.stream_unary(FLD + "UploadPhoto", request_serializer=_ser,
                                      response_deserializer=field_pb2.UploadPhotoResponse
                                      .FromString)
        reqs = [photo.header(rid(), task.id, "kitchen_photo")] + list(photo.chunks())
        return fn(iter(reqs), timeout=timeout,
                  metadata=[("authorization", "Bearer " + cls._who(task))])

    def status(self):
        return call_unary(self.channel, "/inspect.v1.Blobs/GetBlobStatus",
                          blobs_pb2.GetBlobStatusRequest(), blobs_pb2.GetBlobStatusResponse,
                          token=self.admin)

    def wait_drained(self, timeout=90):
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.status()
            if st.backlog_photos == 0:
                return st
            time.sleep(0.2)
        self.fail(f"the backlog did not drain: {st}")

    def get_photo(self, photo_id, channel=None):
        chunks = call_server_stream(channel or self.channel, "/inspect.v1.Departments/GetPhoto",
                                    departments_pb2.GetPhotoRequest(photo_id=photo_id),
                                    departments_pb2.PhotoChunk, token=self.auditor, timeout=60)
        return b"".join(c.data for c in chunks)

    def remote_sha(self, photo_id):
        o = self.s3.get_object(Bucket=BUCKET, Key=key_of(photo_id))
        body = o["Body"].read()
        return o["ContentLength"], hashlib.sha256(body).hexdigest()

    def export(self, app, out):
        return subprocess.run([INSPECTCTL, "--server", self.server.addr, "--token", self.auditor,
                               "dossier", "export", app, "-o", out], capture_output=True,
                              text=True, timeout=120)

    # -- cases ----------------------------------------------------------------

    def test_1_photo_moves_to_rgw_and_reads_back(self):
        local_before = self.wait_drained().local_photos
        photo = Photo(3 * MIB + 123)
        self.assertEqual(self._upload(self.t_move, photo).photo_id, photo.id)
        st = self.wait_drained()
        self.assertGreaterEqual(st.remote_photos, 1)
        self.assertEqual(st.store, f"s3://{BUCKET}/{PREFIX} at {self.c.endpoint}")
        size, sha = self.remote_sha(photo.id)
        self.assertEqual((size, sha), (len(photo.data), photo.id))
        head = self.s3.head_object(Bucket=BUCKET, Key=key_of(photo.id))
        self.assertEqual(head["ContentLength"], len(photo.data))
        # the local copy is freed (no --blob-cache-bytes): nothing of it here
        deadline = time.monotonic() + 10
        while self.status().local_photos > local_before and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.status().local_photos, local_before)
        self.assertEqual(self.get_photo(photo.id), photo.data)
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "dossier.tar")
            res = self.export(self.apps["move"], out)
            self.assertEqual(res.returncode, 0, res.stderr)
            with tarfile.open(out) as tar:
                names = [n for n in tar.getnames() if n.startswith(f"photos/{photo.id}.")
                         and not n.endswith(".json")]
                self.assertEqual(len(names), 1, tar.getnames())
                self.assertEqual(tar.extractfile(names[0]).read(), photo.data)
            res = subprocess.run([INSPECTCTL, "dossier", "verify", out], capture_output=True,
                                 text=True, timeout=60)
            self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
            # a backup says which photos it does not hold
            bak = os.path.join(d, "backup")
            res = subprocess.run([INSPECTCTL, "backup", "--data-dir", self.server.data_dir,
                                  "--to", bak], capture_output=True, text=True, timeout=120)
            self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
            with open(os.path.join(bak, "remote-photos.txt")) as f:
                self.assertIn(photo.id, f.read().split())

    def test_2_outage_uploads_complete_then_landing_full_then_drain(self):
        self.wait_drained()
        self.c.stop_rgw()
        try:
            done = []
            refused = None
            # one upload lands, then the mover's first failed attempt is seen
            # (the landing zone could fill before it: another refusal then)
            first = Photo(MIB)
            self.assertEqual(self._upload(self.t_load, first).photo_id, first.id)
            done.append(first)
            deadline = time.monotonic() + 60
            while self.status().unreachable_since_unix == 0 and time.monotonic() < deadline:
                time.sleep(0.2)
            for i in range(19):
                p = Photo(MIB)
                try:
                    self.assertEqual(self._upload(self.t_load, p).photo_id, p.id)
                    done.append(p)
                except grpc.RpcError as e:
                    refused = e
                    break
            self.assertGreaterEqual(len(done), LANDING // MIB - 1)
            self.assertIsNotNone(refused, "the landing zone never filled")
            self.assertEqual(refused.code(), grpc.StatusCode.RESOURCE_EXHAUSTED,
                             refused.details())
            self.assertIn("the store is full: the landing zone holds", refused.details())
            self.assertIn("the object store has been unreachable since", refused.details())
            st = self.status()
            self.assertGreaterEqual(st.backlog_photos, len(done))
            self.assertGreater(st.unreachable_since_unix, 0)
            self.assertGreater(st.oldest_waiting_unix, 0)
            self.assertIn("127.0.0.1", st.last_error)
            # reads and other writes go on
            self.assertEqual(self.get_photo(done[0].id), done[0].data)
            task = self._new_task("XD-2026-001211")
            self.assertEqual(task.state, dispatch_pb2.TASK_STATE_ASSIGNED)
        finally:
            self.c.start_rgw()
        st = self.wait_drained(timeout=120)
        self.assertEqual(st.backlog_photos, 0)
        for p in done:
            self.assertEqual(self.remote_sha(p.id), (len(p.data), p.id))
        p = Photo(MIB)  # taken again
        self.assertEqual(self._upload(self.t_load, p).photo_id, p.id)

    def test_3_sigkill_during_moves_loses_nothing(self):
        self.wait_drained(timeout=120)
        acked = []
        kills = 22
        for k in range(kills):
            for _ in range(2):
                p = Photo(random.randint(200 * 1024, 2 * MIB))
                self.assertEqual(self._upload(self.t_load, p).photo_id, p.id)
                acked.append(p)
            time.sleep(random.uniform(0.0, 0.4))  # somewhere in a move
            self._kill_and_restart()
        self.wait_drained(timeout=120)
        for p in acked:
            self.assertEqual(hashlib.sha256(self.get_photo(p.id)).hexdigest(), p.id)
            self.assertEqual(self.remote_sha(p.id), (len(p.data), p.id))

    def test_4_overwritten_object_is_data_loss(self):
        self.wait_drained(timeout=120)
        photo = Photo(2 * MIB)
        self.assertEqual(self._upload(self.t_bad, photo).photo_id, photo.id)
        self.wait_drained()
        self.s3.put_object(Bucket=BUCKET, Key=key_of(photo.id), Body=os.urandom(len(photo.data)))
        before = self.status().data_loss
        with self.assertRaises(grpc.RpcError) as cm:
            self.get_photo(photo.id)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.DATA_LOSS, cm.exception.details())
        self.assertIn(photo.id, cm.exception.details())
        self.assertEqual(self.status().data_loss, before + 1)
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "dossier.tar")
            res = self.export(self.apps["bad"], out)
            self.assertNotEqual(res.returncode, 0)
            self.assertIn("DATA_LOSS", res.stderr)
            self.assertIn(photo.id, res.stderr)
            self.assertFalse(os.path.exists(out))
            self.assertFalse(os.path.exists(out + ".part"))

    def refused_start(self, *args):
        with tempfile.TemporaryDirectory() as d:
            res = subprocess.run([INSPECTD, "--listen", "127.0.0.1:0", "--data-dir",
                                  os.path.join(d, "data"), "--quiet", "--metrics-listen", "off"] + list(args),
                                 capture_output=True, text=True, timeout=60)
        self.assertNotEqual(res.returncode, 0)
        return res.stderr

    def test_5_refuses_to_start_saying_why(self):
        ep = self.c.endpoint
        bad = os.path.join(self.cred_dir, "bad.conf")
        with open(os.open(bad, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(f"aws_access_key_id = {self.c.access_key}\naws_secret_access_key = nope\n")
        err = self.refused_start("--blob-store", f"s3://{BUCKET}", "--s3-endpoint", ep,
                                 "--s3-credentials", bad)
        self.assertIn("refuses the credentials", err)
        err = self.refused_start("--blob-store", "s3://no-such-bucket", "--s3-endpoint", ep,
                                 "--s3-credentials", self.cred)
        self.assertIn("has no bucket no-such-bucket", err)
        err = self.refused_start("--blob-store", f"s3://{BUCKET}", "--s3-endpoint",
                                 "http://127.0.0.1:1", "--s3-credentials", self.cred)
        self.assertIn("is unreachable", err)
        os.chmod(bad, 0o644)
        err = self.refused_start("--blob-store", f"s3://{BUCKET}", "--s3-endpoint", ep,
                                 "--s3-credentials", bad)
        self.assertIn("chmod 600", err)
        err = self.refused_start("--s3-endpoint", ep)
        self.assertIn("need --blob-store", err)

    def test_6_migrate_moves_photos_from_before_the_tier(self):
        res = subprocess.run([INSPECTCTL, "--server", self.server.addr, "--token", self.admin,
                              "--json", "blobs", "migrate"], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.wait_drained()
        self.assertEqual(self.remote_sha(self.before_tier.id),
                         (len(self.before_tier.data), self.before_tier.id))
        res = subprocess.run([INSPECTCTL, "--server", self.server.addr, "--token", self.admin,
                              "blobs", "status"], capture_output=True, text=True, timeout=60)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("backlog:            0 photos", res.stdout)

    def test_9_sigkill_never_moves_a_committed_offset_back(self):
        """Today's crash-safety bug first: finishing an upload spans the blob
        stripe and meta; a kill between them used to answer NOT_FOUND for an
        upload whose every byte had been reported committed."""
        who = self._who(self.t_load)
        for k in range(25):
            p = Photo(random.randint(64 * 1024, 768 * 1024))
            uid = "crash-" + rid()
            seen = [0]
            stop = threading.Event()

            def poll():
                ch = self.server.channel()
                while not stop.is_set():
                    try:
                        st = call_unary(ch, FLD + "GetUploadStatus",
                                        field_pb2.GetUploadStatusRequest(upload_id=uid),
                                        field_pb2.GetUploadStatusResponse, token=who, timeout=2)
                        if st.state == field_pb2.UPLOAD_STATE_COMPLETE:
                            seen[0] = len(p.data)
                        else:
                            seen[0] = max(seen[0], st.committed_offset)
                    except grpc.RpcError:
                        pass
                ch.close()

            fn = self.channel.stream_unary(FLD + "UploadPhoto", request_serializer=_ser,
                                           response_deserializer=field_pb2.UploadPhotoResponse
                                           .FromString)
            fut = fn.future(iter([p.header(uid, self.t_load.id, "kitchen_photo")] +
                                 list(p.chunks())), timeout=30,
                            metadata=[("authorization", "Bearer " + who)])
            t = threading.Thread(target=poll)
            t.start()
            time.sleep(random.uniform(0.0, 0.15))
            stop.set()
            t.join()
            told = seen[0]
            self._kill_and_restart()
            fut.exception(timeout=30)
            try:
                st = call_unary(self.channel, FLD + "GetUploadStatus",
                                field_pb2.GetUploadStatusRequest(upload_id=uid),
                                field_pb2.GetUploadStatusResponse, token=who, timeout=10)
            except grpc.RpcError as e:
                self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND, e.details())
                self.assertEqual(told, 0, f"round {k}: {told} bytes were reported committed, "
                                          "then the upload was forgotten")
                continue
            if st.state != field_pb2.UPLOAD_STATE_COMPLETE:
                self.assertGreaterEqual(st.committed_offset, told, f"round {k}")
                off = st.committed_offset
                r = self._resume(p, uid, off)
                self.assertEqual(r.photo_id, p.id)
            self.assertEqual(hashlib.sha256(self.get_photo(p.id)).hexdigest(), p.id)

    @classmethod
    def _resume(cls, photo, uid, off):
        fn = cls.channel.stream_unary(FLD + "UploadPhoto", request_serializer=_ser,
                                      response_deserializer=field_pb2.UploadPhotoResponse
                                      .FromString)
        reqs = [photo.header(uid, cls.t_load.id, "kitchen_photo")] + list(photo.chunks(off))
        return fn(iter(reqs), timeout=60,
                  metadata=[("authorization", "Bearer " + cls._who(cls.t_load))])

    def test_8_orphans_are_listed_not_deleted(self):
        stray = os.urandom(1000)
        sid = hashlib.sha256(stray).hexdigest()
        self.s3.put_object(Bucket=BUCKET, Key=key_of(sid), Body=stray)
        res = subprocess.run([INSPECTCTL, "--server", self.server.addr, "--token", self.auditor,
                              "blobs", "orphans"], capture_output=True, text=True, timeout=60)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout.split()[0], sid)
        self.assertIn("1 objects, 1000 bytes", res.stdout)
        self.assertEqual(self.remote_sha(sid), (1000, sid))  # still there

    def test_7_s3_store_requests(self):
        self.s3.create_bucket(Bucket="unit")
        env = dict(os.environ, INSPECT_S3_ENDPOINT=self.c.endpoint,
                   AWS_ACCESS_KEY_ID=self.c.access_key, AWS_SECRET_ACCESS_KEY=self.c.secret_key,
                   INSPECT_S3_BUCKET="unit")
        res = subprocess.run([TEST_S3], env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)


def main():
    global CLUSTER
    t0 = time.monotonic()
    CLUSTER = rgw.Cluster().start()
    print(f"ceph rgw up in {time.monotonic() - t0:.1f} s at {CLUSTER.endpoint}", flush=True)
    try:
        prog = unittest.main(exit=False, verbosity=2)
        ok = prog.result.wasSuccessful()
    finally:
        CLUSTER.stop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
