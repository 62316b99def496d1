"""The Debian package: built with CPack from this tree, installed with
`apt-get install ./inspectd_*.deb`, run from /usr/bin with the packaged
settings file, its systemd unit verified, removed with `dpkg -r`.

The machine is left as it was found: the package is purged after the
removal, and the service user and /etc/inspectd, when this test made them,
go too; the list of installed packages is compared before and after. A
machine that already has an inspectd package (someone's real install) is
not touched: the test skips. Root only (apt-get).
"""

import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SRC = os.environ.get("INSPECT_SOURCE_DIR", os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
APT_LOCK = ["-o", "DPkg::Lock::Timeout=600"]  # others may hold the lock for a while


def run(argv, timeout=900, check=True, **kw):
    res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: exit {res.returncode}\n{res.stdout}\n{res.stderr}")
    return res


def installed_packages():
    out = run(["dpkg-query", "-W", "-f", "${Package} ${Version} ${db:Status-Abbrev}\n"]).stdout
    return sorted(line for line in out.splitlines() if not line.endswith(("un ", "un")))


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class DebianPackage(unittest.TestCase):

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("apt-get install needs root")
        if run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "inspectd"],
               check=False).stdout.startswith("ii") or os.path.exists("/usr/bin/inspectd"):
            self.skipTest("an inspectd is installed on this machine already; not touching it")
        self.tmp = tempfile.mkdtemp(prefix="inspectd-deb-")
        self.before = installed_packages()
        self.had_user = user_exists("inspectd")
        self.had_etc = os.path.exists("/etc/inspectd")

    def tearDown(self):
        if not hasattr(self, "tmp"):
            return
        run(["dpkg", "--purge", "inspectd"], check=False)
        if not self.had_user and user_exists("inspectd"):
            run(["userdel", "inspectd"], check=False)
            run(["groupdel", "inspectd"], check=False)
        if not self.had_etc:
            shutil.rmtree("/etc/inspectd", ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.assertEqual(installed_packages(), self.before, "the machine's packages changed")

    def build(self):
        b = os.path.join(self.tmp, "build")
        run(["cmake", "-S", SRC, "-B", b, "-DCMAKE_BUILD_TYPE=Release", "-DINSPECT_TESTS=OFF",
             "-DINSPECT_BENCH=OFF"])
        run(["cmake", "--build", b, "-j2", "--target", "inspectd", "inspectctl",
             "inspectctl-backup"])
        run(["cpack", "-G", "DEB"], cwd=b)
        debs = glob.glob(os.path.join(b, "inspectd_*.deb"))
        self.assertEqual(len(debs), 1, debs)
        return b, os.path.basename(debs[0])

    def test_deb_installs_runs_verifies_removes(self):
        build, deb = self.build()
        info = run(["dpkg-deb", "-f", os.path.join(build, deb), "Depends"]).stdout
        for lib in ("libgrpc", "liblmdb", "libprotobuf-c", "libssl"):  # from dpkg-shlibdeps
            self.assertIn(lib, info)
        run(["apt-get", "install", "-y", "-q", "--no-install-recommends"] + APT_LOCK
            + ["./" + deb], cwd=build, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        version = run(["/usr/bin/inspectd", "--version"]).stdout.strip()
        self.assertRegex(version, r"^inspectd \d+\.\d+\.\d+$")
        self.assertEqual(run(["/usr/bin/inspectctl", "--version"]).stdout.split()[1],
                         version.split()[1])
        unit = "/usr/lib/systemd/system/inspectd.service"
        res = run(["systemd-analyze", "verify", unit], check=False)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertNotIn("inspectd.service", res.stderr, res.stderr)  # no warning about it
        # the package made the service's user and the settings file readable by it
        self.assertTrue(user_exists("inspectd"))
        st = os.stat("/etc/inspectd/inspectd.conf")
        self.assertEqual(oct(st.st_mode & 0o777), oct(0o640))
        self.assertEqual(st.st_gid, pwd.getpwnam("inspectd").pw_gid)
        self.run_installed()
        run(["dpkg", "-r", "inspectd"])
        self.assertFalse(os.path.exists("/usr/bin/inspectd"))
        self.assertFalse(os.path.exists(unit))
        status = run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "inspectd"],
                     check=False).stdout
        self.assertTrue(status.startswith("rc"), status)  # removed, conffile kept until purge

    def run_installed(self):
        """/usr/bin/inspectd with the packaged settings file (the unit's
        ExecStart), data and port moved to the test's folder; reloads on
        SIGHUP and stops on SIGTERM."""
        data, port_file = os.path.join(self.tmp, "data"), os.path.join(self.tmp, "port")
        log = open(os.path.join(self.tmp, "inspectd.log"), "w+")
        p = subprocess.Popen(["/usr/bin/inspectd", "--config", "/etc/inspectd/inspectd.conf",
                              "--listen", "127.0.0.1:0", "--data-dir", data, "--port-file",
                              port_file, "--district", "xindu"], stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not os.path.exists(port_file):
                self.assertIsNone(p.poll(), open(log.name).read())
                time.sleep(0.05)
            port = int(open(port_file).read())
            tok = run(["/usr/bin/inspectctl", "token", "issue", "--data-dir", data, "--role",
                       "admin", "--principal", "root", "--ttl", "1h", "--district",
                       "xindu"]).stdout.strip()
            who = run(["/usr/bin/inspectctl", "--server", f"127.0.0.1:{port}", "--token", tok,
                       "whoami"]).stdout
            self.assertIn("node:       district xindu", who)
            p.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and "reloaded" not in open(log.name).read():
                time.sleep(0.05)
            self.assertIn("reloaded the settings of /etc/inspectd/inspectd.conf",
                          open(log.name).read())
        finally:
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(60), 0, open(log.name).read())
            log.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
