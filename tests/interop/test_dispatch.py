"""Interop: inspect.v1.Dispatch seen from Python grpcio against a real
inspectd - tasks for the seeded demo district, qualified teams checked
against the seed files, named assignments and overrides, declines and
replacements, alerts (watched, acknowledged), a statutory deadline passing
under --time-warp, and many dispatchers assigning at once.

Every refusal is checked for its exact status and for changing nothing
(GetTask / ListTasks / GetApplication before and after).

Run by CTest (tests/interop/CMakeLists.txt sets PYTHONPATH and the binary
paths). Exit status 0 only when every test passes.
"""

import importlib.util
import json
import math
import os
import subprocess
import sys
import threading
import time
import unittest
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inspectd_harness import (INSPECTCTL, Server, call_server_stream,  # noqa: E402
                              call_unary)
from inspect_pb.v1 import directory_pb2, dispatch_pb2, licensing_pb2  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "seeds")

DIR = "/inspect.v1.Directory/"
LIC = "/inspect.v1.Licensing/"
DSP = "/inspect.v1.Dispatch/"

FP = grpc.StatusCode.FAILED_PRECONDITION
NF = grpc.StatusCode.NOT_FOUND
PD = grpc.StatusCode.PERMISSION_DENIED
IA = grpc.StatusCode.INVALID_ARGUMENT

TS = dispatch_pb2
OPEN_STATES = {TS.TASK_STATE_PENDING, TS.TASK_STATE_ASSIGNED, TS.TASK_STATE_ACCEPTED,
               TS.TASK_STATE_ON_SITE}
EARTH_RADIUS_M = 6371008.8  # server/domain/geo.h


def _load_uscc():
    spec = importlib.util.spec_from_file_location("uscc", os.path.join(SEEDS, "uscc.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


USCC = _load_uscc()


def credit_code(n):
    """A valid unified social credit code, distinct for each n < 10**6."""
    return USCC.make("91510114", "MA%06d" % n)


def seed(name):
    with open(os.path.join(SEEDS, name), encoding="utf-8") as f:
        return json.load(f)


def rid():
    return uuid.uuid4().hex


def haversine_m(lat1, lon1, lat2, lon2):
    rad = math.pi / 180.0
    s1 = math.sin((lat2 - lat1) * rad / 2)
    s2 = math.sin((lon2 - lon1) * rad / 2)
    h = s1 * s1 + math.cos(lat1 * rad) * math.cos(lat2 * rad) * s2 * s2
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(h, 1.0)))


