"""Interop (label ops): inspectctl as a newcomer meets it, against a real
seeded inspectd - each fix of issue 12's CLI list with its exact exit code
and message.

  - `token issue` on a folder that does not exist, or holds no key, fails
    (exit 1) and creates nothing; `--role department` needs `--department`
    (exit 2);
  - every JSON example in the `upsert`/`publish`/`put` helps runs as
    written (fed to the command on standard input);
  - `--json` before or after the command, for `token`, `seed check`,
    `dossier verify`, `whoami`; 64-bit integers as strings and enums by
    name (the proto3 JSON mapping);
  - `INSPECT_SERVER` as well as `--server`;
  - a missing argument is named in one style, for positional arguments and
    options alike;
  - times in one local format with the UTC offset, following TZ;
  - a plaintext client meeting a TLS server is told to pass `--ca`.

Run by CTest (tests/interop/CMakeLists.txt: interop_cli_ops, labels
interop;ops).
"""

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inspectd_harness import INSPECTCTL, Server, make_certs  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "seeds")


def ctl(*args, env=None, stdin=None, timeout=60):
    full = dict(os.environ)
    full.pop("INSPECT_SERVER", None)
    full.pop("INSPECT_TOKEN", None)
    full.update(env or {})
    return subprocess.run([INSPECTCTL, *args], capture_output=True, text=True, env=full,
                          input=stdin, timeout=timeout)


def help_example(cmd):
    """The JSON example of `inspectctl CMD --help`: from the line after
    'e.g.' to the line before 'or '."""
    text = ctl(*cmd.split(), "--help").stdout
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if "e.g." in l) + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("or "))
    return json.loads("\n".join(lines[start:end]))


