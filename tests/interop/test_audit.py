"""inspect.v1.Audit from Python grpcio: a case with a photo on the demo
district exported as a dossier, verified offline by `inspectctl dossier
verify`, and one flipped byte in the photo found and named.

The photo is uploaded by a team member of a task (AssignTeam picks the
team; every member accepts), so the dossier holds the application, the task,
the photo record and the photo bytes with their audit entries.
"""
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402

from inspectd_harness import (INSPECTCTL, Server, call_client_stream,  # noqa: E402
                              call_server_stream, call_unary)
from inspect_pb.v1 import (audit_pb2, dispatch_pb2, field_pb2,  # noqa: E402
                           licensing_pb2)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "seeds")
APP = "XD-2026-001201"


def rid():
    return uuid.uuid4().hex


class DossierWithPhoto(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.channel = cls.server.channel()
        res = subprocess.run([INSPECTCTL, "seed", "load", SEEDS, "--data-dir",
                              cls.server.data_dir, "--server", cls.server.addr],
                             capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            cls.tearDownClass()
            raise AssertionError(f"seed load failed: {res.stdout}\n{res.stderr}")
        cls.auditor = cls.server.token("auditor", "audit-li")
        disp = cls.server.token("dispatcher", "disp-wang")
        call_unary(cls.channel, "/inspect.v1.Licensing/SetStage",
                   licensing_pb2.SetStageRequest(request_id=rid(), id=APP,
                                                 stage=licensing_pb2.STAGE_REVIEW),
                   licensing_pb2.SetStageResponse, disp)
        task = call_unary(cls.channel, "/inspect.v1.Dispatch/CreateTask",
                          dispatch_pb2.CreateTaskRequest(request_id=rid(), application_id=APP),
                          dispatch_pb2.CreateTaskResponse, disp).task
        task = call_unary(cls.channel, "/inspect.v1.Dispatch/AssignTeam",
                          dispatch_pb2.AssignTeamRequest(request_id=rid(), task_id=task.id),
                          dispatch_pb2.AssignTeamResponse, disp).task
        cls.task_id = task.id
        for m in task.team:
            tok = cls.server.token("inspector", m.inspector_id)
            call_unary(cls.channel, "/inspect.v1.Field/RespondTask",
                       field_pb2.RespondTaskRequest(request_id=rid(), task_id=task.id,
                                                    accept=True),
                       field_pb2.RespondTaskResponse, tok)
        member = task.team[0].inspector_id
        cls.photo = os.urandom(150_000) + b"inspectd-photo-marker" + os.urandom(100_000)
        cls.photo_id = hashlib.sha256(cls.photo).hexdigest()
        hdr = field_pb2.UploadHeader(upload_id=rid(), task_id=task.id, item_code="front_photo",
                                     total_size=len(cls.photo),
                                     sha256=hashlib.sha256(cls.photo).digest(),
                                     media_type="image/jpeg", capture_unix=int(time.time()))
        reqs = [field_pb2.UploadPhotoRequest(header=hdr)]
        for off in range(0, len(cls.photo), 65536):
            reqs.append(field_pb2.UploadPhotoRequest(chunk=field_pb2.UploadChunk(
                offset=off, data=cls.photo[off:off + 65536])))
        call_client_stream(cls.channel, "/inspect.v1.Field/UploadPhoto", reqs,
                           field_pb2.UploadPhotoResponse,
                           cls.server.token("inspector", member), timeout=60)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"inspectd exited {code}:\n{cls.server.stderr_text()}")

    def verify(self, path):
        return subprocess.run([INSPECTCTL, "dossier", "verify", path], capture_output=True,
                              text=True, timeout=60)

    def test_photo_in_dossier_and_flipped_byte_named(self):
        chunks = list(call_server_stream(self.channel, "/inspect.v1.Audit/ExportDossier",
                                         audit_pb2.ExportDossierRequest(application_id=APP),
                                         audit_pb2.DossierChunk, self.auditor, timeout=60))
        self.assertTrue(all(0 < len(c.data) <= 65536 for c in chunks))
        data = b"".join(c.data for c in chunks)
        self.assertIn(self.photo, data)
        with tempfile.TemporaryDirectory() as d:
            good = os.path.join(d, "dossier.tar")
            with open(good, "wb") as f:
                f.write(data)
            res = self.verify(good)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertIn("1 photos", res.stdout)
            at = data.index(b"inspectd-photo-marker")
            bad = os.path.join(d, "bad.tar")
            with open(bad, "wb") as f:
                f.write(data[:at] + bytes([data[at] ^ 1]) + data[at + 1:])
            res = self.verify(bad)
            self.assertEqual(res.returncode, 1)
            self.assertIn(f"photos/{self.photo_id}.jpg", res.stderr)

    def test_photo_trail(self):
        events = list(call_server_stream(self.channel, "/inspect.v1.Audit/ListEvents",
                                         audit_pb2.ListEventsRequest(
                                             entity=f"photo/{self.photo_id}"),
                                         audit_pb2.AuditEvent, self.auditor))
        self.assertEqual([e.action for e in events], ["photo.stored"])
        self.assertEqual(events[0].entity, f"photo/{self.photo_id}")

    def test_wrong_role_and_unknown(self):
        with self.assertRaises(grpc.RpcError) as cm:
            list(call_server_stream(self.channel, "/inspect.v1.Audit/ExportDossier",
                                    audit_pb2.ExportDossierRequest(application_id=APP),
                                    audit_pb2.DossierChunk,
                                    self.server.token("dispatcher", "disp-wang")))
        self.assertEqual(cm.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        with self.assertRaises(grpc.RpcError) as cm:
            list(call_server_stream(self.channel, "/inspect.v1.Audit/ExportDossier",
                                    audit_pb2.ExportDossierRequest(application_id="XD-NONE"),
                                    audit_pb2.DossierChunk, self.auditor))
        self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND)


if __name__ == "__main__":
    unittest.main(verbosity=2)
