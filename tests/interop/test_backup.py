"""Interop (label ops): complete backups and restore, and the server's
scheduled hot backups, against real inspectd processes.

  - `inspectctl backup` while departments are being written: every write
    acknowledged before the backup began is in it; the backup carries the
    token keys (also after a rotation) and a MANIFEST; `restore` into
    another folder verifies it and the audit chain; a server on the
    restored folder accepts tokens issued before the backup, signed by the
    old and the rotated key;
  - a backup with one flipped byte, or a file missing, is refused by
    `restore` before anything in the target folder changes (exit 1, the
    file named); a restore into a running server's folder is refused;
  - `--backup-dir --backup-every 1s --backup-keep 2`: backups appear, only
    the two newest are kept, each verifies; a backup that cannot be written
    is logged at error and the server keeps serving.

Run by CTest (tests/interop/CMakeLists.txt: interop_backup, labels
interop;ops).
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402

from inspectd_harness import INSPECTCTL, Server, call_unary  # noqa: E402
from inspect_pb.v1 import directory_pb2 as DIR  # noqa: E402
from inspect_pb.v1 import session_pb2 as S  # noqa: E402


def ctl(*args, timeout=60):
    return subprocess.run([INSPECTCTL, *args], capture_output=True, text=True, timeout=timeout)


def tree_hashes(root):
    """{relative path: sha256} of every file under root."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def upsert_dept(ch, token, code):
    req = DIR.UpsertDepartmentRequest(
        request_id=uuid.uuid4().hex,
        department=DIR.Department(code=code, name="部门 " + code,
                                  kind=DIR.DEPARTMENT_KIND_INDUSTRY))
    call_unary(ch, "/inspect.v1.Directory/UpsertDepartment", req,
               DIR.UpsertDepartmentResponse, token=token)


def dept_codes(ch, token):
    resp = call_unary(ch, "/inspect.v1.Directory/ListDepartments", DIR.ListDepartmentsRequest(),
                      DIR.ListDepartmentsResponse, token=token)
    return {d.code for d in resp.departments}