class AlertWatcher:
    """A WatchAlerts stream read on its own thread into `alerts`."""

    def __init__(self, channel, token, department="", town="", include_acknowledged=False):
        req = dispatch_pb2.WatchAlertsRequest(department=department, town=town,
                                              include_acknowledged=include_acknowledged)
        self.call = call_server_stream(channel, DSP + "WatchAlerts", req, dispatch_pb2.Alert,
                                       token=token, timeout=300)
        self.alerts = []
        self.error = None
        self.cv = threading.Condition()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for a in self.call:
                with self.cv:
                    self.alerts.append(a)
                    self.cv.notify_all()
        except grpc.RpcError as e:
            with self.cv:
                self.error = e
                self.cv.notify_all()

    def wait_for(self, pred, count=1, timeout=20.0):
        """The alerts matching `pred` once there are at least `count` (or
        whatever there is at the timeout)."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                got = [a for a in self.alerts if pred(a)]
                left = deadline - time.monotonic()
                if len(got) >= count or left <= 0 or self.error is not None:
                    return got
                self.cv.wait(left)

    def close(self):
        self.call.cancel()
        self.thread.join(5)


class DispatchCase(unittest.TestCase):
    """One inspectd per class; subclasses fill it in setUpClass."""

    server_args = ()

    @classmethod
    def start_server(cls):
        cls.server = Server(*cls.server_args).start()
        cls.channel = cls.server.channel()
        cls.admin = cls.server.token("admin", "root")
        cls.disp = cls.server.token("dispatcher", "disp-wang")

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"inspectd exited with {code}")

    # -- calls --------------------------------------------------------------

    def call(self, method, req, resp_cls, token=None, timeout=20):
        return call_unary(self.channel, method, req, resp_cls,
                          token=token if token is not None else self.disp, timeout=timeout)

    def assertStatus(self, code, fn, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.code(), code, cm.exception.details())
        return cm.exception.details()

    def create_task(self, app_id, token=None, **kw):
        req = dispatch_pb2.CreateTaskRequest(request_id=rid(), application_id=app_id, **kw)
        return self.call(DSP + "CreateTask", req, dispatch_pb2.CreateTaskResponse, token).task

    def assign(self, task_id, assignments=(), token=None):
        req = dispatch_pb2.AssignTeamRequest(request_id=rid(), task_id=task_id,
                                             assignments=list(assignments))
        return self.call(DSP + "AssignTeam", req, dispatch_pb2.AssignTeamResponse, token).task

    def replace(self, task_id, inspector_id, reason, replacement_id="", override=False):
        req = dispatch_pb2.ReplaceMemberRequest(request_id=rid(), task_id=task_id,
                                                inspector_id=inspector_id, reason=reason,
                                                replacement_id=replacement_id, override=override)
        return self.call(DSP + "ReplaceMember", req, dispatch_pb2.ReplaceMemberResponse).task

    def cancel(self, task_id, reason):
        req = dispatch_pb2.CancelTaskRequest(request_id=rid(), task_id=task_id, reason=reason)
        return self.call(DSP + "CancelTask", req, dispatch_pb2.CancelTaskResponse).task

    def get_task(self, task_id, token=None):
        return self.call(DSP + "GetTask", dispatch_pb2.GetTaskRequest(id=task_id),
                         dispatch_pb2.Task, token)

    def list_tasks(self, token=None, **filters):
        out, page = [], ""
        while True:
            resp = self.call(DSP + "ListTasks",
                             dispatch_pb2.ListTasksRequest(page_size=500, page_token=page,
                                                           **filters),
                             dispatch_pb2.ListTasksResponse, token)
            out.extend(resp.tasks)
            page = resp.next_page_token
            if not page:
                return out

    def ack(self, alert_id, token=None, request_id=None):
        req = dispatch_pb2.AckAlertRequest(request_id=request_id or rid(), alert_id=alert_id)
        return self.call(DSP + "AckAlert", req, dispatch_pb2.AckAlertResponse, token).alert

    def get_app(self, app_id):
        return self.call(LIC + "GetApplication", licensing_pb2.GetApplicationRequest(id=app_id),
                         licensing_pb2.Application)

    def set_stage(self, app_id, stage):
        req = licensing_pb2.SetStageRequest(request_id=rid(), id=app_id, stage=stage)
        return self.call(LIC + "SetStage", req, licensing_pb2.SetStageResponse).application

    def to_review(self, app_id):
        app = self.get_app(app_id)
        if app.stage == licensing_pb2.STAGE_INTAKE:
            app = self.set_stage(app_id, licensing_pb2.STAGE_REVIEW)
        self.assertEqual(app.stage, licensing_pb2.STAGE_REVIEW, app_id)
        return app

    def inspectors(self):
        out, page = {}, ""
        while True:
            resp = self.call(DIR + "ListInspectors",
                             directory_pb2.ListInspectorsRequest(page_size=1000, page_token=page),
                             directory_pb2.ListInspectorsResponse)
            for i in resp.inspectors:
                out[i.id] = i
            page = resp.next_page_token
            if not page:
                return out

    def open_loads(self):
        """Open tasks per inspector, counted from the teams of open tasks."""
        loads = {}
        for t in self.list_tasks():
            if t.state in OPEN_STATES:
                for m in t.team:
                    loads[m.inspector_id] = loads.get(m.inspector_id, 0) + 1
        return loads

    def snapshot(self, *app_ids):
        """Everything a refusal must leave alone: every task and the named
        applications, as bytes."""
        tasks = [t.SerializeToString() for t in self.list_tasks()]
        apps = [self.get_app(a).SerializeToString() for a in app_ids]
        return tasks, apps

    def assertUnchanged(self, before, *app_ids):
        self.assertEqual(before, self.snapshot(*app_ids), "a refused call changed something")

    def alerts_now(self, token=None, **filters):
        """The open alerts a fresh WatchAlerts sends first (read until the
        stream has been quiet for a moment)."""
        w = AlertWatcher(self.channel, token or self.disp, **filters)
        time.sleep(0.5)
        w.wait_for(lambda a: False, timeout=0.5)
        w.close()
        return list(w.alerts)

    # -- directory set-up ---------------------------------------------------

    def upsert_department(self, code, kind, name=None):
        req = directory_pb2.UpsertDepartmentRequest(
            request_id=rid(),
            department=directory_pb2.Department(code=code, name=name or code, kind=kind))
        self.call(DIR + "UpsertDepartment", req, directory_pb2.UpsertDepartmentResponse,
                  self.admin)

    def publish_template(self, tid, dept):
        item = directory_pb2.TemplateItem(code="ok", text="现场情况符合要求",
                                          kind=directory_pb2.ITEM_KIND_BOOL, required=True,
                                          severity=directory_pb2.SEVERITY_MAJOR)
        req = directory_pb2.PublishTemplateRequest(
            request_id=rid(),
            template=directory_pb2.Template(id=tid, department=dept, name=tid, items=[item]))
        self.call(DIR + "PublishTemplate", req, directory_pb2.PublishTemplateResponse, self.admin)

    def upsert_item(self, code, departments, limit):
        req = directory_pb2.UpsertServiceItemRequest(
            request_id=rid(),
            item=directory_pb2.ServiceItem(
                code=code, name=code, limit_working_days=limit,
                departments=[directory_pb2.RequiredDepartment(department=d, qualification=q,
                                                              template_id=t)
                             for d, q, t in departments]))
        self.call(DIR + "UpsertServiceItem", req, directory_pb2.UpsertServiceItemResponse,
                  self.admin)

    def upsert_inspector(self, iid, dept, quals, max_open, towns=(), conflicts=(), active=True,
                         lat=30.82, lon=104.16):
        ins = directory_pb2.Inspector(
            id=iid, name=iid, department=dept, max_open_tasks=max_open, towns=list(towns),
            conflicts=list(conflicts), active=active, base_latitude=lat, base_longitude=lon,
            qualifications=[directory_pb2.Qualification(code=c, expires=e) for c, e in quals])
        req = directory_pb2.UpsertInspectorRequest(request_id=rid(), inspector=ins)
        self.call(DIR + "UpsertInspector", req, directory_pb2.UpsertInspectorResponse, self.admin)

    def new_application(self, app_id, item, town, n, stage_review=True, lat=30.82, lon=104.16):
        app = licensing_pb2.Application(
            id=app_id, service_item=item, applicant_name="测试申请人" + app_id[-4:],
            applicant_credit_code=credit_code(n), site_address="成都市新都区测试路%d号" % n,
            town=town, latitude=lat, longitude=lon)
        req = licensing_pb2.UpsertApplicationRequest(request_id=rid(), application=app)
        self.call(LIC + "UpsertApplication", req, licensing_pb2.UpsertApplicationResponse)
        if stage_review:
            self.set_stage(app_id, licensing_pb2.STAGE_REVIEW)


def expected_pick(inspectors, loads, dept, qual, deadline_date, town, lat, lon, credit, excluded):
    """The member the rules of server/domain/assign.h choose, or None; with
    the distance of every eligible one (to tolerate floating-point ties)."""
    best, eligible = None, []
    for i in inspectors.values():
        if i.id in excluded or i.department != dept or not i.active:
            continue
        if qual:
            exp = [q.expires for q in i.qualifications if q.code == qual]
            if not exp or max(exp) < deadline_date:
                continue
        if loads.get(i.id, 0) >= i.max_open_tasks:
            continue
        if credit.upper() in (c.upper() for c in i.conflicts):
            continue
        d = haversine_m(i.base_latitude, i.base_longitude, lat, lon)
        serves = town in i.towns
        key = (0 if serves else 1, loads.get(i.id, 0) if serves else d,
               d if serves else loads.get(i.id, 0), i.id)
        eligible.append((key, i.id))
    eligible.sort()
    if eligible:
        best = eligible[0][1]
    return best, eligible


class SeededDistrictTest(DispatchCase):
    """The demo district of seeds/, loaded through the public API."""

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
        cls.seed_items = {i["code"]: i for i in seed("service_items.json")}
        cls.seed_apps = {a["id"]: a for a in seed("applications.json")}
        cls.seed_depts = {d["code"]: d for d in seed("departments.json")}
        cls.auditor = cls.server.token("auditor", "audit-li")
        cls.inspector = cls.server.token("inspector", "fire-001")
        cls.fire_desk = cls.server.token("department", "fire-desk", department="fire")
        cls.rad_desk = cls.server.token("department", "rad-desk", department="radiation")
        # A department where nobody qualifies: its only inspector's
        # qualification lapsed long ago.
        tc = cls("setUp")
        tc.upsert_department("radiation", directory_pb2.DEPARTMENT_KIND_INDUSTRY, "辐射安全")
        tc.publish_template("radiation-site", "radiation")
        tc.upsert_inspector("radiation-001", "radiation", [("radiation-safety", "2020-01-01")], 5,
                            towns=["新都街道"])
        tc.upsert_item("radiation-permit", [("bureau", "site-inspection", "bureau-site"),
                                            ("radiation", "radiation-safety", "radiation-site")],
                       10)
        cls.next_app = 9000

    def radiation_app(self):
        type(self).next_app += 1
        app_id = "XD-2026-%06d" % self.next_app
        self.new_application(app_id, "radiation-permit", "新都街道", self.next_app)
        return app_id

    # -- checks against the seed files ---------------------------------------

    def check_team(self, task, app_id, loads_before, inspectors):
        """The team of `task`: one member per required department, the
        bureau's leading, each explained, qualified by the seed files, and
        the one the rules choose."""
        sa = self.seed_apps.get(app_id)
        item = self.seed_items[task.service_item]
        required = [d["department"] for d in item["departments"]]
        self.assertEqual(list(task.required_departments), required)
        self.assertEqual(sorted(m.department for m in task.team), sorted(required), task)
        leads = [m for m in task.team if m.role == dispatch_pb2.MEMBER_ROLE_LEAD]
        self.assertEqual(len(leads), 1, task)
        self.assertEqual(self.seed_depts[leads[0].department]["kind"], "DEPARTMENT_KIND_BUREAU")
        self.assertEqual(len({m.inspector_id for m in task.team}), len(task.team))
        credit = sa["applicant_credit_code"] if sa else self.get_app(app_id).applicant_credit_code
        picked = []
        for m in task.team:
            need = next(d for d in item["departments"] if d["department"] == m.department)
            si = self.seed_inspectors[m.inspector_id]
            self.assertEqual(si["department"], m.department)
            self.assertTrue(si["active"], m.inspector_id)
            self.assertEqual(si["name"], m.inspector_name)
            exp = [q["expires"] for q in si["qualifications"] if q["code"] == need["qualification"]]
            self.assertTrue(exp and max(exp) >= task.deadline_date,
                            f"{m.inspector_id} lacks {need['qualification']} through "
                            f"{task.deadline_date}")
            self.assertNotIn(credit, si.get("conflicts", []))
            self.assertLess(loads_before.get(m.inspector_id, 0), si["max_open_tasks"])
            self.assertFalse(m.override)
            self.assertEqual(m.response, dispatch_pb2.MEMBER_RESPONSE_PENDING)
            # explained: who, the qualification, the town, the load, the distance
            self.assertTrue(m.reason.startswith(m.inspector_id), m.reason)
            self.assertIn(need["qualification"], m.reason)
            self.assertIn("open tasks", m.reason)
            self.assertIn("km from the site", m.reason)
            d = haversine_m(si["base_latitude"], si["base_longitude"], task.latitude,
                            task.longitude)
            self.assertAlmostEqual(m.distance_km, d / 1000.0, delta=0.01)
            if task.town in si["towns"]:
                self.assertIn("serves " + task.town, m.reason)
            # the rules' choice (the lead is chosen first, then the others
            # excluding those already on the team)
            best, eligible = expected_pick(inspectors, loads_before, m.department,
                                           need["qualification"], task.deadline_date, task.town,
                                           task.latitude, task.longitude, credit, set(picked))
            if best != m.inspector_id:
                # tolerate a floating-point tie of distances only
                ties = [e for e in eligible if e[1] == m.inspector_id]
                self.assertTrue(ties and abs(ties[0][0][1] - eligible[0][0][1]) < 1.0
                                and ties[0][0][0] == eligible[0][0][0],
                                f"{m.department}: chose {m.inspector_id}, rules say {best}: "
                                f"{eligible[:4]}")
            picked.append(m.inspector_id)

    # -- automatic assignment ------------------------------------------------

    def test_assign_automatic_for_review_applications(self):
        reserved = {"XD-2026-001204", "XD-2026-001222", "XD-2026-001235", "XD-2026-001242",
                    "XD-2026-001243", "XD-2026-001245"}
        apps = sorted(a for a, v in self.seed_apps.items()
                      if v["stage"] == "STAGE_REVIEW" and a not in reserved)
        self.assertGreaterEqual(len(apps), 10)
        for app_id in apps:
            with self.subTest(app=app_id):
                app_before = self.get_app(app_id)
                self.assertEqual(app_before.stage, licensing_pb2.STAGE_REVIEW)
                task = self.create_task(app_id)
                self.assertEqual(task.state, dispatch_pb2.TASK_STATE_PENDING)
                self.assertEqual(task.kind, dispatch_pb2.TASK_KIND_INITIAL)
                self.assertEqual(task.application_id, app_id)
                self.assertEqual(task.town, self.seed_apps[app_id]["town"])
                self.assertEqual(task.limit_working_days,
                                 self.seed_items[task.service_item]["limit_working_days"])
                self.assertGreater(task.deadline_date, task.start_date)
                self.assertLess(task.warning_unix, task.deadline_unix)
                self.assertEqual(len(task.team), 0)
                self.assertEqual(self.get_app(app_id).stage, licensing_pb2.STAGE_INSPECTION)
                loads = self.open_loads()
                inspectors = self.inspectors()
                team = self.assign(task.id)
                self.assertEqual(team.state, dispatch_pb2.TASK_STATE_ASSIGNED)
                self.assertEqual(team.version, task.version + 1)
                self.check_team(team, app_id, loads, inspectors)
                self.assertEqual(self.get_task(task.id), team)
        # nobody past his maximum; the team index agrees with the teams
        loads = self.open_loads()
        for iid, n in loads.items():
            self.assertLessEqual(n, self.seed_inspectors[iid]["max_open_tasks"], iid)
            mine = [t.id for t in self.list_tasks(inspector_id=iid) if t.state in OPEN_STATES]
            self.assertEqual(len(mine), n, iid)

    def test_assign_no_qualified_department_alert(self):
        app_id = self.radiation_app()
        watch = AlertWatcher(self.channel, self.disp, department="radiation")
        own = AlertWatcher(self.channel, self.rad_desk)
        other = AlertWatcher(self.channel, self.fire_desk)
        try:
            task = self.create_task(app_id)
            before = self.snapshot(app_id)
            details = self.assertStatus(FP, self.assign, task.id)
            self.assertIn("radiation", details)
            self.assertIn("radiation-safety", details)
            self.assertUnchanged(before, app_id)
            self.assertEqual(self.get_task(task.id).state, dispatch_pb2.TASK_STATE_PENDING)
            for w in (watch, own):
                got = w.wait_for(lambda a: a.task_id == task.id)
                self.assertEqual(len(got), 1, w.alerts)
                a = got[0]
                self.assertEqual(a.kind, dispatch_pb2.ALERT_KIND_NO_QUALIFIED)
                self.assertEqual(a.department, "radiation")
                self.assertEqual(a.application_id, app_id)
                self.assertEqual(a.town, "新都街道")
                self.assertIn("radiation-safety", a.message)
                self.assertFalse(a.acknowledged)
            # the fire department's desk does not see it
            time.sleep(0.3)
            self.assertEqual([a for a in other.alerts if a.task_id == task.id], [])
            self.assertTrue(all(a.department == "fire" for a in other.alerts), other.alerts)
        finally:
            for w in (watch, own, other):
                w.close()
        # listed: a fresh watch starts with it
        listed = [a for a in self.alerts_now(department="radiation") if a.task_id == task.id]
        self.assertEqual([a.kind for a in listed], [dispatch_pb2.ALERT_KIND_NO_QUALIFIED])
        listed = [a for a in self.alerts_now(town="新都街道") if a.task_id == task.id]
        self.assertEqual(len(listed), 1)
        self.assertEqual([a for a in self.alerts_now(town="龙桥镇") if a.task_id == task.id], [])

    # -- named assignment ----------------------------------------------------

    def named_refused_then_override(self, app_id, dept, inspector_id, words):
        """Names `inspector_id` for `dept`: refused (nothing changes), then
        accepted with an override and its reason."""
        self.to_review(app_id)
        task = self.create_task(app_id)
        before = self.snapshot(app_id)
        named = dispatch_pb2.Assignment(department=dept, inspector_id=inspector_id)
        details = self.assertStatus(FP, self.assign, task.id, [named])
        for w in words:
            self.assertIn(w, details)
        self.assertUnchanged(before, app_id)
        # an override needs a reason
        no_reason = dispatch_pb2.Assignment(department=dept, inspector_id=inspector_id,
                                            override=True)
        self.assertStatus(IA, self.assign, task.id, [no_reason])
        self.assertUnchanged(before, app_id)
        ok = dispatch_pb2.Assignment(department=dept, inspector_id=inspector_id, override=True,
                                     override_reason="唯一熟悉该场所的检查员")
        team = self.assign(task.id, [ok])
        self.assertEqual(team.state, dispatch_pb2.TASK_STATE_ASSIGNED)
        mine = [m for m in team.team if m.department == dept]
        self.assertEqual(len(mine), 1)
        m = mine[0]
        self.assertEqual(m.inspector_id, inspector_id)
        self.assertTrue(m.override)
        self.assertIn("唯一熟悉该场所的检查员", m.reason)
        self.assertIn("disp-wang", m.reason)
        others = [x for x in team.team if x.department != dept]
        self.assertTrue(others and not any(x.override for x in others), team)
        return team

    def test_named_inactive_refused_then_override(self):
        self.named_refused_then_override("XD-2026-001222", "transport", "transport-003",
                                         ["transport-003", "inactive"])

    def test_named_unqualified_refused_then_override(self):
        self.named_refused_then_override("XD-2026-001235", "hrss", "hrss-002",
                                         ["hrss-002", "hr-service-review"])

    def test_named_conflicted_refused_then_override(self):
        code = self.seed_apps["XD-2026-001204"]["applicant_credit_code"]
        self.assertIn(code, self.seed_inspectors["market-002"]["conflicts"])
        self.named_refused_then_override("XD-2026-001204", "market", "market-002",
                                         ["market-002", "conflict of interest", code])

    def test_named_overloaded_refused_then_override(self):
        # culture-901 may hold one open task
        self.upsert_inspector("culture-901", "culture",
                              [("culture-market-inspection", "2030-12-31")], 1,
                              towns=["大丰街道"])
        self.to_review("XD-2026-001249")
        first = self.create_task("XD-2026-001249")
        team = self.assign(first.id, [dispatch_pb2.Assignment(department="culture",
                                                              inspector_id="culture-901")])
        m = next(m for m in team.team if m.department == "culture")
        self.assertFalse(m.override)
        self.assertIn("named by disp-wang", m.reason)
        team = self.named_refused_then_override("XD-2026-001250", "culture", "culture-901",
                                                ["culture-901", "1 open tasks, the maximum"])
        self.assertEqual(self.open_loads()["culture-901"], 2)

    def test_named_bad_requests(self):
        self.to_review("XD-2026-001247")
        task = self.create_task("XD-2026-001247")  # public-place-hygiene: bureau + health
        before = self.snapshot("XD-2026-001247")
        # a department the item does not need
        self.assertStatus(IA, self.assign, task.id,
                          [dispatch_pb2.Assignment(department="fire", inspector_id="fire-001")])
        # an inspector of another department for the slot
        details = self.assertStatus(FP, self.assign, task.id, [dispatch_pb2.Assignment(
            department="health", inspector_id="fire-001", override=True, override_reason="x")])
        self.assertIn("fire-001", details)
        # no such inspector
        details = self.assertStatus(grpc.StatusCode.NOT_FOUND, self.assign, task.id, [
            dispatch_pb2.Assignment(department="health", inspector_id="health-999")])
        self.assertIn("health-999", details)
        # the same department twice
        self.assertStatus(IA, self.assign, task.id, [
            dispatch_pb2.Assignment(department="health", inspector_id="health-001"),
            dispatch_pb2.Assignment(department="health", inspector_id="health-002")])
        # no such task
        self.assertStatus(NF, self.assign, "T-999999")
        self.assertUnchanged(before, "XD-2026-001247")
        self.assign(task.id)
        # a second AssignTeam on an assigned task
        before = self.snapshot("XD-2026-001247")
        self.assertStatus(FP, self.assign, task.id)
        self.assertUnchanged(before, "XD-2026-001247")

    # -- decline and replace -------------------------------------------------

    def test_decline_by_replace_member(self):
        app_id = "XD-2026-001242"  # public-place-hygiene in 军屯镇: bureau + health
        task = self.assign(self.create_task(app_id).id)
        gone = next(m for m in task.team if m.department == "health")
        watch = AlertWatcher(self.channel, self.disp, department="health")
        try:
            loads = self.open_loads()
            after = self.replace(task.id, gone.inspector_id, "本人请假，无法参加踏勘")
            self.assertEqual(after.version, task.version + 1)
            ids = [m.inspector_id for m in after.team]
            self.assertNotIn(gone.inspector_id, ids)
            self.assertEqual(len(after.team), len(task.team))
            new = next(m for m in after.team if m.department == "health")
            self.assertNotEqual(new.inspector_id, gone.inspector_id)
            self.assertEqual(new.role, dispatch_pb2.MEMBER_ROLE_MEMBER)
            self.assertTrue(new.reason.startswith(new.inspector_id), new.reason)
            si = self.seed_inspectors[new.inspector_id]
            self.assertTrue(si["active"])
            self.assertTrue(any(q["code"] == "public-health-inspection"
                                and q["expires"] >= task.deadline_date
                                for q in si["qualifications"]), new.inspector_id)
            self.assertNotIn(self.seed_apps[app_id]["applicant_credit_code"],
                             si.get("conflicts", []))
            lead_before = next(m for m in task.team if m.role == dispatch_pb2.MEMBER_ROLE_LEAD)
            lead_after = next(m for m in after.team if m.role == dispatch_pb2.MEMBER_ROLE_LEAD)
            self.assertEqual(lead_before, lead_after)
            got = watch.wait_for(lambda a: a.task_id == task.id)
            self.assertEqual([a.kind for a in got], [dispatch_pb2.ALERT_KIND_MEMBER_DECLINED])
            self.assertEqual(got[0].department, "health")
            self.assertIn(gone.inspector_id, got[0].message)
            self.assertIn(new.inspector_id, got[0].message)
            # loads follow the team
            now = self.open_loads()
            self.assertEqual(now.get(gone.inspector_id, 0), loads.get(gone.inspector_id, 0) - 1)
            self.assertEqual(now.get(new.inspector_id, 0), loads.get(new.inspector_id, 0) + 1)
            self.assertNotIn(task.id, [t.id for t in
                                       self.list_tasks(inspector_id=gone.inspector_id)])
            self.assertIn(task.id, [t.id for t in self.list_tasks(inspector_id=new.inspector_id)])
        finally:
            watch.close()
        # replacing someone not on the team
        before = self.snapshot(app_id)
        self.assertStatus(NF, self.replace, task.id, gone.inspector_id, "不在组内")
        self.assertStatus(NF, self.replace, task.id, "nobody-1", "不存在")
        self.assertStatus(NF, self.replace, "T-999999", new.inspector_id, "无此任务")
        # a named replacement who lacks the qualification
        details = self.assertStatus(FP, self.replace, task.id, new.inspector_id, "换人",
                                    "health-003")
        self.assertIn("public-health-inspection", details)
        self.assertStatus(IA, self.replace, task.id, new.inspector_id, "")
        self.assertUnchanged(before, app_id)

    def test_replace_named_with_override(self):
        app_id = "XD-2026-001243"  # public-place-hygiene in 斑竹园街道
        task = self.assign(self.create_task(app_id).id)
        gone = next(m for m in task.team if m.department == "health")
        # health-003 holds medical-institution-review only
        after = self.replace(task.id, gone.inspector_id, "需要熟悉诊所的检查员", "health-003",
                             override=True)
        m = next(m for m in after.team if m.department == "health")
        self.assertEqual(m.inspector_id, "health-003")
        self.assertTrue(m.override)

    # -- tasks: stage, second task, cancel -----------------------------------

    def test_create_task_wrong_stage(self):
        for app_id in ("XD-2026-001201", "XD-2026-001223", "XD-2026-001248"):
            with self.subTest(app=app_id):
                before = self.snapshot(app_id)
                details = self.assertStatus(FP, self.create_task, app_id)
                self.assertIn(app_id, details)
                self.assertIn("needs stage review", details)
                self.assertUnchanged(before, app_id)
        self.assertStatus(NF, self.create_task, "XD-2026-999999")
        self.assertStatus(IA, self.create_task, "")

    def test_second_open_task_refused_cancel_then_new(self):
        app_id = "XD-2026-001244"
        self.to_review(app_id)
        task = self.create_task(app_id)
        before = self.snapshot(app_id)
        # the application is in inspection now: a second initial task
        self.assertStatus(FP, self.create_task, app_id)
        # a re-inspection while the first task is still open
        details = self.assertStatus(FP, self.create_task, app_id,
                                    kind=dispatch_pb2.TASK_KIND_REINSPECTION,
                                    follows_report="R-000001", check_items=["ok"])
        self.assertIn("open task", details)
        self.assertIn(task.id, details)
        self.assertUnchanged(before, app_id)
        # a cancel needs a reason; then the application is back in review
        self.assertStatus(IA, self.cancel, task.id, "")
        self.assertUnchanged(before, app_id)
        done = self.cancel(task.id, "申请人撤回")
        self.assertEqual(done.state, dispatch_pb2.TASK_STATE_CANCELLED)
        self.assertEqual(done.cancel_reason, "申请人撤回")
        self.assertEqual(self.get_app(app_id).stage, licensing_pb2.STAGE_REVIEW)
        before = self.snapshot(app_id)
        self.assertStatus(FP, self.cancel, task.id, "again")
        self.assertUnchanged(before, app_id)
        again = self.create_task(app_id)
        self.assertNotEqual(again.id, task.id)

    # -- alerts --------------------------------------------------------------

    def test_ack_alert(self):
        app_id = self.radiation_app()
        task = self.create_task(app_id)
        self.assertStatus(FP, self.assign, task.id)
        alerts = [a for a in self.alerts_now(department="radiation") if a.task_id == task.id]
        self.assertEqual(len(alerts), 1)
        alert = alerts[0]
        before = self.snapshot()
        self.assertStatus(NF, self.ack, "A-999999")
        self.assertStatus(IA, self.ack, "")
        self.assertUnchanged(before)
        req_id = rid()
        acked = self.ack(alert.id, request_id=req_id)
        self.assertTrue(acked.acknowledged)
        self.assertEqual(acked.acknowledged_by, "disp-wang")
        self.assertGreater(acked.acknowledged_unix, 0)
        self.assertEqual(acked.id, alert.id)
        # a retry of the same request gets the same answer
        self.assertEqual(self.ack(alert.id, request_id=req_id), acked)
        details = self.assertStatus(FP, self.ack, alert.id)
        self.assertIn("disp-wang", details)
        # gone from the open alerts, there with include_acknowledged
        self.assertEqual([a for a in self.alerts_now() if a.id == alert.id], [])
        listed = [a for a in self.alerts_now(include_acknowledged=True) if a.id == alert.id]
        self.assertEqual(len(listed), 1)
        self.assertTrue(listed[0].acknowledged)
        self.assertEqual(listed[0].acknowledged_by, "disp-wang")

    # -- roles ---------------------------------------------------------------

    def test_wrong_role(self):
        app_id = "XD-2026-001245"
        before = self.snapshot(app_id)
        self.assertStatus(PD, self.create_task, app_id, token=self.inspector)
        self.assertStatus(PD, self.create_task, app_id, token=self.fire_desk)
        self.assertStatus(PD, self.create_task, app_id, token=self.auditor)
        self.assertStatus(PD, self.create_task, app_id, token=self.admin)
        self.assertUnchanged(before, app_id)
        task = self.create_task(app_id)  # public-place-hygiene: no fire
        before = self.snapshot(app_id)
        self.assertStatus(PD, self.assign, task.id, token=self.fire_desk)
        self.assertStatus(PD, self.assign, task.id, token=self.inspector)
        self.assertStatus(PD, self.ack, "A-000001", token=self.auditor)
        # row level: fire takes no part in this task
        self.assertStatus(PD, self.get_task, task.id, token=self.fire_desk)
        self.assertNotIn(task.id, [t.id for t in self.list_tasks(token=self.fire_desk)])
        self.assertEqual(self.get_task(task.id, token=self.auditor), self.get_task(task.id))
        self.assertUnchanged(before, app_id)
        # streams: an auditor may not watch alerts
        w = AlertWatcher(self.channel, self.auditor)
        w.wait_for(lambda a: False, timeout=5)
        w.close()
        self.assertIsNotNone(w.error)
        self.assertEqual(w.error.code(), PD)

    def test_department_watches_only_its_own(self):
        w = AlertWatcher(self.channel, self.fire_desk, department="market")
        w.wait_for(lambda a: False, timeout=5)
        w.close()
        self.assertIsNotNone(w.error)
        self.assertEqual(w.error.code(), PD, w.error.details())
        self.assertIn("market", w.error.details())
        self.assertEqual(w.alerts, [])
        # its own department by name is fine
        for a in self.alerts_now(token=self.fire_desk, department="fire"):
            self.assertEqual(a.department, "fire")


class DeadlineTest(DispatchCase):
    """A statutory limit passing under --time-warp: 50,000 times real time
    makes a working day pass in about two seconds."""

    server_args = ("--time-warp", "50000")
    dept_seen = None  # what the lab department's own watch saw for the task

    @classmethod
    def setUpClass(cls):
        cls.start_server()

    def test_warning_then_overdue_exactly_once(self):
        self.upsert_department("bureau", directory_pb2.DEPARTMENT_KIND_BUREAU)
        self.upsert_department("lab", directory_pb2.DEPARTMENT_KIND_INDUSTRY)
        self.publish_template("bureau-site", "bureau")
        self.publish_template("lab-site", "lab")
        self.upsert_inspector("bureau-1", "bureau", [("site-inspection", "2999-12-31")], 50,
                              towns=["新都街道"])
        self.upsert_inspector("lab-1", "lab", [("lab-inspection", "2999-12-31")], 50,
                              towns=["新都街道"])
        self.upsert_item("lab-permit", [("bureau", "site-inspection", "bureau-site"),
                                        ("lab", "lab-inspection", "lab-site")], 2)
        self.new_application("XD-2026-000001", "lab-permit", "新都街道", 1)
        watch = AlertWatcher(self.channel, self.disp)
        lab = AlertWatcher(self.channel, self.server.token("department", "lab-desk",
                                                           department="lab"))
        try:
            task = self.assign(self.create_task("XD-2026-000001").id)
            self.assertEqual(task.limit_working_days, 2)
            self.assertEqual(len(task.team), 2)
            mine = lambda a: a.task_id == task.id  # noqa: E731
            got = watch.wait_for(lambda a: mine(a) and a.kind == dispatch_pb2.ALERT_KIND_OVERDUE,
                                 timeout=90)
            self.assertEqual(len(got), 1, watch.alerts)
            # another warped week: nothing more for this task
            time.sleep(12)
            kinds = [a.kind for a in watch.alerts if mine(a)]
            self.assertEqual(kinds, [dispatch_pb2.ALERT_KIND_WARNING,
                                     dispatch_pb2.ALERT_KIND_OVERDUE], watch.alerts)
            self.assertIsNone(watch.error)
            type(self).dept_seen = [a.kind for a in lab.alerts if mine(a)]
        finally:
            watch.close()
            lab.close()
        warning, overdue = [a for a in watch.alerts if mine(a)]
        self.assertGreaterEqual(warning.raised_unix, task.warning_unix)
        self.assertGreaterEqual(overdue.raised_unix, task.deadline_unix)
        self.assertIn(task.deadline_date, overdue.message)
        self.assertEqual(overdue.town, "新都街道")
        self.assertIn(task.id, [t.id for t in self.list_tasks(overdue=True)])
        # a fresh watch lists both, once each
        listed = [a.kind for a in self.alerts_now() if mine(a)]
        self.assertEqual(sorted(listed), [dispatch_pb2.ALERT_KIND_WARNING,
                                          dispatch_pb2.ALERT_KIND_OVERDUE])
        # a cancelled task raises nothing more
        self.cancel(task.id, "逾期")
        self.assertNotIn(task.id, [t.id for t in self.list_tasks(overdue=True)])

    # Deadline alerts concern the whole task: a department on it sees them
    # on its own WatchAlerts. Runs after the test above (alphabetical
    # order) and reads what the lab department's watch saw.
    def test_x_department_sees_deadline_alerts_of_its_tasks(self):
        self.assertEqual(self.dept_seen, [dispatch_pb2.ALERT_KIND_WARNING,
                                          dispatch_pb2.ALERT_KIND_OVERDUE])


class ParallelAssignTest(DispatchCase):
    """Many dispatchers assigning at once from a small pool: nobody is
    pushed past his maximum."""

    POOL = 4         # lab inspectors
    MAX_OPEN = 2     # each
    TASKS = 36       # concurrent CreateTask + AssignTeam

    @classmethod
    def setUpClass(cls):
        cls.start_server()

    def test_parallel_assign_respects_max_open(self):
        self.upsert_department("bureau", directory_pb2.DEPARTMENT_KIND_BUREAU)
        self.upsert_department("lab", directory_pb2.DEPARTMENT_KIND_INDUSTRY)
        self.publish_template("bureau-site", "bureau")
        self.publish_template("lab-site", "lab")
        self.upsert_inspector("bureau-1", "bureau", [("site-inspection", "2999-12-31")], 1000,
                              towns=["新都街道"])
        for i in range(self.POOL):
            self.upsert_inspector("lab-%d" % i, "lab", [("lab-inspection", "2999-12-31")],
                                  self.MAX_OPEN, towns=["新都街道"], lat=30.8 + i / 100)
        self.upsert_item("lab-permit", [("bureau", "site-inspection", "bureau-site"),
                                        ("lab", "lab-inspection", "lab-site")], 10)
        apps = ["XD-2026-%06d" % (100 + i) for i in range(self.TASKS)]
        for i, a in enumerate(apps):
            self.new_application(a, "lab-permit", "新都街道", 100 + i)
        barrier = threading.Barrier(self.TASKS)

        def one(app_id):
            # each thread its own channel: really concurrent HTTP/2 streams
            with self.server.channel() as ch:
                barrier.wait(30)
                task = call_unary(ch, DSP + "CreateTask", dispatch_pb2.CreateTaskRequest(
                    request_id=rid(), application_id=app_id), dispatch_pb2.CreateTaskResponse,
                    token=self.disp, timeout=60).task
                try:
                    t = call_unary(ch, DSP + "AssignTeam", dispatch_pb2.AssignTeamRequest(
                        request_id=rid(), task_id=task.id), dispatch_pb2.AssignTeamResponse,
                        token=self.disp, timeout=60).task
                    return task.id, t, None
                except grpc.RpcError as e:
                    return task.id, None, e

        with ThreadPoolExecutor(self.TASKS) as ex:
            results = list(ex.map(one, apps))
        ok = [r for r in results if r[1] is not None]
        refused = [r for r in results if r[2] is not None]
        self.assertEqual(len(ok), self.POOL * self.MAX_OPEN, [r[2] for r in refused][:3])
        self.assertEqual(len(refused), self.TASKS - self.POOL * self.MAX_OPEN)
        for _, _, e in refused:
            self.assertEqual(e.code(), FP, e.details())
            self.assertIn("lab", e.details())
            self.assertIn("maximum of open tasks", e.details())
        # the store agrees: nobody past his maximum, refused tasks untouched
        loads = self.open_loads()
        for i in range(self.POOL):
            self.assertEqual(loads.get("lab-%d" % i, 0), self.MAX_OPEN, loads)
        by_id = {t.id: t for t in self.list_tasks()}
        self.assertEqual(len(by_id), self.TASKS)
        for tid, team, err in results:
            if err is None:
                self.assertEqual(by_id[tid], team)
                self.assertEqual(by_id[tid].state, dispatch_pb2.TASK_STATE_ASSIGNED)
            else:
                self.assertEqual(by_id[tid].state, dispatch_pb2.TASK_STATE_PENDING)
                self.assertEqual(len(by_id[tid].team), 0)
        # and every refusal raised its NO_QUALIFIED alert
        alerts = [a for a in self.alerts_now(department="lab")
                  if a.kind == dispatch_pb2.ALERT_KIND_NO_QUALIFIED]
        self.assertEqual(sorted(a.task_id for a in alerts), sorted(r[0] for r in refused))


if __name__ == "__main__":
    unittest.main(verbosity=2)
