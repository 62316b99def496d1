"""Interop (hardening): the directory acts at once, whatever tokens are
outstanding. On the seeded district:

- a deactivated inspector's still-valid token is refused on his next call
  with PERMISSION_DENIED saying the account is inactive; he is off every
  open team and the bureau got a MEMBER_DECLINED alert naming the
  replacement; his findings are refused;
- a department token for an unknown or a deactivated department is
  PERMISSION_DENIED;
- a revoked token (RevokeTokens, everything issued before now) is
  UNAUTHENTICATED, and a token issued afterwards works;
- a rotated key: the old token works until its key is retired, then is
  UNAUTHENTICATED; tokens of the new key work throughout.
"""

import os
import subprocess
import sys
import time
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inspectd_harness import INSPECTCTL  # noqa: E402
from inspect_pb.v1 import directory_pb2, dispatch_pb2, field_pb2, session_pb2  # noqa: E402
from test_dispatch import DIR, SEEDS, DispatchCase, rid, seed  # noqa: E402

PD = grpc.StatusCode.PERMISSION_DENIED
UA = grpc.StatusCode.UNAUTHENTICATED
WHOAMI = "/inspect.v1.Session/WhoAmI"


class DirectoryActsTest(DispatchCase):
    @classmethod
    def setUpClass(cls):
        cls.start_server()
        res = subprocess.run([INSPECTCTL, "seed", "load", SEEDS, "--data-dir",
                              cls.server.data_dir, "--server", cls.server.addr],
                             capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            cls.tearDownClass()
            raise AssertionError(f"seed load failed: {res.stdout}\n{res.stderr}")
        cls.seed_inspectors = {i["id"]: i for i in seed("inspectors.json")}

    def whoami(self, token):
        return self.call(WHOAMI, session_pb2.WhoAmIRequest(), session_pb2.WhoAmIResponse, token)

    def get_inspector(self, iid):
        return self.call(DIR + "GetInspector", directory_pb2.GetInspectorRequest(id=iid),
                         directory_pb2.Inspector, self.admin)

    def put_inspector(self, ins):
        req = directory_pb2.UpsertInspectorRequest(request_id=rid(), inspector=ins)
        return self.call(DIR + "UpsertInspector", req, directory_pb2.UpsertInspectorResponse,
                         self.admin).inspector

    def revoke(self, principal, reason="lost tablet"):
        req = directory_pb2.RevokeTokensRequest(request_id=rid(), principal=principal,
                                                reason=reason)
        return self.call(DIR + "RevokeTokens", req, directory_pb2.RevokeTokensResponse,
                         self.admin).revocation

    def test_deactivated_department_members_off_their_teams(self):
        app_id = "XD-2026-001236"  # hr-service: the bureau and one industry department
        task = self.assign(self.create_task(app_id).id)
        member = next(m for m in task.team if m.department != "bureau")
        tok = self.server.token("inspector", member.inspector_id)
        self.assertEqual(self.whoami(tok).principal, member.inspector_id)
        listed = self.call(DIR + "ListDepartments", directory_pb2.ListDepartmentsRequest(),
                           directory_pb2.ListDepartmentsResponse, self.admin).departments
        dep = next(d for d in listed if d.code == member.department)

        def put(inactive):
            d = directory_pb2.Department(code=dep.code, name=dep.name, kind=dep.kind,
                                         inactive=inactive)
            self.call(DIR + "UpsertDepartment",
                      directory_pb2.UpsertDepartmentRequest(request_id=rid(), department=d),
                      directory_pb2.UpsertDepartmentResponse, self.admin)

        put(True)
        try:
            self.assertIn("inactive", self.assertStatus(PD, self.whoami, tok))
            after = self.get_task(task.id)
            self.assertNotIn(member.inspector_id, [m.inspector_id for m in after.team])
            alerts = [a for a in self.alerts_now() if a.task_id == task.id
                      and a.kind == dispatch_pb2.ALERT_KIND_MEMBER_DECLINED]
            self.assertEqual(len(alerts), 1, alerts)
            self.assertIn(member.inspector_id, alerts[0].message)
            self.assertIn(f"left with department {dep.code}", alerts[0].message)
        finally:
            put(False)
        self.assertEqual(self.whoami(tok).principal, member.inspector_id)

    def test_deactivated_inspector_refused_and_off_his_teams(self):
        app_id = "XD-2026-001242"  # public-place-hygiene: bureau + health
        task = self.assign(self.create_task(app_id).id)
        gone = next(m for m in task.team if m.department == "health")
        tok = self.server.token("inspector", gone.inspector_id)
        self.assertEqual(self.whoami(tok).principal, gone.inspector_id)

        ins = self.get_inspector(gone.inspector_id)
        ins.active = False
        self.put_inspector(ins)

        details = self.assertStatus(PD, self.whoami, tok)
        self.assertIn("inactive", details)
        self.assertIn(gone.inspector_id, details)
        req = field_pb2.SubmitFindingsRequest(request_id=rid(), findings=field_pb2.FindingsBody(
            task_id=task.id, department="health", inspector_id=gone.inspector_id))
        details = self.assertStatus(
            PD, self.call, "/inspect.v1.Field/SubmitFindings", req,
            field_pb2.SubmitFindingsResponse, tok)
        self.assertIn("inactive", details)

        after = self.get_task(task.id)
        self.assertNotIn(gone.inspector_id, [m.inspector_id for m in after.team])
        listed = self.list_tasks(inspector_id=gone.inspector_id)
        self.assertEqual([t.id for t in listed], [])
        alerts = [a for a in self.alerts_now(department="health") if a.task_id == task.id
                  if a.kind == dispatch_pb2.ALERT_KIND_MEMBER_DECLINED]
        self.assertEqual(len(alerts), 1, alerts)
        self.assertIn(gone.inspector_id, alerts[0].message)
        self.assertIn("deactivated", alerts[0].message)
        new = [m for m in after.team if m.department == "health"]
        if new:  # a replacement is suggested when someone qualifies
            self.assertIn(new[0].inspector_id, alerts[0].message)

        ins.active = True  # back again: his token works again
        self.put_inspector(ins)
        self.assertEqual(self.whoami(tok).principal, gone.inspector_id)

    def test_unknown_inspector_refused(self):
        details = self.assertStatus(PD, self.whoami, self.server.token("inspector", "nobody-9"))
        self.assertIn("not an inspector", details)

    def test_department_token_unknown_or_inactive_department(self):
        tok = self.server.token("department", "ghost-desk", department="ghost")
        self.assertIn("does not exist", self.assertStatus(PD, self.whoami, tok))
        self.upsert_department("closing", directory_pb2.DEPARTMENT_KIND_INDUSTRY, "撤并科室")
        tok = self.server.token("department", "closing-desk", department="closing")
        self.assertEqual(self.whoami(tok).department, "closing")
        dep = directory_pb2.Department(code="closing", name="撤并科室", inactive=True,
                                       kind=directory_pb2.DEPARTMENT_KIND_INDUSTRY)
        self.call(DIR + "UpsertDepartment",
                  directory_pb2.UpsertDepartmentRequest(request_id=rid(), department=dep),
                  directory_pb2.UpsertDepartmentResponse, self.admin)
        details = self.assertStatus(PD, self.whoami, tok)
        self.assertIn("inactive", details)

    def test_revoked_token_unauthenticated(self):
        old = self.server.token("dispatcher", "disp-revoked")
        self.assertEqual(self.whoami(old).principal, "disp-revoked")
        rv = self.revoke("disp-revoked")
        self.assertEqual(rv.revoked_by, "root")
        details = self.assertStatus(UA, self.whoami, old)
        self.assertIn("revoked", details)
        time.sleep(0.01)
        fresh = self.server.token("dispatcher", "disp-revoked")
        self.assertEqual(self.whoami(fresh).principal, "disp-revoked")
        # a cutoff in the future would lock the principal out, new tokens too
        far = directory_pb2.RevokeTokensRequest(request_id=rid(), principal="disp-revoked",
                                                reason="typo", issued_before_unix_ms=4102444800000)
        details = self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.call,
                                    DIR + "RevokeTokens", far,
                                    directory_pb2.RevokeTokensResponse, self.admin)
        self.assertIn("past time; the server's time is", details)
        self.assertEqual(self.whoami(fresh).principal, "disp-revoked")
        # only admins revoke
        req = directory_pb2.RevokeTokensRequest(request_id=rid(), principal="root", reason="x")
        self.assertStatus(PD, self.call, DIR + "RevokeTokens", req,
                          directory_pb2.RevokeTokensResponse, fresh)

    def test_cli_token_revoke(self):
        old = self.server.token("auditor", "audit-cli-revoked")
        self.assertEqual(self.whoami(old).principal, "audit-cli-revoked")
        env = dict(os.environ, INSPECT_TOKEN=self.admin)
        res = subprocess.run([INSPECTCTL, "--server", self.server.addr, "token", "revoke",
                              "--principal", "audit-cli-revoked", "--reason", "tablet lost"],
                             capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("tokens of audit-cli-revoked issued before", res.stdout)
        self.assertIn("revoked", self.assertStatus(UA, self.whoami, old))
        # a reason is required, and only an admin may revoke
        res = subprocess.run([INSPECTCTL, "--server", self.server.addr, "token", "revoke",
                              "--principal", "x"], capture_output=True, text=True, timeout=30,
                             env=env)
        self.assertEqual(res.returncode, 2, res.stderr)
        env["INSPECT_TOKEN"] = self.server.token("auditor", "audit-cli-2")
        res = subprocess.run([INSPECTCTL, "--server", self.server.addr, "token", "revoke",
                              "--principal", "x", "--reason", "y"], capture_output=True,
                             text=True, timeout=30, env=env)
        self.assertEqual(res.returncode, 1)
        self.assertIn("PERMISSION_DENIED", res.stderr)

    def test_rotated_key_old_token_until_retired(self):
        def ctl(*args):
            res = subprocess.run([INSPECTCTL, "token", *args, "--data-dir",
                                  self.server.data_dir], capture_output=True, text=True,
                                 timeout=30)
            self.assertEqual(res.returncode, 0, res.stderr)
            return res.stdout.strip()

        before = self.server.token("auditor", "audit-rot")
        new_id = ctl("rotate-key")
        after = self.server.token("auditor", "audit-rot")
        self.assertEqual(self.whoami(before).principal, "audit-rot")
        self.assertEqual(self.whoami(after).principal, "audit-rot")
        ctl("retire-key", "--key-id", str(int(new_id) - 1))
        self.assertIn("retired", self.assertStatus(UA, self.whoami, before))
        self.assertEqual(self.whoami(after).principal, "audit-rot")
        # the server's own tokens of this class were signed before: new ones
        type(self).admin = self.server.token("admin", "root")
        type(self).disp = self.server.token("dispatcher", "disp-wang")


if __name__ == "__main__":
    unittest.main(verbosity=2)