class Backup(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="inspectd-backup-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def make_backup(self, srv, name="b1"):
        to = os.path.join(self.tmp, name)
        res = ctl("backup", "--data-dir", srv.data_dir, "--to", to)
        self.assertEqual(res.returncode, 0, res.stderr)
        return to

    def test_backup_while_writing_restore_elsewhere_keeps_tokens_and_chain(self):
        with Server() as srv:
            old = srv.token("admin", "root")           # signed by key 0
            res = ctl("token", "rotate-key", "--data-dir", srv.data_dir)
            self.assertEqual(res.returncode, 0, res.stderr)
            rotated = srv.token("admin", "root2")      # signed by key 1
            acked, stop = [], threading.Event()

            def writer():
                with srv.channel() as ch:
                    i = 0
                    while not stop.is_set():
                        code = f"w{i}"
                        upsert_dept(ch, old, code)
                        acked.append(code)
                        i += 1

            th = threading.Thread(target=writer)
            th.start()
            while len(acked) < 20:
                time.sleep(0.01)
            before = list(acked)
            to = os.path.join(self.tmp, "hot")
            res = ctl("backup", "--data-dir", srv.data_dir, "--to", to, "--json")
            stop.set()
            th.join()
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertRegex(res.stdout, r'"bytes":"\d+"')  # 64-bit as a string
            self.assertGreater(len(acked), len(before))   # writes went on meanwhile
            with open(os.path.join(to, "MANIFEST")) as f:
                manifest = f.read().splitlines()
            self.assertEqual(manifest[0], "inspectd-backup 1")
            listed = {line.split(" ")[3] for line in manifest if line.startswith("file ")}
            for f in ("meta/data.mdb", "blobs/data.mdb", "token-keys/0.key",
                      "token-keys/1.key"):
                self.assertIn(f, listed)
            self.assertEqual(os.stat(to).st_mode & 0o777, 0o700)

            # a restore into a running server's folder is refused
            res = ctl("restore", "--from", to, "--data-dir", srv.data_dir)
            self.assertEqual(res.returncode, 1)
            self.assertIn("in use by a running inspectd; stop it first", res.stderr)

        target = os.path.join(self.tmp, "restored")
        res = ctl("restore", "--from", to, "--data-dir", target)
        self.assertEqual(res.returncode, 0, res.stderr)
        m = re.search(r"audit chain intact \((\d+) entries\)", res.stdout)
        self.assertIsNotNone(m, res.stdout)
        self.assertGreaterEqual(int(m.group(1)), len(before))
        with Server("--data-dir", target) as again:
            with again.channel() as ch:
                for tok, who in ((old, "root"), (rotated, "root2")):
                    me = call_unary(ch, "/inspect.v1.Session/WhoAmI", S.WhoAmIRequest(),
                                    S.WhoAmIResponse, token=tok)
                    self.assertEqual(me.principal, who)
                codes = dept_codes(ch, old)
            for code in before:
                self.assertIn(code, codes)
            res = ctl("audit", "verify", "--server", again.addr, "--token",
                      again.token("auditor", "aud", data_dir=target))
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertTrue(res.stdout.startswith("intact"), res.stdout)

    def test_restore_refuses_a_damaged_backup_before_replacing_anything(self):
        with Server() as srv:
            tok = srv.token("admin", "root")
            with srv.channel() as ch:
                upsert_dept(ch, tok, "good")
            good = self.make_backup(srv, "good")
            with srv.channel() as ch:
                upsert_dept(ch, tok, "later")
            bad = self.make_backup(srv, "bad")
        target = os.path.join(self.tmp, "target")
        self.assertEqual(ctl("restore", "--from", good, "--data-dir", target).returncode, 0)
        before = tree_hashes(target)

        path = os.path.join(bad, "meta", "data.mdb")
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            b = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([b[0] ^ 0xFF]))
        res = ctl("restore", "--from", bad, "--check")
        self.assertEqual(res.returncode, 1)
        res = ctl("restore", "--from", bad, "--data-dir", target)
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stdout, "")
        self.assertIn("meta/data.mdb does not match its SHA-256 in the manifest", res.stderr)
        self.assertIn("nothing was replaced", res.stderr)
        self.assertEqual(tree_hashes(target), before)

        shutil.rmtree(bad)
        bad = os.path.join(self.tmp, "bad")
        shutil.copytree(good, bad)
        os.unlink(os.path.join(bad, "token.key"))
        res = ctl("restore", "--from", bad, "--data-dir", target)
        self.assertEqual(res.returncode, 1)
        self.assertIn("token.key is missing from the backup", res.stderr)
        self.assertEqual(tree_hashes(target), before)

        os.unlink(os.path.join(bad, "MANIFEST"))
        res = ctl("restore", "--from", bad, "--data-dir", target)
        self.assertEqual(res.returncode, 1)
        self.assertIn("has no MANIFEST: not a backup, or an unfinished one", res.stderr)
        self.assertEqual(tree_hashes(target), before)

        res = ctl("--json", "restore", "--from", good, "--check")  # --json before the command
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertRegex(res.stdout, r'^\{"from":".*","files":\d+,"bytes":"\d+"\}\n$')
        res = ctl("restore", "--from", good)
        self.assertEqual(res.returncode, 2)
        self.assertIn("inspectctl: restore: missing --data-dir (see --help)", res.stderr)

    def test_scheduled_backups_rotate_and_a_failure_is_logged(self):
        bdir = os.path.join(self.tmp, "sched")
        with Server("--backup-dir", bdir, "--backup-every", "1s", "--backup-keep", "2") as srv:
            tok = srv.token("admin", "root")
            deadline = time.monotonic() + 60
            while srv.stderr_text().count("info backup: backup written to") < 3:
                self.assertLess(time.monotonic(), deadline, srv.stderr_text())
                with srv.channel() as ch:
                    upsert_dept(ch, tok, f"s{int(time.monotonic() * 1000)}")
                time.sleep(0.2)
        # stopped: nothing is pruned while the backups are checked
        kept = sorted(os.listdir(bdir))
        self.assertEqual(len(kept), 2, kept)
        for n in kept:
            self.assertRegex(n, r"^inspectd-\d{8}T\d{6}Z(-\d+)?$")
            res = ctl("restore", "--from", os.path.join(bdir, n), "--check")
            self.assertEqual(res.returncode, 0, res.stderr)

        # a restart: the newest backup is less than an interval old, so none is due yet
        with Server("--backup-dir", bdir, "--backup-every", "1h", "--backup-keep", "2") as srv:
            time.sleep(1)
            self.assertNotIn("backup written", srv.stderr_text())
        self.assertEqual(sorted(os.listdir(bdir)), kept)

        fail_dir = os.path.join(self.tmp, "fails")
        with Server("--backup-dir", fail_dir, "--backup-every", "1s") as srv:
            tok = srv.token("admin", "root")
            deadline = time.monotonic() + 30
            while "info backup: backup written to" not in srv.stderr_text():
                self.assertLess(time.monotonic(), deadline, srv.stderr_text())
                time.sleep(0.1)
            # the folder becomes a file: the next backup cannot be written
            shutil.rmtree(fail_dir)
            open(fail_dir, "w").close()
            while "error backup: backup into" not in srv.stderr_text():
                self.assertLess(time.monotonic(), deadline, srv.stderr_text())
                time.sleep(0.1)
            self.assertRegex(srv.stderr_text(),
                             r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z error backup: backup into "
                             r"\S+ failed: cannot create \S+: Not a directory")
            with srv.channel() as ch:
                upsert_dept(ch, tok, "still-serving")

    def test_backup_flags_are_checked(self):
        for args, msg in ((["--backup-every", "1h"], "need --backup-dir"),
                          (["--backup-dir", "x", "--backup-every", "soon"], "--backup-every"),
                          (["--backup-dir", "x", "--backup-keep", "0"], "--backup-keep")):
            res = subprocess.run([os.environ["INSPECTD"], *args], capture_output=True, text=True,
                                 timeout=30)
            self.assertEqual(res.returncode, 2, res.stderr)
            self.assertIn(msg, res.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
