"""The field link (issue 13): tablets' outboxes drained through linkproxy, the
project's own fault-injecting proxy, against a real inspectd.

- Two tablets (the lead and the member of one task) queue, while the link is
  down, a check-in, their findings and 10 photos each; then `inspectctl
  field outbox run` drains both through the proxy resetting every ~3 s:
  every photo is stored once under its hash, every finding and check-in
  once, both outboxes end empty, and no tablet asked GetUploadStatus (the
  server's call log): resumes took the committed offset from UploadPhoto's
  initial metadata. The link also goes silent for a second now and then.
- The same with each tablet's drain killed with SIGKILL twice and started
  again.
- A SyncTasks on the channel of a saturating upload (link_tablet) finishes
  within 2x its time alone.
- The resume protocol seen from grpcio: the committed offset in the initial
  metadata, resent chunks checked (DATA_LOSS when they differ) and skipped.

The link here is faster than bench/link's (1 MB/s, 20 ms each way) to keep
the suite quick. Run by CTest (tests/link/CMakeLists.txt sets the paths).
"""

import collections
import os
import random
import re
import signal
import subprocess
import sys
import shutil
import tempfile
import threading
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "interop"))

import test_field as tf  # noqa: E402
from inspectd_harness import INSPECTCTL, call_server_stream  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from inspect_pb.v1 import audit_pb2  # noqa: E402

LINKPROXY = os.environ.get("LINKPROXY", "")
LINK_TABLET = os.environ.get("LINK_TABLET", "")
RATE = 600_000        # bytes per second, each direction, shared by the tablets
LATENCY_MS = 20       # each way
RESET_MS = 3000       # mean time between resets


