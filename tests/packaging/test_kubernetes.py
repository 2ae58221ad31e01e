"""packaging/kubernetes/cronjob.yaml: it parses (python3-yaml) into one
batch/v1 CronJob whose fields are ones the API knows, with hbrun as the
container's command, the token from a Secret through HBRUN_TOKEN, no tini,
and concurrencyPolicy and terminationGracePeriodSeconds chosen with their
reasons written next to them.  Then the recipe runs: the container's
command, as PID 1 of a PID namespace where that can be made (root), with
HBRUN_TOKEN as the Secret would set it, pings with that token and prints
nothing.  The job is replaced by `true`, the API by the local fake one.
"""

import json
import os
import re
import unittest

from pkgtest import ServerCase, packaging_file, read, run, sandbox_env
from namespaces import PID_NS, can_unshare
from test_cron import FIELDS, check_field

try:
    import yaml
except ImportError:  # Debian: python3-yaml
    yaml = None

CRONJOB = packaging_file("kubernetes", "cronjob.yaml")
UNSHARE = PID_NS

# The fields of the API objects (Kubernetes 1.27+) that an example may use.
ALLOWED = {
    "cronjob": {"apiVersion", "kind", "metadata", "spec"},
    "metadata": {"name", "namespace", "labels", "annotations"},
    "cronjob.spec": {"schedule", "timeZone", "concurrencyPolicy", "startingDeadlineSeconds",
                     "successfulJobsHistoryLimit", "failedJobsHistoryLimit", "suspend",
                     "jobTemplate"},
    "job.spec": {"backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished",
                 "completions", "parallelism", "template"},
    "pod.spec": {"restartPolicy", "terminationGracePeriodSeconds", "containers",
                 "securityContext", "serviceAccountName", "automountServiceAccountToken",
                 "shareProcessNamespace", "nodeSelector", "tolerations", "volumes"},
    "container": {"name", "image", "command", "args", "env", "envFrom", "resources",
                  "securityContext", "volumeMounts", "workingDir", "imagePullPolicy"},
    "container.securityContext": {"runAsNonRoot", "runAsUser", "runAsGroup",
                                  "allowPrivilegeEscalation", "readOnlyRootFilesystem",
                                  "capabilities", "seccompProfile"},
}


def commented(text, key):
    """Whether the line holding KEY has a comment line right above it."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"\s*%s:" % re.escape(key), line):
            return i > 0 and lines[i - 1].strip().startswith("#")
    return False


@unittest.skipUnless(yaml, "python3-yaml is not installed")
class CronJob(unittest.TestCase):
    def setUp(self):
        self.text = read(CRONJOB)
        docs = [d for d in yaml.safe_load_all(self.text) if d is not None]
        self.assertEqual(len(docs), 1)
        self.doc = docs[0]
        self.spec = self.doc["spec"]
        self.job = self.spec["jobTemplate"]["spec"]
        self.pod = self.job["template"]["spec"]
        self.assertEqual(len(self.pod["containers"]), 1)
        self.container = self.pod["containers"][0]

    def test_kind(self):
        self.assertEqual((self.doc["apiVersion"], self.doc["kind"]), ("batch/v1", "CronJob"))

    def test_known_fields_only(self):
        for name, obj in (("cronjob", self.doc), ("metadata", self.doc["metadata"]),
                          ("cronjob.spec", self.spec), ("job.spec", self.job),
                          ("pod.spec", self.pod), ("container", self.container),
                          ("container.securityContext",
                           self.container.get("securityContext", {}))):
            with self.subTest(object=name):
                self.assertLessEqual(set(obj), ALLOWED[name])
        self.assertEqual(set(self.spec["jobTemplate"]), {"spec"})
        self.assertEqual(set(self.job["template"]), {"spec"})

    def test_schedule(self):
        fields = self.spec["schedule"].split()
        self.assertEqual(len(fields), 5)
        for text, (low, high, names) in zip(fields, FIELDS):
            check_field(text, low, high, names)

    def test_hbrun_is_the_command(self):
        cmd = self.container["command"]
        self.assertIn(cmd[0], ("hbrun", "/usr/bin/hbrun"))
        self.assertIn("--", cmd)
        self.assertGreater(len(cmd), cmd.index("--") + 1)
        self.assertNotIn("args", self.container)  # all of it in one place
        self.assertNotIn("tini", json.dumps(self.doc))  # in no value (comments may say why)
        # hbrun must be PID 1 to reap orphans and get the kubelet's SIGTERM.
        self.assertFalse(self.pod.get("shareProcessNamespace", False))

    def test_token_from_a_secret(self):
        env = {e["name"]: e for e in self.container["env"]}
        token = env["HBRUN_TOKEN"]
        self.assertNotIn("value", token)
        ref = token["valueFrom"]["secretKeyRef"]
        self.assertTrue(ref["name"] and ref["key"])
        self.assertIn("kubectl create secret generic %s" % ref["name"], self.text)

    def test_policies_chosen_with_reasons(self):
        self.assertEqual(self.spec["concurrencyPolicy"], "Forbid")
        grace = self.pod["terminationGracePeriodSeconds"]
        self.assertIsInstance(grace, int)
        self.assertGreaterEqual(grace, 2)  # hbrun's own second, and the job's
        self.assertEqual(self.pod["restartPolicy"], "Never")
        # The run's deadline leaves room for the ping phase (60 s by default).
        self.assertGreater(self.job["activeDeadlineSeconds"], 60)
        for key in ("concurrencyPolicy", "terminationGracePeriodSeconds", "backoffLimit",
                    "activeDeadlineSeconds"):
            self.assertTrue(commented(self.text, key), "no reason given for " + key)


@unittest.skipUnless(yaml, "python3-yaml is not installed")
class Recipe(ServerCase):
    """The container's command, run as the kubelet would run it."""

    def setUp(self):
        super().setUp()
        self.srv = self.server()
        doc = yaml.safe_load(read(CRONJOB))
        self.container = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]

    def command(self, job):
        cmd = self.container["command"]
        return cmd[1:cmd.index("--") + 1] + job  # harness.run puts hbrun first

    def env(self):
        # What the Secret becomes; the API base is the fake one here.
        return sandbox_env(self.sb, HBRUN_TOKEN="k8s-secret-token", HBRUN_API_URL=self.srv.url)

    def check(self, res):
        self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "", ""))
        self.assertTrue(self.srv.wait_requests(1, 10))
        self.assertEqual(self.srv.requests[0].path, "/v1/heartbeats/k8s-secret-token/ping")

    @unittest.skipUnless(can_unshare("--pid"), "cannot make a PID namespace here (needs root)")
    def test_as_pid1(self):
        job = ["sh", "-c", 'test "$PPID" = 1']  # the job's parent is hbrun, PID 1
        self.check(run(self.command(job), self.env(), prefix=UNSHARE))

    def test_plain(self):
        self.check(run(self.command(["true"]), self.env()))


if __name__ == "__main__":
    unittest.main(verbosity=2)
