"""Interop (hardening, issue 15 §1): cursors and page tokens are the
server's own, and times from devices are checked against the server's.

  - a forged page token, one from another query (other filter, other page
    size, other caller, other method) and one from another node's key are
    INVALID_ARGUMENT "page_token was not issued for this query; start again
    without one"; so is a SyncTasks cursor of another inspector;
  - a PullChanges cursor and a ListEvents after_seq past the head are
    OUT_OF_RANGE naming the head; the head itself is fine;
  - a check-in or capture time further ahead than --max-clock-skew (5m
    here), or before the task existed, is INVALID_ARGUMENT with the server's
    time in the message; the server's receive time is recorded beside the
    device's.

Run by CTest (tests/interop/CMakeLists.txt). Exit 0 only when all pass.
"""

import hashlib
import json
import os
import re
import sys
import time
import unittest
import uuid

import grpc

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inspectd_harness import (call_client_stream, call_server_stream, call_unary,  # noqa: E402
                              seeded)
from inspect_pb.v1 import (audit_pb2, departments_pb2, directory_pb2, dispatch_pb2,  # noqa: E402
                           field_pb2, licensing_pb2)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "seeds")
IA = grpc.StatusCode.INVALID_ARGUMENT
OOR = grpc.StatusCode.OUT_OF_RANGE
FOREIGN = "page_token was not issued for this query; start again without one"
SKEW_S = 300


def rid():
    return uuid.uuid4().hex


class CursorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = seeded("--max-clock-skew", "5m")
        cls.other = None
        try:
            cls.channel = cls.server.channel()
            cls.admin = cls.server.token("admin", "root")
            cls.disp = cls.server.token("dispatcher", "disp-wang")
            cls.other = seeded()
        except BaseException:
            cls.server.stop()
            if cls.other:
                cls.other.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        codes = [cls.server.stop(), cls.other.stop()]
        if codes != [0, 0]:
            raise AssertionError(f"inspectd exited with {codes}")

    def status(self, code, fn, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.code(), code, cm.exception.details())
        return cm.exception.details()

    def apps(self, token=None, channel=None, **req):
        return call_unary(channel or self.channel, "/inspect.v1.Licensing/ListApplications",
                          licensing_pb2.ListApplicationsRequest(**req),
                          licensing_pb2.ListApplicationsResponse, token=token or self.admin)

    # -- page tokens ----------------------------------------------------------

    def test_page_token_round_trip(self):
        first = self.apps(page_size=7)
        self.assertTrue(first.next_page_token)
        again = self.apps(page_size=7, page_token=first.next_page_token)
        self.assertEqual(len(again.applications), 7)
        self.assertGreater(again.applications[0].id, first.applications[-1].id)

    def test_forged_page_token(self):
        token = self.apps(page_size=7).next_page_token
        flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
        old_style = b"XD-2026-001204".hex()  # what the server used to hand out
        for bad in (flipped, token[:-4], token + "AAAA", old_style, "not a token"):
            msg = self.status(IA, self.apps, page_size=7, page_token=bad)
            self.assertEqual(msg, FOREIGN, bad)

    def test_page_token_of_another_query(self):
        token = self.apps(page_size=7, stage=licensing_pb2.STAGE_INTAKE).next_page_token
        self.assertTrue(token)
        self.apps(page_size=7, stage=licensing_pb2.STAGE_INTAKE, page_token=token)  # its own: fine
        for other in ({"stage": licensing_pb2.STAGE_REVIEW}, {"stage": 0},
                      {"stage": licensing_pb2.STAGE_INTAKE, "town": "x"}):
            msg = self.status(IA, self.apps, page_size=7, page_token=token, **other)
            self.assertEqual(msg, FOREIGN, other)
        msg = self.status(IA, self.apps, page_size=8, stage=licensing_pb2.STAGE_INTAKE,
                          page_token=token)
        self.assertEqual(msg, FOREIGN)
        msg = self.status(IA, self.apps, token=self.disp, page_size=7,
                          stage=licensing_pb2.STAGE_INTAKE, page_token=token)
        self.assertEqual(msg, FOREIGN, "another caller")
        msg = self.status(IA, call_unary, self.channel, "/inspect.v1.Directory/ListInspectors",
                          directory_pb2.ListInspectorsRequest(page_size=7, page_token=token),
                          directory_pb2.ListInspectorsResponse, token=self.admin)
        self.assertEqual(msg, FOREIGN, "another method")

    def test_page_token_of_another_node(self):
        token = self.apps(token=self.other.token("admin", "root"), channel=self.other.channel(),
                          page_size=7).next_page_token
        self.assertTrue(token)
        self.assertEqual(self.status(IA, self.apps, page_size=7, page_token=token), FOREIGN)

    # -- feed positions ------------------------------------------------------

    def pull(self, cursor):
        dept = self.server.token("department", "fire-desk", department="fire")
        return list(call_server_stream(self.channel, "/inspect.v1.Departments/PullChanges",
                                       departments_pb2.PullChangesRequest(cursor=cursor),
                                       departments_pb2.ChangeBatch, token=dept))

    def test_pull_changes_cursor_past_head(self):
        seen = [c.seq for b in self.pull(0) for c in b.changes]
        self.assertTrue(seen)
        msg = self.status(OOR, self.pull, 900_000_000)
        m = re.fullmatch(r"cursor 900000000 is past the feed head (\d+); .*", msg)
        self.assertTrue(m, msg)
        head = int(m.group(1))
        self.assertGreaterEqual(head, seen[-1])
        self.assertEqual(self.pull(head), [], "the head itself: nothing new, no error")
        self.status(OOR, self.pull, head + 1)

    def test_list_events_after_seq_past_head(self):
        auditor = self.server.token("auditor", "aud-li")

        def events(after):
            return list(call_server_stream(self.channel, "/inspect.v1.Audit/ListEvents",
                                           audit_pb2.ListEventsRequest(after_seq=after, limit=5),
                                           audit_pb2.AuditEvent, token=auditor))
        msg = self.status(OOR, events, 1 << 60)
        self.assertRegex(msg, r"^after_seq 1152921504606846976 is past the audit chain head \d+$")
        self.assertEqual(len(events(1)), 5)

    def test_sync_cursor_of_another_inspector(self):
        def sync(m, cursor=""):
            return call_unary(self.channel, "/inspect.v1.Field/SyncTasks",
                              field_pb2.SyncTasksRequest(cursor=cursor),
                              field_pb2.SyncTasksResponse, token=self.member_token(m))
        task = self.new_task("XD-2026-001206")
        a = task.team[0]
        team = {t.inspector_id for t in task.team}
        with open(os.path.join(SEEDS, "inspectors.json")) as f:
            seeds = sorted(json.load(f), key=lambda i: i["id"])
        b = next(dispatch_pb2.TeamMember(inspector_id=i["id"], department=i["department"])
                 for i in seeds if i["department"] == a.department and i["id"] not in team)
        r = sync(a)
        self.assertIn(task.id, [p.task.id for p in r.tasks])
        while r.more:  # the whole first sync, then a feed cursor
            r = sync(a, r.cursor)
        again = sync(a, r.cursor)
        self.assertNotIn(task.id, [p.task.id for p in again.tasks], "its own cursor: fine")
        msg = self.status(IA, sync, b, r.cursor)
        self.assertEqual(msg, "cursor was not issued for this query; start again without one")
        self.assertEqual(self.status(IA, sync, a, "f1"), msg, "the old plain form")

    # -- device times --------------------------------------------------------

    def new_task(self, app_id):
        req = dispatch_pb2.CreateTaskRequest(request_id=rid(), application_id=app_id)
        task = call_unary(self.channel, "/inspect.v1.Dispatch/CreateTask", req,
                          dispatch_pb2.CreateTaskResponse, token=self.disp).task
        req = dispatch_pb2.AssignTeamRequest(request_id=rid(), task_id=task.id)
        return call_unary(self.channel, "/inspect.v1.Dispatch/AssignTeam", req,
                          dispatch_pb2.AssignTeamResponse, token=self.disp).task

    def member_token(self, m):
        return self.server.token("inspector", m.inspector_id, department=m.department)

    def assert_server_time(self, msg):
        m = re.search(r"server time (\d+), \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", msg)
        self.assertTrue(m, msg)
        self.assertLess(abs(int(m.group(1)) - time.time()), 30, msg)

    def test_checkin_device_time(self):
        task = self.new_task("XD-2026-001204")
        m = task.team[0]

        def checkin(device_unix):
            req = field_pb2.CheckInRequest(request_id=rid(), task_id=task.id,
                                           latitude=task.latitude, longitude=task.longitude,
                                           device_unix=device_unix)
            return call_unary(self.channel, "/inspect.v1.Field/CheckIn", req,
                              field_pb2.CheckInResponse, token=self.member_token(m))
        now = int(time.time())
        msg = self.status(IA, checkin, now + 3600)
        self.assertRegex(msg, rf"^device_unix {now + 3600} is \d+ s ahead of the server's clock")
        self.assertIn(f"allowed skew {SKEW_S} s", msg)
        self.assert_server_time(msg)
        msg = self.status(IA, checkin, task.created_unix - SKEW_S - 60)
        self.assertIn(f"is before task {task.id} existed (created {task.created_unix}", msg)
        self.assert_server_time(msg)
        self.assertEqual(len(self.get_task(task.id).checkins), 0, "nothing stored")
        # within the skew: accepted, the device's time kept beside the server's
        r = checkin(now + SKEW_S - 60)
        self.assertEqual(r.checkin.device_unix, now + SKEW_S - 60)
        self.assertLess(abs(r.checkin.server_unix - time.time()), 30)
        stored = self.get_task(task.id).checkins[0]
        self.assertEqual((stored.device_unix, stored.server_unix),
                         (r.checkin.device_unix, r.checkin.server_unix))

    def get_task(self, task_id):
        return call_unary(self.channel, "/inspect.v1.Dispatch/GetTask",
                          dispatch_pb2.GetTaskRequest(id=task_id), dispatch_pb2.Task,
                          token=self.disp)

    def test_capture_time(self):
        task = self.new_task("XD-2026-001208")
        m = task.team[0]
        sync = call_unary(self.channel, "/inspect.v1.Field/SyncTasks",
                          field_pb2.SyncTasksRequest(page_size=100), field_pb2.SyncTasksResponse,
                          token=self.member_token(m))
        pkg = next(p for p in sync.tasks if p.task.id == task.id)
        tpl = next(t for t in pkg.templates if t.department == m.department)
        data = os.urandom(2000)

        def upload(capture_unix):
            hdr = field_pb2.UploadHeader(upload_id=rid()[:20], task_id=task.id,
                                         item_code=tpl.items[0].code, total_size=len(data),
                                         sha256=hashlib.sha256(data).digest(),
                                         media_type="image/jpeg", capture_unix=capture_unix)
            reqs = [field_pb2.UploadPhotoRequest(header=hdr),
                    field_pb2.UploadPhotoRequest(chunk=field_pb2.UploadChunk(offset=0, data=data))]
            return call_client_stream(self.channel, "/inspect.v1.Field/UploadPhoto", iter(reqs),
                                      field_pb2.UploadPhotoResponse, token=self.member_token(m))
        now = int(time.time())
        msg = self.status(IA, upload, now + 3600)
        self.assertRegex(msg, rf"^capture_unix {now + 3600} is \d+ s ahead of the server's clock")
        self.assert_server_time(msg)
        early = task.created_unix - SKEW_S - 1
        msg = self.status(IA, upload, early)
        self.assertIn(f"capture_unix {early} is before task {task.id} existed", msg)
        self.assert_server_time(msg)
        r = upload(now)
        self.assertEqual(r.photo_id, hashlib.sha256(data).hexdigest())


if __name__ == "__main__":
    unittest.main(verbosity=2)
