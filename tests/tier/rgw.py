"""rgw - a real Ceph RADOS Gateway on loopback for the tier tests and bench/tier.

Starts, from Debian 12's packages (ceph-mon, ceph-osd, radosgw, ceph-common),
one monitor, one OSD on memstore and radosgw with its beast frontend, all
bound to 127.0.0.1 on ports chosen at random in a private range, every file
(config, keyrings, data, logs, sockets) in one temporary folder, and makes
one S3 user with `radosgw-admin user create`. What bites, learned on this
kind of machine: with `auth ... required = none` radosgw needs `ms mon
client mode = crc` or it hangs for 300 s; single-node pools need `osd pool
default size = 1` and `osd crush chooseleaf type = 0`; the OSD must be up
and in before radosgw starts; no ceph-mgr is needed.

Only the daemons this object started are ever stopped, by pid. stop() is
idempotent; stop_rgw()/start_rgw() take the gateway alone down and up (the
outage tests), keeping the cluster and the S3 user.

    with Cluster() as c:
        s3 = c.boto3()          # path-style, Signature V4
        c.endpoint, c.access_key, c.secret_key
"""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

__all__ = ["Cluster", "ClusterError"]


class ClusterError(RuntimeError):
    """The cluster could not be started or driven."""


def _free_port(lo=20000, hi=29999):
    """A port in [lo, hi] nobody listens on at the moment of asking."""
    for _ in range(200):
        p = random.randint(lo, hi)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
                return p
            except OSError:
                continue
    raise ClusterError("no free port in the private range")


def _wait_port(port, timeout):
    end = time.time() + timeout
    while time.time() < end:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


