"""Interop (label ops): the README's case walk-through, run as written.

The commands are not copied here: the test reads README.md, takes every
```sh block between the markers `<!-- walkthrough` and `<!-- /walkthrough
-->`, and runs them as one bash script (set -euo pipefail) against a fresh
inspectd seeded as `bash scripts/run.sh` seeds it. The script runs in a
folder where `data` is that server's data folder and `seeds` the
repository's, with CTL set to the inspectctl of this build and
INSPECT_SERVER to the server's address, which is all the README assumes.
So the README cannot drift from what the CLI does: a renamed option, a
changed stage name or a wrong example file fails this test.

Then it checks the outcome through the CLI as well: the application is
archived with outcome pass, both dossier verifications printed OK, and
`photo ID -o -` writes exactly a cited photo's bytes on standard output.

Run by CTest (tests/interop/CMakeLists.txt: interop_readme, labels
interop;ops).
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inspectd_harness import INSPECTCTL, Server  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def walkthrough_script(readme):
    """The sh blocks between the walk-through markers, in order."""
    start = readme.index("<!-- walkthrough")
    end = readme.index("<!-- /walkthrough -->", start)
    blocks = re.findall(r"```sh\n(.*?)```", readme[start:end], re.S)
    if not blocks:
        raise AssertionError("README.md: no ```sh block between the walk-through markers")
    return "\n".join(blocks)


class Readme(unittest.TestCase):

    def test_walkthrough_runs_as_written(self):
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
            script = walkthrough_script(f.read())
        self.assertIn("dossier verify", script)
        with Server() as srv, tempfile.TemporaryDirectory() as work:
            os.symlink(srv.data_dir, os.path.join(work, "data"))
            os.symlink(os.path.join(ROOT, "seeds"), os.path.join(work, "seeds"))
            env = dict(os.environ, CTL=INSPECTCTL, INSPECT_SERVER=srv.addr)
            env.pop("INSPECT_TOKEN", None)
            seed = subprocess.run([INSPECTCTL, "seed", "load", "seeds", "--data-dir", "data"],
                                  cwd=work, env=env, capture_output=True, text=True, timeout=300)
            self.assertEqual(seed.returncode, 0, seed.stderr)
            res = subprocess.run(["bash", "-euo", "pipefail", "-x", "-c", script], cwd=work,
                                 env=env, capture_output=True, text=True, timeout=600)
            self.assertEqual(res.returncode, 0,
                             f"the README walk-through failed:\n{res.stdout}\n{res.stderr}")
            self.assertIn("stage decision", res.stdout)        # moved by the last opinion
            self.assertIn("outcome:      pass", res.stdout)    # the report
            self.assertEqual(len(re.findall(r"^OK ", res.stdout, re.M)), 2, res.stdout)
            self.assertTrue(os.path.getsize(os.path.join(work, "case.tar")) > 0)

            disp = srv.token("dispatcher", "check")
            got = subprocess.run([INSPECTCTL, "--token", disp, "applications", "get",
                                  "XD-2026-000123", "--json"], env=env, capture_output=True,
                                 text=True, timeout=60)
            self.assertEqual(got.returncode, 0, got.stderr)
            app = json.loads(got.stdout)
            app = app.get("application", app)
            self.assertEqual(app["stage"], "STAGE_ARCHIVED")
            self.assertEqual(app["outcome"], "OUTCOME_PASS")

            # photo -o - writes the photo's bytes, and only them, on stdout
            path = os.path.join(ROOT, "seeds", "examples", "photos", "front-1.png")
            with open(path, "rb") as f:
                want = f.read()
            pid = hashlib.sha256(want).hexdigest()
            got = subprocess.run([INSPECTCTL, "--token", disp, "photo", pid, "-o", "-"],
                                 env=env, capture_output=True, timeout=60)
            self.assertEqual(got.returncode, 0, got.stderr)
            self.assertEqual(got.stdout, want)
            self.assertIn(b"-> standard output (SHA-256 verified)", got.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