class Proxy:
    """linkproxy in front of `port`; stats() asks it for its counters."""

    def __init__(self, port, **opts):
        argv = [LINKPROXY, "--target", str(port)]
        for k, v in opts.items():
            argv += ["--" + k.replace("_", "-"), str(v)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("port "):
            self.proc.kill()
            raise AssertionError("linkproxy did not start: " + line)
        self.addr = "127.0.0.1:" + line.split()[1]

    def stats(self):
        self.proc.send_signal(signal.SIGUSR1)
        line = self.proc.stdout.readline()
        return {k: int(v) for k, v in (f.split("=") for f in line.split()[1:])}

    def stop(self):
        self.proc.terminate()
        self.proc.communicate(timeout=10)


class LinkTest(tf.FieldTest):
    """One inspectd with the demo district; each test has its own task."""

    @classmethod
    def _set_up(cls):
        tc = cls._district()
        cls.t_drain = tc.new_task("XD-2026-001204")
        cls.t_kill = tc.new_task("XD-2026-001206")
        cls.t_sync = tc.new_task("XD-2026-001208")
        cls.tmp = tempfile.mkdtemp(prefix="link-test-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        pass

    # -- the tablets ---------------------------------------------------------

    def ctl(self, inspector, *args, server=None, timeout=90):
        argv = [INSPECTCTL, "--server", server or self.server.addr, "--token",
                self.token(inspector), "field", "outbox"] + list(args)
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)

    def queue_tablet(self, task, lead, photos):
        """Queues, with no link, a check-in, `photos` photos and the findings
        citing them for one member of `task`. Returns (inspector, outbox
        folder, [Photo])."""
        m = self.member(task, lead)
        who = m.inspector_id
        box = tempfile.mkdtemp(prefix="outbox-", dir=self.tmp)
        pkg = self.package(task, who)
        answers, _ = self.answers(self.template_for(pkg, m.department))
        target = next(a for a in answers if a.photo_ids)
        del target.photo_ids[:]
        dead = "127.0.0.1:1"  # nothing listens: the add commands must not need a link
        res = self.ctl(who, "add", box, "checkin", task.id, "--lat", str(pkg.site.latitude),
                       "--lon", str(pkg.site.longitude), server=dead)
        self.assertEqual(res.returncode, 0, res.stderr)
        made = []
        for i in range(photos):
            p = tf.Photo(random.randint(150_000, 350_000))
            path = os.path.join(box + "-photos", f"p{i}.jpg")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(p.data)
            res = self.ctl(who, "add", box, "upload", path, "--task", task.id, "--item",
                           target.item_code, server=dead)
            self.assertEqual(res.returncode, 0, res.stderr)
            target.photo_ids.append(p.id)
            made.append(p)
        body = self.body(pkg, who, m.department, answers)
        fpath = box + "-findings.json"
        with open(fpath, "w") as f:
            f.write(json_format.MessageToJson(body, preserving_proto_field_name=True))
        res = self.ctl(who, "add", box, "submit", fpath, server=dead)
        self.assertEqual(res.returncode, 0, res.stderr)
        res = self.ctl(who, "status", box)
        self.assertIn(f"outbox: {photos + 2} items, {photos + 2} waiting, 0 refused",
                      res.stdout)
        return who, box, made

    def run_drain(self, who, box, addr, kills=()):
        """Drains `box` through `addr`, SIGKILLing the drain at each of the
        `kills` seconds after its start and starting it again. Returns the
        stdout of every run."""
        argv = [INSPECTCTL, "--server", addr, "--token", self.token(who), "--timeout", "5s",
                "field", "outbox", "run", box, "--retries", "30"]
        outs, killed = [], 0
        for delay in list(kills) + [None]:
            p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
            if delay is not None:
                time.sleep(delay)
                if p.poll() is None:
                    p.send_signal(signal.SIGKILL)
                    killed += 1
                out, err = p.communicate(timeout=30)
                outs.append(out)
                continue
            out, err = p.communicate(timeout=240)
            self.assertEqual(p.returncode, 0, err)
            outs.append(out)
        self.assertEqual(killed, len(kills), "the drain ended before it could be killed")
        return outs

    def photo_item(self, task, lead):
        """The lead's or the member's inspector id and an item of his
        checklist that takes photos."""
        m = self.member(task, lead)
        pkg = self.package(task, m.inspector_id)
        answers, _ = self.answers(self.template_for(pkg, m.department))
        return m.inspector_id, next(a for a in answers if a.photo_ids).item_code

    def events(self, actor):
        """Audit events of `actor`: Counter of (action, entity)."""
        aud = self.server.token("auditor", "aud-link")
        evs = call_server_stream(self.channel, "/inspect.v1.Audit/ListEvents",
                                 audit_pb2.ListEventsRequest(actor=actor),
                                 audit_pb2.AuditEvent, token=aud, timeout=30)
        return collections.Counter((e.action, e.entity) for e in evs)

    def calls(self, method):
        return len(re.findall(re.escape("/inspect.v1.Field/" + method) + r"\b",
                              self.server.stderr_text()))

    def check_arrived(self, task, who, box, photos):
        ev = self.events(who)
        for p in photos:
            self.assertEqual(ev[("photo.stored", "photo/" + p.id)], 1, p.id)
        stored = sum(n for (a, _), n in ev.items() if a == "photo.stored")
        self.assertEqual(stored, len(photos))
        by_action = collections.Counter()
        for (a, _), n in ev.items():
            by_action[a] += n
        self.assertEqual(by_action["findings.submitted"], 1, ev)
        self.assertEqual(by_action["findings.resubmitted"], 0, ev)
        self.assertEqual(by_action["task.checked_in"], 1, ev)
        res = self.ctl(who, "status", box)
        self.assertIn("outbox: 0 items, 0 waiting, 0 refused", res.stdout)

    def drain_two(self, task, kills, **link):
        tablets = [self.queue_tablet(task, lead, 10) for lead in (True, False)]
        gus = self.calls("GetUploadStatus")
        px = Proxy(self.server.port, rate=RATE, latency_ms=LATENCY_MS, reset_ms=RESET_MS,
                   seed=random.randint(1, 1 << 30), **link)
        try:
            procs = []
            outs = [None, None]

            def drain(i, who, box):
                outs[i] = self.run_drain(who, box, px.addr, kills)

            for i, (who, box, _) in enumerate(tablets):
                t = threading.Thread(target=drain, args=(i, who, box))
                t.start()
                procs.append(t)
            for t in procs:
                t.join(300)
            stats = px.stats()
        finally:
            px.stop()
        self.assertGreaterEqual(stats["resets"], 2, stats)
        for (who, box, photos), out in zip(tablets, outs):
            self.assertIsNotNone(out)
            self.check_arrived(task, who, box, photos)
        # resumes took the committed offset from UploadPhoto itself
        self.assertEqual(self.calls("GetUploadStatus"), gus)
        self.assertGreater(self.calls("UploadPhoto"), 20)
        return stats

    # -- the tests -------------------------------------------------------------

    def test_link_outbox_drains_through_resets(self):
        # and through a link that goes silent for a second now and then
        self.drain_two(self.t_drain, (), stall_ms=3000, stall_for_ms=1000)

    def test_link_outbox_survives_sigkill(self):
        self.drain_two(self.t_kill, (1.5, 2.5))

    def test_link_resume_metadata_and_skip(self):
        """The protocol of field.proto ("Resuming an upload") from grpcio."""
        who, item = self.photo_item(self.t_sync, True)
        photo = tf.Photo(10 * tf.CHUNK + 123)
        uid = tf.rid()
        cut = 4 * tf.CHUNK
        hdr = photo.header(uid, self.t_sync.id, item)
        # a first part: 4 chunks committed, then the tablet stops
        code = self.assertStatus(tf.FP, self.upload, who, [hdr] + list(photo.chunks(0, cut)))
        self.assertIn(f"resume from offset {cut}", code)
        fn = self.channel.stream_unary(tf.FLD + "UploadPhoto", request_serializer=tf._ser,
                                       response_deserializer=tf.field_pb2.UploadPhotoResponse
                                       .FromString)
        auth = [("authorization", "Bearer " + self.token(who))]
        # resent bytes that differ from the committed ones: DATA_LOSS, nothing changes
        bad = bytearray(photo.data[:tf.CHUNK])
        bad[100] ^= 1
        wrong = tf.field_pb2.UploadPhotoRequest(chunk=tf.field_pb2.UploadChunk(
            offset=0, data=bytes(bad)))
        msg = self.assertStatus(tf.DL, fn, iter([hdr, wrong]), timeout=20, metadata=auth)
        self.assertIn("at offset 0 differs from the 65536 bytes committed", msg)
        self.assertEqual(self.status(who, uid).committed_offset, cut)
        # the committed offset comes in the initial metadata, before any chunk
        release = threading.Event()

        def header_only():
            yield hdr
            release.wait(20)

        fut = fn.future(header_only(), timeout=30, metadata=auth)
        md = dict(fut.initial_metadata())
        release.set()
        self.assertEqual(md.get("inspect-committed-offset"), str(cut))
        fut.cancel()
        # from an older offset, with a chunk straddling the committed one: the
        # committed part is checked and skipped, the rest stored, once
        chunks = [tf.field_pb2.UploadPhotoRequest(chunk=tf.field_pb2.UploadChunk(
            offset=o, data=photo.data[o:o + 5 * tf.CHUNK // 4]))
            for o in range(tf.CHUNK, len(photo.data), 5 * tf.CHUNK // 4)]
        r = self.upload(who, [hdr] + chunks)
        self.assertEqual(r.photo_id, photo.id)
        self.assertFalse(r.duplicate)
        # after a new chunk, only the next offset: an old one is refused
        photo2 = tf.Photo(6 * tf.CHUNK)
        uid2 = tf.rid()
        hdr2 = photo2.header(uid2, self.t_sync.id, item)
        back = list(photo2.chunks(0, 2 * tf.CHUNK)) + list(photo2.chunks(0, tf.CHUNK))
        msg = self.assertStatus(tf.FP, self.upload, who, [hdr2] + back)
        self.assertIn("committed offset is 131072", msg)

    def test_link_sync_not_behind_upload(self):
        who, item = self.photo_item(self.t_sync, False)
        box = tempfile.mkdtemp(prefix="outbox-sync-", dir=self.tmp)
        for i in range(2):
            path = os.path.join(self.tmp, f"sync{i}.jpg")
            with open(path, "wb") as f:
                f.write(os.urandom(4 << 20))
            res = self.ctl(who, "add", box, "upload", path, "--task", self.t_sync.id,
                           "--item", item)
            self.assertEqual(res.returncode, 0, res.stderr)
        # a slower link than the other tests': the upload fills it for seconds
        px = Proxy(self.server.port, rate=500_000, latency_ms=50)
        try:
            res = subprocess.run([LINK_TABLET, "--server", px.addr, "--token", self.token(who),
                                  "--outbox", box, "--alone", "5", "--every-ms", "300"],
                                 capture_output=True, text=True, timeout=240)
        finally:
            px.stop()
        self.assertEqual(res.returncode, 0, res.stderr)
        figs = dict(re.findall(r"(\w+)=([\d.]+)", res.stdout))
        alone, during = float(figs["alone_p50_s"]), float(figs["during_p50_s"])
        self.assertGreaterEqual(int(figs["during_n"]), 5, res.stdout)
        self.assertLessEqual(during, 2 * alone + 0.05, res.stdout)


def load_tests(loader, tests, pattern):
    """Only this file's tests, not the ones LinkTest inherits."""
    names = [n for n in LinkTest.__dict__ if n.startswith("test_")]
    return unittest.TestSuite(LinkTest(n) for n in sorted(names))


if __name__ == "__main__":
    unittest.main()
