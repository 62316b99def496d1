"""field_work - works one application of the seeded district through the
field flow over the gRPC port, up to its reconciliation report, for the
console's browser tests (a browser cannot stream a request: UploadPhoto
is client streaming, so tablets never use gRPC-Web).

    /usr/bin/python3 field_work.py ADDR DATA_DIR APPLICATION_ID

CreateTask, AssignTeam, then each member's tablet: SyncTasks, RespondTask,
CheckIn on site, UploadPhoto (a real PNG, so a browser can show it),
SubmitFindings with the declared facts as answers. Prints one JSON line:
{"task": ..., "report": ..., "departments": [...], "photos": [...]}.
Exits non-zero with the failing call on stderr.
"""

import hashlib
import json
import os
import struct
import subprocess
import sys
import uuid
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))

import grpc  # noqa: E402

from inspectd_harness import call_client_stream, call_unary  # noqa: E402
from inspect_pb.v1 import dispatch_pb2, field_pb2  # noqa: E402
from test_e2e import EndToEnd  # noqa: E402  (its answers(): passing values, declared facts)

D, F = dispatch_pb2, field_pb2
DSP = "/inspect.v1.Dispatch/"
FLD = "/inspect.v1.Field/"


def rid():
    return uuid.uuid4().hex


def token(data_dir, role, principal, department=None):
    argv = [os.environ["INSPECTCTL"], "token", "issue", "--data-dir", data_dir, "--role", role,
            "--principal", principal, "--ttl", "1h"]
    if department:
        argv += ["--department", department]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()


def png(seed):
    """A 48x32 PNG of one colour taken from `seed`: small, valid, distinct."""
    r, g, b = seed[0], seed[1], seed[2]
    raw = b"".join(b"\x00" + bytes((r, g, b)) * 48 for _ in range(32))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 48, 32, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def upload(ch, tok, task_id, item_code, n):
    data = png(hashlib.sha256(f"{task_id}/{item_code}/{n}".encode()).digest())
    sha = hashlib.sha256(data).digest()
    reqs = [F.UploadPhotoRequest(header=F.UploadHeader(
                upload_id="u-" + sha.hex()[:20], task_id=task_id, item_code=item_code,
                total_size=len(data), sha256=sha, media_type="image/png")),
            F.UploadPhotoRequest(chunk=F.UploadChunk(offset=0, data=data))]
    call_client_stream(ch, FLD + "UploadPhoto", reqs, F.UploadPhotoResponse, token=tok,
                       timeout=30)
    return sha.hex()


def main():
    addr, data_dir, app_id = sys.argv[1:4]
    bureau = token(data_dir, "dispatcher", "bureau-desk")
    with grpc.insecure_channel(addr) as ch:
        task = call_unary(ch, DSP + "CreateTask", D.CreateTaskRequest(
            request_id=rid(), application_id=app_id), D.CreateTaskResponse, token=bureau).task
        task = call_unary(ch, DSP + "AssignTeam", D.AssignTeamRequest(
            request_id=rid(), task_id=task.id), D.AssignTeamResponse, token=bureau).task
        tablets = {m.inspector_id: token(data_dir, "inspector", m.inspector_id, m.department)
                   for m in task.team}
        pkgs = {}
        for m in task.team:
            s = call_unary(ch, FLD + "SyncTasks", F.SyncTasksRequest(), F.SyncTasksResponse,
                           token=tablets[m.inspector_id])
            pkgs[m.inspector_id] = next(p for p in s.tasks if p.task.id == task.id)
            call_unary(ch, FLD + "RespondTask", F.RespondTaskRequest(
                request_id=rid(), task_id=task.id, accept=True), F.RespondTaskResponse,
                token=tablets[m.inspector_id])
        photos = []
        for m in task.team:
            tok, pkg = tablets[m.inspector_id], pkgs[m.inspector_id]
            call_unary(ch, FLD + "CheckIn", F.CheckInRequest(
                request_id=rid(), task_id=task.id, latitude=pkg.site.latitude,
                longitude=pkg.site.longitude),  # no device time: the server's clock is warped
                F.CheckInResponse, token=tok)
            tpl = next(t for t in pkg.templates if t.department == m.department)
            facts = {f.key: f.value for f in pkg.declared_facts}
            answers = []
            for a, n_photos in EndToEnd.answers(tpl, facts, {}, None):
                for n in range(n_photos):
                    pid = upload(ch, tok, task.id, a.item_code, n)
                    a.photo_ids.append(pid)
                    photos.append(pid)
                answers.append(a)
            body = F.FindingsBody(task_id=task.id, department=m.department,
                                  inspector_id=m.inspector_id, template_version=tpl.version,
                                  answers=answers)
            call_unary(ch, FLD + "SubmitFindings", F.SubmitFindingsRequest(
                request_id=rid(), findings=body), F.SubmitFindingsResponse, token=tok)
    print(json.dumps({"task": task.id, "report": "R-" + task.id,
                      "departments": [d for d in task.required_departments if d != "bureau"],
                      "photos": photos}))


if __name__ == "__main__":
    try:
        main()
    except grpc.RpcError as e:
        sys.stderr.write(f"field_work: {e.code().name}: {e.details()}\n")
        sys.exit(1)
