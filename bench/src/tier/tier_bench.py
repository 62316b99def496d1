"""bench/tier's driver: N photos of MIB MiB through the photo tier against a
real Ceph RGW on loopback (tests/tier/rgw.py), and the same N through boto3,
in the same run, against the same gateway.

  baseline  boto3 (Signature V4, path-style): put_object of the N photos one
            after the other, then get_object of each;
  inspectd  the N photos uploaded into a tier-less inspectd (untimed), which
            is restarted with --blob-store s3://...: the clock runs from
            `Blobs.MigrateBlobs` until the backlog is empty and every object
            is in RGW (the movers: MD5, PUT with Content-MD5 and the SHA-256,
            HEAD, the meta commit, freeing the local copy); then GetPhoto of
            each from the object store (ranged GETs, SHA-256 checked before
            the last chunk), from one Python grpcio client, one after another.

ROUNDS rounds, the order of the two rotated, objects deleted between rounds
(memstore keeps them in RAM); medians. Prints MB/s of each and the last line
`RESULT tier put_ratio=<inspectd/boto3> get_ratio=<inspectd/boto3>`.
"""

import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "tier"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))

import rgw  # noqa: E402
from inspectd_harness import INSPECTCTL, call_server_stream, call_unary  # noqa: E402
from test_field import KillableServer, Photo, rid  # noqa: E402
from inspect_pb.v1 import blobs_pb2, departments_pb2, dispatch_pb2, field_pb2  # noqa: E402

