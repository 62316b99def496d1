"""Interop: the bureau's side (inspect.v1.Directory and inspect.v1.Licensing)
seen from Python grpcio against a real inspectd (issue 4).

Each test class starts its own inspectd on an ephemeral port with a
temporary data folder and loads the demo district (seeds/) into it through
the public API with `inspectctl seed load`. Then:

  SeededDistrictTest  read only: the seed counts and contents as the server
                      returns them, ListApplications paging and filters,
                      ListInspectors filters and paging.
  MutationTest        the bad-input table (exact status, a message naming the
                      offending thing, nothing stored), idempotency by
                      request_id, templates by version, the calendar round
                      trip, index upkeep when an application changes.

Run by CTest (tests/interop/CMakeLists.txt sets PYTHONPATH and the binary
paths). Exit status 0 only when every test passes.
"""

import collections
import json
import os
import subprocess
import sys
import unittest

import grpc
from google.protobuf import json_format

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inspectd_harness import INSPECTCTL, Server, call_unary  # noqa: E402
from inspect_pb.v1 import directory_pb2, licensing_pb2  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(REPO, "seeds")

D, L = directory_pb2, licensing_pb2

# method -> (service, response class)
METHODS = {
    "UpsertDepartment": ("Directory", D.UpsertDepartmentResponse),
    "ListDepartments": ("Directory", D.ListDepartmentsResponse),
    "UpsertInspector": ("Directory", D.UpsertInspectorResponse),
    "GetInspector": ("Directory", D.Inspector),
    "ListInspectors": ("Directory", D.ListInspectorsResponse),
    "UpsertServiceItem": ("Directory", D.UpsertServiceItemResponse),
    "ListServiceItems": ("Directory", D.ListServiceItemsResponse),
    "PublishTemplate": ("Directory", D.PublishTemplateResponse),
    "GetTemplate": ("Directory", D.Template),
    "PutCalendar": ("Directory", D.PutCalendarResponse),
    "GetCalendar": ("Directory", D.Calendar),
    "UpsertApplication": ("Licensing", L.UpsertApplicationResponse),
    "GetApplication": ("Licensing", L.Application),
    "ListApplications": ("Licensing", L.ListApplicationsResponse),
    "SetStage": ("Licensing", L.SetStageResponse),
}

# Roles used by the tests: admin for the directory, dispatcher for the
# licensing record (SetStage is dispatcher only).
ROLE_FOR = {m: "dispatcher" for m in ("UpsertApplication", "SetStage", "ListApplications",
                                      "GetApplication")}


def load_seed(name, cls):
    with open(os.path.join(SEEDS, name), encoding="utf-8") as f:
        return [json_format.ParseDict(obj, cls()) for obj in json.load(f)]


SEED_DEPARTMENTS = load_seed("departments.json", D.Department)
SEED_TEMPLATES = load_seed("templates.json", D.Template)
SEED_ITEMS = load_seed("service_items.json", D.ServiceItem)
SEED_CALENDAR = load_seed("calendar-2026.json", D.Calendar)[0]
SEED_INSPECTORS = load_seed("inspectors.json", D.Inspector)
SEED_APPS = load_seed("applications.json", L.Application)
SEED_APP_IDS = sorted(a.id for a in SEED_APPS)


def stripped(msg, *fields):
    """A copy of msg without the server-set `fields`."""
    out = type(msg)()
    out.CopyFrom(msg)
    for f in fields:
        out.ClearField(f)
    return out