class CliOps(unittest.TestCase):

    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        res = ctl("seed", "load", SEEDS, "--data-dir", cls.server.data_dir,
                  "--server", cls.server.addr, timeout=300)
        if res.returncode != 0:
            cls.server.stop()
            raise RuntimeError(res.stderr)
        cls.admin = cls.server.token("admin", "root")
        cls.disp = cls.server.token("dispatcher", "desk-1")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def on(self, *args, token=None, **kw):
        return ctl("--server", self.server.addr, "--token", token or self.admin, *args, **kw)

    # -- token issue ------------------------------------------------------

    def test_token_issue_refuses_a_folder_that_does_not_exist(self):
        with tempfile.TemporaryDirectory() as tmp:
            missing = os.path.join(tmp, "no-such-data")
            res = ctl("token", "issue", "--data-dir", missing, "--role", "admin",
                      "--principal", "root", "--ttl", "1h")
            self.assertEqual(res.returncode, 1)
            self.assertEqual(res.stdout, "")
            self.assertIn(f"inspectctl: token issue: {missing} is not a folder: --data-dir must "
                          "be the data folder of the server", res.stderr)
            self.assertFalse(os.path.exists(missing))

    def test_token_issue_refuses_a_folder_without_a_key(self):
        with tempfile.TemporaryDirectory() as tmp:
            res = ctl("token", "issue", "--data-dir", tmp, "--role", "admin",
                      "--principal", "root", "--ttl", "1h")
            self.assertEqual(res.returncode, 1)
            self.assertIn(f"{tmp} holds no token key (token.key or token-keys/): start "
                          "inspectd on it once", res.stderr)
            self.assertEqual(os.listdir(tmp), [])

    def test_token_issue_department_role_needs_department(self):
        res = ctl("token", "issue", "--data-dir", self.server.data_dir, "--role", "department",
                  "--principal", "fire-desk", "--ttl", "1h")
        self.assertEqual(res.returncode, 2)
        self.assertIn("inspectctl: token issue: missing --department: the department role "
                      "speaks for one department", res.stderr)
        self.assertEqual(res.stdout, "")

    def test_token_json_before_and_after(self):
        for args in (["--json", "token", "issue"], ["token", "--json", "issue"],
                     ["token", "issue", "--json"]):
            res = ctl(*args, "--data-dir", self.server.data_dir, "--role", "department",
                      "--principal", "fire-desk", "--department", "fire", "--ttl", "1h")
            self.assertEqual(res.returncode, 0, res.stderr)
            out = json.loads(res.stdout)
            self.assertEqual(out["role"], "ROLE_DEPARTMENT")
            self.assertEqual(out["department"], "fire")
            self.assertRegex(out["expires"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            me = self.on("whoami", "--json", token=out["token"])
            self.assertEqual(me.returncode, 0, me.stderr)
            who = json.loads(me.stdout)
            self.assertEqual(who["principal"], "fire-desk")
            self.assertEqual(who["role"], "ROLE_DEPARTMENT")
            self.assertIsInstance(who["expires_unix"], str)  # int64 as a string

    # -- help examples ----------------------------------------------------

    def test_help_examples_run_as_written(self):
        for cmd, token in (("departments upsert", None), ("inspectors upsert", None),
                           ("items upsert", None), ("templates publish", None),
                           ("calendar put", None), ("applications upsert", self.disp)):
            try:
                example = help_example(cmd)
            except StopIteration:
                continue  # this help shows no JSON example
            res = self.on(*cmd.split(), "-", token=token, stdin=json.dumps(example))
            self.assertEqual(res.returncode, 0, f"{cmd}: {res.stderr}")

    def test_help_command_examples_run_as_written(self):
        """Every 'example: inspectctl ...' line of these helps, in this order,
        in a folder where `data` is the server's data folder."""
        auditor = self.server.token("auditor", "aud-1")
        with tempfile.TemporaryDirectory() as work:
            os.symlink(self.server.data_dir, os.path.join(work, "data"))
            env = dict(os.environ, INSPECT_SERVER=self.server.addr, INSPECT_TOKEN=auditor)
            ran = 0
            for cmd in ("token issue", "backup", "restore", "dossier export", "dossier verify"):
                text = ctl(*cmd.split(), "--help").stdout
                for line in re.findall(r"^example: (inspectctl .*)$", text, re.M):
                    argv = shlex.split(line)
                    res = subprocess.run([INSPECTCTL, *argv[1:]], cwd=work, env=env,
                                         capture_output=True, text=True, timeout=120)
                    self.assertEqual(res.returncode, 0, f"{line}: {res.stderr}")
                    ran += 1
            self.assertEqual(ran, 5)

    def test_applications_upsert_example_credit_code_is_valid(self):
        sys.path.insert(0, SEEDS)
        import uscc  # noqa: E402
        example = help_example("applications upsert")
        self.assertTrue(uscc.valid(example["applicant_credit_code"]))
        with open(os.path.join(SEEDS, "examples", "application.json")) as f:
            self.assertTrue(uscc.valid(json.load(f)["applicant_credit_code"]))

    # -- --json everywhere --------------------------------------------------

    def test_seed_check_json_before_and_after(self):
        for args in (["--json", "seed", "check", SEEDS], ["seed", "check", SEEDS, "--json"]):
            res = ctl(*args)
            self.assertEqual(res.returncode, 0, res.stderr)
            out = json.loads(res.stdout)
            self.assertEqual(out["errors"], 0)
            self.assertEqual(out["counts"]["departments"], 9)

    def test_dossier_verify_json_and_stdin(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = os.path.join(tmp, "not-a-dossier.tar")
            with open(bad, "wb") as f:
                f.write(b"not a tar archive")
            for args in (["--json", "dossier", "verify", bad], ["dossier", "verify", bad, "--json"],
                         ["dossier", "verify", "-", "--json"]):
                with open(bad, "rb") as f:
                    res = subprocess.run([INSPECTCTL, *args], stdin=f, capture_output=True,
                                         text=True, timeout=30)
                self.assertEqual(res.returncode, 1, res.stderr)
                out = json.loads(res.stdout)
                self.assertFalse(out["ok"])
                self.assertGreater(out["problems"], 0)
        res = ctl("dossier", "verify")
        self.assertEqual(res.returncode, 2)
        self.assertIn("inspectctl: dossier verify: missing FILE (see --help)", res.stderr)

    def test_audit_verify_json_follows_the_mapping(self):
        aud = self.server.token("auditor", "aud-1")
        for args in (["audit", "verify", "--json"], ["--json", "audit", "verify"],
                     ["audit", "--json", "verify"]):
            res = self.on(*args, token=aud)
            self.assertEqual(res.returncode, 0, res.stderr)
            out = json.loads(res.stdout)
            self.assertTrue(out["intact"])
            self.assertIsInstance(out["checked_to"], str)  # uint64 as a string

    # -- server address, arguments, times ----------------------------------

    def test_inspect_server_environment(self):
        res = ctl("--token", self.admin, "whoami", env={"INSPECT_SERVER": self.server.addr})
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("principal:  root", res.stdout)
        res = ctl("--token", self.admin, "--timeout", "2s", "whoami",
                  env={"INSPECT_SERVER": "127.0.0.1:1"})
        self.assertEqual(res.returncode, 1)
        self.assertIn("inspectctl: whoami: UNAVAILABLE", res.stderr)
        # --server wins over the environment
        res = ctl("--server", self.server.addr, "--token", self.admin, "whoami",
                  env={"INSPECT_SERVER": "127.0.0.1:1"})
        self.assertEqual(res.returncode, 0, res.stderr)

    def test_missing_arguments_are_named_in_one_style(self):
        for args, msg in ((["tasks", "create"], "tasks create: missing APP"),
                          (["applications", "stage", "XD-2026-001201"],
                           "applications stage: missing STAGE"),
                          (["field", "upload", "x.png", "--task", "T-000001"],
                           "field upload: missing --item"),
                          (["opinion", "R-T-000001", "--approve"], "opinion: missing --reasons"),
                          (["token", "issue", "--role", "admin"], "token issue: missing --data-dir"),
                          (["token", "revoke", "--principal", "x"], "token revoke: missing --reason")):
            res = ctl(*args)
            self.assertEqual(res.returncode, 2, args)
            self.assertEqual(res.stderr, f"inspectctl: {msg} (see --help)\n")

    def test_times_print_in_one_local_format(self):
        for tz, offset in (("UTC", "+0000"), ("Asia/Shanghai", "+0800")):
            res = self.on("applications", "get", "XD-2026-001201", token=self.disp,
                          env={"TZ": tz})
            self.assertEqual(res.returncode, 0, res.stderr)
            created = re.search(r"^created: +(.*)$", res.stdout, re.M).group(1)
            self.assertRegex(created, r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d " + re.escape(offset) + "$")
        res = self.on("whoami", env={"TZ": "Asia/Shanghai"})
        self.assertRegex(res.stdout, r"expires: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0800")

    def test_plaintext_client_meeting_tls_is_told_to_pass_ca(self):
        with tempfile.TemporaryDirectory() as tmp:
            certs = make_certs(os.path.join(tmp, "pki"))
            with Server("--tls-cert", os.path.join(certs, "server.pem"),
                        "--tls-key", os.path.join(certs, "server.key")) as tls:
                tok = tls.token("admin", "root")
                res = ctl("--server", tls.addr, "--token", tok, "--timeout", "5s", "whoami")
                self.assertEqual(res.returncode, 1)
                self.assertIn("inspectctl: whoami: UNAVAILABLE", res.stderr)
                self.assertIn("inspectctl: whoami: if the server uses TLS, pass --ca FILE",
                              res.stderr)
                res = ctl("--server", tls.addr, "--token", tok, "--ca",
                          os.path.join(certs, "ca.pem"), "whoami")
                self.assertEqual(res.returncode, 0, res.stderr)
        # nobody listening: no TLS hint
        res = ctl("--server", "127.0.0.1:1", "--token", self.admin, "--timeout", "2s", "whoami")
        self.assertEqual(res.returncode, 1)
        self.assertNotIn("--ca", res.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
