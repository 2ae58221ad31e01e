"""The OOM killer's verdict, for real: hbrun and its job in a memory cgroup
of their own with a small limit, a job that outgrows it, and the fail
request's message "killed by signal 9 (KILL): out of memory" (hbrun(1),
{message}).  cgroup v1's memory hierarchy where the machine has one (a
hybrid layout), else cgroup v2's.  Where no memory cgroup can be made here
(not root, no memory controller, a read-only /sys/fs/cgroup), every test
is skipped with the reason: a skip, never a pass.

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_oom.py
"""

import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

from servercase import ServerCase  # noqa: E402
from harness import run  # noqa: E402

ROOT = "/sys/fs/cgroup"
# The cgroup's limit: room for hbrun (under valgrind too) and a shell; the
# job writes far more than that, a page at a time.
LIMIT = 192 << 20
# It offers itself as the killer's first choice: under valgrind, hbrun is
# no small process either.
GROW = ("open('/proc/self/oom_score_adj', 'w').write('1000')\n"
        "b = []\nwhile True:\n    b.append(bytearray(1 << 20))\n"
        "    for i in range(0, 1 << 20, 4096): b[-1][i] = 1\n")
# Enter the cgroup, then become hbrun: its job is born inside.
ENTER = 'echo $$ > "$0/cgroup.procs" && exec "$@"'


def own_cgroup_lines():
    with open("/proc/self/cgroup") as f:
        return [line.rstrip("\n").split(":", 2) for line in f if line.count(":") >= 2]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def make_v1(name):
    """A child of this process's v1 memory cgroup with the limit."""
    parent = next((ROOT + "/memory" + path for _, ctl, path in own_cgroup_lines()
                   if "memory" in ctl.split(",")), None)
    if parent is None or not os.path.isdir(parent):
        return None, "no cgroup v1 memory hierarchy here"
    d = os.path.join(parent, name)
    os.mkdir(d)
    # No swap to escape to: the limit is the limit.
    for key, value in (("memory.swappiness", "0"), ("memory.limit_in_bytes", str(LIMIT)),
                       ("memory.memsw.limit_in_bytes", str(LIMIT))):
        if os.path.exists(os.path.join(d, key)):
            try:
                write(os.path.join(d, key), value)
            except OSError as e:
                if key == "memory.limit_in_bytes":
                    raise
                del e
    return d, "v1"


def make_v2(name):
    """A child of the v2 root (where the memory controller can be given to
    a child without breaking the no-internal-process rule), with the limit."""
    if not os.path.exists(ROOT + "/cgroup.controllers"):
        return None, "no cgroup v2 at %s (and no v1 memory hierarchy)" % ROOT
    with open(ROOT + "/cgroup.subtree_control") as f:
        if "memory" not in f.read().split():
            write(ROOT + "/cgroup.subtree_control", "+memory")
    d = os.path.join(ROOT, name)
    os.mkdir(d)
    write(os.path.join(d, "memory.max"), str(LIMIT))
    if os.path.exists(os.path.join(d, "memory.swap.max")):
        write(os.path.join(d, "memory.swap.max"), "0")
    return d, "v2"


def make_cgroup(name):
    """(folder, 'v1'|'v2'), or (None, why not)."""
    if os.geteuid() != 0:
        return None, "not root: no memory cgroup can be made"
    try:
        d, kind = make_v1(name)
        if d is None:
            d, kind = make_v2(name)
        return d, kind
    except OSError as e:
        return None, "cannot make a memory cgroup here: %s" % e


class OOMKill(ServerCase):
    def setUp(self):
        super().setUp()
        self.cg, why = make_cgroup("hbrun-oom-test-%d" % os.getpid())
        if self.cg is None:
            self.skipTest(why)
        self.kind = why
        self.addCleanup(self.remove)

    def remove(self):
        # Every process in it has ended by now: the folder can go.
        try:
            os.rmdir(self.cg)
        except OSError:
            pass

    def run_in_cgroup(self, command):
        srv = self.server()
        res = run(["--ping-retries", "0", "--ping-deadline", "10", "--fail-url",
                   srv.base + "/fail?st={exit_status}&m={message}", "--ping-url",
                   srv.base + "/ok", "--"] + command, self.sb.env(), timeout=120,
                  prefix=["sh", "-c", ENTER, self.cg])
        self.assertEqual(len(srv.requests), 1, (res, srv.requests))
        q = urllib.parse.parse_qs(srv.requests[0].target.split("?", 1)[1])
        return res, q["st"][0], q["m"][0]

    def test_a_job_that_outgrows_the_limit(self):
        res, status, message = self.run_in_cgroup(["python3", "-c", GROW])
        self.assertEqual(res.returncode, -9, res)
        self.assertEqual((status, message),
                         ("137", "killed by signal 9 (KILL): out of memory"), self.kind)

    def test_a_kill_of_another_kind_in_the_same_cgroup(self):
        res, status, message = self.run_in_cgroup(["sh", "-c", "kill -KILL $$"])
        self.assertEqual(res.returncode, -9, res)
        self.assertEqual((status, message), ("137", "killed by signal 9 (KILL)"))


if __name__ == "__main__":
    unittest.main()
