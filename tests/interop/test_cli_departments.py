"""Interop: the inspect.v1.Departments commands of inspectctl against a real
inspectd - `changes` (with and without --follow), `report`, `opinion` and
`photo` - as an industry department's desk (role department) would use them.

Set-up (the PASS case of test_e2e.py, whose flow helpers are reused): the
demo district is seeded, XD-2026-001226 (bureau + police + fire) gets a
task, a team, photos and findings, and is reconciled as PASS. Then:

  - `report` by id and by --task, text and --json; a department not on the
    task is refused (PERMISSION_DENIED, exit 1); bad usage exits 2;
  - `changes` lists the report's `reconciled` change, --kind filters,
    --cursor resumes, --json gives {"changes", "cursor"};
  - `changes --follow` prints the existing changes, then the opinion given
    while it runs, and on SIGINT exits 0 with the cursor to resume from on
    stderr;
  - `opinion`: fire approves while following, a second opinion is refused
    (FAILED_PRECONDITION), the same --request-id replays; police and bureau
    approve and the application reaches the decision stage;
  - `photo` writes the bytes of a photo of the task; a department not on
    the task is refused; a server sending bytes that do not hash to the id
    (a stand-in GetPhoto in Python) gives exit 1 and no file.

Run by CTest (tests/interop/CMakeLists.txt: interop_cli_departments, labels
interop;departments).
"""

import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
from concurrent import futures

import grpc

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_e2e as e2e  # noqa: E402
from inspectd_harness import INSPECTCTL, Server  # noqa: E402
from inspect_pb.v1 import departments_pb2 as DP, dispatch_pb2 as D  # noqa: E402
from inspect_pb.v1 import licensing_pb2 as L  # noqa: E402

APP = e2e.APP_PASS
DEPTS = ["bureau", "police", "fire"]


def rid():
    return uuid.uuid4().hex


