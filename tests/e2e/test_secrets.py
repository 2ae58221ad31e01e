"""The token is a credential: where a running hbrun could show it, it does
not, and hbrun leaves nothing behind that others could read.

- /proc/PID/cmdline and /proc/PID/environ of hbrun, while the job runs and
  while the ping is in flight (test_exec.py checks every spelling of -t
  while the job runs; this adds the environment and the ping phase);
- -v output with libcurl's own error texts, for each way a ping can fail,
  with the token in the path, the query, the fragment and the password of a
  --ping-url (test_ping.py covers the path with a few failures);
- files: hbrun writes none, opens none for writing, and keeps libcurl from
  writing TLS secrets to $SSLKEYLOGFILE (a file it would create readable by
  others, holding what decrypts a recorded ping).

SPEC section 5.
"""

import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import certs  # noqa: E402
import harness  # noqa: E402
from servercase import TLSServerCase  # noqa: E402
from harness import run, scaled, start  # noqa: E402
from fakeapi import unused_port  # noqa: E402
from jobs import PYTHON, wait_for  # noqa: E402

# Unreserved characters only: escaped, the token reads the same.
TOKEN = "Sc7rT9kLm2Qx4Wv8Nb3Hj6Pd"
PROC_SKIP = ("under valgrind /proc/PID/cmdline and environ are valgrind's own "
             "copies, which hbrun cannot overwrite")


def leaks(text, secret=TOKEN, shown=4):
    """The pieces of SECRET longer than SHOWN characters found in TEXT."""
    n = shown + 1
    return sorted({secret[i:i + n] for i in range(len(secret) - n + 1)
                   if secret[i:i + n] in text})


def proc(pid, what):
    with open("/proc/%d/%s" % (pid, what), "rb") as f:
        return f.read().decode("latin-1")


def files_under(*roots):
    out = set()
    for root in roots:
        for d, _, names in os.walk(root):
            for n in names:
                out.add(os.path.join(d, n))
    return out


def writable_files(pid):
    """Regular files PID has open for writing."""
    found = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                flags = int([l for l in f if l.startswith("flags:")][0].split()[1], 8)
        except (OSError, IndexError):
            continue
        if harness.UNDER_VALGRIND and "/valgrind_proc_" in target:
            continue  # valgrind's own, in $TMPDIR
        if target.startswith("/") and not target.startswith("/dev/") and flags & 3:
            found.append((int(fd), target))
    return found


class Secrets(TLSServerCase):
    CERTS = {"ca": certs.ca(), "good": certs.signed("ca"),
             "self_signed": certs.self_signed()}

    def reap(self, p):
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.communicate()))


class InProc(Secrets):
    @unittest.skipIf(harness.UNDER_VALGRIND, PROC_SKIP)
    def test_not_in_cmdline_nor_environ_while_the_job_runs_and_in_the_ping(self):
        srv = self.server([("hang",)])
        for how in ("-t", "env"):
            with self.subTest(token_from=how):
                args = ["-t", TOKEN] if how == "-t" else []
                env = self.sb.env(HBRUN_TOKEN=TOKEN) if how == "env" else self.sb.env()
                go = self.sb.path("go-" + how)
                p = start(args + ["--api-url", srv.url, "--ping-timeout", "30",
                                  "--ping-deadline", "30", "--", "sh", "-c",
                                  'while [ ! -e "$0" ]; do sleep 0.02; done', go],
                          env, stdin=subprocess.DEVNULL)
                self.reap(p)
                time.sleep(0.3)  # the job runs
                during_job = proc(p.pid, "cmdline") + proc(p.pid, "environ")
                n = len(srv.requests)
                open(go, "w").close()
                self.assertTrue(srv.wait_requests(n + 1, scaled(10)), "no ping")
                in_ping = proc(p.pid, "cmdline") + proc(p.pid, "environ")
                self.assertIn("--api-url", during_job)  # hbrun's own
                self.assertEqual(leaks(during_job), [], during_job)
                self.assertEqual(leaks(in_ping), [], in_ping)
                p.send_signal(signal.SIGTERM)  # abandons the ping
                p.communicate(timeout=scaled(10))
                self.assertEqual(p.returncode, 0)
                self.assertIn(TOKEN, srv.requests[-1].target)


