"""nginx_router - Debian's nginx started on loopback with the shipped
province configuration, deploy/nginx/inspectd.conf, for tests and the
districts benchmark.

The configuration is used as shipped; only what differs on a test machine
is substituted, each substitution checked to hit exactly once, so a change
to the shipped file that a test would no longer exercise fails loudly
instead: the node addresses of the three upstreams, the listening port,
the certificate paths (or, with tls=False, the TLS lines taken out) and,
when asked, the proxy timeouts (short, so a test can outwait them). The
file goes into a minimal nginx.conf (its own prefix, pid, logs and
temporary folders in a temporary directory), run in the foreground and
stopped by its pid.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIPPED = os.path.join(ROOT, "deploy", "nginx", "inspectd.conf")
NGINX = "/usr/sbin/nginx"

# The districts of the shipped file, in the order of their upstreams.
DISTRICTS = ("xindu", "jinniu", "wuhou")
_SHIPPED_PORTS = {"xindu": 50061, "jinniu": 50062, "wuhou": 50063}


class RouterError(RuntimeError):
    """nginx could not be configured, started or stopped."""


def free_port():
    """A port free on 127.0.0.1 right now (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sub(text, old, new):
    if text.count(old) != 1:
        raise RouterError(f"{SHIPPED}: expected '{old}' once, found it {text.count(old)} times")
    return text.replace(old, new)


class Router:
    """nginx routing x-district to the nodes of `ports` (district -> port).

    `tls` is (certificate, key) PEM paths, or None for plaintext; `timeout`
    replaces the 1h of grpc_read_timeout, grpc_send_timeout and
    client_body_timeout (e.g. "5s"); `keepalive` the upstreams' idle
    connection count.
    """

    def __init__(self, ports, tls=None, timeout=None, keepalive=None):
        self.ports = dict(ports)
        self.tls = tls
        self.timeout = timeout
        self.keepalive = keepalive
        self.dir = None
        self.port = None
        self.proc = None

    def config_text(self):
        with open(SHIPPED, encoding="utf-8") as f:
            text = f.read()
        for d in DISTRICTS:
            text = _sub(text, f"server 127.0.0.1:{_SHIPPED_PORTS[d]};",
                        f"server 127.0.0.1:{self.ports[d]};")
        if self.keepalive is not None:
            text = text.replace("keepalive 256;", f"keepalive {self.keepalive};")
        if self.tls:
            text = _sub(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{self.port} ssl http2;")
            text = _sub(text, "/etc/inspectd/tls/province.pem", self.tls[0])
            text = _sub(text, "/etc/inspectd/tls/province.key", self.tls[1])
        else:
            text = _sub(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{self.port} http2;")
            text = "\n".join(line for line in text.split("\n")
                             if not line.strip().startswith("ssl_"))
        if self.timeout:
            for key in ("client_body_timeout  ", "grpc_read_timeout    ",
                        "grpc_send_timeout    "):
                text = _sub(text, key + "1h;", key + self.timeout + ";")
        return text

    def start(self, start_timeout=15.0):
        self.dir = tempfile.mkdtemp(prefix="nginx-districts-")
        self.port = free_port()
        site = os.path.join(self.dir, "inspectd.conf")
        with open(site, "w", encoding="utf-8") as f:
            f.write(self.config_text())
        d = self.dir
        main = f"""
daemon off;
master_process on;
worker_processes 1;
user root;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {site};
}}
"""
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(main)
        test = subprocess.run([NGINX, "-t", "-p", d, "-c", conf], capture_output=True,
                              text=True, timeout=30)
        if test.returncode != 0:
            self.stop()
            raise RouterError(f"nginx -t refused the configuration:\n{test.stderr}")
        self._log = open(os.path.join(d, "stderr.log"), "wb")
        self.proc = subprocess.Popen([NGINX, "-p", d, "-c", conf], stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        log = self.error_log()
        self.stop()
        raise RouterError(f"nginx did not start listening:\n{log}")

    @property
    def addr(self):
        return f"127.0.0.1:{self.port}"

    def error_log(self):
        try:
            with open(os.path.join(self.dir, "error.log"), encoding="utf-8",
                      errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: workers finish
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
