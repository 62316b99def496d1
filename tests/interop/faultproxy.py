"""faultproxy - a small fault-injecting TCP proxy for interop tests.

The kernel on the test machines has no netem (DESIGN.md §4), so a bad
mobile link is made here: the proxy listens on 127.0.0.1 (an ephemeral
port), forwards every connection to one loopback target, and can

  - delay each direction (`up_latency` client->server, `down_latency`
    server->client, in seconds; data keeps its order, a delay applies to
    the bytes read after it is set);
  - cap the bandwidth of each direction (`bandwidth`, bytes per second);
  - stall: hold every byte for `stall_for` seconds once a connection has
    sent `stall_after` bytes upstream (once per connection);
  - reset: after `reset_after` bytes upstream on a connection, forward
    exactly that many and close both sides with an RST (SO_LINGER 0); only
    the first `resets` connections that reach the mark are reset.

Settings can be changed while it runs (set()). It is bounded on purpose:
loopback only, at most `max_conns` live connections, at most `max_queue`
bytes buffered per direction (the reader waits), and every thread is a
daemon that ends with stop().

    with FaultProxy(server_port, reset_after=400_000) as px:
        channel = grpc.insecure_channel(px.addr)
        ...
        assert px.stats["resets"] == 1
"""

import collections
import socket
import struct
import threading
import time

__all__ = ["FaultProxy"]

_READ = 16384


class _Pipe:
    """One direction of one connection: a reader thread fills a queue of
    (deliver_at, bytes), a writer thread paces it out."""

    def __init__(self, proxy, conn, src, dst, upstream):
        self.proxy = proxy
        self.conn = conn
        self.src = src
        self.dst = dst
        self.upstream = upstream
        self.queue = collections.deque()
        self.queued = 0
        self.cv = threading.Condition()
        self.eof = False

    def start(self):
        for fn in (self._read, self._write):
            threading.Thread(target=fn, daemon=True).start()

    def _read(self):
        px = self.proxy
        try:
            while not self.conn.closed:
                data = self.src.recv(_READ)
                if not data:
                    break
                now = time.monotonic()
                with px.lock:
                    lat = px.up_latency if self.upstream else px.down_latency
                    stall_at, stall_for = px.stall_after, px.stall_for
                    reset_at = px.reset_after if px.resets > 0 else None
                if self.upstream:
                    before = self.conn.sent_up
                    if reset_at is not None and before + len(data) >= reset_at:
                        with px.lock:
                            take = px.resets > 0
                            if take:
                                px.resets -= 1
                        if take:
                            data = data[:max(0, reset_at - before)]
                            self._put(now + lat, data, reset=True)
                            return
                    self.conn.sent_up += len(data)
                    if (stall_at is not None and not self.conn.stalled
                            and self.conn.sent_up >= stall_at):
                        self.conn.stalled = True
                        with px.lock:
                            px.stats["stalls"] += 1
                        lat += stall_for
                self._put(now + lat, data)
        except OSError:
            pass
        self._put(None, b"")  # end of this direction

    def _put(self, at, data, reset=False):
        with self.cv:
            while self.queued > self.proxy.max_queue and not self.conn.closed:
                self.cv.wait(0.1)
            self.queue.append((at, data, reset))
            self.queued += len(data)
            self.cv.notify_all()

    def _write(self):
        px = self.proxy
        try:
            while True:
                with self.cv:
                    while not self.queue and not self.conn.closed:
                        self.cv.wait(0.1)
                    if not self.queue:
                        return
                    at, data, reset = self.queue.popleft()
                    self.queued -= len(data)
                    self.cv.notify_all()
                if at is not None:
                    wait = at - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                if data:
                    self._send(data)
                if reset:
                    with px.lock:
                        px.stats["resets"] += 1
                    self.conn.close(rst=True)
                    return
                if at is None:  # the source ended: pass the half-close on
                    try:
                        self.dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    self.conn.half_closed()
                    return
        except OSError:
            self.conn.close(rst=True)

    def _send(self, data):
        px = self.proxy
        view = memoryview(data)
        while view:
            with px.lock:
                bw = px.bandwidth
            n = len(view) if not bw else max(1, min(len(view), int(bw / 50)))
            self.dst.sendall(view[:n])
            with px.lock:
                px.stats["bytes_up" if self.upstream else "bytes_down"] += n
            view = view[n:]
            if bw:
                time.sleep(n / bw)


class _Conn:
    def __init__(self, proxy, client, server):
        self.proxy = proxy
        self.client = client
        self.server = server
        self.sent_up = 0
        self.stalled = False
        self.closed = False
        self.halves = 0
        self.lock = threading.Lock()

    def half_closed(self):
        with self.lock:
            self.halves += 1
            done = self.halves == 2
        if done:
            self.close()

    def close(self, rst=False):
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for s in (self.client, self.server):
            try:
                if rst:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.shutdown(socket.SHUT_RD)  # wakes a reader blocked in recv, sends nothing
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        self.proxy._forget(self)


class FaultProxy:
    """A TCP proxy from 127.0.0.1:<port> to 127.0.0.1:`target_port`."""

    def __init__(self, target_port, target_host="127.0.0.1", up_latency=0.0, down_latency=0.0,
                 bandwidth=None, stall_after=None, stall_for=0.0, reset_after=None, resets=1,
                 max_conns=32, max_queue=4 << 20):
        if target_host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("faultproxy forwards to loopback only")
        self.target = (target_host, int(target_port))
        self.lock = threading.Lock()
        self.up_latency = up_latency
        self.down_latency = down_latency
        self.bandwidth = bandwidth
        self.stall_after = stall_after
        self.stall_for = stall_for
        self.reset_after = reset_after
        self.resets = resets if reset_after is not None else 0
        self.max_conns = max_conns
        self.max_queue = max_queue
        self.stats = {"connections": 0, "refused": 0, "resets": 0, "stalls": 0,
                      "bytes_up": 0, "bytes_down": 0}
        self._conns = set()
        self._sock = None
        self._stopping = False
        self.port = None

    # -- lifecycle --------------------------------------------------------

    def start(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        s.settimeout(0.2)
        self._sock = s
        self.port = s.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        self._stopping = True
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        for c in list(self._conns):
            c.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def addr(self):
        return f"127.0.0.1:{self.port}"

    def set(self, **settings):
        """Changes settings while running (names as in the constructor);
        `resets` re-arms the reset for that many more connections."""
        with self.lock:
            for k, v in settings.items():
                if k not in ("up_latency", "down_latency", "bandwidth", "stall_after",
                             "stall_for", "reset_after", "resets"):
                    raise ValueError(f"unknown setting {k}")
                setattr(self, k, v)

    def reset_all(self):
        """Resets every live connection at once (a dropped link)."""
        for c in list(self._conns):
            c.close(rst=True)
            with self.lock:
                self.stats["resets"] += 1

    # -- internals --------------------------------------------------------

    def _accept(self):
        while not self._stopping:
            try:
                client, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            if len(self._conns) >= self.max_conns:
                with self.lock:
                    self.stats["refused"] += 1
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Conn(self, client, server)
            with self.lock:
                self.stats["connections"] += 1
                self._conns.add(conn)
            _Pipe(self, conn, client, server, True).start()
            _Pipe(self, conn, server, client, False).start()

    def _forget(self, conn):
        with self.lock:
            self._conns.discard(conn)