class CliDepartments(unittest.TestCase):
    """One seeded inspectd with one reconciled PASS report; the tests run in
    name order (test_4 gives fire's opinion, test_5 the others')."""

    server = None

    # the flow helpers of test_e2e.EndToEnd
    desk = e2e.EndToEnd.desk
    tablet = e2e.EndToEnd.tablet
    unary = e2e.EndToEnd.unary
    app = e2e.EndToEnd.app
    task = e2e.EndToEnd.task
    open_task = e2e.EndToEnd.open_task
    assign = e2e.EndToEnd.assign
    answers = staticmethod(e2e.EndToEnd.answers)
    upload = e2e.EndToEnd.upload
    work = e2e.EndToEnd.work

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        res = subprocess.run([INSPECTCTL, "seed", "load", e2e.SEEDS, "--data-dir",
                              cls.server.data_dir, "--server", cls.server.addr],
                             capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            cls.tearDownClass()
            raise AssertionError(f"seed load failed: {res.stdout}\n{res.stderr}")
        cls.channel = cls.server.channel()
        cls.bureau = cls.server.token("dispatcher", "bureau-desk")
        cls.auditor = cls.server.token("auditor", "audit-li")
        cls._inspectors = {}
        # the department tokens the way a department's system gets one
        cls._desks = {d: cls.server.token("department", f"sys-{d}", department=d)
                      for d in DEPTS + ["culture"]}
        flow = cls("test_1_help_and_usage")
        task = flow.open_task(APP, DEPTS)
        task, cls.photos = flow.work(task)
        if task.state != D.TASK_STATE_RECONCILED:
            cls.tearDownClass()
            raise AssertionError(f"task {task.id} not reconciled: {task.state}")
        cls.task_id = task.id
        cls.report_id = "R-" + task.id

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "channel", None) is not None:
            cls.channel.close()
            cls.channel = None
        if cls.server is not None:
            code = cls.server.stop()
            cls.server = None
            if code != 0:
                raise AssertionError(f"inspectd exited {code} (sanitizer report above?)")

    # -- running inspectctl ------------------------------------------------------

    def ctl(self, *args, dept="fire", token=None, server=None, timeout=60):
        tok = token if token is not None else self._desks[dept]
        argv = [INSPECTCTL, *args, "--server", server or self.server.addr, "--token", tok]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)

    def ok(self, *args, **kw):
        res = self.ctl(*args, **kw)
        self.assertEqual(res.returncode, 0, f"{args}: {res.stderr}")
        return res.stdout

    def fails(self, code_name, *args, **kw):
        res = self.ctl(*args, **kw)
        self.assertEqual(res.returncode, 1, f"{args}: {res.stdout}{res.stderr}")
        self.assertIn(code_name, res.stderr)
        return res.stderr

    def usage(self, *args):
        res = self.ctl(*args)
        self.assertEqual(res.returncode, 2, f"{args}: {res.stdout}{res.stderr}")
        self.assertTrue(res.stderr.startswith("inspectctl: "), res.stderr)

    @staticmethod
    def change_lines(text):
        """(seq, time, kind, id, change) of each change line of `changes`;
        the time is "YYYY-MM-DD HH:MM:SS +ZZZZ", inspectctl's one format."""
        out = []
        for line in text.splitlines():
            f = line.split()
            if len(f) == 7 and f[0].isdigit():
                out.append((int(f[0]), " ".join(f[1:4]), f[4], f[5], f[6]))
        return out

    # -- tests -----------------------------------------------------------------

    def test_1_help_and_usage(self):
        top = subprocess.run([INSPECTCTL, "--help"], capture_output=True, text=True, timeout=30)
        for cmd in ("changes", "report", "opinion", "photo"):
            self.assertRegex(top.stdout, rf"\n  {cmd} ")
            res = subprocess.run([INSPECTCTL, cmd, "--help"], capture_output=True, text=True,
                                 timeout=30)
            self.assertEqual(res.returncode, 0, cmd)
            self.assertTrue(res.stdout.startswith(f"usage: inspectctl {cmd}"), res.stdout)
        self.usage("report")
        self.usage("report", self.report_id, "--task", self.task_id)
        self.usage("changes", "--cursor", "x")
        self.usage("changes", "--kind")
        self.usage("changes", "extra")
        self.usage("opinion", self.report_id, "--reasons", "r")
        self.usage("opinion", self.report_id, "--approve", "--reject", "--reasons", "r")
        self.usage("opinion", self.report_id, "--approve")
        self.usage("photo", "0" * 64)
        self.usage("photo", "not-a-photo-id", "-o", "/tmp/x")

    def test_2_report(self):
        text = self.ok("report", self.report_id)
        self.assertIn(f"report:       {self.report_id}\n", text)
        self.assertIn(f"task:         {self.task_id}\n", text)
        self.assertIn(f"application:  {APP}\n", text)
        self.assertIn("outcome:      pass\n", text)
        self.assertIn("reason:       ", text)
        self.assertIn("facts (5):", text)
        for fact in ("beds", "fire_exits", "floor_area_m2", "has_sprinkler", "rooms"):
            self.assertRegex(text, rf"\n{fact} .* match ")
        self.assertIn("failures (0):", text)
        self.assertIn("shared items (", text)
        self.assertIn("opinions (0):", text)
        self.assertIn("joint decision: -", text)
        self.assertRegex(text, r"floor_area_m2 .*bureau=[0-9.]+ \(match\), fire=[0-9.]+ \(match\)")

        js = json.loads(self.ok("report", "--task", self.task_id, "--json", dept="police"))
        self.assertEqual((js["id"], js["task_id"], js["application_id"]),
                         (self.report_id, self.task_id, APP))
        self.assertEqual(js["outcome"], "OUTCOME_PASS")
        self.assertEqual([f["fact"] for f in js["facts"]],
                         ["beds", "fire_exits", "floor_area_m2", "has_sprinkler", "rooms"])
        self.assertNotIn("opinions", js)
        # the auditor may read it too; culture is not on the task
        self.ok("report", self.report_id, token=self.auditor)
        self.fails("PERMISSION_DENIED", "report", self.report_id, dept="culture")
        self.fails("NOT_FOUND", "report", "R-T-999999", token=self.auditor)
        self.fails("UNAUTHENTICATED", "report", self.report_id, token="not-a-token")

    def test_3_changes(self):
        text = self.ok("changes")
        lines = self.change_lines(text)
        self.assertTrue(lines, text)
        seqs = [c[0] for c in lines]
        self.assertEqual(seqs, sorted(set(seqs)))
        self.assertIn(("report", self.report_id, "reconciled"),
                      [(c[2], c[3], c[4]) for c in lines])
        self.assertTrue(all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}", c[1])
                            for c in lines), lines)
        self.assertIn(f"({len(lines)} changes; cursor {seqs[-1]})", text)

        only = self.change_lines(self.ok("changes", "--kind", "report"))
        self.assertEqual({c[2] for c in only}, {"report"})
        self.assertIn(self.report_id, [c[3] for c in only])
        two = self.change_lines(self.ok("changes", "--kind", "report", "--kind", "task"))
        self.assertEqual({c[2] for c in two}, {"report", "task"})

        js = json.loads(self.ok("changes", "--json"))
        self.assertEqual([int(c["seq"]) for c in js["changes"]], seqs)
        self.assertEqual(int(js["cursor"]), seqs[-1])
        mid = seqs[len(seqs) // 2]
        after = self.change_lines(self.ok("changes", "--cursor", str(mid)))
        self.assertEqual([c[0] for c in after], [s for s in seqs if s > mid])
        self.assertIn("(0 changes; cursor", self.ok("changes", "--cursor", str(seqs[-1])))
        # culture takes no part: it does not see this report
        self.assertNotIn(self.report_id, self.ok("changes", dept="culture"))

    def test_4_follow_and_opinion(self):
        before = self.change_lines(self.ok("changes"))
        proc = subprocess.Popen([INSPECTCTL, "changes", "--follow", "--server",
                                 self.server.addr, "--token", self._desks["fire"]],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = queue.Queue()

        def read():
            for line in proc.stdout:
                lines.put(line)

        th = threading.Thread(target=read, daemon=True)
        th.start()
        seen = []

        def wait_for(pred, what, timeout=30):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    seen.extend(self.change_lines(lines.get(timeout=0.5)))
                except queue.Empty:
                    continue
                if pred():
                    return
            proc.kill()
            self.fail(f"changes --follow: {what} did not arrive; got {seen}")

        try:
            wait_for(lambda: len(seen) >= len(before), "the existing changes")
            self.assertEqual(seen, before)
            out = self.ok("opinion", self.report_id, "--approve", "--reasons", "消防: 符合要求",
                          "--request-id", "fire-opinion-1")
            self.assertIn(f"report {self.report_id}: 1 opinion (1 approve, 0 reject)", out)
            self.assertRegex(out, r"\n  fire +approve +by sys-fire at .*: 消防: 符合要求\n")
            self.assertIn(f"application {APP}: stage inspection", out)
            wait_for(lambda: (self.report_id, "opinion") in
                     [(c[3], c[4]) for c in seen[len(before):]], "the opinion's change")
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            th.join(10)
            err = proc.stderr.read()
            proc.stderr.close()
            proc.stdout.close()
        while not lines.empty():
            seen.extend(self.change_lines(lines.get()))
        self.assertEqual(proc.returncode, 0, err)
        m = re.search(r"resume with --cursor (\d+)", err)
        self.assertIsNotNone(m, err)
        self.assertEqual(int(m.group(1)), seen[-1][0])
        # resuming from there gives nothing new; from before the opinion, it
        self.assertEqual(self.change_lines(self.ok("changes", "--cursor", m.group(1))), [])
        resumed = self.change_lines(self.ok("changes", "--cursor", str(before[-1][0])))
        self.assertEqual(resumed, seen[len(before):])

    def test_5_opinions(self):
        # the same request id replays fire's opinion; a new one is refused
        again = self.ok("opinion", self.report_id, "--approve", "--reasons", "消防: 符合要求",
                        "--request-id", "fire-opinion-1")
        self.assertIn("1 opinion (1 approve, 0 reject)", again)
        self.fails("FAILED_PRECONDITION", "opinion", self.report_id, "--reject", "--reasons",
                   "changed my mind")
        self.fails("PERMISSION_DENIED", "opinion", self.report_id, "--approve", "--reasons",
                   "x", dept="culture")
        self.ok("opinion", self.report_id, "--approve", "--reasons", "公安: 同意", dept="police")
        js = json.loads(self.ok("opinion", self.report_id, "--approve", "--reasons", "局: 同意",
                                "--json", dept="bureau"))
        self.assertEqual([o["department"] for o in js["report"]["opinions"]], sorted(DEPTS))
        self.assertEqual(js["application"]["stage"], "STAGE_DECISION")
        self.assertEqual(self.app(APP).stage, L.STAGE_DECISION)
        text = self.ok("report", self.report_id)
        self.assertIn("opinions (3):", text)
        self.assertRegex(text, r"\nfire +approve +sys-fire +\S+ \S+ [+-]\d{4} +消防: 符合要求\n")

    def test_6_photo(self):
        pid = sorted(self.photos)[0]
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "p.jpg")
            text = self.ok("photo", pid, "-o", out)
            self.assertIn(f"photo {pid}: {len(self.photos[pid])} bytes (image/jpeg) -> {out}",
                          text)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), self.photos[pid])
            out2 = os.path.join(d, "p2.jpg")
            js = json.loads(self.ok("photo", pid, "-o", out2, "--json", token=self.auditor))
            self.assertEqual((js["photo_id"], js["size"], js["file"]),
                             (pid, str(len(self.photos[pid])), out2))
            denied = os.path.join(d, "denied.jpg")
            self.fails("PERMISSION_DENIED", "photo", pid, "-o", denied, dept="culture")
            self.fails("NOT_FOUND", "photo", "ab" * 32, "-o", denied)
            self.assertEqual(sorted(os.listdir(d)), ["p.jpg", "p2.jpg"])

    def test_7_photo_hash_mismatch(self):
        """A server whose bytes do not hash to the photo id: exit 1, no file."""
        good = b"the real photo"
        pid = __import__("hashlib").sha256(good).hexdigest()

        def get_photo(req, ctx):
            data = b"not the photo at all"
            yield DP.PhotoChunk(offset=0, data=data[:8], total_size=len(data),
                                media_type="image/jpeg")
            yield DP.PhotoChunk(offset=8, data=data[8:])

        fake = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        fake.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
            "inspect.v1.Departments", {"GetPhoto": grpc.unary_stream_rpc_method_handler(
                get_photo, request_deserializer=DP.GetPhotoRequest.FromString,
                response_serializer=lambda m: m.SerializeToString())})])
        port = fake.add_insecure_port("127.0.0.1:0")
        fake.start()
        try:
            with tempfile.TemporaryDirectory() as d:
                out = os.path.join(d, "p.jpg")
                res = self.ctl("photo", pid, "-o", out, server=f"127.0.0.1:{port}")
                self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
                self.assertIn(f"inspectctl: photo {pid}: SHA-256 of the 20 bytes received is",
                              res.stderr)
                self.assertIn("not the photo id", res.stderr)
                self.assertEqual(res.stdout, "")
                self.assertEqual(os.listdir(d), [])
        finally:
            fake.stop(None)


if __name__ == "__main__":
    unittest.main(verbosity=2)