class SeededServer(unittest.TestCase):
    """One inspectd per class, seeded through the API in setUpClass."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        try:
            cls.channel = cls.server.channel()
            cls.tokens = {role: cls.server.token(role, name) for role, name in
                          (("admin", "root"), ("dispatcher", "disp-01"),
                           ("inspector", "fire-001"), ("auditor", "audit-1"))}
            argv = [INSPECTCTL, "--json", "seed", "load", SEEDS, "--data-dir",
                    cls.server.data_dir, "--server", cls.server.addr]
            res = subprocess.run(argv, capture_output=True, text=True, timeout=120)
            if res.returncode != 0:
                raise AssertionError(
                    f"seed load exit {res.returncode}:\n{res.stdout}\n{res.stderr}")
            cls.seed_report = json.loads(res.stdout)
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"inspectd exited with {code}")

    # -- calling -----------------------------------------------------------

    def rpc(self, method, request, role=None):
        service, resp_cls = METHODS[method]
        role = role or ROLE_FOR.get(method, "admin")
        return call_unary(self.channel, f"/inspect.v1.{service}/{method}", request, resp_cls,
                          token=self.tokens[role])

    def assertStatus(self, code, method, request, role=None):
        with self.assertRaises(grpc.RpcError) as cm:
            self.rpc(method, request, role)
        self.assertEqual(cm.exception.code(), code, cm.exception.details())
        return cm.exception.details()

    # -- walking pages -----------------------------------------------------

    def walk_apps(self, page_size, **filters):
        """Every page of ListApplications: (list of id lists, list of tokens)."""
        pages, tokens, token = [], [], ""
        while True:
            resp = self.rpc("ListApplications", L.ListApplicationsRequest(
                page_size=page_size, page_token=token, **filters))
            pages.append(list(resp.applications))
            tokens.append(resp.next_page_token)
            token = resp.next_page_token
            if not token:
                return pages, tokens
            self.assertLess(len(pages), 200, "paging does not end")

    def walk_inspectors(self, page_size, **filters):
        pages, token = [], ""
        while True:
            resp = self.rpc("ListInspectors", D.ListInspectorsRequest(
                page_size=page_size, page_token=token, **filters))
            pages.append([i.id for i in resp.inspectors])
            token = resp.next_page_token
            if not token:
                return pages
            self.assertLess(len(pages), 200, "paging does not end")

    def all_apps(self):
        return [a for page in self.walk_apps(500)[0] for a in page]


STAGE_MOVES = {L.STAGE_INTAKE: 0, L.STAGE_REVIEW: 1, L.STAGE_INSPECTION: 2,
               L.STAGE_DECISION: 3, L.STAGE_CERTIFIED: 4, L.STAGE_ARCHIVED: 5}


class SeededDistrictTest(SeededServer):

    # -- the load and the counts --------------------------------------------

    def test_seed_report_counts(self):
        r = self.seed_report
        self.assertTrue(r["ok"])
        expect = {"departments": 9, "templates": 11, "service_items": 10, "calendars": 1,
                  "inspectors": 42, "applications": 50}
        for kind, n in expect.items():
            self.assertEqual(r[kind]["sent"] + r[kind]["already"], n, kind)
            self.assertEqual(r[kind]["sent"], n, f"{kind}: a fresh store takes every record")
        self.assertEqual(r["stage_moves"]["sent"],
                         sum(STAGE_MOVES[a.stage] for a in SEED_APPS))

    def test_departments_as_seeded(self):
        resp = self.rpc("ListDepartments", D.ListDepartmentsRequest(), role="inspector")
        self.assertEqual(len(resp.departments), 9)
        self.assertEqual([d.code for d in resp.departments],
                         sorted(d.code for d in SEED_DEPARTMENTS))
        by_code = {d.code: d for d in SEED_DEPARTMENTS}
        for d in resp.departments:
            self.assertEqual(d.version, 1)
            self.assertEqual(stripped(d, "version"), by_code[d.code])

    def test_service_items_as_seeded(self):
        resp = self.rpc("ListServiceItems", D.ListServiceItemsRequest(), role="dispatcher")
        self.assertEqual(len(resp.items), 10)
        self.assertEqual([i.code for i in resp.items], sorted(i.code for i in SEED_ITEMS))
        by_code = {i.code: i for i in SEED_ITEMS}
        for it in resp.items:
            self.assertEqual(stripped(it, "version"), by_code[it.code])

    def test_templates_as_seeded(self):
        self.assertEqual(len(SEED_TEMPLATES), 11)
        for want in SEED_TEMPLATES:
            got = self.rpc("GetTemplate", D.GetTemplateRequest(id=want.id), role="inspector")
            self.assertEqual(got.version, 1, want.id)
            self.assertGreater(got.published_unix, 1_700_000_000)
            self.assertEqual(stripped(got, "version", "published_unix"), want)

    def test_calendar_as_seeded(self):
        got = self.rpc("GetCalendar", D.GetCalendarRequest(year=2026), role="inspector")
        self.assertEqual(got, SEED_CALENDAR)
        self.assertGreater(len(got.days), 20)

    def test_inspectors_as_seeded(self):
        ids = [i for page in self.walk_inspectors(1000) for i in page]
        self.assertEqual(ids, sorted(i.id for i in SEED_INSPECTORS))
        self.assertEqual(len(ids), 42)
        for want in SEED_INSPECTORS[:5] + SEED_INSPECTORS[-3:]:
            got = self.rpc("GetInspector", D.GetInspectorRequest(id=want.id), role="dispatcher")
            self.assertEqual(stripped(got, "version"), want)

    def test_applications_as_seeded(self):
        apps = self.all_apps()
        self.assertEqual(len(apps), 50)
        by_id = {a.id: a for a in SEED_APPS}
        for a in apps:
            want = by_id[a.id]
            self.assertEqual(a.stage, want.stage, a.id)
            # created at version 1, then one version per stage move
            self.assertEqual(a.version, 1 + STAGE_MOVES[want.stage], a.id)
            self.assertEqual(a.outcome, L.OUTCOME_UNSPECIFIED)
            self.assertGreater(a.created_unix, 1_700_000_000)
            self.assertGreaterEqual(a.updated_unix, a.created_unix)
            self.assertEqual(stripped(a, "version", "created_unix", "updated_unix"), want)
        self.assertEqual(self.rpc("GetApplication", L.GetApplicationRequest(id=apps[7].id),
                                  role="auditor"), apps[7])

    # -- ListApplications: paging -------------------------------------------

    def test_page_size_7_walks_all_50_once_in_id_order(self):
        pages, tokens = self.walk_apps(7)
        self.assertEqual([len(p) for p in pages], [7] * 7 + [1])
        ids = [a.id for p in pages for a in p]
        self.assertEqual(ids, SEED_APP_IDS)
        self.assertEqual(len(set(ids)), 50)
        self.assertTrue(all(tokens[:-1]), "every page but the last has a token")
        self.assertEqual(tokens[-1], "")

    def test_page_tokens_are_stable(self):
        pages, tokens = self.walk_apps(7)
        again, tokens2 = self.walk_apps(7)
        self.assertEqual(tokens, tokens2)
        self.assertEqual([[a.id for a in p] for p in pages], [[a.id for a in p] for p in again])
        # asking for the same page twice (a client retrying) gives the same page
        for i in (0, 3, 6):
            resp = self.rpc("ListApplications", L.ListApplicationsRequest(
                page_size=7, page_token=tokens[i]))
            self.assertEqual([a.id for a in resp.applications], [a.id for a in pages[i + 1]])
            self.assertEqual(resp.next_page_token, tokens[i + 1])

    def test_default_page_size_50(self):
        resp = self.rpc("ListApplications", L.ListApplicationsRequest())
        self.assertEqual([a.id for a in resp.applications], SEED_APP_IDS)
        self.assertEqual(resp.next_page_token, "", "exactly 50: nothing more")
        resp = self.rpc("ListApplications", L.ListApplicationsRequest(page_size=500))
        self.assertEqual(len(resp.applications), 50)

    def test_exact_multiple_last_page_has_no_token(self):
        intake = sorted(a.id for a in SEED_APPS if a.stage == L.STAGE_INTAKE)
        self.assertEqual(len(intake), 21)
        pages, tokens = self.walk_apps(7, stage=L.STAGE_INTAKE)
        self.assertEqual([len(p) for p in pages], [7, 7, 7])
        self.assertEqual(tokens[-1], "")
        self.assertEqual([a.id for p in pages for a in p], intake)

    def test_bad_page_token_invalid_argument(self):
        msg = self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, "ListApplications",
                                L.ListApplicationsRequest(page_token="not a token"))
        self.assertIn("page_token", msg)

    # -- ListApplications: filters ------------------------------------------

    def check_filter(self, page_size, **filters):
        def keep(a):
            return ((not filters.get("stage") or a.stage == filters["stage"])
                    and (not filters.get("town") or a.town == filters["town"])
                    and (not filters.get("service_item")
                         or a.service_item == filters["service_item"]))
        want = sorted(a.id for a in SEED_APPS if keep(a))
        pages, _ = self.walk_apps(page_size, **filters)
        got = [a for p in pages for a in p]
        self.assertEqual([a.id for a in got], want, filters)
        self.assertTrue(all(keep(a) for a in got))
        return len(want)

    def test_filter_by_stage(self):
        counts = {s: self.check_filter(4, stage=s) for s in STAGE_MOVES}
        self.assertEqual(counts, {L.STAGE_INTAKE: 21, L.STAGE_REVIEW: 17, L.STAGE_INSPECTION: 2,
                                  L.STAGE_DECISION: 4, L.STAGE_CERTIFIED: 3,
                                  L.STAGE_ARCHIVED: 3})

    def test_filter_by_town(self):
        towns = collections.Counter(a.town for a in SEED_APPS)
        self.assertGreaterEqual(len(towns), 10)
        for town, n in towns.items():
            self.assertEqual(self.check_filter(3, town=town), n)
        # a town that is a prefix of a real one matches nothing
        self.assertEqual(self.check_filter(3, town="新都"), 0)
        self.assertIn("新都街道", towns)

    def test_filter_by_service_item(self):
        items = collections.Counter(a.service_item for a in SEED_APPS)
        self.assertEqual(len(items), 10)
        for item, n in items.items():
            self.assertEqual(self.check_filter(2, service_item=item), n)
        self.assertEqual(self.check_filter(2, service_item="no-such-item"), 0)

    def test_filter_combinations(self):
        total = 0
        for a in SEED_APPS[:12]:
            total += self.check_filter(2, stage=a.stage, town=a.town)
            total += self.check_filter(3, service_item=a.service_item, stage=a.stage)
            total += self.check_filter(1, service_item=a.service_item, town=a.town)
            total += self.check_filter(5, service_item=a.service_item, town=a.town, stage=a.stage)
        self.assertGreaterEqual(total, 48, "each seed application matches its own filters")

    def test_list_roles(self):
        resp = self.rpc("ListApplications", L.ListApplicationsRequest(page_size=1),
                        role="auditor")
        self.assertEqual(resp.applications[0].id, SEED_APP_IDS[0])
        msg = self.assertStatus(grpc.StatusCode.PERMISSION_DENIED, "ListApplications",
                                L.ListApplicationsRequest(), role="inspector")
        self.assertIn("ListApplications", msg)

    # -- ListInspectors -----------------------------------------------------

    def test_inspectors_by_department(self):
        depts = collections.Counter(i.department for i in SEED_INSPECTORS)
        self.assertGreaterEqual(len(depts), 6)
        for dept, n in depts.items():
            got = [i for p in self.walk_inspectors(0, department=dept) for i in p]
            want = sorted(i.id for i in SEED_INSPECTORS if i.department == dept)
            self.assertEqual(got, want, dept)
            self.assertEqual(len(got), n)
        self.assertEqual(self.walk_inspectors(0, department="nosuch"), [[]])

    def test_inspectors_by_town(self):
        towns = collections.Counter(t for i in SEED_INSPECTORS for t in i.towns)
        self.assertGreaterEqual(len(towns), 10)
        for town in towns:
            got = [i for p in self.walk_inspectors(4, town=town) for i in p]
            want = sorted(i.id for i in SEED_INSPECTORS if town in i.towns)
            self.assertEqual(got, want, town)

    def test_inspectors_by_department_and_town(self):
        seen = 0
        for insp in SEED_INSPECTORS[::4]:
            town = insp.towns[0]
            got = [i for p in self.walk_inspectors(1, department=insp.department, town=town)
                   for i in p]
            want = sorted(i.id for i in SEED_INSPECTORS
                          if i.department == insp.department and town in i.towns)
            self.assertEqual(got, want)
            self.assertIn(insp.id, got)
            seen += 1
        self.assertGreaterEqual(seen, 10)

    def test_inspectors_paging(self):
        all_ids = sorted(i.id for i in SEED_INSPECTORS)
        for size in (1, 5, 41, 42):
            pages = self.walk_inspectors(size)
            self.assertEqual([i for p in pages for i in p], all_ids, size)
            self.assertTrue(all(len(p) == size for p in pages[:-1]))
            self.assertEqual(len(pages), -(-42 // size))
        # paging within one department walks the department index
        bureau = sorted(i.id for i in SEED_INSPECTORS if i.department == "bureau")
        self.assertGreater(len(bureau), 3)
        pages = self.walk_inspectors(2, department="bureau")
        self.assertEqual([i for p in pages for i in p], bureau)
        self.assertEqual(len(pages), -(-len(bureau) // 2))

    def test_inspectors_page_size_limit(self):
        msg = self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, "ListInspectors",
                                D.ListInspectorsRequest(page_size=1001))
        self.assertIn("1001", msg)


# ---- the bad-input table ----------------------------------------------------

def seed_app(app_id):
    for a in SEED_APPS:
        if a.id == app_id:
            out = L.Application()
            out.CopyFrom(a)
            out.ClearField("stage")
            return out
    raise KeyError(app_id)


def first_app(stage):
    return sorted((a for a in SEED_APPS if a.stage == stage), key=lambda a: a.id)[0].id


def new_app(app_id, base="XD-2026-001201", **changes):
    """A new application based on a seeded one (food-business)."""
    a = seed_app(base)
    a.id = app_id
    for k, v in changes.items():
        setattr(a, k, v)
    return a


def with_fact(app, key, **value):
    for f in app.declared_facts:
        if f.key == key:
            f.value.Clear()
            for k, v in value.items():
                setattr(f.value, k, v)
            return app
    raise KeyError(key)


def item(code, *departments, limit=10):
    return D.ServiceItem(code=code, name="测试事项", limit_working_days=limit,
                         departments=[D.RequiredDepartment(department=d, qualification=q,
                                                           template_id=t)
                                      for d, q, t in departments])


def seed_template(tid):
    t = D.Template()
    t.CopyFrom(next(x for x in SEED_TEMPLATES if x.id == tid))
    return t


def calendar_with_duplicate():
    c = D.Calendar()
    c.CopyFrom(SEED_CALENDAR)
    dup = c.days.add()
    dup.CopyFrom(SEED_CALENDAR.days[3])
    dup.name = "重复"
    return c


def bad_code(code):
    """The credit code with a wrong (but well-formed) check character."""
    return code[:17] + ("1" if code[17] != "1" else "2")


GOOD_CODE = "92510114MAF15MGK8W"
SC = grpc.StatusCode
REVIEW_APP = first_app(L.STAGE_REVIEW)
INTAKE_APP = first_app(L.STAGE_INTAKE)

# (name, method, role, request (a callable: built when the case runs),
#  expected status, strings the message must contain)
BAD_INPUT = [
    ("service item names an unknown department", "UpsertServiceItem", "admin",
     lambda: D.UpsertServiceItemRequest(request_id="bad-1", item=item(
         "zz-item", ("bureau", "site-inspection", "bureau-site"),
         ("nosuch-dept", "food-safety-inspection", "market-food"))),
     SC.FAILED_PRECONDITION, ["nosuch-dept", "zz-item", "does not exist"]),
    ("service item names an unknown template", "UpsertServiceItem", "admin",
     lambda: D.UpsertServiceItemRequest(request_id="bad-2", item=item(
         "zz-item", ("bureau", "site-inspection", "no-such-template"))),
     SC.FAILED_PRECONDITION, ["no-such-template", "not published"]),
    ("service item pairs a department with another's template", "UpsertServiceItem", "admin",
     lambda: D.UpsertServiceItemRequest(request_id="bad-3", item=item(
         "zz-item", ("market", "food-safety-inspection", "fire-venue"))),
     SC.FAILED_PRECONDITION, ["fire-venue", "market"]),
    ("an existing item changed to name an unknown template", "UpsertServiceItem", "admin",
     lambda: D.UpsertServiceItemRequest(request_id="bad-4", item=item(
         "food-business", ("bureau", "site-inspection", "bureau-site"),
         ("market", "food-safety-inspection", "market-food-v9"))),
     SC.FAILED_PRECONDITION, ["market-food-v9"]),
    ("template version already published", "PublishTemplate", "admin",
     lambda: D.PublishTemplateRequest(request_id="bad-5", template=D.Template(
         id="bureau-site", department="bureau", name="改过的现场核查", version=1,
         items=seed_template("bureau-site").items[:2])),
     SC.ALREADY_EXISTS, ["bureau-site", "version 1"]),
    ("template for an unknown department", "PublishTemplate", "admin",
     lambda: D.PublishTemplateRequest(request_id="bad-6", template=D.Template(
         id="zz-tpl", department="nosuch-dept", name="x",
         items=seed_template("bureau-site").items[:1])),
     SC.FAILED_PRECONDITION, ["nosuch-dept"]),
    ("credit code with a wrong check digit", "UpsertApplication", "dispatcher",
     lambda: L.UpsertApplicationRequest(request_id="bad-7", application=new_app(
         "XD-2026-009901", applicant_credit_code=bad_code(GOOD_CODE))),
     SC.INVALID_ARGUMENT, [bad_code(GOOD_CODE), "check digit", GOOD_CODE[17]]),
    ("credit code with a wrong check digit on an update", "UpsertApplication", "dispatcher",
     lambda: L.UpsertApplicationRequest(request_id="bad-8", expected_version=1,
                                        application=new_app(INTAKE_APP, base=INTAKE_APP,
                                        applicant_credit_code=bad_code(
                                            seed_app(INTAKE_APP).applicant_credit_code))),
     SC.INVALID_ARGUMENT, ["check digit"]),
    ("latitude 91", "UpsertApplication", "dispatcher",
     lambda: L.UpsertApplicationRequest(request_id="bad-9", application=new_app(
         "XD-2026-009902", latitude=91.0)),
     SC.INVALID_ARGUMENT, ["latitude", "91"]),
    ("declared fact is a flag where the template checks a number", "UpsertApplication",
     "dispatcher",
     lambda: L.UpsertApplicationRequest(request_id="bad-10", application=with_fact(
         new_app("XD-2026-009903"), "floor_area_m2", flag=True)),
     SC.INVALID_ARGUMENT, ["floor_area_m2"]),
    ("declared fact is a number where the template checks a flag", "UpsertApplication",
     "dispatcher",
     lambda: L.UpsertApplicationRequest(request_id="bad-11", application=with_fact(
         new_app("XD-2026-009904"), "has_cold_storage", number=1, unit="个")),
     SC.INVALID_ARGUMENT, ["has_cold_storage", "cold_storage"]),
    ("application for an unknown service item", "UpsertApplication", "dispatcher",
     lambda: L.UpsertApplicationRequest(request_id="bad-12", application=new_app(
         "XD-2026-009905", service_item="no-such-item")),
     SC.FAILED_PRECONDITION, ["no-such-item"]),
    ("stale application version", "UpsertApplication", "dispatcher",
     lambda: L.UpsertApplicationRequest(request_id="bad-13", expected_version=1,
                                        application=new_app(REVIEW_APP, base=REVIEW_APP,
                                                            applicant_name="改名后的申请人")),
     SC.FAILED_PRECONDITION, [REVIEW_APP, "version 2"]),
    ("create over an existing application", "UpsertApplication", "dispatcher",
     lambda: L.UpsertApplicationRequest(request_id="bad-14", expected_version=0,
                                        application=new_app(INTAKE_APP, base=INTAKE_APP,
                                                            applicant_name="改名后的申请人")),
     SC.ALREADY_EXISTS, [INTAKE_APP]),
    ("stage skip intake -> inspection", "SetStage", "dispatcher",
     lambda: L.SetStageRequest(request_id="bad-15", id=INTAKE_APP, stage=L.STAGE_INSPECTION),
     SC.FAILED_PRECONDITION, [INTAKE_APP, "intake", "review", "inspection"]),
    ("stage backwards review -> intake", "SetStage", "dispatcher",
     lambda: L.SetStageRequest(request_id="bad-16", id=REVIEW_APP, stage=L.STAGE_INTAKE),
     SC.FAILED_PRECONDITION, [REVIEW_APP, "inspection"]),
    ("stage move with a stale expected_version", "SetStage", "dispatcher",
     lambda: L.SetStageRequest(request_id="bad-17", id=REVIEW_APP, stage=L.STAGE_INSPECTION,
                               expected_version=1),
     SC.FAILED_PRECONDITION, [REVIEW_APP, "version 2"]),
    ("calendar with a date listed twice", "PutCalendar", "admin",
     lambda: D.PutCalendarRequest(request_id="bad-18", calendar=calendar_with_duplicate()),
     SC.INVALID_ARGUMENT, [SEED_CALENDAR.days[3].date, "twice"]),
    ("oversized list page", "ListApplications", "dispatcher",
     lambda: L.ListApplicationsRequest(page_size=501),
     SC.INVALID_ARGUMENT, ["page_size", "501", "500"]),
    ("stage move from archived", "SetStage", "dispatcher",
     lambda: L.SetStageRequest(request_id="bad-22", id=first_app(L.STAGE_ARCHIVED),
                               stage=L.STAGE_ARCHIVED),
     SC.FAILED_PRECONDITION, [first_app(L.STAGE_ARCHIVED), "no further move"]),
    ("stage move of an unknown application", "SetStage", "dispatcher",
     lambda: L.SetStageRequest(request_id="bad-23", id="XD-2026-009999", stage=L.STAGE_REVIEW),
     SC.NOT_FOUND, ["XD-2026-009999"]),
    ("list filter on a stage that does not exist", "ListApplications", "dispatcher",
     lambda: L.ListApplicationsRequest(stage=9),
     SC.INVALID_ARGUMENT, ["stage 9"]),
    ("inspector in an unknown department", "UpsertInspector", "admin",
     lambda: D.UpsertInspectorRequest(request_id="bad-24", inspector=D.Inspector(
         id="zz-insp", name="测试", department="nosuch-dept", max_open_tasks=3, active=True)),
     SC.FAILED_PRECONDITION, ["nosuch-dept"]),
    ("inspector conflict with a wrong check digit", "UpsertInspector", "admin",
     lambda: D.UpsertInspectorRequest(request_id="bad-25", inspector=D.Inspector(
         id="zz-insp", name="测试", department="bureau", max_open_tasks=3, active=True,
         conflicts=[bad_code(GOOD_CODE)])),
     SC.INVALID_ARGUMENT, ["conflicts", bad_code(GOOD_CODE)]),
    ("inspector base latitude 91", "UpsertInspector", "admin",
     lambda: D.UpsertInspectorRequest(request_id="bad-26", inspector=D.Inspector(
         id="zz-insp", name="测试", department="bureau", max_open_tasks=3, active=True,
         base_latitude=91.0, base_longitude=104.0)),
     SC.INVALID_ARGUMENT, ["latitude", "91"]),
    ("inspector key of small order (the identity)", "UpsertInspector", "admin",
     lambda: D.UpsertInspectorRequest(request_id="bad-26k", inspector=D.Inspector(
         id="zz-insp", name="测试", department="bureau", max_open_tasks=3, active=True,
         public_key=bytes([1]) + bytes(31))),
     SC.INVALID_ARGUMENT, ["public_key", "small order"]),
    ("inspector key with a torsion part", "UpsertInspector", "admin",
     lambda: D.UpsertInspectorRequest(request_id="bad-26t", inspector=D.Inspector(
         id="zz-insp", name="测试", department="bureau", max_open_tasks=3, active=True,
         public_key=bytes.fromhex(
             "98519eadf35b995233b51b5cd23e9cc5a28b639b5a4af0ec903cb960d81b7819"))),
     SC.INVALID_ARGUMENT, ["public_key", "prime-order subgroup"]),
    ("inspector key not on the curve", "UpsertInspector", "admin",
     lambda: D.UpsertInspectorRequest(request_id="bad-26c", inspector=D.Inspector(
         id="zz-insp", name="测试", department="bureau", max_open_tasks=3, active=True,
         public_key=bytes([2]) + bytes(31))),
     SC.INVALID_ARGUMENT, ["public_key", "not a point of the curve"]),
    ("application latitude NaN", "UpsertApplication", "dispatcher",
     lambda: L.UpsertApplicationRequest(request_id="bad-27", application=new_app(
         "XD-2026-009902", latitude=float("nan"))),
     SC.INVALID_ARGUMENT, ["latitude"]),
    ("service item names a department twice", "UpsertServiceItem", "admin",
     lambda: D.UpsertServiceItemRequest(request_id="bad-28", item=item(
         "zz-item", ("bureau", "site-inspection", "bureau-site"),
         ("bureau", "site-inspection", "bureau-site"))),
     SC.INVALID_ARGUMENT, ["bureau", "twice"]),
    ("inspector token on UpsertApplication", "UpsertApplication", "inspector",
     lambda: L.UpsertApplicationRequest(request_id="bad-19",
                                        application=new_app("XD-2026-009906")),
     SC.PERMISSION_DENIED, ["UpsertApplication", "inspector"]),
    ("dispatcher token on UpsertDepartment", "UpsertDepartment", "dispatcher",
     lambda: D.UpsertDepartmentRequest(request_id="bad-20", department=D.Department(
         code="zz-dept", name="测试部门", kind=D.DEPARTMENT_KIND_INDUSTRY)),
     SC.PERMISSION_DENIED, ["UpsertDepartment", "dispatcher"]),
    ("admin token on SetStage (dispatcher only)", "SetStage", "admin",
     lambda: L.SetStageRequest(request_id="bad-21", id=INTAKE_APP, stage=L.STAGE_REVIEW),
     SC.PERMISSION_DENIED, ["SetStage", "admin"]),
    ("missing request_id on UpsertApplication", "UpsertApplication", "dispatcher",
     lambda: L.UpsertApplicationRequest(application=new_app("XD-2026-009907")),
     SC.INVALID_ARGUMENT, ["request_id"]),
    ("missing request_id on UpsertDepartment", "UpsertDepartment", "admin",
     lambda: D.UpsertDepartmentRequest(department=D.Department(
         code="zz-dept", name="测试部门", kind=D.DEPARTMENT_KIND_INDUSTRY)),
     SC.INVALID_ARGUMENT, ["request_id"]),
    ("missing request_id on SetStage", "SetStage", "dispatcher",
     lambda: L.SetStageRequest(id=INTAKE_APP, stage=L.STAGE_REVIEW),
     SC.INVALID_ARGUMENT, ["request_id"]),
    ("missing request_id on PublishTemplate", "PublishTemplate", "admin",
     lambda: D.PublishTemplateRequest(template=seed_template("bureau-site")),
     SC.INVALID_ARGUMENT, ["request_id"]),
    ("missing request_id on PutCalendar", "PutCalendar", "admin",
     lambda: D.PutCalendarRequest(calendar=D.Calendar(year=2027)),
     SC.INVALID_ARGUMENT, ["request_id"]),
    ("missing request_id on UpsertServiceItem", "UpsertServiceItem", "admin",
     lambda: D.UpsertServiceItemRequest(item=item(
         "zz-item", ("bureau", "site-inspection", "bureau-site"))),
     SC.INVALID_ARGUMENT, ["request_id"]),
    ("missing request_id on UpsertInspector", "UpsertInspector", "admin",
     lambda: D.UpsertInspectorRequest(inspector=D.Inspector(
         id="zz-insp", name="测试", department="bureau", max_open_tasks=3, active=True)),
     SC.INVALID_ARGUMENT, ["request_id"]),
    ("request_id reused for a different request", "UpsertApplication", "dispatcher",
     lambda: L.UpsertApplicationRequest(request_id="reused-rid", application=new_app(
         "XD-2026-009908")),
     SC.ALREADY_EXISTS, ["reused-rid"]),
]


class MutationTest(SeededServer):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The first use of "reused-rid", for the table's last case.
        tok = cls.tokens["dispatcher"]
        call_unary(cls.channel, "/inspect.v1.Licensing/UpsertApplication",
                   L.UpsertApplicationRequest(request_id="reused-rid",
                                              application=new_app("XD-2026-009800")),
                   L.UpsertApplicationResponse, token=tok)

    def snapshot(self):
        """Everything a bad request could have touched, as comparable bytes."""
        def b(m):
            return m.SerializeToString(deterministic=True)
        snap = {
            "departments": b(self.rpc("ListDepartments", D.ListDepartmentsRequest())),
            "items": b(self.rpc("ListServiceItems", D.ListServiceItemsRequest())),
            "inspectors": b(self.rpc("ListInspectors", D.ListInspectorsRequest(page_size=1000))),
            "applications": b(self.rpc("ListApplications",
                                       L.ListApplicationsRequest(page_size=500))),
            "cal2026": b(self.rpc("GetCalendar", D.GetCalendarRequest(year=2026))),
            "cal2027": b(self.rpc("GetCalendar", D.GetCalendarRequest(year=2027))),
        }
        for tid in [t.id for t in SEED_TEMPLATES] + ["zz-tpl"]:
            try:
                snap["tpl " + tid] = b(self.rpc("GetTemplate", D.GetTemplateRequest(id=tid)))
            except grpc.RpcError as e:
                snap["tpl " + tid] = e.code().name
        for iid in ("zz-insp",):
            try:
                snap["insp " + iid] = b(self.rpc("GetInspector", D.GetInspectorRequest(id=iid)))
            except grpc.RpcError as e:
                snap["insp " + iid] = e.code().name
        for aid in ("XD-2026-009901", "XD-2026-009906", "XD-2026-009908"):
            try:
                snap["app " + aid] = b(self.rpc("GetApplication", L.GetApplicationRequest(id=aid)))
            except grpc.RpcError as e:
                snap["app " + aid] = e.code().name
        return snap

    def test_bad_input_table(self):
        self.assertGreaterEqual(len(BAD_INPUT), 20)
        for name, method, role, build, code, needles in BAD_INPUT:
            with self.subTest(case=name):
                before = self.snapshot()
                msg = self.assertStatus(code, method, build(), role=role)
                for needle in needles:
                    self.assertIn(needle, msg, f"{name}: message {msg!r} does not name {needle!r}")
                after = self.snapshot()
                changed = sorted(k for k in before if before[k] != after[k])
                self.assertEqual(changed, [], f"{name}: the refused request changed {changed}")
        # and the probes really saw nothing new
        for aid in ("XD-2026-009901", "XD-2026-009906", "XD-2026-009908"):
            self.assertStatus(SC.NOT_FOUND, "GetApplication", L.GetApplicationRequest(id=aid))
        self.assertStatus(SC.NOT_FOUND, "GetTemplate", D.GetTemplateRequest(id="zz-tpl"))
        self.assertEqual(self.rpc("GetCalendar", D.GetCalendarRequest(year=2026)), SEED_CALENDAR)

    def test_refused_request_id_is_free_for_the_fixed_request(self):
        # A refusal is not a result: fixing the request and sending it with
        # the same request_id goes through.
        bad = L.UpsertApplicationRequest(request_id="fix-me", application=new_app(
            "XD-2026-009920", latitude=91.0))
        self.assertStatus(SC.INVALID_ARGUMENT, "UpsertApplication", bad)
        bad = L.UpsertApplicationRequest(request_id="fix-me-2", application=with_fact(
            new_app("XD-2026-009920"), "seats", flag=False))
        self.assertStatus(SC.INVALID_ARGUMENT, "UpsertApplication", bad)
        good = L.UpsertApplicationRequest(request_id="fix-me-2",
                                          application=new_app("XD-2026-009920"))
        self.assertEqual(self.rpc("UpsertApplication", good).application.version, 1)

    def test_department_sees_only_its_applications(self):
        fire_tok = self.server.token("department", "dept-fire", department="fire")
        fire_items = {i.code for i in SEED_ITEMS
                      if any(d.department == "fire" for d in i.departments)}
        mine = next(a for a in SEED_APPS if a.service_item in fire_items)
        other = next(a for a in SEED_APPS if a.service_item not in fire_items)
        got = call_unary(self.channel, "/inspect.v1.Licensing/GetApplication",
                         L.GetApplicationRequest(id=mine.id), L.Application, token=fire_tok)
        self.assertEqual(got.id, mine.id)
        with self.assertRaises(grpc.RpcError) as cm:
            call_unary(self.channel, "/inspect.v1.Licensing/GetApplication",
                       L.GetApplicationRequest(id=other.id), L.Application, token=fire_tok)
        self.assertEqual(cm.exception.code(), SC.PERMISSION_DENIED)
        self.assertIn(other.id, cm.exception.details())

    def test_inspector_moves_department(self):
        cur = self.rpc("GetInspector", D.GetInspectorRequest(id="market-001"))
        moved = D.Inspector()
        moved.CopyFrom(cur)
        moved.department = "health"
        msg = self.assertStatus(SC.FAILED_PRECONDITION, "UpsertInspector",
                                D.UpsertInspectorRequest(request_id="insp-mv-0", inspector=moved,
                                                         expected_version=cur.version + 5))
        self.assertIn("market-001", msg)
        r = self.rpc("UpsertInspector", D.UpsertInspectorRequest(
            request_id="insp-mv-1", inspector=moved, expected_version=cur.version))
        self.assertEqual(r.inspector.version, cur.version + 1)

        def ids(dept):
            return [i for p in self.walk_inspectors(3, department=dept) for i in p]
        self.assertNotIn("market-001", ids("market"))
        self.assertIn("market-001", ids("health"))
        self.assertEqual(ids("health"), sorted(ids("health")))

    def test_seed_load_again_changes_nothing(self):
        before = self.snapshot()
        argv = [INSPECTCTL, "--json", "seed", "load", SEEDS, "--data-dir",
                self.server.data_dir, "--server", self.server.addr]
        res = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr)
        report = json.loads(res.stdout)
        self.assertTrue(report["ok"])
        self.assertEqual(report["templates"]["already"], 11, "unchanged templates not republished")
        self.assertEqual(report["applications"]["sent"] + report["applications"]["already"], 50)
        after = self.snapshot()
        self.assertEqual(sorted(k for k in before if before[k] != after[k]), [])

    # -- idempotency ----------------------------------------------------------

    def test_same_request_id_returns_first_result(self):
        create = L.UpsertApplicationRequest(request_id="idem-create",
                                            application=new_app("XD-2026-009930"))
        first = self.rpc("UpsertApplication", create)
        self.assertEqual(first.application.version, 1)
        self.assertEqual(first.application.stage, L.STAGE_INTAKE)
        count = len(self.all_apps())
        again = self.rpc("UpsertApplication", create)
        self.assertEqual(again, first)
        self.assertEqual(len(self.all_apps()), count)
        got = self.rpc("GetApplication", L.GetApplicationRequest(id="XD-2026-009930"))
        self.assertEqual(got.version, 1)

        # an update, then the create replayed: the first answer, nothing changed
        upd = L.UpsertApplicationRequest(request_id="idem-update", expected_version=1,
                                         application=new_app("XD-2026-009930",
                                                             applicant_name="新名字餐馆"))
        second = self.rpc("UpsertApplication", upd)
        self.assertEqual(second.application.version, 2)
        self.assertEqual(self.rpc("UpsertApplication", create), first)
        self.assertEqual(self.rpc("UpsertApplication", upd), second)
        got = self.rpc("GetApplication", L.GetApplicationRequest(id="XD-2026-009930"))
        self.assertEqual(got.version, 2)
        self.assertEqual(got.applicant_name, "新名字餐馆")

        # SetStage replayed moves once
        mv = L.SetStageRequest(request_id="idem-stage", id="XD-2026-009930",
                               stage=L.STAGE_REVIEW)
        m1 = self.rpc("SetStage", mv)
        self.assertEqual((m1.application.stage, m1.application.version), (L.STAGE_REVIEW, 3))
        self.assertEqual(self.rpc("SetStage", mv), m1)
        got = self.rpc("GetApplication", L.GetApplicationRequest(id="XD-2026-009930"))
        self.assertEqual((got.stage, got.version), (L.STAGE_REVIEW, 3))

    def test_same_request_id_different_request_already_exists(self):
        req = D.UpsertDepartmentRequest(request_id="idem-dept", department=D.Department(
            code="zz-lab", name="检测中心", kind=D.DEPARTMENT_KIND_INDUSTRY))
        first = self.rpc("UpsertDepartment", req)
        self.assertEqual(first.department.version, 1)
        self.assertEqual(self.rpc("UpsertDepartment", req), first)
        other = D.UpsertDepartmentRequest(request_id="idem-dept", department=D.Department(
            code="zz-lab", name="检测中心（改）", kind=D.DEPARTMENT_KIND_INDUSTRY))
        msg = self.assertStatus(SC.ALREADY_EXISTS, "UpsertDepartment", other)
        self.assertIn("idem-dept", msg)
        depts = {d.code: d for d in self.rpc("ListDepartments",
                                             D.ListDepartmentsRequest()).departments}
        self.assertEqual((depts["zz-lab"].name, depts["zz-lab"].version), ("检测中心", 1))
        # a new request_id replaces it
        other.request_id = "idem-dept-2"
        self.assertEqual(self.rpc("UpsertDepartment", other).department.version, 2)

    # -- templates --------------------------------------------------------------

    def template(self, tid, name, n_items, version=0, dept="health"):
        return D.Template(id=tid, department=dept, name=name, version=version,
                          items=seed_template("health-clinic").items[:n_items])

    def test_template_versions(self):
        t1 = self.rpc("PublishTemplate", D.PublishTemplateRequest(
            request_id="tpl-1", template=self.template("zz-t", "第一版", 1, version=1)))
        self.assertEqual(t1.template.version, 1)
        t2 = self.rpc("PublishTemplate", D.PublishTemplateRequest(
            request_id="tpl-2", template=self.template("zz-t", "第二版", 2)))
        self.assertEqual(t2.template.version, 2, "version 0 gets the next version")
        # a replay of a version-0 publish is the first answer, not version 3
        self.assertEqual(self.rpc("PublishTemplate", D.PublishTemplateRequest(
            request_id="tpl-2", template=self.template("zz-t", "第二版", 2))), t2)
        # a template whose id extends this one does not disturb "latest"
        self.rpc("PublishTemplate", D.PublishTemplateRequest(
            request_id="tpl-x", template=self.template("zz-t-b", "别的", 1, version=7)))
        t3 = self.rpc("PublishTemplate", D.PublishTemplateRequest(
            request_id="tpl-3", template=self.template("zz-t", "第三版", 3)))
        self.assertEqual(t3.template.version, 3)

        latest = self.rpc("GetTemplate", D.GetTemplateRequest(id="zz-t"), role="inspector")
        self.assertEqual(latest, t3.template)
        for want in (t1, t2, t3):
            got = self.rpc("GetTemplate", D.GetTemplateRequest(
                id="zz-t", version=want.template.version), role="inspector")
            self.assertEqual(got, want.template)
            self.assertEqual(len(got.items), got.version)
        self.assertEqual(self.rpc("GetTemplate", D.GetTemplateRequest(id="zz-t-b")).version, 7)
        msg = self.assertStatus(SC.NOT_FOUND, "GetTemplate",
                                D.GetTemplateRequest(id="zz-t", version=9))
        self.assertIn("zz-t", msg)
        self.assertIn("9", msg)
        msg = self.assertStatus(SC.NOT_FOUND, "GetTemplate", D.GetTemplateRequest(id="zz-none"))
        self.assertIn("zz-none", msg)
        # an old version cannot be republished
        msg = self.assertStatus(SC.ALREADY_EXISTS, "PublishTemplate", D.PublishTemplateRequest(
            request_id="tpl-old", template=self.template("zz-t", "改第二版", 1, version=2)))
        self.assertIn("zz-t", msg)
        self.assertEqual(self.rpc("GetTemplate", D.GetTemplateRequest(id="zz-t", version=2)),
                         t2.template)

    # -- calendar -----------------------------------------------------------------

    def test_calendar_round_trip(self):
        cal = D.Calendar(year=2031, days=[
            D.CalendarDay(date="2031-01-01", kind=D.DAY_KIND_HOLIDAY, name="元旦"),
            D.CalendarDay(date="2031-01-26", kind=D.DAY_KIND_MAKEUP_WORKDAY, name="春节调休上班"),
            D.CalendarDay(date="2031-01-23", kind=D.DAY_KIND_HOLIDAY, name="春节"),
        ])
        self.assertEqual(self.rpc("GetCalendar", D.GetCalendarRequest(year=2031)),
                         D.Calendar(year=2031))
        put = self.rpc("PutCalendar", D.PutCalendarRequest(request_id="cal-1", calendar=cal))
        self.assertEqual(put.calendar, cal)
        self.assertEqual(self.rpc("GetCalendar", D.GetCalendarRequest(year=2031),
                                  role="inspector"), cal)
        # PutCalendar replaces the whole year
        smaller = D.Calendar(year=2031, days=[cal.days[1]])
        self.rpc("PutCalendar", D.PutCalendarRequest(request_id="cal-2", calendar=smaller))
        self.assertEqual(self.rpc("GetCalendar", D.GetCalendarRequest(year=2031)), smaller)
        # other years untouched
        self.assertEqual(self.rpc("GetCalendar", D.GetCalendarRequest(year=2026)), SEED_CALENDAR)

    # -- the indexes follow an application ---------------------------------------

    def test_update_moves_application_between_filters(self):
        app = new_app("XD-2026-009940")
        self.rpc("UpsertApplication", L.UpsertApplicationRequest(request_id="mv-1",
                                                                 application=app))
        old_town, new_town = app.town, "马家镇"
        self.assertNotEqual(old_town, new_town)
        moved = new_app("XD-2026-009940", town=new_town, service_item="publication-retail")
        del moved.declared_facts[:]
        moved.declared_facts.add(key="floor_area_m2").value.CopyFrom(
            L.FactValue(number=60, unit="m2"))
        r = self.rpc("UpsertApplication", L.UpsertApplicationRequest(
            request_id="mv-2", expected_version=1, application=moved))
        self.assertEqual(r.application.version, 2)

        def ids(**f):
            pages, _ = self.walk_apps(500, **f)
            return {a.id for p in pages for a in p}
        self.assertNotIn("XD-2026-009940", ids(town=old_town))
        self.assertIn("XD-2026-009940", ids(town=new_town))
        self.assertNotIn("XD-2026-009940", ids(service_item="food-business"))
        self.assertIn("XD-2026-009940", ids(service_item="publication-retail"))
        self.rpc("SetStage", L.SetStageRequest(request_id="mv-3", id="XD-2026-009940",
                                               stage=L.STAGE_REVIEW, expected_version=2))
        self.assertNotIn("XD-2026-009940", ids(stage=L.STAGE_INTAKE))
        self.assertIn("XD-2026-009940", ids(stage=L.STAGE_REVIEW, town=new_town))

    def test_record_fixed_once_inspection_began(self):
        aid = first_app(L.STAGE_INSPECTION)
        cur = self.rpc("GetApplication", L.GetApplicationRequest(id=aid))
        upd = L.Application()
        upd.CopyFrom(cur)
        upd.applicant_name = "改名"
        msg = self.assertStatus(SC.FAILED_PRECONDITION, "UpsertApplication",
                                L.UpsertApplicationRequest(request_id="fixed-1",
                                                           expected_version=cur.version,
                                                           application=upd))
        self.assertIn(aid, msg)
        self.assertEqual(self.rpc("GetApplication", L.GetApplicationRequest(id=aid)), cur)


if __name__ == "__main__":
    unittest.main(verbosity=2)
