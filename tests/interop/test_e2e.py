"""Interop, end to end (issue 7, DESIGN.md §8): the whole case flow on the
demo district, with Python grpcio as the tablets, the bureau (dispatcher),
the industry departments' desks and an auditor.

  1. PASS (XD-2026-001226, 旅馆业特种行业许可: bureau + police + fire):
     task, team, accept, check in, photos, findings filled from the pinned
     templates -> report PASS -> every required department approves ->
     application in STAGE_DECISION, task CLOSED.
  2. ESCALATE (XD-2026-001239, 娱乐场所经营许可: bureau + culture + fire):
     culture measures the declared floor area, fire 30 % more -> the
     departments disagree on floor_area_m2 -> ESCALATE, an ESCALATED alert on
     WatchAlerts -> RecordJointDecision (dispatcher) approves -> application
     in STAGE_DECISION with outcome PASS.
  3. RECTIFY (XD-2026-001240, same item): fire's emergency lighting (MAJOR)
     fails and every department measures the floor area 20 % short ->
     RECTIFY, rectify_items = [emergency_lighting, floor_area], the server
     opens re-inspection task (REINSPECTION, check_items = rectify_items,
     follows_report) -> team, findings on only those items -> PASS ->
     opinions -> STAGE_DECISION -> SetStage CERTIFIED -> ARCHIVED.
  4. The dossier of case 3: ExportDossier holds both tasks, both reports,
     every department's findings and the photos byte for byte;
     `inspectctl dossier verify FILE` OK, one flipped byte refused. Skipped (with a message saying why) only
     while `inspectctl dossier --help` fails, i.e. the dossier commands are
     not built into this tree yet.

Every step asserts exact states and outcomes; each report is read twice
(raw bytes) and must be identical.

Run by CTest (tests/interop/CMakeLists.txt: interop_e2e, labels interop;e2e).
"""

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unittest
import uuid
import zipfile

import grpc

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inspectd_harness import (INSPECTCTL, Server, auth_metadata,  # noqa: E402
                              call_client_stream, call_server_stream, call_unary)
from inspect_pb.v1 import (audit_pb2, departments_pb2, directory_pb2,  # noqa: E402
                           dispatch_pb2, field_pb2, licensing_pb2)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "seeds")

LIC = "/inspect.v1.Licensing/"
DSP = "/inspect.v1.Dispatch/"
FLD = "/inspect.v1.Field/"
DEP = "/inspect.v1.Departments/"
AUD = "/inspect.v1.Audit/"

D, F, DP, L = dispatch_pb2, field_pb2, departments_pb2, licensing_pb2
FP = grpc.StatusCode.FAILED_PRECONDITION
PD = grpc.StatusCode.PERMISSION_DENIED

APP_PASS = "XD-2026-001226"      # hotel-special-trade, 新繁街道
APP_ESCALATE = "XD-2026-001239"  # entertainment-venue, 马家镇
APP_RECTIFY = "XD-2026-001240"   # entertainment-venue, 石板滩街道


def rid():
    return uuid.uuid4().hex


def dossier_cli_present():
    """True when this tree's inspectctl has the dossier commands."""
    try:
        res = subprocess.run([INSPECTCTL, "dossier", "--help"], capture_output=True,
                             timeout=30)
    except OSError:
        return False
    return res.returncode == 0


