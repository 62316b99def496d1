"""Interop: the wire boundary refuses a request with invalid UTF-8 in any
string field, at any depth, or with a field over its length or count limit
(common/ins_limits.h), before a handler runs; it names the field by its path
(and the limit) and stores nothing.

Python's protobuf cannot build such a message, so each test serializes a
valid one with a placeholder and swaps in the bad bytes (same length), the
way a broken or hostile client would send them.
"""

import os
import sys
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inspectd_harness import Server, call_client_stream, call_unary  # noqa: E402
from inspect_pb.v1 import directory_pb2 as D  # noqa: E402
from inspect_pb.v1 import field_pb2 as F  # noqa: E402
from inspect_pb.v1 import licensing_pb2 as L  # noqa: E402

UPSERT_DEPT = "/inspect.v1.Directory/UpsertDepartment"
LIST_DEPTS = "/inspect.v1.Directory/ListDepartments"
SUBMIT = "/inspect.v1.Field/SubmitFindings"
UPLOAD = "/inspect.v1.Field/UploadPhoto"
UPSERT_INSP = "/inspect.v1.Directory/UpsertInspector"
GET_INSP = "/inspect.v1.Directory/GetInspector"
UPSERT_APP = "/inspect.v1.Licensing/UpsertApplication"
GET_APP = "/inspect.v1.Licensing/GetApplication"

MARK = "@@@@"  # placeholder: four bytes, replaced by as many bad ones
BAD = {
    "lone continuation byte": b"ab\x80c",
    "0xff": b"a\xffbc",
    "overlong slash": b"a\xc0\xafb",
    "surrogate": b"\xed\xa0\x80a",
}


def corrupt(msg, bad):
    raw = msg.SerializeToString()
    assert raw.count(MARK.encode()) == 1, "placeholder must appear once"
    assert len(bad) == len(MARK)
    return raw.replace(MARK.encode(), bad)


class WireBoundaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.channel = cls.server.channel()
        cls.admin = cls.server.token("admin", "wire-admin")
        cls.inspector = cls.server.token("inspector", "wire-insp", department="fire")
        cls.dispatcher = cls.server.token("dispatcher", "wire-disp")
        # The server checks an inspector token against the directory: he
        # must exist and be active.
        call_unary(cls.channel, UPSERT_DEPT,
                   D.UpsertDepartmentRequest(request_id="wire-fire", department=D.Department(
                       code="fire", name="fire", kind=D.DEPARTMENT_KIND_INDUSTRY)),
                   D.UpsertDepartmentResponse, token=cls.admin)
        call_unary(cls.channel, "/inspect.v1.Directory/UpsertInspector",
                   D.UpsertInspectorRequest(request_id="wire-insp", inspector=D.Inspector(
                       id="wire-insp", name="wire-insp", department="fire", max_open_tasks=1,
                       active=True, base_latitude=30.82, base_longitude=104.16)),
                   D.UpsertInspectorResponse, token=cls.admin)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"inspectd exited with {code}")

    def refused(self, fn, *args, **kw):
        with self.assertRaises(grpc.RpcError) as cm:
            fn(*args, **kw)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.INVALID_ARGUMENT,
                         cm.exception.details())
        return cm.exception.details()

    def test_wire_nested_three_deep_named_by_path(self):
        body = F.FindingsBody(task_id="T-1", department="fire", inspector_id="wire-insp")
        body.answers.add(item_code="a1", text="fine")
        body.answers.add(item_code="a2", text=MARK)
        req = F.SubmitFindingsRequest(request_id="r-nested", findings=body)
        for name, bad in BAD.items():
            with self.subTest(bad=name):
                why = self.refused(call_unary, self.channel, SUBMIT, corrupt(req, bad),
                                   F.SubmitFindingsResponse, token=self.inspector)
                self.assertIn("findings.answers[1].text", why)
                self.assertIn("not valid UTF-8", why)

    def test_wire_nul_in_a_string_refused_not_cut(self):
        # U+0000 is valid UTF-8, but the stored record would end the text
        # there: refused, naming the field, nothing stored
        dept = D.Department(code="wire-nul", name=MARK, kind=D.DEPARTMENT_KIND_INDUSTRY)
        req = D.UpsertDepartmentRequest(request_id="r-nul", department=dept)
        why = self.refused(call_unary, self.channel, UPSERT_DEPT, corrupt(req, b"ab\x00c"),
                           D.UpsertDepartmentResponse, token=self.admin)
        self.assertIn("department.name holds a NUL byte", why)
        listed = call_unary(self.channel, LIST_DEPTS, D.ListDepartmentsRequest(),
                            D.ListDepartmentsResponse, token=self.admin)
        self.assertNotIn("wire-nul", [d.code for d in listed.departments])
        body = F.FindingsBody(task_id="T-1", department="fire", inspector_id="wire-insp",
                              notes=MARK)
        why = self.refused(call_unary, self.channel, SUBMIT,
                           corrupt(F.SubmitFindingsRequest(request_id="r-nul2", findings=body),
                                   b"\x00abc"),
                           F.SubmitFindingsResponse, token=self.inspector)
        self.assertIn("findings.notes holds a NUL byte", why)

    def test_wire_repeated_string_named_by_index(self):
        body = F.FindingsBody(task_id="T-1", department="fire", inspector_id="wire-insp")
        a = body.answers.add(item_code="a1", text="ok")
        a.photo_ids.extend(["p0", "p1", MARK])
        req = F.SubmitFindingsRequest(request_id="r-rep", findings=body)
        why = self.refused(call_unary, self.channel, SUBMIT, corrupt(req, BAD["0xff"]),
                           F.SubmitFindingsResponse, token=self.inspector)
        self.assertIn("findings.answers[0].photo_ids[2]", why)

    def test_wire_invalid_name_stores_nothing(self):
        dept = D.Department(code="wire-bad", name=MARK, kind=D.DEPARTMENT_KIND_INDUSTRY)
        req = D.UpsertDepartmentRequest(request_id="r-dept", department=dept)
        why = self.refused(call_unary, self.channel, UPSERT_DEPT, corrupt(req, BAD["surrogate"]),
                           D.UpsertDepartmentResponse, token=self.admin)
        self.assertIn("department.name", why)
        listed = call_unary(self.channel, LIST_DEPTS, D.ListDepartmentsRequest(),
                            D.ListDepartmentsResponse, token=self.admin)
        self.assertNotIn("wire-bad", [d.code for d in listed.departments])
        # the same department in valid UTF-8 (Chinese) is stored
        ok = D.UpsertDepartmentRequest(request_id="r-dept-ok", department=D.Department(
            code="wire-ok", name="区消防救援大队", kind=D.DEPARTMENT_KIND_INDUSTRY))
        resp = call_unary(self.channel, UPSERT_DEPT, ok, D.UpsertDepartmentResponse,
                          token=self.admin)
        self.assertEqual(resp.department.name, "区消防救援大队")

    def test_wire_client_stream_message_checked(self):
        hdr = F.UploadPhotoRequest(header=F.UploadHeader(
            upload_id="u-wire", task_id=MARK, item_code="a1", total_size=10,
            sha256=b"\0" * 32, media_type="image/jpeg"))
        why = self.refused(call_client_stream, self.channel, UPLOAD,
                           [corrupt(hdr, BAD["overlong slash"])], F.UploadPhotoResponse,
                           token=self.inspector)
        self.assertIn("header.task_id", why)

    def not_found(self, method, request, response_cls, token):
        with self.assertRaises(grpc.RpcError) as cm:
            call_unary(self.channel, method, request, response_cls, token=token)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND, cm.exception.details())

    def test_wire_long_nested_string_stores_nothing(self):
        # inspector.qualifications[1].code: three levels down, 65 bytes of 64
        insp = D.Inspector(id="wire-long", name="wire-long", department="fire",
                           max_open_tasks=1, active=True, base_latitude=30.82,
                           base_longitude=104.16)
        insp.qualifications.add(code="fire-safety-inspection", expires="2030-12-31")
        insp.qualifications.add(code="q" * 65, expires="2030-12-31")
        req = D.UpsertInspectorRequest(request_id="r-long", inspector=insp)
        why = self.refused(call_unary, self.channel, UPSERT_INSP, req,
                           D.UpsertInspectorResponse, token=self.admin)
        self.assertEqual(why, "inspect.v1.UpsertInspectorRequest request: "
                              "inspector.qualifications[1].code is 65 bytes; at most 64")
        self.not_found(GET_INSP, D.GetInspectorRequest(id="wire-long"), D.Inspector, self.admin)
        # before any handler: a finding's note over its 4,000 bytes for a
        # task that does not exist is refused for its length, not NOT_FOUND
        body = F.FindingsBody(task_id="T-none", department="fire", inspector_id="wire-insp")
        body.answers.add(item_code="a1", note="n" * 4001)
        why = self.refused(call_unary, self.channel, SUBMIT,
                           F.SubmitFindingsRequest(request_id="r-note", findings=body),
                           F.SubmitFindingsResponse, token=self.inspector)
        self.assertIn("findings.answers[0].note is 4,001 bytes; at most 4,000", why)

    def test_wire_long_repeated_field_stores_nothing(self):
        app = L.Application(id="XD-WIRE-000001", service_item="food-business",
                            applicant_name="wire", applicant_credit_code="91510114MA6CGXYZ1K",
                            site_address="wire", town="大丰")
        for i in range(201):
            app.declared_facts.add(key="fact_%d" % i, value=L.FactValue(number=1.0))
        req = L.UpsertApplicationRequest(request_id="r-facts", application=app)
        why = self.refused(call_unary, self.channel, UPSERT_APP, req,
                           L.UpsertApplicationResponse, token=self.dispatcher)
        self.assertEqual(why, "inspect.v1.UpsertApplicationRequest request: "
                              "application.declared_facts has 201 entries; at most 200")
        self.not_found(GET_APP, L.GetApplicationRequest(id="XD-WIRE-000001"), L.Application,
                       self.dispatcher)


if __name__ == "__main__":
    unittest.main(verbosity=2)
