"""End-to-end tests of --send-output (hbrun(1), THE JOB'S OUTPUT): every
byte copied on in order, the tail POSTed with the end request, a slow or
closed reader of hbrun's output, a descendant holding the pipe.

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_output.py
"""

import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tty
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

from servercase import ServerCase  # noqa: E402
from harness import command, run, scaled, start, upper  # noqa: E402

OK = ("status", 200, {}, b"OK")
F_GETPIPE_SZ = 1032
NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"  # one that user may run
# Pipes enlarged to 1 MiB until the user is past pipe-user-pages-soft
# (the kernel then refuses more), held open until killed.
PIPE_HOG = r"""
import fcntl, os, sys, time
held = []
while True:
    r, w = os.pipe()
    held += [r, w]
    try:
        fcntl.fcntl(w, 1031, 1 << 20)
    except PermissionError:
        break
print("full", flush=True)
time.sleep(120)
"""
# Numbered lines on stdout and on stderr, interleaved in the job.
BOTH = ('i=0; while [ $i -lt 2000 ]; do echo "out $i"; echo "err $i" >&2; '
        'i=$((i+1)); done')


def numbered(prefix, n=2000):
    return "".join("%s %d\n" % (prefix, i) for i in range(n))


def drained(fd, got):
    """A thread that reads FD until end of file (or EIO: a terminal whose
    other side has gone) into the list GOT."""
    def read():
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            got.append(chunk)
    t = threading.Thread(target=read, daemon=True)
    t.start()
    return t


def sink(kind):
    """hbrun's stdout of KIND: (the descriptor to give hbrun, the one to
    read back, whether that is a file to read after the run)."""
    if kind == "pipe":
        r, w = os.pipe()
        return w, r, False
    if kind == "socket":  # systemd's journal stream is one
        a, b = socket.socketpair()
        return a.detach(), b.detach(), False
    if kind == "terminal":
        master, slave = os.openpty()
        tty.setraw(slave)  # bytes as they are, no CR added
        return slave, master, False
    fd, path = tempfile.mkstemp(prefix="hbrun-output-")
    os.unlink(path)
    return fd, os.dup(fd), True


