"""packaging/container/Containerfile, for real: built unchanged with podman
(on a Debian base made here by mmdebstrap, see runtimes.py), and its image
run with hbrun as PID 1 against the local fake API (--network host):

- a job that succeeds: one ping, with the token, and hbrun is the job's parent, PID 1;
- a job that fails: its status, no request;
- a job that leaves orphans: hbrun reaps them, no zombie stays;
- `podman stop` of a running job: exactly one TERM reaches the job, sent
  by hbrun; the container exits 0, 143 or 137 as the job handles the TERM,
  dies of it, or ignores it (KILL at the end of podman's timeout); no ping;

and the same under the CronJob's securityContext (read-only root, no
capabilities, no-new-privileges, user 65534).
"""

import os
import shutil
import tempfile
import unittest

import runtimes
from pkgtest import ServerCase

TOKEN = "tok-podman-0123"
# The CronJob's securityContext, as podman flags.
RESTRICTED = ["--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
              "--user", "65534:65534"]


class Podman(ServerCase):
    flags = []

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hbrun-podman-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        os.chmod(cls.tmp, 0o755)  # sigjob is run as user 65534 too
        cls.env = runtimes.podman_conf(cls.tmp)
        cls.image, why = runtimes.need_podman_image(cls.env)
        if why:
            raise unittest.SkipTest(why)
        cls.sigjob = runtimes.build_sigjob(cls.tmp)
        cls.n = 0

    def setUp(self):
        super().setUp()
        self.api = self.server()

    def podman(self, *args, timeout=120):
        return runtimes.sh(["podman"] + list(args), env=self.env, timeout=timeout)

    def run_args(self, job, token=TOKEN):
        args = ["--network", "host", "-e", "HBRUN_TOKEN=" + token] + self.flags
        if self.sigjob:
            args += ["-v", "%s:/sigjob:ro" % self.sigjob]
        return args + [self.image, "--api-url", self.api.url, "--"] + list(job)

    def test_success_pings(self):
        p = self.podman("run", "--rm", *self.run_args(
            ["sh", "-c", 'echo "pid $$ ppid $PPID token=${HBRUN_TOKEN-unset}"']))
        self.assertEqual(p.returncode, 0, p.stderr)
        # The job's parent is hbrun, PID 1; the token is not in its environment.
        self.assertRegex(p.stdout, r"^pid \d+ ppid 1 token=unset\n$")
        self.assertEqual(p.stderr, "")
        self.assertTrue(self.api.wait_requests(1, 10))
        reqs = self.api.requests
        self.assertEqual([(r.method, r.path) for r in reqs],
                         [("POST", "/v1/heartbeats/%s/ping" % TOKEN)])

    def test_failure_keeps_status_and_sends_nothing(self):
        p = self.podman("run", "--rm", *self.run_args(["sh", "-c", "exit 3"]))
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(self.api.requests, [])

    def test_orphans_are_reaped(self):
        # Three children whose parents are gone at once: each becomes
        # PID 1's, and ends 0.2 s later; two seconds on, none may be a zombie.
        job = ("for i in 1 2 3; do (sleep 0.2 &); done; sleep 2; "
               "grep -l '^State:.*Z' /proc/[0-9]*/status | wc -l")
        p = self.podman("run", "--rm", *self.run_args(["sh", "-c", job]))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "0", "zombies left behind")
        self.assertTrue(self.api.wait_requests(1, 10))

    def stop_case(self, mode, want_status, stop_timeout=3):
        if not self.sigjob:
            self.skipTest("no C compiler to build sigjob statically (build-essential)")
        type(self).n += 1
        name = "hbrun-test-%d-%d" % (os.getpid(), self.n)
        self.addCleanup(self.podman, "rm", "-f", name)
        p = self.podman("run", "-d", "--name", name, *self.run_args(["/sigjob", mode]))
        self.assertEqual(p.returncode, 0, p.stderr)
        ready = runtimes.wait_for(lambda: "ready" in self.podman("logs", name).stdout, 30)
        self.assertTrue(ready, "the job never started")
        self.podman("stop", "-t", str(stop_timeout), name, timeout=60)
        status = self.podman("wait", name, timeout=60).stdout.strip()
        out = self.podman("logs", name).stdout
        self.assertEqual(status, str(want_status), out)
        # One TERM, from the job's parent: hbrun is PID 1 in the container.
        self.assertEqual(runtimes.terms(out), [1], out)
        self.assertEqual(self.api.requests, [])
        return out

    def test_stop_job_handles_term(self):
        out = self.stop_case("handle", 0)
        self.assertIn("exiting 0", out)

    def test_stop_job_dies_of_term(self):
        self.stop_case("die", 128 + 15)

    def test_stop_job_ignores_term(self):
        # podman's own KILL at the end of -t: hbrun, PID 1, dies of it.
        self.stop_case("ignore", 128 + 9)


class PodmanRestricted(Podman):
    """The same runs under the CronJob's securityContext."""
    flags = RESTRICTED

    def test_runs_as_nobody(self):
        p = self.podman("run", "--rm", *self.run_args(["id", "-u"]))
        self.assertEqual((p.returncode, p.stdout), (0, "65534\n"), p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
