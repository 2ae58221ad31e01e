"""End-to-end tests of --output-on-failure (hbrun(1), THE JOB'S OUTPUT): the
job's output held in an unnamed file and written back byte for byte, each
chunk to its own stream in the order read, only when the run was not a
success; nothing at all after a success; a full or unwritable TMPDIR
passes everything through with one warning.

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_held.py
"""

import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from servercase import ServerCase  # noqa: E402
from harness import command, upper  # noqa: E402

OK = ("status", 200, {}, b"OK")


def under_asan():
    try:
        with open(harness.HBRUN, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


# The big run: 1 GiB once in the plain build; the sanitizers and valgrind
# run hbrun's copying many times slower, and the budget is the same.
BIG = (16 << 20 if harness.UNDER_VALGRIND
       else 64 << 20 if under_asan() else 1 << 30)

# A job (python3 -c) writing argv[1]'s blocks of binary data: block I of
# stream S is 64 KiB of a seeded generator, written with os.write; the
# stream of each block alternates unless argv[2] says "out".  No trailing
# newline anywhere.  Deterministic, so the test computes the same bytes.
WRITER = r"""
import os, random, sys
total, which, status = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rng = random.Random(7)
base = rng.randbytes(65536)
i = done = 0
while done < total:
    block = (i.to_bytes(8, "little") + base)[:min(65536, total - done)]
    fd = 1 if which == "out" or i % 2 == 0 else 2
    view = memoryview(block)
    while view:
        view = view[os.write(fd, view):]
    done += len(block)
    i += 1
sys.exit(status)
"""


def written(total, which):
    """What WRITER writes: (stdout bytes hash or bytes, stderr bytes)."""
    import random
    rng = random.Random(7)
    base = rng.randbytes(65536)
    out, err = hashlib.sha256(), hashlib.sha256()
    i = done = 0
    while done < total:
        block = (i.to_bytes(8, "little") + base)[:min(65536, total - done)]
        (out if which == "out" or i % 2 == 0 else err).update(block)
        done += len(block)
        i += 1
    return out.hexdigest(), err.hexdigest()


def writer(total, which="both", status=1):
    return [sys.executable, "-c", WRITER, str(total), which, str(status)]


# A job that writes to stdout and stderr in turn, each time waiting until
# the pipe is empty (hbrun has read it) before it writes to the other:
# the order hbrun read them in is then the order written.
TURNS = r"""
import fcntl, os, struct, sys, termios, time
for i in range(200):
    fd = 1 + i % 2
    os.write(fd, b"%s %d;" % (b"out" if fd == 1 else b"err", i))
    while struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]:
        time.sleep(0.001)
sys.exit(5)
"""


def run_bytes(args, env, timeout=300, **kw):
    """hbrun with ARGS, stdout and stderr as bytes."""
    p = subprocess.run(command(args), env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, **kw)
    if harness.UNDER_VALGRIND and harness.VALGRIND_REPORT.search(p.stderr.decode("latin-1")):
        raise AssertionError("valgrind found errors:\n%s" % p.stderr.decode("latin-1"))
    return p


def start(args, env, **kw):
    """hbrun with ARGS in the background, its output as bytes."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(command(args), env=env, **kw)


# valgrind's own notes (--PID--, such as a system call it does not know)
# are the wrapper's, not hbrun's.
VALGRIND_NOTE = re.compile(rb"^--\d+-- ")


def hbrun_lines(err):
    return [l for l in err.decode("latin-1").splitlines() if l.startswith("hbrun: ")]


def without_hbrun_lines(err):
    return b"".join(l for l in err.splitlines(keepends=True)
                    if not l.startswith(b"hbrun: ")
                    and not (harness.UNDER_VALGRIND and VALGRIND_NOTE.match(l)))


class Held(ServerCase):
    def args(self, srv, *extra):
        return (["--output-on-failure", "--ping-url", srv.base + "/ok",
                 "--fail-url", srv.base + "/fail"] + list(extra))

    def paths(self, srv):
        return [r.target.split("?")[0] for r in srv.requests]

    def test_binary_output_replayed_byte_for_byte_on_failure(self):
        srv = self.server(plan=[OK])
        size = 3 * 65536 + 12345  # the last block ends mid-way, no newline
        p = run_bytes(self.args(srv, "--", *writer(size)), self.sb.env())
        self.assertEqual(p.returncode, 1, p.stderr[-500:])
        out, err = written(size, "both")
        self.assertEqual(hashlib.sha256(p.stdout).hexdigest(), out)
        self.assertEqual(hashlib.sha256(p.stderr).hexdigest(), err,
                         hbrun_lines(p.stderr))
        self.assertEqual(self.paths(srv), ["/fail"])

    def test_no_trailing_newline_and_the_order_read(self):
        srv = self.server(plan=[OK])
        r, w = os.pipe()  # both of hbrun's streams into one pipe
        p = subprocess.Popen(command(self.args(srv, "--", sys.executable, "-c", TURNS)),
                             env=self.sb.env(), stdout=w, stderr=w)
        os.close(w)
        got = b""
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                break
            got += chunk
        os.close(r)
        p.wait(120)
        self.assertEqual(p.returncode, 5)
        want = b"".join(b"%s %d;" % (b"out" if i % 2 == 0 else b"err", i)
                        for i in range(200))
        self.assertEqual(got, want)

    def test_a_gibibyte(self):
        srv = self.server(plan=[OK])
        p = start(self.args(srv, "--", *writer(BIG, "out")), self.sb.env())
        self.addCleanup(lambda: p.poll() is None and p.kill())
        digest, got = hashlib.sha256(), 0
        while True:
            chunk = p.stdout.read1(1 << 20)
            if not chunk:
                break
            digest.update(chunk)
            got += len(chunk)
        err = p.stderr.read()
        p.wait(60)
        p.stdout.close()
        p.stderr.close()
        self.assertEqual((p.returncode, got, err), (1, BIG, b""))
        self.assertEqual(digest.hexdigest(), written(BIG, "out")[0])

    def test_a_descendant_holding_the_pipe(self):
        srv = self.server(plan=[OK])
        t0 = time.monotonic()
        p = run_bytes(self.args(srv, "--", "sh", "-c",
                                "(sleep 20; echo late) & printf now; exit 2"),
                      self.sb.env(), timeout=60)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (2, b"now", b""))
        self.assertLess(time.monotonic() - t0, upper(10))
        self.assertEqual(self.paths(srv), ["/fail"])

    def test_timed_out_124(self):
        srv = self.server(plan=[OK])
        p = run_bytes(self.args(srv, "--timeout", "0.5", "--", "sh", "-c",
                                "printf out; echo err >&2; exec sleep 30"),
                      self.sb.env(), timeout=60)
        self.assertEqual((p.returncode, p.stdout), (124, b"out"))
        self.assertEqual(without_hbrun_lines(p.stderr), b"err\n")
        self.assertEqual(len(hbrun_lines(p.stderr)), 1, p.stderr)
        self.assertIn("timed out", hbrun_lines(p.stderr)[0])

    def test_killed_by_a_signal(self):
        srv = self.server(plan=[OK])
        p = run_bytes(self.args(srv, "--", "sh", "-c",
                                "printf out; printf err >&2; kill -9 $$"),
                      self.sb.env(), timeout=60)
        self.assertEqual((p.returncode, p.stdout, p.stderr),
                         (-signal.SIGKILL, b"out", b"err"))
        self.assertEqual(self.paths(srv), ["/fail"])

    def test_asked_to_stop_even_when_it_exits_0(self):
        srv = self.server(plan=[OK])
        mark = self.sb.path("up")
        p = start(self.args(srv, "--", "sh", "-c",
                            "trap 'printf bye; exit 0' TERM; printf out; printf err >&2; "
                            "touch %s; while :; do sleep 0.1; done" % mark),
                  self.sb.env())
        self.addCleanup(lambda: p.poll() is None and p.kill())
        end = time.monotonic() + harness.scaled(30)
        while not os.path.exists(mark) and time.monotonic() < end:
            time.sleep(0.05)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
        self.assertEqual((p.returncode, out, err), (0, b"outbye", b"err"))
        self.assertEqual(self.paths(srv), ["/fail"])

    def test_command_not_found_127(self):
        srv = self.server(plan=[OK])
        p = run_bytes(self.args(srv, "--", "no-such-command-here"), self.sb.env())
        self.assertEqual((p.returncode, p.stdout), (127, b""))
        self.assertEqual(len(hbrun_lines(p.stderr)), 1, p.stderr)
        self.assertEqual(without_hbrun_lines(p.stderr), b"")
        self.assertEqual(self.paths(srv), ["/fail"])

    def test_cannot_execute_126(self):
        srv = self.server(plan=[OK])
        path = self.sb.write_file("not-executable", "echo never\n", 0o644)
        p = run_bytes(self.args(srv, "--", path), self.sb.env())
        self.assertEqual((p.returncode, p.stdout), (126, b""))
        self.assertEqual(len(hbrun_lines(p.stderr)), 1, p.stderr)
        self.assertEqual(without_hbrun_lines(p.stderr), b"")
        self.assertEqual(self.paths(srv), ["/fail"])

    def test_nothing_at_all_after_a_success(self):
        srv = self.server(plan=[OK, OK])
        for status, extra in ((0, []), (3, ["--success-status", "3"])):
            p = run_bytes(self.args(srv, *extra, "--", *writer(300000, status=status)),
                          self.sb.env())
            self.assertEqual((p.returncode, p.stdout, p.stderr), (status, b"", b""))
        self.assertEqual(self.paths(srv), ["/ok", "/ok"])

    def test_with_send_output_the_tail_is_sent_too(self):
        srv = self.server(plan=[OK])
        p = run_bytes(self.args(srv, "--send-output", "6", "--", "sh", "-c",
                                "printf hello; printf ' world' >&2; exit 4"),
                      self.sb.env())
        self.assertEqual((p.returncode, p.stdout, p.stderr), (4, b"hello", b" world"))
        self.assertEqual(self.paths(srv), ["/fail"])
        self.assertEqual(srv.requests[0].body, b" world")

    def test_written_back_to_a_terminal_a_socket_and_a_file(self):
        import pty
        import socket
        import tty
        # sendfile() refuses a file opened for appending (hbrun ... >> log):
        # the write-back falls back to reading and writing.
        for kind in ("terminal", "socket", "file", "appended file"):
            srv = self.server(plan=[OK])
            if kind == "terminal":
                master, give = pty.openpty()
                tty.setraw(give)  # bytes as they are, no CR added
                back = master
            elif kind == "socket":
                a, b = socket.socketpair()
                give, back = a.detach(), b.detach()
            elif kind == "file":
                give = os.open(self.sb.dir, os.O_TMPFILE | os.O_RDWR)
                back = os.dup(give)
            else:
                path = os.path.join(self.sb.dir, "appended.log")
                with open(path, "wb") as f:
                    f.write(b"before\n")
                give = os.open(path, os.O_WRONLY | os.O_APPEND)
                back = os.open(path, os.O_RDONLY)
                self.assertEqual(os.read(back, 7), b"before\n")
            size = 200000
            p = subprocess.Popen(command(self.args(srv, "--", *writer(size, "out"))),
                                 env=self.sb.env(), stdout=give, stderr=subprocess.PIPE)
            os.close(give)
            got = b""
            if kind == "file":
                p.wait(120)
                os.lseek(back, 0, os.SEEK_SET)
            elif kind == "appended file":
                p.wait(120)
            while True:
                try:
                    chunk = os.read(back, 65536)
                except OSError:  # a terminal whose other side has gone
                    break
                if not chunk:
                    break
                got += chunk
                if kind == "terminal" and len(got) >= size:
                    break
            os.close(back)
            err = p.stderr.read()
            p.stderr.close()
            p.wait(120)
            self.assertEqual((p.returncode, err), (1, b""), kind)
            self.assertEqual(hashlib.sha256(got).hexdigest(), written(size, "out")[0], kind)

    def test_a_reader_gone_leaves_the_other_stream(self):
        srv = self.server(plan=[OK])
        r, w = os.pipe()
        os.close(r)  # stdout's reader is gone before anything is written back
        p = subprocess.run(command(self.args(srv, "--", "sh", "-c",
                                             "echo out; echo err >&2; echo more >&2; exit 6")),
                           env=self.sb.env(), stdout=w, stderr=subprocess.PIPE, timeout=60)
        os.close(w)
        self.assertEqual((p.returncode, p.stderr), (6, b"err\nmore\n"))

    def test_the_file_is_unnamed_and_private(self):
        srv = self.server(plan=[OK])
        tmp = tempfile.mkdtemp(prefix="hbrun-held-", dir=self.sb.dir)
        mark = self.sb.path("up")
        p = start(self.args(srv, "--", "sh", "-c",
                            "echo x; touch %s; exec sleep 30" % mark),
                  self.sb.env(TMPDIR=tmp))
        self.addCleanup(lambda: p.poll() is None and p.kill())
        end = time.monotonic() + harness.scaled(30)
        while not os.path.exists(mark) and time.monotonic() < end:
            time.sleep(0.05)
        held = []
        for fd in os.listdir("/proc/%d/fd" % p.pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (p.pid, fd))
            except OSError:
                continue
            if link.startswith(tmp + "/#"):  # not valgrind's own files
                held.append(os.stat("/proc/%d/fd/%s" % (p.pid, fd)))
        # valgrind keeps its vgdb pipes in TMPDIR too
        self.assertEqual([n for n in os.listdir(tmp) if not n.startswith("vgdb-")], [])
        self.assertEqual(len(held), 1)
        self.assertEqual(held[0].st_mode & 0o777, 0o600)
        self.assertEqual(held[0].st_nlink, 0)
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=60)


# The full disk: a tmpfs of 1 MiB as TMPDIR, in a mount namespace of its
# own; the job writes 4 MiB in lines, stdout and stderr in turn.
LINES = ('i=0; while [ $i -lt 40000 ]; do echo "out $i ........................................"; '
         'echo "err $i ......................................................" >&2; '
         'i=$((i+1)); done; exit %d')


def lines(prefix, dots):
    return "".join("%s %d %s\n" % (prefix, i, dots) for i in range(40000)).encode()


def in_namespace(script, tmp):
    """unshare's words running SCRIPT (with TMP a fresh tmpfs), then hbrun."""
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            script % {"tmp": tmp} + ' && exec "$@"', "sh"]


