#!/usr/bin/python3
"""Writes the seed corpora of tests/fuzz/corpus/ (run once; the output is
committed). Needs a main build's Python message classes:

    PYTHONPATH=build/py /usr/bin/python3 tests/fuzz/mkcorpus.py build/fuzz/tests/fuzz/fuzz_rpc

fuzz_rpc: real requests of the demo district (seeds/), each prefixed with its
method's index (taken from `FUZZ_RPC_LIST=1 fuzz_rpc -runs=0`) and a caller
byte; fuzz_records: the same messages as stored records (wire bytes plus the
format field 100 = 1), one per entity kind; fuzz_json: seed files and request
JSON with their selector bytes. fuzz_dossier's seed is a real dossier made by
the suite's own ExportDossier (see tests/fuzz/README.md).
"""
import hashlib
import json
import os
import subprocess
import sys

from google.protobuf import json_format
from inspect_pb.v1 import (audit_pb2, departments_pb2, directory_pb2, dispatch_pb2, field_pb2,
                           licensing_pb2, session_pb2)

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "..", "..", "seeds")
CORPUS = os.path.join(HERE, "corpus")
ADMIN, DISPATCHER, INSPECTOR, DEPARTMENT, AUDITOR = range(5)


def write(target, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def seeds(name):
    with open(os.path.join(SEEDS, name)) as f:
        return json.load(f)


def main():
    out = subprocess.run([sys.argv[1], "-runs=0"], env=dict(os.environ, FUZZ_RPC_LIST="1"),
                         capture_output=True, text=True, check=True).stdout
    index = {line.split()[1].rsplit("/", 1)[1]: int(line.split()[0])
             for line in out.splitlines() if line[:1].isdigit()}

    def rpc(method, caller, msg):
        write("fuzz_rpc", bytes([index[method], caller]) + msg.SerializeToString())

    # The callers of fuzz_rpc: a department FZ and its inspector I-FZ-1.
    rpc("UpsertDepartment", ADMIN, directory_pb2.UpsertDepartmentRequest(
        request_id="fz-1", department=json_format.ParseDict(
            {"code": "FZ", "name": "Fuzz department"}, directory_pb2.Department(),
            ignore_unknown_fields=True)))
    kinds = [("departments.json", "UpsertDepartment", directory_pb2.UpsertDepartmentRequest,
              "department", directory_pb2.Department, ADMIN),
             ("templates.json", "PublishTemplate", directory_pb2.PublishTemplateRequest,
              "template", directory_pb2.Template, ADMIN),
             ("service_items.json", "UpsertServiceItem", directory_pb2.UpsertServiceItemRequest,
              "item", directory_pb2.ServiceItem, ADMIN),
             ("calendar-2026.json", "PutCalendar", directory_pb2.PutCalendarRequest, "calendar",
              directory_pb2.Calendar, ADMIN),
             ("inspectors.json", "UpsertInspector", directory_pb2.UpsertInspectorRequest,
              "inspector", directory_pb2.Inspector, ADMIN),
             ("applications.json", "UpsertApplication", licensing_pb2.UpsertApplicationRequest,
              "application", licensing_pb2.Application, DISPATCHER)]
    entities = []
    for fname, method, req_cls, field, ent_cls, caller in kinds:
        data = seeds(fname)
        items = data if isinstance(data, list) else [data]
        for i, item in enumerate(items[:3]):
            ent = json_format.ParseDict(item, ent_cls(), ignore_unknown_fields=True)
            entities.append(ent)
            req = req_cls(request_id="fz-%s-%d" % (field, i))
            getattr(req, field).CopyFrom(ent)
            rpc(method, caller, req)
        # JSON inputs: the seed file alone (0x01 kind) and within the district (0x81 kind).
        k = [x[0] for x in kinds].index(fname)
        small = json.dumps(items[:2] if isinstance(data, list) else data).encode()
        write("fuzz_json", bytes([1, k]) + small)
        write("fuzz_json", bytes([1, 0x80 | k]) + small)
    # Reads and streams, each from the role that may call it.
    for method, caller, msg in [
            ("WhoAmI", INSPECTOR, session_pb2.WhoAmIRequest()),
            ("ListDepartments", ADMIN, directory_pb2.ListDepartmentsRequest()),
            ("ListApplications", DISPATCHER, licensing_pb2.ListApplicationsRequest(page_size=5)),
            ("ListTasks", DISPATCHER, dispatch_pb2.ListTasksRequest()),
            ("SyncTasks", INSPECTOR, field_pb2.SyncTasksRequest()),
            ("PullChanges", DEPARTMENT, departments_pb2.PullChangesRequest()),
            ("ListEvents", AUDITOR, audit_pb2.ListEventsRequest()),
            ("VerifyChain", AUDITOR, audit_pb2.VerifyChainRequest())]:
        rpc(method, caller, msg)
    # Stored records: one per entity kind (field 100 = format 1 appended).
    rec_kinds = ["Department", "Inspector", "ServiceItem", "Template", "Calendar", "Application"]
    for ent in entities:
        k = rec_kinds.index(type(ent).__name__)
        write("fuzz_records", bytes([k]) + ent.SerializeToString() + b"\xa0\x06\x01")
    # Request JSON for pbjson (even selector), by request-message index.
    write("fuzz_json", bytes([0, index["UpsertDepartment"] - 3]) + b'{"requestId":"x","department":{"code":"FZ"}}')
    write("fuzz_json", bytes([0, index["UpsertApplication"] - 3]) + json.dumps(
        {"requestId": "a", "application": seeds("applications.json")[0]}).encode())


if __name__ == "__main__":
    main()