class EndToEnd(unittest.TestCase):
    """One seeded inspectd for the whole flow; the tests run in name order
    and test_4 uses what test_3 left behind."""

    server = None
    rectified = {}  # test_3 -> test_4

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        res = subprocess.run([INSPECTCTL, "seed", "load", SEEDS, "--data-dir",
                              cls.server.data_dir, "--server", cls.server.addr],
                             capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            cls.tearDownClass()
            raise AssertionError(f"seed load failed: {res.stdout}\n{res.stderr}")
        cls.channel = cls.server.channel()
        cls.bureau = cls.server.token("dispatcher", "bureau-desk")
        cls.auditor = cls.server.token("auditor", "audit-li")
        cls._desks = {}
        cls._inspectors = {}

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "channel", None) is not None:
            cls.channel.close()
        if cls.server is not None:
            code = cls.server.stop()
            cls.server = None
            if code != 0:
                raise AssertionError(f"inspectd exited {code} (sanitizer report above?)")

    # -- tokens ----------------------------------------------------------------

    def desk(self, dept):
        """A department's own system (role department)."""
        if dept not in self._desks:
            self._desks[dept] = self.server.token("department", f"{dept}-desk", department=dept)
        return self._desks[dept]

    def tablet(self, member):
        """An inspector's tablet: principal = inspector id."""
        if member.inspector_id not in self._inspectors:
            self._inspectors[member.inspector_id] = self.server.token(
                "inspector", member.inspector_id, department=member.department)
        return self._inspectors[member.inspector_id]

    # -- calls -----------------------------------------------------------------

    def unary(self, method, req, resp_cls, token):
        return call_unary(self.channel, method, req, resp_cls, token=token, timeout=30)

    def refused(self, code, method, req, resp_cls, token):
        with self.assertRaises(grpc.RpcError) as cm:
            self.unary(method, req, resp_cls, token)
        self.assertEqual(cm.exception.code(), code, cm.exception.details())
        return cm.exception.details()

    def app(self, app_id):
        return self.unary(LIC + "GetApplication", L.GetApplicationRequest(id=app_id),
                          L.Application, self.bureau)

    def task(self, task_id):
        return self.unary(DSP + "GetTask", D.GetTaskRequest(id=task_id), D.Task, self.bureau)

    def report_bytes(self, token, **by):
        """GetReconciliation's reply exactly as it came off the wire."""
        fn = self.channel.unary_unary(DEP + "GetReconciliation",
                                      request_serializer=lambda m: m.SerializeToString(),
                                      response_deserializer=None)
        return fn(DP.GetReconciliationRequest(**by), metadata=auth_metadata(token), timeout=30)

    def report(self, task_id):
        """The report of `task_id`, read twice: the bytes must be identical."""
        a = self.report_bytes(self.auditor, task_id=task_id)
        b = self.report_bytes(self.bureau, report_id="R-" + task_id)
        self.assertEqual(a, b, "GetReconciliation twice gave different bytes")
        return DP.Report.FromString(a)

    def pull(self, dept, kinds=()):
        """Every change `dept` may see, from the start (no follow)."""
        out = []
        call = call_server_stream(self.channel, DEP + "PullChanges",
                                  DP.PullChangesRequest(cursor=0, kinds=list(kinds)),
                                  DP.ChangeBatch, token=self.desk(dept), timeout=30)
        for batch in call:
            self.assertTrue(batch.changes)
            self.assertEqual(batch.cursor, batch.changes[-1].seq)
            out.extend(batch.changes)
        seqs = [c.seq for c in out]
        self.assertEqual(seqs, sorted(set(seqs)), "feed out of order or repeated")
        return out

    # -- the flow --------------------------------------------------------------

    def open_task(self, app_id, expect_required):
        """CreateTask + AssignTeam; checks the task and the application."""
        self.assertEqual(self.app(app_id).stage, L.STAGE_REVIEW)
        t = self.unary(DSP + "CreateTask", D.CreateTaskRequest(request_id=rid(),
                                                               application_id=app_id),
                       D.CreateTaskResponse, self.bureau).task
        self.assertEqual(t.state, D.TASK_STATE_PENDING)
        self.assertEqual(t.kind, D.TASK_KIND_INITIAL)
        self.assertEqual(list(t.required_departments), expect_required)
        self.assertEqual(sorted(r.department for r in t.templates), sorted(expect_required))
        self.assertEqual(self.app(app_id).stage, L.STAGE_INSPECTION)
        return self.assign(t.id, expect_required)

    def assign(self, task_id, expect_required):
        t = self.unary(DSP + "AssignTeam", D.AssignTeamRequest(request_id=rid(), task_id=task_id),
                       D.AssignTeamResponse, self.bureau).task
        self.assertEqual(t.state, D.TASK_STATE_ASSIGNED)
        self.assertEqual(sorted(m.department for m in t.team), sorted(expect_required))
        leads = [m for m in t.team if m.role == D.MEMBER_ROLE_LEAD]
        self.assertEqual([m.department for m in leads], ["bureau"])
        return t

    @staticmethod
    def answers(tpl, facts, overrides, only):
        """Answers for every item of `tpl` (or those in `only`): what the
        declared facts say, a passing value otherwise, `overrides` on top
        ({item_code: number | bool}). Returns [(Answer, min_photos)]."""
        out = []
        for it in tpl.items:
            if only and it.code not in only:
                continue
            a = F.Answer(item_code=it.code)
            fact = facts.get(it.verifies_fact) if it.verifies_fact else None
            if it.kind == directory_pb2.ITEM_KIND_BOOL:
                a.flag = fact.flag if fact is not None else (not it.fail_when_true)
            elif it.kind == directory_pb2.ITEM_KIND_NUMBER:
                a.number = fact.number if fact is not None else (it.min if it.min else it.max)
            elif it.kind == directory_pb2.ITEM_KIND_CHOICE:
                a.choice = it.choices[0]
            elif it.kind == directory_pb2.ITEM_KIND_TEXT:
                a.text = "正常"
            if it.code in overrides:
                v = overrides[it.code]
                if isinstance(v, bool):
                    a.flag = v
                else:
                    a.number = v
            out.append((a, it.min_photos))
        return out

    def upload(self, token, task_id, item_code):
        data = os.urandom(3000)
        sha = hashlib.sha256(data).digest()
        reqs = [F.UploadPhotoRequest(header=F.UploadHeader(
                    upload_id="u-" + sha.hex()[:20], task_id=task_id, item_code=item_code,
                    total_size=len(data), sha256=sha, media_type="image/jpeg")),
                F.UploadPhotoRequest(chunk=F.UploadChunk(offset=0, data=data))]
        call_client_stream(self.channel, FLD + "UploadPhoto", reqs, F.UploadPhotoResponse,
                           token=token, timeout=30)
        return sha.hex(), data

    def work(self, task, overrides=None, only=None):
        """Every member's tablet: sync, accept, check in on site, upload the
        photos, submit findings. Returns the task after the last submission
        and {photo id: bytes}."""
        overrides = overrides or {}
        pkgs = {}
        for m in task.team:
            tok = self.tablet(m)
            s = self.unary(FLD + "SyncTasks", F.SyncTasksRequest(), F.SyncTasksResponse, tok)
            pkg = [p for p in s.tasks if p.task.id == task.id]
            self.assertEqual(len(pkg), 1, f"{m.inspector_id} did not get {task.id}")
            pkgs[m.inspector_id] = pkg[0]
            self.assertEqual(list(pkg[0].task.check_items), list(only or []))
        for i, m in enumerate(task.team):
            r = self.unary(FLD + "RespondTask", F.RespondTaskRequest(
                request_id=rid(), task_id=task.id, accept=True), F.RespondTaskResponse,
                self.tablet(m))
            last = i == len(task.team) - 1
            self.assertEqual(r.task.state,
                             D.TASK_STATE_ACCEPTED if last else D.TASK_STATE_ASSIGNED)
        photos = {}
        for i, m in enumerate(task.team):
            tok, pkg = self.tablet(m), pkgs[m.inspector_id]
            r = self.unary(FLD + "CheckIn", F.CheckInRequest(
                request_id=rid(), task_id=task.id, latitude=pkg.site.latitude,
                longitude=pkg.site.longitude, device_unix=int(time.time())),
                F.CheckInResponse, tok)
            self.assertEqual(r.task.state, D.TASK_STATE_ON_SITE)
            tpls = [t for t in pkg.templates if t.department == m.department]
            self.assertEqual(len(tpls), 1)
            tpl = tpls[0]
            facts = {f.key: f.value for f in pkg.declared_facts}
            answers = []
            for a, n_photos in self.answers(tpl, facts, overrides.get(m.department, {}), only):
                for _ in range(n_photos):
                    pid, data = self.upload(tok, task.id, a.item_code)
                    a.photo_ids.append(pid)
                    photos[pid] = data
                answers.append(a)
            body = F.FindingsBody(task_id=task.id, department=m.department,
                                  inspector_id=m.inspector_id, template_version=tpl.version,
                                  answers=answers)
            r = self.unary(FLD + "SubmitFindings",
                           F.SubmitFindingsRequest(request_id=rid(), findings=body),
                           F.SubmitFindingsResponse, tok)
            self.assertEqual(list(r.findings.missing_photos), [])
            last = i == len(task.team) - 1
            # everything in: reconciled in the same transaction
            self.assertEqual(r.task.state,
                             D.TASK_STATE_RECONCILED if last else D.TASK_STATE_ON_SITE,
                             m.department)
        return self.task(task.id), photos

    def approve_all(self, rep, depts, app_id):
        """Each department's desk approves; the application moves on only
        with the last. Returns the last SubmitOpinionResponse."""
        for i, dept in enumerate(depts):
            req = DP.SubmitOpinionRequest(request_id=rid(), report_id=rep.id, approve=True,
                                          reasons=f"{dept}: 符合要求")
            o = self.unary(DEP + "SubmitOpinion", req, DP.SubmitOpinionResponse, self.desk(dept))
            last = i == len(depts) - 1
            self.assertEqual(o.application.stage,
                             L.STAGE_DECISION if last else L.STAGE_INSPECTION, dept)
            self.assertEqual([p.department for p in o.report.opinions], sorted(depts[:i + 1]))
            # idempotent: the same request id replays the same answer
            again = self.unary(DEP + "SubmitOpinion", req, DP.SubmitOpinionResponse,
                               self.desk(dept))
            self.assertEqual(again, o)
            # a second opinion (new request id) is refused
            self.refused(FP, DEP + "SubmitOpinion",
                         DP.SubmitOpinionRequest(request_id=rid(), report_id=rep.id,
                                                 approve=False, reasons="changed my mind"),
                         DP.SubmitOpinionResponse, self.desk(dept))
        return o

    def check_facts_match(self, rep, skip=()):
        for f in rep.facts:
            if f.fact in skip:
                continue
            self.assertEqual(f.verdict, DP.VERDICT_MATCH, f"{f.fact}: {f.reason}")
            self.assertFalse(f.departments_disagree, f.fact)

    # -- 1. PASS -----------------------------------------------------------------

    def test_1_pass(self):
        depts = ["bureau", "police", "fire"]
        task = self.open_task(APP_PASS, depts)
        task, photos = self.work(task)
        self.assertEqual(task.state, D.TASK_STATE_RECONCILED)

        rep = self.report(task.id)
        self.assertEqual(rep.id, "R-" + task.id)
        self.assertEqual((rep.task_id, rep.application_id), (task.id, APP_PASS))
        self.assertEqual(rep.outcome, L.OUTCOME_PASS, list(rep.reasons))
        self.assertEqual(len(rep.reasons), 1)
        self.assertEqual(list(rep.failures), [])
        self.assertEqual(list(rep.rectify_items), [])
        self.assertEqual(rep.reinspection_task_id, "")
        self.assertEqual([f.fact for f in rep.facts],
                         ["beds", "fire_exits", "floor_area_m2", "has_sprinkler", "rooms"])
        self.check_facts_match(rep)
        area = [f for f in rep.facts if f.fact == "floor_area_m2"][0]
        self.assertEqual([o.department for o in area.observed], ["bureau", "fire"])
        self.assertTrue(all(s.agree for s in rep.shared_items))
        self.assertEqual(list(rep.opinions), [])

        a = self.app(APP_PASS)
        self.assertEqual((a.stage, a.outcome), (L.STAGE_INSPECTION, L.OUTCOME_PASS))

        # departments read what they take part in, and only that
        fire_seen = self.pull("fire", kinds=["report"])
        self.assertIn((rep.id, "reconciled"), [(c.entity_id, c.change) for c in fire_seen])
        self.assertNotIn(rep.id, [c.entity_id for c in self.pull("culture")])
        self.refused(PD, DEP + "GetReconciliation", DP.GetReconciliationRequest(task_id=task.id),
                     DP.Report, self.desk("culture"))
        pid = sorted(photos)[0]
        got = b"".join(c.data for c in call_server_stream(
            self.channel, DEP + "GetPhoto", DP.GetPhotoRequest(photo_id=pid), DP.PhotoChunk,
            token=self.desk("fire"), timeout=30))
        self.assertEqual(got, photos[pid])
        with self.assertRaises(grpc.RpcError) as cm:
            list(call_server_stream(self.channel, DEP + "GetPhoto",
                                    DP.GetPhotoRequest(photo_id=pid), DP.PhotoChunk,
                                    token=self.desk("culture"), timeout=30))
        self.assertEqual(cm.exception.code(), PD)
        # a PASS is not for a joint review
        self.refused(FP, DSP + "RecordJointDecision",
                     D.JointDecisionRequest(request_id=rid(), report_id=rep.id, approve=True,
                                            departments=["police", "fire"], reasons="x"),
                     D.JointDecisionResponse, self.bureau)

        o = self.approve_all(rep, depts, APP_PASS)
        self.assertEqual([p.department for p in o.report.opinions], sorted(depts))
        self.assertTrue(all(p.approve for p in o.report.opinions))
        a = self.app(APP_PASS)
        self.assertEqual((a.stage, a.outcome), (L.STAGE_DECISION, L.OUTCOME_PASS))
        self.assertEqual(self.task(task.id).state, D.TASK_STATE_CLOSED)
        # the findings part of the report did not move: same facts, failures, outcome
        after = self.report(task.id)
        for field in ("facts", "failures", "shared_items", "reasons", "outcome", "created_unix"):
            self.assertEqual(getattr(after, field), getattr(rep, field), field)
        self.assertIn((APP_PASS, "stage"),
                      [(c.entity_id, c.change) for c in self.pull("police", ["application"])])

    # -- 2. ESCALATE -------------------------------------------------------------

    def test_2_escalate(self):
        depts = ["bureau", "culture", "fire"]
        task = self.open_task(APP_ESCALATE, depts)
        declared = [f for f in self.app(APP_ESCALATE).declared_facts
                    if f.key == "floor_area_m2"][0].value.number
        watcher_alerts, watcher_err = [], []
        watch = call_server_stream(self.channel, DSP + "WatchAlerts", D.WatchAlertsRequest(),
                                   D.Alert, token=self.bureau, timeout=120)
        got_it = threading.Event()

        def read():
            try:
                for al in watch:
                    watcher_alerts.append(al)
                    if al.kind == D.ALERT_KIND_ESCALATED and al.task_id == task.id:
                        got_it.set()
            except grpc.RpcError as e:
                watcher_err.append(e)
                got_it.set()

        th = threading.Thread(target=read, daemon=True)
        th.start()
        # culture measures what was declared, fire 30 % more (tolerance 5 %)
        task, _ = self.work(task, overrides={"fire": {"floor_area": round(declared * 1.3, 1)}})
        self.assertEqual(task.state, D.TASK_STATE_RECONCILED)

        rep = self.report(task.id)
        self.assertEqual(rep.outcome, L.OUTCOME_ESCALATE, list(rep.reasons))
        self.assertEqual(list(rep.failures), [])
        self.assertEqual(list(rep.rectify_items), [])
        self.assertEqual(rep.reinspection_task_id, "")
        area = [f for f in rep.facts if f.fact == "floor_area_m2"][0]
        self.assertEqual(area.verdict, DP.VERDICT_MISMATCH, area.reason)
        self.assertTrue(area.departments_disagree, area.reason)
        self.assertEqual([(o.department, o.verdict) for o in area.observed],
                         [("bureau", DP.VERDICT_MATCH), ("culture", DP.VERDICT_MATCH),
                          ("fire", DP.VERDICT_MISMATCH)])
        self.check_facts_match(rep, skip=("floor_area_m2",))
        shared = {s.item_code: s for s in rep.shared_items}
        self.assertFalse(shared["floor_area"].agree)
        self.assertEqual(len(rep.reasons), 2, list(rep.reasons))  # the fact, the shared item
        self.assertIn("floor_area_m2", rep.reasons[0])

        a = self.app(APP_ESCALATE)
        self.assertEqual((a.stage, a.outcome), (L.STAGE_INSPECTION, L.OUTCOME_ESCALATE))
        self.assertTrue(got_it.wait(20), "no ESCALATED alert on WatchAlerts")
        watch.cancel()
        th.join(10)
        self.assertEqual([e.code() for e in watcher_err], [grpc.StatusCode.CANCELLED])
        esc = [al for al in watcher_alerts
               if al.kind == D.ALERT_KIND_ESCALATED and al.task_id == task.id]
        self.assertEqual(len(esc), 1)
        self.assertEqual(esc[0].application_id, APP_ESCALATE)
        self.assertIn(rep.id, esc[0].message)

        # opinions alone do not decide an escalated report
        o = self.unary(DEP + "SubmitOpinion",
                       DP.SubmitOpinionRequest(request_id=rid(), report_id=rep.id, approve=True,
                                               reasons="ok"),
                       DP.SubmitOpinionResponse, self.desk("culture"))
        self.assertEqual(o.application.stage, L.STAGE_INSPECTION)
        # the joint review: refusals first, then the decision
        self.refused(PD, DSP + "RecordJointDecision",
                     D.JointDecisionRequest(request_id=rid(), report_id=rep.id, approve=True,
                                            departments=["culture", "fire"], reasons="x"),
                     D.JointDecisionResponse, self.desk("fire"))
        self.refused(grpc.StatusCode.INVALID_ARGUMENT, DSP + "RecordJointDecision",
                     D.JointDecisionRequest(request_id=rid(), report_id=rep.id, approve=True,
                                            departments=["culture", "police"], reasons="x"),
                     D.JointDecisionResponse, self.bureau)
        self.assertEqual(self.app(APP_ESCALATE).stage, L.STAGE_INSPECTION)
        jd = self.unary(DSP + "RecordJointDecision",
                        D.JointDecisionRequest(
                            request_id=rid(), report_id=rep.id, approve=True,
                            departments=["bureau", "culture", "fire"],
                            reasons="会商会审：复核测量，面积以不动产登记为准，同意"),
                        D.JointDecisionResponse, self.bureau)
        self.assertEqual((jd.report_id, jd.approve), (rep.id, True))
        a = self.app(APP_ESCALATE)
        self.assertEqual((a.stage, a.outcome), (L.STAGE_DECISION, L.OUTCOME_PASS))
        self.assertEqual(self.task(task.id).state, D.TASK_STATE_CLOSED)
        after = self.report(task.id)
        self.assertTrue(after.joint_decision.approve)
        self.assertEqual(list(after.joint_decision.departments), ["bureau", "culture", "fire"])
        self.assertEqual(after.joint_decision.by, "bureau-desk")
        self.assertEqual(after.outcome, L.OUTCOME_ESCALATE)  # the report's finding stays
        self.refused(FP, DSP + "RecordJointDecision",
                     D.JointDecisionRequest(request_id=rid(), report_id=rep.id, approve=False,
                                            departments=["culture", "fire"], reasons="again"),
                     D.JointDecisionResponse, self.bureau)

    # -- 3. RECTIFY -> re-inspection -> PASS -> certificate -> archive -----------

    def test_3_rectify(self):
        depts = ["bureau", "culture", "fire"]
        task = self.open_task(APP_RECTIFY, depts)
        declared = [f for f in self.app(APP_RECTIFY).declared_facts
                    if f.key == "floor_area_m2"][0].value.number
        short = round(declared * 0.8, 1)  # beyond 5 % and 10 %, and everybody agrees
        task, photos = self.work(task, overrides={
            "bureau": {"floor_area": short}, "culture": {"floor_area": short},
            "fire": {"floor_area": short, "emergency_lighting": False}})
        self.assertEqual(task.state, D.TASK_STATE_RECONCILED)

        rep = self.report(task.id)
        self.assertEqual(rep.outcome, L.OUTCOME_RECTIFY, list(rep.reasons))
        self.assertEqual([(f.department, f.item_code, f.severity) for f in rep.failures],
                         [("fire", "emergency_lighting", directory_pb2.SEVERITY_MAJOR)])
        area = [f for f in rep.facts if f.fact == "floor_area_m2"][0]
        self.assertEqual(area.verdict, DP.VERDICT_MISMATCH)
        self.assertFalse(area.departments_disagree)
        self.check_facts_match(rep, skip=("floor_area_m2",))
        self.assertEqual(list(rep.rectify_items), ["emergency_lighting", "floor_area"])
        self.assertEqual(len(rep.reasons), 2, list(rep.reasons))  # the failure, the fact
        self.assertTrue(rep.reinspection_task_id)
        a = self.app(APP_RECTIFY)
        self.assertEqual((a.stage, a.outcome), (L.STAGE_INSPECTION, L.OUTCOME_RECTIFY))

        # the re-inspection the server opened
        re = self.task(rep.reinspection_task_id)
        self.assertEqual(re.kind, D.TASK_KIND_REINSPECTION)
        self.assertEqual(re.state, D.TASK_STATE_PENDING)
        self.assertEqual(re.follows_report, rep.id)
        self.assertEqual(list(re.check_items), list(rep.rectify_items))
        self.assertEqual(re.application_id, APP_RECTIFY)
        self.assertEqual(list(re.required_departments), depts)
        self.assertEqual(self.task(task.id).state, D.TASK_STATE_RECONCILED)
        self.assertIn((re.id, "created"),
                      [(c.entity_id, c.change) for c in self.pull("culture", ["task"])])
        # no joint review and no PASS opinions route for a RECTIFY
        self.refused(FP, DSP + "RecordJointDecision",
                     D.JointDecisionRequest(request_id=rid(), report_id=rep.id, approve=True,
                                            departments=["culture", "fire"], reasons="x"),
                     D.JointDecisionResponse, self.bureau)

        re = self.assign(re.id, depts)
        re, _ = self.work(re, only=["emergency_lighting", "floor_area"])
        self.assertEqual(re.state, D.TASK_STATE_RECONCILED)
        rep2 = self.report(re.id)
        self.assertEqual(rep2.outcome, L.OUTCOME_PASS, list(rep2.reasons))
        self.assertEqual(list(rep2.failures), [])
        self.assertEqual([f.fact for f in rep2.facts], ["floor_area_m2"])  # only what was checked
        self.check_facts_match(rep2)
        self.assertEqual([o.department for o in rep2.facts[0].observed], depts)
        self.assertEqual(rep2.reinspection_task_id, "")
        a = self.app(APP_RECTIFY)
        self.assertEqual((a.stage, a.outcome), (L.STAGE_INSPECTION, L.OUTCOME_PASS))

        self.approve_all(rep2, depts, APP_RECTIFY)
        a = self.app(APP_RECTIFY)
        self.assertEqual((a.stage, a.outcome), (L.STAGE_DECISION, L.OUTCOME_PASS))
        self.assertEqual(self.task(re.id).state, D.TASK_STATE_CLOSED)

        # the bureau moves it on, one step at a time
        self.refused(FP, LIC + "SetStage",
                     L.SetStageRequest(request_id=rid(), id=APP_RECTIFY,
                                       stage=L.STAGE_ARCHIVED, reason="skip"),
                     L.SetStageResponse, self.bureau)
        for stage in (L.STAGE_CERTIFIED, L.STAGE_ARCHIVED):
            r = self.unary(LIC + "SetStage",
                           L.SetStageRequest(request_id=rid(), id=APP_RECTIFY, stage=stage,
                                             reason="发证" if stage == L.STAGE_CERTIFIED
                                             else "归档"),
                           L.SetStageResponse, self.bureau)
            self.assertEqual(r.application.stage, stage)
        a = self.app(APP_RECTIFY)
        self.assertEqual((a.stage, a.outcome), (L.STAGE_ARCHIVED, L.OUTCOME_PASS))
        type(self).rectified = {"app": APP_RECTIFY, "tasks": [task.id, re.id],
                                "reports": [rep.id, rep2.id], "photos": photos}

    # -- 4. the dossier of case 3 --------------------------------------------------

    @staticmethod
    def archive_members(path):
        """The member names of a tar or zip dossier and a reader of one."""
        if tarfile.is_tarfile(path):
            tf = tarfile.open(path)
            names = tf.getnames()
            return names, lambda n: tf.extractfile(n).read()
        zf = zipfile.ZipFile(path)
        return zf.namelist(), zf.read

    def test_4_dossier(self):
        if not self.rectified:
            self.fail("test_3_rectify did not finish; no archived case to export")
        if not dossier_cli_present():
            self.skipTest("SKIPPED: `inspectctl dossier --help` fails in this tree (the dossier "
                          "commands are not in yet); ExportDossier + `inspectctl dossier "
                          "verify` not exercised")
        call = call_server_stream(self.channel, AUD + "ExportDossier",
                                  audit_pb2.ExportDossierRequest(
                                      application_id=self.rectified["app"]),
                                  audit_pb2.DossierChunk, token=self.auditor, timeout=60)
        data = b"".join(c.data for c in call)
        self.assertGreater(len(data), 1000)
        with tempfile.TemporaryDirectory(prefix="dossier-") as d:
            path = os.path.join(d, "dossier")
            with open(path, "wb") as f:
                f.write(data)
            res = subprocess.run([INSPECTCTL, "dossier", "verify", path], capture_output=True,
                                 text=True, timeout=60)
            self.assertEqual(res.returncode, 0, f"verify: {res.stdout}\n{res.stderr}")
            names, read = self.archive_members(path)
            for t in self.rectified["tasks"]:
                self.assertIn(f"tasks/{t}.json", names)
                self.assertIn(f"reports/R-{t}.json", names)
                for dept in ("bureau", "culture", "fire"):
                    self.assertIn(f"findings/{t}/{dept}.json", names)
            self.assertIn("manifest.json", names)
            for pid, data in self.rectified["photos"].items():
                jpg = [n for n in names if n.startswith(f"photos/{pid}.")
                       and not n.endswith(".json")]
                self.assertEqual(len(jpg), 1, f"photo {pid} not in the dossier")
                self.assertEqual(read(jpg[0]), data, f"photo {pid} bytes")
            # one changed byte in the middle is found
            bad = bytearray(data)
            bad[len(bad) // 2] ^= 0x01
            with open(path, "wb") as f:
                f.write(bytes(bad))
            res = subprocess.run([INSPECTCTL, "dossier", "verify", path], capture_output=True,
                                 text=True, timeout=60)
            self.assertNotEqual(res.returncode, 0, "a flipped byte went unnoticed")


if __name__ == "__main__":
    unittest.main(verbosity=2)
