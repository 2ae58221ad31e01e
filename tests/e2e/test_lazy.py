"""libcurl is loaded only once the job has ended.

While the job runs, hbrun has no libcurl (nor its TLS and other libraries)
mapped; when libcurl cannot be loaded at all, the ping is given up with one
line and the job's status is kept.
"""

import glob
import os
import subprocess
import sys
import textwrap
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402
from namespaces import can_unshare  # noqa: E402
from servercase import ServerCase  # noqa: E402


def mapped_files(pid):
    with open("/proc/%d/maps" % pid) as f:
        return {line.split()[-1] for line in f if len(line.split()) >= 6}


def wait_for_file(path, timeout=10):
    end = time.monotonic() + timeout
    while not os.path.exists(path) and time.monotonic() < end:
        time.sleep(0.01)
    return os.path.exists(path)


class NotMappedWhileTheJobRuns(ServerCase):
    def test_no_libcurl_in_the_maps_until_the_job_ends(self):
        api = self.server()
        ready, go = self.sb.path("ready"), self.sb.path("go")
        p = harness.start(
            ["-t", "lazy-tok", "--api-url", api.url, "--", "sh", "-c",
             'touch "$1"; while [ ! -e "$2" ]; do sleep 0.02; done',
             "job", ready, go], self.sb.env())
        try:
            self.assertTrue(wait_for_file(ready))
            maps = mapped_files(p.pid)
            self.assertTrue(any("libc" in m for m in maps), maps)
            self.assertFalse([m for m in maps if "libcurl" in m], maps)
            self.assertFalse([m for m in maps if "libssl" in m], maps)
        finally:
            open(go, "w").close()
            out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(err, "")
        self.assertEqual(len(api.requests), 1)


# GnuTLS announces its initialisation on stderr when GNUTLS_DEBUG_LEVEL is
# set: a probe of whether its constructor ran in a process.
GNUTLS_PROBE = textwrap.dedent('''
    import ctypes, sys
    ctypes.CDLL(sys.argv[1])
    with open("/proc/self/maps") as f:
        print("gnutls mapped" if "libgnutls" in f.read() else "no gnutls")
''')


class NoTLSLibraryStartedNeedlessly(ServerCase):
    """Debian's libcurl pulls in GnuTLS, which hbrun never calls; its
    constructor's work is skipped (GNUTLS_NO_IMPLICIT_INIT), in hbrun's
    own environment only."""

    def test_gnutls_is_not_initialised_by_the_ping(self):
        api = self.server()
        env = self.sb.env(GNUTLS_DEBUG_LEVEL="2")
        probe = subprocess.run(
            [sys.executable, "-c", GNUTLS_PROBE, "libcurl.so.4"], env=env,
            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            timeout=60)
        if probe.stdout.strip() == "no gnutls":
            self.skipTest("this libcurl does not pull in GnuTLS")
        # The probe sees the constructor run when nothing stops it ...
        self.assertIn("gnutls[", probe.stderr)
        # ... and hbrun's ping does not run it (nor print its lines).
        r = harness.run(["-t", "gnutls-tok", "--api-url", api.url, "--",
                         "sh", "-c", 'echo "${GNUTLS_NO_IMPLICIT_INIT-unset}"'],
                        env)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stderr, "")
        self.assertEqual(len(api.requests), 1)
        # The job's environment is as it was given.
        self.assertEqual(r.stdout, "unset\n")


def libcurl_files():
    found = set()
    for d in ("/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib"):
        for pattern in ("libcurl*.so*", "*/libcurl*.so*"):
            for path in glob.glob(os.path.join(d, pattern)):
                found.add(os.path.realpath(path))
    return sorted(found)


# Inside a mount namespace of its own, every libcurl on the machine is
# covered by an empty file, then hbrun runs.
HIDE = textwrap.dedent('''
    set -e
    for f in $LIBS; do mount --bind "$EMPTY" "$f"; done
    exec "$@"
''')


@unittest.skipUnless(can_unshare("--mount"), "needs root for a mount namespace")
class WithoutLibcurl(ServerCase):
    def run_hidden(self, args):
        empty = self.sb.write_file("empty.so", "", 0o644)
        env = self.sb.env(LIBS=" ".join(libcurl_files()), EMPTY=empty)
        self.assertTrue(env["LIBS"], "no libcurl found on this machine")
        p = subprocess.run(["unshare", "--mount", "sh", "-c", HIDE, "hide"]
                           + harness.command(args), env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        return p

    def test_success_keeps_its_status_and_says_why_no_ping(self):
        api = self.server()
        p = self.run_hidden(["-t", "tok-nolib", "--api-url", api.url,
                             "--", "sh", "-c", "echo job ran"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "job ran\n")
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("hbrun: cannot load libcurl ("),
                        lines[0])
        self.assertIn("no ping sent", lines[0])
        self.assertEqual(api.connections, 0)

    def test_failure_is_untouched_and_silent(self):
        api = self.server()
        p = self.run_hidden(["-t", "tok-nolib", "--api-url", api.url,
                             "--", "sh", "-c", "exit 7"])
        self.assertEqual(p.returncode, 7)
        self.assertEqual(p.stderr, "")

    def test_quiet_silences_it(self):
        api = self.server()
        p = self.run_hidden(["-q", "-t", "tok-nolib", "--api-url",
                             api.url, "--", "true"])
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stderr, "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
