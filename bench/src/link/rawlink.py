"""rawlink.py: the raw goodput of a link, for bench/link.

  rawlink.py sink PORT_FILE   a TCP sink on an ephemeral loopback port
                              (written to PORT_FILE); prints SINK_BYTES <n>
                              once its stdin closes
  rawlink.py push PORT SECS   pushes bytes to PORT (the proxy) for SECS,
                              reconnecting at once after each reset
"""
import socket
import sys
import threading
import time


def main():
    mode = sys.argv[1]
    if mode == "sink":  # sink PORT_FILE: count what arrives until stdin closes
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(16)
        with open(sys.argv[2], "w") as f:
            f.write("%d\n" % srv.getsockname()[1])
        got = [0]

        def serve(c):
            while True:
                try:
                    d = c.recv(65536)
                except OSError:
                    break
                if not d:
                    break
                got[0] += len(d)
            c.close()

        def accept():
            while True:
                c, _ = srv.accept()
                threading.Thread(target=serve, args=(c,), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        sys.stdin.read()
        print("SINK_BYTES", got[0])
        return
    # push PORT SECONDS
    port, secs = int(sys.argv[2]), float(sys.argv[3])
    block = b"\0" * 16384
    t0 = time.monotonic()
    drops = 0
    while time.monotonic() - t0 < secs:
        try:
            s = socket.create_connection(("127.0.0.1", port))
            s.settimeout(1.0)
            while time.monotonic() - t0 < secs:
                try:
                    s.sendall(block)
                except socket.timeout:
                    pass
            s.close()
        except OSError:
            drops += 1
            time.sleep(0.01)
    print("PUSH_SECONDS %.3f PUSH_DROPS %d" % (time.monotonic() - t0, drops))


if __name__ == "__main__":
    main()
