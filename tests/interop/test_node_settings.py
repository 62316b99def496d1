"""Interop: a district node's settings (issue 11) on the real inspectd.

The store remembers its district and refuses another; --config FILE takes
every flag, with the file's line in each error and the command line
winning; SIGHUP reads the file again: new TLS files serve the next
handshake, a key that does not match its certificate changes nothing, quiet
changes at once, and settings fixed at start are named as such.

Run by CTest (label districts).
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inspectd_harness import INSPECTD, Server, call_unary, make_certs  # noqa: E402
from inspect_pb.v1 import session_pb2  # noqa: E402

WHO = "/inspect.v1.Session/WhoAmI"


def run_inspectd(*args, timeout=30):
    argv = [INSPECTD, "--metrics-listen", "off"] + list(args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def wait_for(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def served_subject(port):
    """The subject of the certificate the server presents to a new handshake."""
    res = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-alpn", "h2",
                          "-servername", "localhost"], input=b"", capture_output=True,
                         timeout=30)
    out = res.stdout.decode("utf-8", "replace")
    m = re.search(r"^subject=(.*)$", out, re.M)
    return m.group(1) if m else out + res.stderr.decode("utf-8", "replace")


class NodeSettings(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="node-settings-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_store_remembers_its_district(self):
        data = os.path.join(self.tmp, "data")
        with Server("--district", "xindu", data_dir=data) as srv:
            tok = srv.token("admin", "root", districts="xindu")
            with srv.channel() as ch:
                who = call_unary(ch, WHO, session_pb2.WhoAmIRequest(),
                                 session_pb2.WhoAmIResponse, token=tok)
            self.assertEqual(who.node_district, "xindu")
        res = run_inspectd("--listen", "127.0.0.1:0", "--data-dir", data, "--district", "jinniu")
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn(f"store in {data} belongs to district 'xindu', not 'jinniu': start it with "
                      "--district xindu, or give district jinniu a data folder of its own",
                      res.stderr)
        # without --district a node is the default district: refused as well
        res = run_inspectd("--listen", "127.0.0.1:0", "--data-dir", data)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn("belongs to district 'xindu', not 'default'", res.stderr)
        # a bad code never reaches the store
        res = run_inspectd("--district", "Xindu")
        self.assertEqual(res.returncode, 2)
        self.assertIn("--district takes a code of 1 to 32 lower-case letters", res.stderr)

    def test_config_file_sets_every_flag(self):
        conf = os.path.join(self.tmp, "inspectd.conf")
        data = os.path.join(self.tmp, "data")
        with open(conf, "w") as f:
            f.write("# a node of jinniu\n\ndistrict = jinniu\nkeepalive = 20s\n"
                    "trusted-proxy = 127.0.0.1, 10.0.0.0/8\nquiet = true\nthreads = 2\n"
                    "max-clock-skew = 5m\n")
        with Server("--config", conf, data_dir=data) as srv:
            tok = srv.token("admin", "root", districts="jinniu")
            with srv.channel() as ch:
                who = call_unary(ch, WHO, session_pb2.WhoAmIRequest(),
                                 session_pb2.WhoAmIResponse, token=tok)
            self.assertEqual(who.node_district, "jinniu")
            self.assertNotIn(" info call ", srv.stderr_text())  # quiet from the file
        # the command line wins over the file
        with Server("--config", conf, "--district", "wuhou") as srv:
            self.assertIn("district wuhou,", srv.stderr_text())
        for text, want in [
            ("listen = 127.0.0.1:1\nbogus = 1\n", f"{conf}:2: unknown setting 'bogus'"),
            ("threads = many\n", "--threads takes a whole number from 1 to 256, not 'many'"),
            ("listen =\n", f"{conf}:1: listen needs a value"),
            ("quiet = maybe\n", f"{conf}:1: quiet is true or false"),
            ("help = true\n", f"{conf}:1: unknown setting 'help'"),
        ]:
            with open(conf, "w") as f:
                f.write(text)
            res = run_inspectd("--config", conf)
            self.assertEqual(res.returncode, 2, (text, res.stderr))
            self.assertIn(want, res.stderr, text)
        res = run_inspectd("--config", os.path.join(self.tmp, "missing.conf"))
        self.assertEqual(res.returncode, 2)
        self.assertIn("missing.conf: cannot read it: No such file or directory", res.stderr)

    def test_sighup_reloads_tls_and_live_settings(self):
        certs = make_certs(os.path.join(self.tmp, "certs"))
        live = os.path.join(self.tmp, "live")
        os.mkdir(live)
        cert, key = os.path.join(live, "node.pem"), os.path.join(live, "node.key")
        shutil.copy(os.path.join(certs, "server.pem"), cert)
        shutil.copy(os.path.join(certs, "server.key"), key)
        conf = os.path.join(self.tmp, "inspectd.conf")
        with open(conf, "w") as f:
            f.write(f"tls-cert = {cert}\ntls-key = {key}\n")
        with Server("--config", conf) as srv:
            self.assertIn("CN = localhost", served_subject(srv.port))
            # a renewed certificate: a new key and subject at the same paths
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "30", "-subj", "/CN=renewed.localhost",
                            "-addext", "subjectAltName=DNS:localhost"],
                           check=True, capture_output=True, timeout=30)
            srv.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "reloaded the settings" in srv.stderr_text()),
                            srv.stderr_text())
            self.assertIn("CN = renewed.localhost", served_subject(srv.port))
            # a key that is not the certificate's: nothing changes
            shutil.copy(os.path.join(certs, "server.key"), key)
            srv.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "TLS files not changed" in srv.stderr_text()),
                            srv.stderr_text())
            self.assertIn("or the key is not the certificate's", srv.stderr_text())
            self.assertIn("CN = renewed.localhost", served_subject(srv.port))
            # quiet changes at once; threads and district wait for a restart
            shutil.copy(os.path.join(certs, "server.pem"), cert)  # the pair matches again
            with open(conf, "w") as f:
                f.write(f"tls-cert = {cert}\ntls-key = {key}\nquiet = true\nthreads = 3\n"
                        "district = wuhou\n")
            srv.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: srv.stderr_text().count("reloaded the settings") == 2),
                            srv.stderr_text())
            log = srv.stderr_text()
            self.assertIn("reload: district changes only at a restart (still default)", log)
            self.assertIn("threads, keepalive, max-message-bytes", log)
            before = srv.stderr_text().count(" info call ")
            with open(os.path.join(certs, "ca.pem"), "rb") as f:
                creds = grpc.ssl_channel_credentials(root_certificates=f.read())
            tok = srv.token("admin", "root")
            with grpc.secure_channel(srv.addr, creds, options=[
                    ("grpc.ssl_target_name_override", "localhost")]) as ch:
                call_unary(ch, WHO, session_pb2.WhoAmIRequest(), session_pb2.WhoAmIResponse,
                           token=tok)
            time.sleep(0.5)  # past the call log's flush interval
            self.assertEqual(srv.stderr_text().count(" info call "), before)

    def client_cert(self, certs, name, subject):
        """A client certificate of the test CA with `subject`: (pem, key)."""
        key, csr, pem = (os.path.join(self.tmp, name + ext) for ext in (".key", ".csr", ".pem"))
        for argv in (["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                      "ec_paramgen_curve:P-256", "-out", key],
                     ["openssl", "req", "-new", "-key", key, "-subj", subject, "-out", csr],
                     ["openssl", "x509", "-req", "-in", csr, "-CA", os.path.join(certs, "ca.pem"),
                      "-CAkey", os.path.join(certs, "ca.key"), "-CAcreateserial", "-days", "30",
                      "-out", pem]):
            subprocess.run(argv, check=True, capture_output=True, timeout=30)
        return pem, key

    def test_certificate_districts(self):
        """mTLS: the L attributes of a client certificate are its districts."""
        certs = make_certs(os.path.join(self.tmp, "certs"))
        ca = os.path.join(certs, "ca.pem")
        with Server("--district", "xindu", "--tls-cert", os.path.join(certs, "server.pem"),
                    "--tls-key", os.path.join(certs, "server.key"), "--tls-client-ca",
                    ca) as srv:
            # gRPC reports the subject in RFC 2253 order, last attribute first
            for subject, want in [("/L=jinniu/L=xindu/OU=admin/CN=root", "xindu,jinniu"),
                                  ("/L=*/OU=admin/CN=root", "*")]:
                pem, key = self.client_cert(certs, "ok", subject)
                with srv.channel(ca=ca, cert=pem, key=key, target_name="localhost") as ch:
                    who = call_unary(ch, WHO, session_pb2.WhoAmIRequest(),
                                     session_pb2.WhoAmIResponse)
                self.assertEqual((who.auth_method, who.districts, who.node_district),
                                 ("mtls", want, "xindu"), subject)
            for subject, want in [
                    ("/L=wuhou/OU=admin/CN=root",
                     "root holds district wuhou, not xindu, which this node serves"),
                    ("/OU=admin/CN=root", "root holds district default (no district claim), "
                                          "not xindu")]:
                pem, key = self.client_cert(certs, "no", subject)
                with srv.channel(ca=ca, cert=pem, key=key, target_name="localhost") as ch:
                    with self.assertRaises(grpc.RpcError) as cm:
                        call_unary(ch, WHO, session_pb2.WhoAmIRequest(),
                                   session_pb2.WhoAmIResponse)
                self.assertEqual(cm.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
                self.assertIn(want, cm.exception.details())


if __name__ == "__main__":
    unittest.main(verbosity=2)