class Output(ServerCase):
    def args(self, srv, size, *extra):
        return (["--send-output", str(size), "--ping-url", srv.base + "/ok",
                 "--fail-url", srv.base + "/fail"] + list(extra))

    def test_every_byte_copied_in_order_and_the_tail_sent(self):
        srv = self.server(plan=[OK])
        res = run(self.args(srv, 100) + ["--", "sh", "-c", BOTH + "; sleep 0.2; printf end"],
                  self.sb.env())
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(res.stdout, numbered("out") + "end")
        self.assertEqual(res.stderr, numbered("err"))
        (r,) = srv.requests
        self.assertEqual((r.method, r.target), ("POST", "/ok"))
        self.assertEqual(r.headers.get("content-type"), "text/plain")
        self.assertEqual(len(r.body), 100)
        self.assertTrue(r.body.endswith(b"end"), r.body)
        # the tail is the bytes in the order read: whole lines of both
        lines = r.body.decode().splitlines()[1:]
        self.assertTrue(set(lines) <= set(res.stdout.splitlines() + res.stderr.splitlines()),
                        lines)

    def test_fail_request_carries_the_tail(self):
        srv = self.server(plan=[OK])
        res = run(self.args(srv, 10) + ["--", "sh", "-c", "echo 0123456789abcdef; exit 3"],
                  self.sb.env())
        self.assertEqual(res.returncode, 3, res)
        self.assertEqual([(r.target, r.body) for r in srv.requests],
                         [("/fail", b"789abcdef\n")])

    def test_body_resent_whole_on_retries(self):
        srv = self.server(plan=[("status", 503, {}, b""), OK])
        res = run(self.args(srv, 4096) + ["--", "sh", "-c", "seq 1 500"], self.sb.env())
        self.assertEqual(res.returncode, 0, res)
        want = "".join("%d\n" % i for i in range(1, 501)).encode()[-4096:]
        self.assertEqual([r.body for r in srv.requests], [want, want])

    def test_ping_body_limit_of_the_start_reply_lowers_it(self):
        srv = self.server(plan=[("status", 200, {"Ping-Body-Limit": "5"}, b"OK")])
        res = run(["--service", "healthchecks", "--api-url", srv.base, "-t", "tok",
                   "--send-output", "100", "--", "sh", "-c", "sleep 0.3; echo hello-world"],
                  self.sb.env())
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(res.stdout, "hello-world\n")
        self.assertEqual([r.body for r in srv.requests], [b"", b"orld\n"])

    def test_off_by_default_and_with_get(self):
        srv = self.server(plan=[OK])
        res = run(["--ping-url", srv.base + "/ok", "--", "echo", "hi"], self.sb.env())
        self.assertEqual(srv.requests[-1].body, b"")
        res = run(self.args(srv, 100, "--method", "GET") + ["--", "echo", "hi"],
                  self.sb.env())
        self.assertEqual((res.returncode, res.stdout), (0, "hi\n"), res)
        self.assertEqual(res.lines(), ["hbrun: send_output needs POST, and the method "
                                       "is GET; the job's output is not sent"])
        self.assertEqual((srv.requests[-1].method, srv.requests[-1].body), ("GET", b""))

    def test_the_job_output_is_a_pipe_only_with_it(self):
        srv = self.server(plan=[OK])
        probe = ["sh", "-c", "readlink /proc/self/fd/1; readlink /proc/$PPID/fd/1"]
        res = run(["--ping-url", srv.base + "/ok", "--"] + probe, self.sb.env())
        job, mine = res.stdout.split()
        self.assertEqual(job, mine)
        res = run(self.args(srv, 10) + ["--"] + probe, self.sb.env())
        job, mine = res.stdout.split()
        self.assertNotEqual(job, mine)

    def test_the_job_pipes_are_enlarged_where_allowed(self):
        srv = self.server(plan=[OK])
        probe = [sys.executable, "-c", "import fcntl; print(fcntl.fcntl(1, %d), "
                 "fcntl.fcntl(2, %d))" % (F_GETPIPE_SZ, F_GETPIPE_SZ)]
        res = run(self.args(srv, 100) + ["--"] + probe, self.sb.env())
        with open("/proc/sys/fs/pipe-max-size") as f:
            allowed = os.geteuid() == 0 or int(f.read()) >= 1 << 20
        size = str(1 << 20 if allowed else 65536)
        self.assertEqual((res.returncode, res.stdout.split()), (0, [size, size]), res)

    @unittest.skipUnless(os.geteuid() == 0 and os.access(SYSTEM_PYTHON, os.X_OK),
                         "another user's pipe quota needs root")
    def test_a_refused_pipe_size_changes_nothing(self):
        # A user past pipe-user-pages-soft gets no larger pipe (and new
        # pipes of 2 pages): hbrun goes on with what it has.
        srv = self.server(plan=[OK])
        holder = subprocess.Popen(
            [SYSTEM_PYTHON, "-c", PIPE_HOG], preexec_fn=lambda: os.setuid(NOBODY),
            stdout=subprocess.PIPE)
        self.addCleanup(lambda: holder.poll() is None and holder.kill())
        self.assertEqual(holder.stdout.readline(), b"full\n")
        size, tail = 3 * 1048576 + 17, 100000
        job = ("import fcntl, os, random, sys\n"
               "os.write(2, b'%%d\\n' %% fcntl.fcntl(1, %d))\n"
               "data = random.Random(3).randbytes(%d); at = 0\n"
               "while at < len(data):\n"
               "    at += os.write(1, data[at:at + 70000])\n" % (F_GETPIPE_SZ, size))
        expected = __import__("random").Random(3).randbytes(size)
        p = subprocess.run(command(self.args(srv, tail) + ["--", SYSTEM_PYTHON, "-c", job]),
                           env=self.sb.env(TMPDIR="/tmp"), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=upper(120),
                           preexec_fn=lambda: os.setuid(NOBODY))
        holder.kill()
        holder.wait()
        holder.stdout.close()
        self.assertEqual(p.returncode, 0, p.stderr[-500:])
        # the job's pipe is the small one the kernel gave
        self.assertLess(int(p.stderr.split(b"\n")[0]), 65536, p.stderr[-500:])
        self.assertEqual(p.stdout, expected)
        (r,) = srv.requests
        self.assertEqual(r.body, expected[-tail:])

    def through_sink(self, kind, tail, job, expected):
        """JOB under hbrun --send-output TAIL, its stdout a sink of KIND:
        every byte came through, and the end request's body is the tail."""
        srv = self.server(plan=[OK])
        give, back, is_file = sink(kind)
        got = []
        reader = None if is_file else drained(back, got)
        try:
            res = run(self.args(srv, tail) + ["--"] + job, self.sb.env(), stdout=give,
                      timeout=upper(120))
        finally:
            os.close(give)
        if is_file:
            got.append(os.pread(back, len(expected) + 1, 0))
        else:
            reader.join(upper(30))
        os.close(back)
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(b"".join(got), expected)
        (r,) = srv.requests
        self.assertEqual(r.body, expected[-tail:])

    def test_every_byte_reaches_each_kind_of_output_and_the_tail_is_exact(self):
        # hbrun copies a pipe into a pipe with tee(), and reads and writes
        # for the others; the tail must come out the same either way.
        expected = numbered("line", 60000).encode()
        for kind in ("pipe", "socket", "terminal", "file"):
            with self.subTest(kind=kind):
                self.through_sink(kind, 1000, ["sh", "-c", 'i=0; while [ $i -lt 60000 ]; do '
                                               'echo "line $i"; i=$((i+1)); done'], expected)

    def test_a_tail_larger_than_the_cache_is_exact(self):
        # Big chunks go into the tail around the cache, in 64-byte blocks
        # after an unaligned start: odd sizes and a ring that wraps
        # anywhere must still give the exact last bytes.
        size, tail = 5 * 1048576 + 4321, 1048576 - 7
        job = ("import os, random, sys\n"
               "r = random.Random(7); data = r.randbytes(%d); at = 0\n"
               "while at < len(data):\n"
               "    n = r.choice([1, 63, 255, 4097, 65536, 200003])\n"
               "    at += os.write(1, data[at:at + n])\n" % size)
        expected = __import__("random").Random(7).randbytes(size)
        for kind in ("pipe", "file"):
            with self.subTest(kind=kind):
                self.through_sink(kind, tail, [sys.executable, "-c", job], expected)

    def test_a_reader_gone_is_passed_on_as_sigpipe(self):
        # `hbrun --send-output N -- yes | head -1` ends as `yes | head -1`:
        # the job, writing for ever, ends by SIGPIPE once its reader has
        # gone, for every kind of hbrun stdout that can lose its reader.
        job = ["sh", "-c", 'i=0; while :; do echo "out $i"; echo "err $i" >&2; '
               'i=$((i+1)); done']
        for kind in ("pipe", "socket"):
            with self.subTest(kind=kind):
                srv = self.server(plan=[OK])
                ends = []
                for wrapped in (False, True):
                    give, back, _ = sink(kind)
                    argv = command(self.args(srv, 20) + ["--"] + job) if wrapped else job
                    p = subprocess.Popen(argv, env=self.sb.env(), stdout=give,
                                         stderr=subprocess.PIPE)
                    os.close(give)
                    first = b""
                    while not first.endswith(b"\n"):
                        first += os.read(back, 1)
                    os.close(back)  # the reader goes away after one line
                    try:
                        _, err = p.communicate(timeout=scaled(30))
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.communicate()
                        self.fail("the job ran on after its reader had gone")
                    ends.append((p.returncode, first, err))
                (alone, first_alone, _), (wrapped_rc, first, err) = ends
                self.assertEqual(alone, -signal.SIGPIPE)
                self.assertEqual(wrapped_rc, alone, err[-300:])
                self.assertEqual((first_alone, first), (b"out 0\n", b"out 0\n"))
                # stderr, still read, got every line the job wrote
                lines = err.decode().splitlines()
                self.assertEqual(lines, ["err %d" % i for i in range(len(lines))])
                (r,) = srv.requests
                self.assertEqual(r.target, "/fail")
                self.assertTrue(r.body.endswith(b"\n"), r.body)

    def test_a_slow_reader_gets_every_byte(self):
        # A reader taking 40 KB/s: the job is long done while hbrun still
        # holds a pipe's worth for it, and all of it goes out, then the
        # success request with the exact tail.
        srv = self.server(plan=[OK])
        expected = numbered("line", 25000).encode()  # 268,890 bytes
        p = subprocess.Popen(command(self.args(srv, 1000) + [
            "--", "sh", "-c", 'i=0; while [ $i -lt 25000 ]; do echo "line $i"; '
            'i=$((i+1)); done']), env=self.sb.env(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        got = []
        while True:
            chunk = p.stdout.read1(4096)
            if not chunk:
                break
            got.append(chunk)
            time.sleep(0.1)
        err = p.stderr.read()
        p.stdout.close()
        p.stderr.close()
        self.assertEqual(p.wait(scaled(60)), 0, err)
        self.assertEqual(b"".join(got), expected)
        (r,) = srv.requests
        self.assertEqual((r.target, r.body), ("/ok", expected[-1000:]))

    def test_descendant_holding_the_pipe_gets_one_second(self):
        srv = self.server(plan=[OK])
        t0 = time.monotonic()
        res = run(self.args(srv, 100) + ["--", "sh", "-c", "(sleep 20; echo late) & echo now"],
                  self.sb.env(), timeout=60)
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(res.stdout, "now\n")
        self.assertLess(time.monotonic() - t0, upper(10))
        self.assertEqual(srv.requests[-1].body, b"now\n")

    def test_slow_reader_slows_the_job_and_nothing_piles_up(self):
        srv = self.server(plan=[OK])
        size = 32 * 1024 * 1024
        p = subprocess.Popen(command(self.args(srv, 1000) + [
            "--", "head", "-c", str(size), "/dev/zero"]), env=self.sb.env(),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        got, first, peak = 0, None, 0
        while True:
            chunk = p.stdout.read1(65536)
            if not chunk:
                break
            got += len(chunk)
            if got < size // 2:
                time.sleep(0.0005)
                try:
                    with open("/proc/%d/status" % p.pid) as f:
                        rss = [l for l in f if l.startswith("VmRSS")][0]
                    kib = int(rss.split()[1])
                    first = kib if first is None else first
                    peak = max(peak, kib)
                except (FileNotFoundError, IndexError, ProcessLookupError):
                    pass
        p.wait(60)
        p.stdout.close()
        self.assertEqual((p.returncode, got), (0, size))
        # What hbrun holds grows by its buffers at most, nowhere near the
        # 32 MiB that went through it (under valgrind too).
        self.assertLess(peak - first, 16 * 1024, "hbrun grew from %d to %d KiB"
                        % (first, peak))

    def test_signals_forwarded_while_its_stdout_is_stuck(self):
        srv = self.server(plan=[OK])
        r, w = os.pipe()  # read by nobody until the end: the job blocks
        p = subprocess.Popen(command(self.args(srv, 100) + [
            "--", "sh", "-c", "trap 'echo got-term >&2; exit 7' TERM; echo up >&2; "
            "head -c 4000000 /dev/zero & wait $!; sleep 30 & wait $!"]),
            env=self.sb.env(), stdout=w, stderr=subprocess.PIPE)
        os.close(w)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        # stderr still flows while stdout is stuck
        self.assertEqual(p.stderr.readline(), b"up\n")
        time.sleep(0.5)
        p.send_signal(signal.SIGTERM)
        err = b""
        end = time.monotonic() + 20
        while p.poll() is None and time.monotonic() < end:
            if select.select([r], [], [], 0.05)[0]:
                os.read(r, 65536)
        err = p.stderr.read()
        p.stderr.close()
        os.close(r)
        self.assertEqual(p.returncode, 7, err)
        self.assertIn(b"got-term", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