class Cluster:
    """One mon, one memstore OSD and one radosgw in a temporary folder."""

    def __init__(self, keep=False):
        self.dir = None
        self.keep = keep
        self.procs = {}
        self.access_key = "tieraccess%06d" % random.randint(0, 999999)
        self.secret_key = "tiersecret%030d" % random.randint(0, 10**30)
        self.mon_port = None
        self.rgw_port = None
        self.endpoint = None

    # ---- files ----

    def _conf(self):
        d = self.dir
        return f"""[global]
fsid = {self.fsid}
mon host = 127.0.0.1:{self.mon_port}
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
ms bind ipv6 = false
public addr = 127.0.0.1
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
run dir = {d}/run
admin socket = {d}/run/$name.asok
log file = {d}/log/$name.log
pid file = {d}/run/$name.pid
keyring = {d}/keyring
erasure code dir = /usr/lib/x86_64-linux-gnu/ceph/erasure-code
plugin dir = /usr/lib/x86_64-linux-gnu/ceph
mon data = {d}/mon
osd data = {d}/osd
osd objectstore = memstore
memstore device bytes = 2147483648
osd max object name len = 256
osd max object namespace len = 64
[mon.a]
mon addr = 127.0.0.1:{self.mon_port}
[client.rgw.a]
ms mon client mode = crc
rgw frontends = beast endpoint=127.0.0.1:{self.rgw_port}
rgw data = {d}/rgw
rgw dns name = localhost
rgw enable usage log = false
rgw thread pool size = 64
"""

    def _run(self, *args, timeout=60, check=True):
        r = subprocess.run(list(args), cwd=self.dir, capture_output=True, text=True,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise ClusterError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr[-2000:]}")
        return r

    def _ceph(self, *args, timeout=60):
        return self._run("ceph", "-c", self.conf, "--connect-timeout", "20", *args,
                         timeout=timeout)

    def _daemon(self, name, *args):
        log = open(os.path.join(self.dir, "log", f"{name}.stdout"), "ab")
        p = subprocess.Popen(list(args) + ["-c", self.conf, "-f"], cwd=self.dir,
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.procs[name] = p
        return p

    # ---- start and stop ----

    def start(self):
        if self.dir:
            return self
        self.dir = tempfile.mkdtemp(prefix="inspect-rgw-")
        for sub in ("run", "log", "mon", "osd", "rgw"):
            os.makedirs(os.path.join(self.dir, sub))
        self.conf = os.path.join(self.dir, "ceph.conf")
        self.fsid = self._uuid()
        self.mon_port = _free_port()
        self.rgw_port = _free_port()
        while self.rgw_port == self.mon_port:
            self.rgw_port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.rgw_port}"
        with open(self.conf, "w") as f:
            f.write(self._conf())
        try:
            self._start_mon()
            self._start_osd()
            self._make_user()
            self.start_rgw()
        except BaseException:
            self.stop()
            raise
        return self

    def _uuid(self):
        import uuid
        return str(uuid.uuid4())

    def _start_mon(self):
        mm = os.path.join(self.dir, "monmap")
        self._run("monmaptool", "--create", "--fsid", self.fsid, "--add", "a",
                  f"127.0.0.1:{self.mon_port}", mm)
        self._run("ceph-mon", "-c", self.conf, "--mkfs", "-i", "a", "--monmap", mm)
        self._daemon("mon", "ceph-mon", "-i", "a")
        if not _wait_port(self.mon_port, 30):
            raise ClusterError("ceph-mon did not listen")

    def _start_osd(self):
        r = self._ceph("osd", "create")
        osd_id = r.stdout.strip()
        self._run("ceph-osd", "-c", self.conf, "-i", osd_id, "--mkfs")
        self._ceph("osd", "crush", "add", f"osd.{osd_id}", "1.0", "host=localhost", "root=default")
        self._daemon("osd", "ceph-osd", "-i", osd_id)
        end = time.time() + 60
        while time.time() < end:
            st = json.loads(self._ceph("osd", "dump", "--format", "json").stdout)
            if any(o["up"] and o["in"] for o in st.get("osds", [])):
                return
            if self.procs["osd"].poll() is not None:
                break
            time.sleep(0.3)
        raise ClusterError("the OSD did not come up and in")

    def _make_user(self):
        self._run("radosgw-admin", "-c", self.conf, "-n", "client.rgw.a", "user", "create",
                  "--uid", "tier", "--display-name", "tier tests", "--access-key",
                  self.access_key, "--secret", self.secret_key, timeout=120)

    def start_rgw(self):
        """Starts radosgw (again) and waits until it answers."""
        self._daemon("rgw", "radosgw", "-n", "client.rgw.a")
        end = time.time() + 90
        while time.time() < end:
            if self.procs["rgw"].poll() is not None:
                raise ClusterError("radosgw exited; see " + os.path.join(self.dir, "log"))
            if _wait_port(self.rgw_port, 0.5):
                return
        raise ClusterError("radosgw did not answer")

    def stop_rgw(self):
        """Stops radosgw alone (SIGKILL: an outage, and no 7 s wait)."""
        self._kill("rgw", signal.SIGKILL)

    def _kill(self, name, sig):
        p = self.procs.pop(name, None)
        if p and p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def stop(self):
        # SIGKILL: memstore keeps nothing worth a clean stop, and SIGTERM
        # takes ~7 s per daemon.
        for name in ("rgw", "osd", "mon"):
            self._kill(name, signal.SIGKILL)
        if self.dir and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- an independent client ----

    def boto3(self, access_key=None, secret_key=None):
        """A boto3 S3 client: Signature V4, path-style addressing."""
        import boto3
        from botocore.config import Config
        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          retries={"max_attempts": 2}))


if __name__ == "__main__":
    t0 = time.time()
    with Cluster() as c:
        s3 = c.boto3()
        s3.create_bucket(Bucket="probe")
        s3.put_object(Bucket="probe", Key="a/b", Body=b"hello")
        print("up in %.1f s at %s" % (time.time() - t0, c.endpoint),
              s3.get_object(Bucket="probe", Key="a/b")["Body"].read())