N = int(os.environ.get("N", "24"))
MIB = int(os.environ.get("MIB", "4"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
BUCKET = "bench"
APPS = ["XD-2026-001206", "XD-2026-001208", "XD-2026-001209", "XD-2026-001211",
        "XD-2026-001222"]


def mbps(nbytes, seconds):
    return nbytes / seconds / 1e6 if seconds > 0 else 0.0


class Inspectd:
    """A seeded inspectd, a task and its member's token, on one data folder."""

    def __init__(self, cluster, cred, round_no):
        self.tier_args = ["--blob-store", f"s3://{BUCKET}/round-{round_no}",
                          "--s3-endpoint", cluster.endpoint, "--s3-credentials", cred,
                          "--quiet"]
        self.srv = KillableServer("--quiet").start()
        self.admin = self.srv.token("admin", "root")
        self.auditor = self.srv.token("auditor", "audit-li")
        disp = self.srv.token("dispatcher", "disp-wang")
        res = subprocess.run([INSPECTCTL, "seed", "load", os.path.join(ROOT, "seeds"),
                              "--data-dir", self.srv.data_dir, "--server", self.srv.addr],
                             capture_output=True, text=True, timeout=180)
        if res.returncode != 0:
            raise RuntimeError(res.stdout + res.stderr)
        self.ch = self.srv.channel()
        task = call_unary(self.ch, "/inspect.v1.Dispatch/CreateTask",
                          dispatch_pb2.CreateTaskRequest(request_id=rid(),
                                                         application_id=APPS[round_no % len(APPS)]),
                          dispatch_pb2.CreateTaskResponse, token=disp).task
        task = call_unary(self.ch, "/inspect.v1.Dispatch/AssignTeam",
                          dispatch_pb2.AssignTeamRequest(request_id=rid(), task_id=task.id),
                          dispatch_pb2.AssignTeamResponse, token=disp).task
        m = next(m for m in task.team if m.role == dispatch_pb2.MEMBER_ROLE_MEMBER)
        self.task = task
        self.token = self.srv.token("inspector", m.inspector_id, department=m.department)

    def upload(self, photo):
        fn = self.ch.stream_unary("/inspect.v1.Field/UploadPhoto",
                                  request_serializer=lambda m: m.SerializeToString(),
                                  response_deserializer=field_pb2.UploadPhotoResponse.FromString)
        reqs = [photo.header(rid(), self.task.id, "kitchen_photo")] + list(photo.chunks())
        r = fn(iter(reqs), timeout=120, metadata=[("authorization", "Bearer " + self.token)])
        assert r.photo_id == photo.id

    def with_tier(self):
        self.ch.close()
        self.srv.args = self.tier_args
        self.srv.kill_and_restart()
        self.ch = self.srv.channel()

    def status(self):
        return call_unary(self.ch, "/inspect.v1.Blobs/GetBlobStatus",
                          blobs_pb2.GetBlobStatusRequest(), blobs_pb2.GetBlobStatusResponse,
                          token=self.admin)

    def move_all(self, n):
        t0 = time.perf_counter()
        call_unary(self.ch, "/inspect.v1.Blobs/MigrateBlobs", blobs_pb2.MigrateBlobsRequest(),
                   blobs_pb2.MigrateBlobsResponse, token=self.admin, timeout=120)
        while True:
            st = self.status()
            if st.backlog_photos == 0 and st.remote_photos >= n and st.local_photos == 0:
                return time.perf_counter() - t0, st  # moved and every local copy freed
            time.sleep(0.005)

    def get(self, photo_id):
        chunks = call_server_stream(self.ch, "/inspect.v1.Departments/GetPhoto",
                                    departments_pb2.GetPhotoRequest(photo_id=photo_id),
                                    departments_pb2.PhotoChunk, token=self.auditor, timeout=120)
        return b"".join(c.data for c in chunks)

    def stop(self):
        self.ch.close()
        self.srv.stop()


def boto_round(s3, photos, prefix):
    t0 = time.perf_counter()
    for p in photos:
        s3.put_object(Bucket=BUCKET, Key=f"{prefix}/{p.id}", Body=p.data)
    put = time.perf_counter() - t0
    t0 = time.perf_counter()
    for p in photos:
        body = s3.get_object(Bucket=BUCKET, Key=f"{prefix}/{p.id}")["Body"].read()
        assert hashlib.sha256(body).hexdigest() == p.id
    return put, time.perf_counter() - t0


def inspectd_round(cluster, cred, photos, round_no):
    ins = Inspectd(cluster, cred, round_no)
    try:
        for p in photos:
            ins.upload(p)
        ins.with_tier()
        put, st = ins.move_all(len(photos))
        t0 = time.perf_counter()
        for p in photos:
            assert hashlib.sha256(ins.get(p.id)).hexdigest() == p.id
        return put, time.perf_counter() - t0
    finally:
        ins.stop()


def clear(s3):
    while True:
        r = s3.list_objects_v2(Bucket=BUCKET)
        keys = [{"Key": o["Key"]} for o in r.get("Contents", [])]
        if not keys:
            return
        s3.delete_objects(Bucket=BUCKET, Delete={"Objects": keys})


def main():
    total = N * MIB << 20
    with rgw.Cluster() as c:
        s3 = c.boto3()
        s3.create_bucket(Bucket=BUCKET)
        cred_dir = tempfile.mkdtemp(prefix="bench-tier-")
        cred = os.path.join(cred_dir, "s3.conf")
        with open(os.open(cred, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(f"aws_access_key_id = {c.access_key}\n"
                    f"aws_secret_access_key = {c.secret_key}\n")
        res = {"boto3": ([], []), "inspectd": ([], [])}
        for r in range(ROUNDS):
            photos = [Photo(MIB << 20) for _ in range(N)]
            order = ["boto3", "inspectd"] if r % 2 == 0 else ["inspectd", "boto3"]
            for who in order:
                if who == "boto3":
                    put, get = boto_round(s3, photos, f"boto-{r}")
                else:
                    put, get = inspectd_round(c, cred, photos, r)
                res[who][0].append(mbps(total, put))
                res[who][1].append(mbps(total, get))
                print(f"round {r + 1} {who:8s} put {res[who][0][-1]:7.1f} MB/s  "
                      f"get {res[who][1][-1]:7.1f} MB/s", flush=True)
            clear(s3)
        os.unlink(cred)
        os.rmdir(cred_dir)
    med = {w: (statistics.median(p), statistics.median(g)) for w, (p, g) in res.items()}
    print(f"\n{N} photos of {MIB} MiB, median of {ROUNDS} rounds (MB/s):")
    print(f"{'':10s} {'put':>8s} {'get':>8s}")
    for w in ("boto3", "inspectd"):
        print(f"{w:10s} {med[w][0]:8.1f} {med[w][1]:8.1f}")
    pr = med["inspectd"][0] / med["boto3"][0] if med["boto3"][0] else 0
    gr = med["inspectd"][1] / med["boto3"][1] if med["boto3"][1] else 0
    print(f"RESULT tier put_ratio={pr:.2f} get_ratio={gr:.2f}")


if __name__ == "__main__":
    main()
