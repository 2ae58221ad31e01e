"""packaging/kubernetes/cronjob.yaml, as far as Kubernetes' pieces run here
(no kubelet in Debian 12):

- the CronJob's pod template (jobTemplate.spec.template) run by `podman
  kube play`, the token from a podman secret in the place of the Secret:
  the job pings with it, a failing job sends nothing, and a stop as the
  kubelet makes it (`podman pod stop -t GRACE`: SIGTERM to PID 1, KILL when
  the grace period is over) gives the job one TERM, from hbrun, and no
  ping, exit 0 / 143 / 137 as the job handles, dies of, or ignores it;
- the same image under containerd, driven by `ctr` (containerd is the
  runtime a kubelet drives through CRI): ping, failure, and the stop
  (`ctr task kill` SIGTERM, then SIGKILL after the grace period).

The image is the one packaging/container/Containerfile makes (test_podman.py),
with /app/report added as the CronJob's comments say (FROM hbrun, COPY
report).  What the test changes in the pod template: the image, the job's
behaviour (REPORT_MODE), HBRUN_API_URL (the fake API) and hostNetwork
(to reach it on 127.0.0.1); the securityContext and the command are kept.
podman 4.3 ignores terminationGracePeriodSeconds, so the test passes its
own grace to `pod stop`.
"""

import base64
import copy
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import runtimes
import daemons  # tests/support, on the path through pkgtest
from pkgtest import ServerCase, packaging_file, read

try:
    import yaml
except ImportError:  # Debian: python3-yaml
    yaml = None

TOKEN = "tok-kube-0123"
GRACE = 3
REPORT = """#!/bin/sh
# The test's /app/report: REPORT_MODE chooses what it does.
echo "report $* token=${HBRUN_TOKEN-unset}"
case "${REPORT_MODE:-ok}" in
ok) exit 0 ;;
fail) exit 3 ;;
*) exec /app/sigjob "$REPORT_MODE" ;;
esac
"""


def report_image(env, tmp):
    """The test image with /app/report and /app/sigjob: (name, None), or
    (None, skip reason)."""
    image, why = runtimes.need_podman_image(env)
    if why:
        return None, why
    ctx = os.path.join(tmp, "report-ctx")
    os.mkdir(ctx)
    if not runtimes.build_sigjob(ctx):
        return None, "no C compiler to build sigjob statically (build-essential)"
    with open(os.path.join(ctx, "report"), "w") as f:
        f.write(REPORT)
    os.chmod(os.path.join(ctx, "report"), 0o755)
    with open(os.path.join(ctx, "Containerfile"), "w") as f:
        f.write("FROM %s\nCOPY report sigjob /app/\n" % image)
    name = "localhost/hbrun-test-report:%d" % os.getpid()
    runtimes.sh(["podman", "build", "-q", "-t", name, ctx], env=env, timeout=300, check=True)
    return name, None


def pod_template():
    cronjob = yaml.safe_load(read(packaging_file("kubernetes", "cronjob.yaml")))
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]


class Runtime:
    """What both test classes share: the stop cases.  A mixin, not a
    ServerCase, so that the loader does not run its tests on their own."""

    def setUp(self):
        super().setUp()
        self.api = self.server()

    def check_stop(self, mode, want):
        status, out = self.run_and_stop(mode)
        self.assertEqual(status, want, out)
        # One TERM, from the job's parent: hbrun is PID 1 in the container.
        self.assertEqual(runtimes.terms(out), [1], out)
        self.assertEqual(self.api.requests, [])
        return out

    def test_stop_job_handles_term(self):
        self.assertIn("exiting 0", self.check_stop("handle", 0))

    def test_stop_job_dies_of_term(self):
        self.check_stop("die", 128 + 15)

    def test_stop_job_ignores_term(self):
        self.check_stop("ignore", 128 + 9)