@unittest.skipUnless(os.geteuid() == 0, "mounting a tmpfs needs root")
class Disk(ServerCase):
    def run_in(self, mount, status, srv):
        tmp = tempfile.mkdtemp(prefix="hbrun-tmpfs-", dir=self.sb.dir)
        args = ["--output-on-failure", "--ping-url", srv.base + "/ok",
                "--fail-url", srv.base + "/fail", "--", "sh", "-c", LINES % status]
        p = subprocess.run(in_namespace(mount, tmp) + command(args),
                           env=self.sb.env(TMPDIR=tmp), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=300)
        return p

    def check_all_through(self, p, status, why):
        self.assertEqual(p.returncode, status, p.stderr[-300:])
        self.assertEqual(p.stdout, lines("out", "." * 40))
        self.assertEqual(without_hbrun_lines(p.stderr), lines("err", "." * 54))
        warned = hbrun_lines(p.stderr)
        self.assertEqual(len(warned), 1, warned)
        self.assertIn(why, warned[0])

    def test_a_full_disk_passes_the_rest_through(self):
        for status in (1, 0):
            srv = self.server(plan=[OK])
            p = self.run_in("mount -t tmpfs -o size=1m tmpfs %(tmp)s", status, srv)
            self.check_all_through(p, status, "No space left on device")

    @unittest.skipIf(harness.UNDER_VALGRIND, "valgrind cannot start without a "
                     "writable TMPDIR of its own")
    def test_an_unwritable_tmpdir(self):
        srv = self.server(plan=[OK])
        p = self.run_in("mount -t tmpfs -o ro tmpfs %(tmp)s", 1, srv)
        self.check_all_through(p, 1, "cannot hold the job's output in " )


if __name__ == "__main__":
    unittest.main(verbosity=2)