class VerboseOutput(Secrets):
    """-v: a line per attempt with libcurl's words for what went wrong."""

    TEMPLATE = "%s://127.0.0.1:%d/p/{token}/ping?t={token}"

    def verbose(self, url, *opts, env=None):
        res = run(["-v", "-t", TOKEN, "--ping-url", url, "--ping-retries", "1",
                   "--ping-timeout", "1", "--ping-deadline", "3"] + list(opts) + ["--", "true"],
                  env or self.sb.env(), timeout=scaled(60))
        self.assertEqual(res.returncode, 0, res)
        self.assertGreaterEqual(len(res.lines()), 1, res)
        self.assertTrue(all(l.startswith("hbrun: ") for l in res.lines()), res)
        self.assertEqual(leaks(res.stderr + res.stdout), [], res)
        return res

    def test_user_info_or_fragment_refused_unseen(self):
        srv = self.server()
        for url in ("http://user:{token}@127.0.0.1:%d/p/{token}" % srv.port,
                    "http://127.0.0.1:%d/p/{token}#{token}" % srv.port):
            with self.subTest(url=url):
                res = self.verbose(url)
                self.assertIn("no ping sent", res.stderr)
        self.assertEqual(srv.requests, [])

    def test_each_failure(self):
        faults = [("404", [("status", 404, {}, b'{"error":"not found"}')]),
                  ("503", [("status", 503, {}, b"{}")]), ("hang", [("hang",)]),
                  ("reset", [("reset",)]), ("reset_mid", [("reset_mid",)]),
                  ("garbage", [("garbage",)]), ("empty", [("empty",)]),
                  ("redirect", [("redirect", 302, "http://127.0.0.1:1/%s" % TOKEN)])]
        for name, plan in faults:
            with self.subTest(fault=name):
                srv = self.server(plan)
                res = self.verbose(self.TEMPLATE % ("http", srv.port))
                self.assertGreaterEqual(len(srv.requests), 1, res)
                self.assertIn(TOKEN, srv.requests[0].target)  # it was sent

    def test_connection_refused(self):
        self.verbose(self.TEMPLATE % ("http", unused_port()))

    def test_tls_failures(self):
        for name, cert, cacert in (("self-signed", self.self_signed, None),
                                   ("unknown CA", self.good, None)):
            with self.subTest(cert=name):
                srv = self.server(tls=cert)
                # A handshake under valgrind takes seconds: room for one.
                res = self.verbose(self.TEMPLATE % ("https", srv.port),
                                   "--ping-timeout", str(scaled(2)),
                                   "--ping-deadline", str(scaled(3)))
                self.assertRegex(res.stderr, r"(?i)certificate")
                self.assertEqual(srv.requests, [])

    def test_proxy_failures(self):
        # A proxy that refuses the CONNECT, and one where nothing listens.
        refusing = self.server([("status", 403, {}, b"no")])
        for proxy in (refusing.base, "http://127.0.0.1:%d" % unused_port()):
            with self.subTest(proxy=proxy):
                self.verbose(self.TEMPLATE % ("https", 443),
                             env=self.sb.env(https_proxy=proxy, no_proxy=""))

    def test_urls_refused_before_any_connection(self):
        for url in ("ftp://127.0.0.1/{token}", "http://[::1/{token}",
                    "http://example.invalid/p/{token}", "https://:{token}@/x"):
            with self.subTest(url=url):
                self.verbose(url)


class Files(Secrets):
    def test_writes_no_file_and_opens_none_for_writing(self):
        # umask 000: anything hbrun created would be readable by all.  Runs
        # that fail and succeed, over http and https, with -v; hbrun is
        # looked at while its ping hangs.
        ok = self.server()
        hang = self.server([("hang",)])
        tls = self.server(tls=self.good)
        work = self.sb.path("cwd")
        tmp = self.sb.path("tmp")
        os.mkdir(work)
        os.mkdir(tmp)
        env = self.sb.env(TMPDIR=tmp)
        before = files_under(self.sb.dir)

        def umask0():
            os.umask(0)

        for args in (["--api-url", ok.url], ["--api-url", tls.url, "--cacert", self.ca[0]],
                     ["--api-url", tls.url], ["--api-url", "http://127.0.0.1:%d/v1" % unused_port()]):
            res = run(["-v", "-t", TOKEN, "--ping-retries", "0"] + args + ["--", "true"],
                      env, cwd=work, preexec_fn=umask0, timeout=scaled(60))
            self.assertEqual(res.returncode, 0, res)
        p = start(["-v", "-t", TOKEN, "--api-url", hang.url, "--ping-deadline", "30", "--",
                   "true"], env, cwd=work, preexec_fn=umask0, stdin=subprocess.DEVNULL)
        self.reap(p)
        self.assertTrue(hang.wait_requests(1, scaled(10)))
        self.assertEqual(writable_files(p.pid), [])
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=scaled(10))
        self.assertEqual(files_under(self.sb.dir) - before, set())

    def test_tls_key_log_is_not_written(self):
        # The job keeps SSLKEYLOGFILE (its environment is its own); the ping
        # that follows does not hand libcurl the secrets to write there.
        srv = self.server(tls=self.good)
        keylog = self.sb.path("keys.log")
        seen = self.sb.path("job-saw")
        res = run(["-t", TOKEN, "--api-url", srv.url, "--cacert", self.ca[0], "--",
                   "sh", "-c", 'printf %s "$SSLKEYLOGFILE" > "$0"', seen],
                  self.sb.env(SSLKEYLOGFILE=keylog), preexec_fn=lambda: os.umask(0),
                  timeout=scaled(60))
        self.assertEqual((res.returncode, res.stderr), (0, ""), res)
        self.assertEqual(len(srv.requests), 1)
        with open(seen) as f:
            self.assertEqual(f.read(), keylog)
        self.assertFalse(os.path.exists(keylog), "TLS secrets written to SSLKEYLOGFILE")


if __name__ == "__main__":
    unittest.main(verbosity=2)