@unittest.skipUnless(yaml, "python3-yaml is not installed")
class KubePlay(Runtime, ServerCase):
    @classmethod
    def setUpClass(cls):
        why = runtimes.missing_tools("podman", "catatonit")
        if why:
            raise unittest.SkipTest(why)
        cls.tmp = tempfile.mkdtemp(prefix="hbrun-kube-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.env = runtimes.podman_conf(cls.tmp)
        cls.image, why = report_image(cls.env, cls.tmp)
        if why:
            raise unittest.SkipTest(why)
        cls.addClassCleanup(cls.podman, "rmi", "-f", cls.image)
        cls.secret = pod_template()["spec"]["containers"][0]["env"][0][
            "valueFrom"]["secretKeyRef"]
        # podman 4.3: a secret for kube play is a JSON map of base64 values.
        path = os.path.join(cls.tmp, "secret.json")
        with open(path, "w") as f:
            json.dump({cls.secret["key"]: base64.b64encode(TOKEN.encode()).decode()}, f)
        cls.podman("secret", "rm", cls.secret["name"])
        p = cls.podman("secret", "create", cls.secret["name"], path)
        if p.returncode != 0:
            raise AssertionError(p.stderr)
        cls.addClassCleanup(cls.podman, "secret", "rm", cls.secret["name"])
        cls.n = 0

    @classmethod
    def podman(cls, *args, timeout=120):
        return runtimes.sh(["podman"] + list(args), env=cls.env, timeout=timeout)

    def play(self, mode):
        """kube play the pod template; returns the container's name."""
        type(self).n += 1
        name = "report-%d-%d" % (os.getpid(), self.n)
        template = copy.deepcopy(pod_template())
        spec = template["spec"]
        spec["hostNetwork"] = True
        container = spec["containers"][0]
        container["image"] = self.image
        container["env"] += [{"name": "HBRUN_API_URL", "value": self.api.url},
                             {"name": "REPORT_MODE", "value": mode}]
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name}, "spec": spec}
        path = os.path.join(self.tmp, name + ".yaml")
        with open(path, "w") as f:
            yaml.safe_dump(pod, f)
        self.addCleanup(self.podman, "pod", "rm", "-f", name)
        p = self.podman("kube", "play", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        return "%s-%s" % (name, container["name"]), name

    def exit_code(self, ctr):
        self.podman("wait", ctr, timeout=120)
        p = self.podman("inspect", "--format", "{{.State.ExitCode}}", ctr)
        return int(p.stdout)

    def test_success_pings_with_the_secret(self):
        ctr, _ = self.play("ok")
        self.assertEqual(self.exit_code(ctr), 0, self.podman("logs", ctr).stderr)
        # The secret reached hbrun, and not the job.
        self.assertEqual(self.podman("logs", ctr).stdout, "report --daily token=unset\n")
        self.assertTrue(self.api.wait_requests(1, 10))
        self.assertEqual([(r.method, r.path) for r in self.api.requests],
                         [("POST", "/v1/heartbeats/%s/ping" % TOKEN)])

    def test_failure_sends_nothing(self):
        ctr, _ = self.play("fail")
        self.assertEqual(self.exit_code(ctr), 3)
        self.assertEqual(self.api.requests, [])

    def run_and_stop(self, mode):
        ctr, pod = self.play(mode)
        ready = runtimes.wait_for(lambda: "ready" in self.podman("logs", ctr).stdout, 30)
        self.assertTrue(ready, "the job never started")
        self.podman("pod", "stop", "-t", str(GRACE), pod, timeout=60)
        return self.exit_code(ctr), self.podman("logs", ctr).stdout


class Containerd(Runtime, ServerCase):
    @classmethod
    def setUpClass(cls):
        why = runtimes.missing_tools("podman", "containerd", "ctr", "runc")
        if why:
            raise unittest.SkipTest(why)
        cls.tmp = tempfile.mkdtemp(prefix="hbrun-ctr-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        env = runtimes.podman_conf(cls.tmp)
        image, why = report_image(env, cls.tmp)
        if why:
            raise unittest.SkipTest(why)
        archive = os.path.join(cls.tmp, "image.tar")
        runtimes.sh(["podman", "save", "-q", "-o", archive, image], env=env,
                    timeout=300, check=True)
        runtimes.sh(["podman", "rmi", "-f", image], env=env)
        cls.start_containerd()
        cls.ctr("images", "import", archive, timeout=300, check=True)
        cls.image = image
        cls.n = 0

    @classmethod
    def start_containerd(cls):
        """A containerd of the test's own: its folders and socket in tmp."""
        d = cls.tmp
        cls.sock = os.path.join(d, "containerd.sock")
        conf = os.path.join(d, "containerd.toml")
        with open(conf, "w") as f:
            f.write('version = 2\nroot = "%s/root"\nstate = "%s/state"\n'
                    'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    '[grpc]\n  address = "%s"\n[ttrpc]\n  address = "%s.ttrpc"\n'
                    % (d, d, cls.sock, cls.sock))
        cls.log = open(os.path.join(d, "containerd.log"), "w+")
        cls.daemon = subprocess.Popen(["containerd", "--config", conf],
                                      stdout=cls.log, stderr=subprocess.STDOUT)
        cls.addClassCleanup(cls.stop_containerd)
        up = runtimes.wait_for(lambda: cls.daemon.poll() is not None or
                               cls.ctr("version").returncode == 0, 60)
        if cls.daemon.poll() is not None or not up:
            cls.log.seek(0)
            raise unittest.SkipTest("containerd does not start here:\n" +
                                    runtimes.tail(cls.log.read()))

    @classmethod
    def stop_containerd(cls):
        daemons.stop(cls.daemon, 30)
        cls.log.close()
        # Its mounts (rootfs snapshots) go with it; what is left is removed.
        subprocess.run(["umount", "-R", os.path.join(cls.tmp, "state")],
                       stderr=subprocess.DEVNULL)

    @classmethod
    def ctr(cls, *args, timeout=60, check=False):
        return runtimes.sh(["ctr", "-a", cls.sock, "-n", "hbrun-test"] + list(args),
                           timeout=timeout, check=check)

    def start(self, *job, env=()):
        """ctr run IMAGE ID hbrun ... -- JOB, attached; (Popen, ID)."""
        type(self).n += 1
        cid = "hbrun-%d-%d" % (os.getpid(), self.n)
        args = ["ctr", "-a", self.sock, "-n", "hbrun-test", "run", "--rm", "--net-host",
                "--env", "HBRUN_TOKEN=" + TOKEN]
        for e in env:
            args += ["--env", e]
        args += [self.image, cid, "/usr/bin/hbrun", "--api-url", self.api.url, "--"]
        p = subprocess.Popen(args + list(job), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.reap, p, cid)
        return p, cid

    def reap(self, p, cid):
        if p.poll() is None:
            self.ctr("task", "kill", "-s", "SIGKILL", cid)
            p.communicate(timeout=60)
        for f in (p.stdout, p.stderr):
            f.close()

    def test_success_pings(self):
        p, _ = self.start("/app/report", "--daily")
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(out, "report --daily token=unset\n")
        self.assertTrue(self.api.wait_requests(1, 10))
        self.assertEqual([(r.method, r.path) for r in self.api.requests],
                         [("POST", "/v1/heartbeats/%s/ping" % TOKEN)])

    def test_failure_sends_nothing(self):
        p, _ = self.start("/app/report", env=["REPORT_MODE=fail"])
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 3, err)
        self.assertEqual(self.api.requests, [])

    def run_and_stop(self, mode):
        """As a kubelet stops a container: SIGTERM to its PID 1, SIGKILL
        when the grace period is over."""
        p, cid = self.start("/app/sigjob", mode)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(p.stdout))
        reader.start()
        ready = runtimes.wait_for(lambda: any("ready" in l for l in lines), 30)
        self.assertTrue(ready, "the job never started")
        self.ctr("task", "kill", "-s", "SIGTERM", cid)
        end = time.monotonic() + GRACE
        while p.poll() is None and time.monotonic() < end:
            time.sleep(0.1)
        if p.poll() is None:
            self.ctr("task", "kill", "-s", "SIGKILL", cid)
        p.wait(60)
        reader.join(60)
        return p.returncode, "".join(lines)


if __name__ == "__main__":
    unittest.main(verbosity=2)
