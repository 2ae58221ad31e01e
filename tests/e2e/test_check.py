"""hbrun --check: the settings with their sources, the run's warnings, and
ok/problem lines, against the fake API; never an HTTP request.

SPEC section 8.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import certs  # noqa: E402
from fakeapi import unused_port  # noqa: E402
from harness import run  # noqa: E402
from servercase import TLSServerCase  # noqa: E402

TOKEN = "Ck7pQ2wX9zLm4RtY"


class Check(TLSServerCase):
    CERTS = {"ca": certs.ca(), "good": certs.signed("ca"),
             "self_signed": certs.self_signed()}
    max_requests = 10  # --check sends none

    def check(self, *args, env=None):
        res = run(["--check"] + list(args), env or self.sb.env(), timeout=60)
        # Everything is on stdout, nothing on stderr.
        self.assertEqual(res.stderr, "", res)
        return res

    def lines(self, res, kind):
        return [l[len(kind) + 2:] for l in res.stdout.splitlines()
                if l.startswith(kind + ": ")]

    def setting(self, res, key):
        for l in res.stdout.splitlines():
            if l.startswith(key + " = "):
                return l[len(key) + 3:]
        self.fail("no line for %s in %r" % (key, res.stdout))

    def test_sound_over_verified_tls_with_no_request(self):
        srv = self.server(tls=self.good)
        res = self.check("-q", "-t", TOKEN, "--api-url", srv.url, "--cacert",
                         self.ca[0], "--", "true")
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(self.lines(res, "problem"), [])
        oks = "\n".join(self.lines(res, "ok"))
        self.assertIn("token Ck7p... (command line)", oks)
        self.assertIn("command true is executable", oks)
        self.assertIn("%s answers, its TLS certificate verified" % srv.base, oks)
        # A connection was made and its handshake passed; no request sent.
        self.assertGreaterEqual(srv.connections, 1)
        self.assertEqual(srv.tls_errors, [])
        self.assertEqual(srv.requests, [])
        # The token never shows whole.
        self.assertNotIn(TOKEN[:5], res.stdout)

    def test_every_request_of_the_run(self):
        # A service with start and fail requests: each URL judged and its
        # host reached, and still no request sent.
        srv = self.server()
        res = self.check("-t", TOKEN, "--service", "healthchecks", "--api-url",
                         srv.url, "--", "true")
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(self.lines(res, "problem"), [])
        oks = "\n".join(self.lines(res, "ok"))
        for event in ("start request", "ping", "fail request"):
            self.assertIn("%s URL %s passes the URL rules" % (event, srv.base), oks)
        self.assertEqual(srv.requests, [])
        # A fail template with an unknown field: a problem that says why.
        res = self.check("-t", TOKEN, "--api-url", srv.url, "--fail-url",
                         srv.url + "/{nope}", "--", "true")
        self.assertEqual(res.returncode, 1, res)
        self.assertIn("unknown field", self.lines(res, "problem")[0])
        self.assertEqual(srv.requests, [])

    def test_no_token(self):
        srv = self.server()
        res = self.check("--api-url", srv.url, "--", "true")
        self.assertEqual(res.returncode, 1, res)
        self.assertEqual(len(self.lines(res, "problem")), 1, res.stdout)
        self.assertIn("no token", self.lines(res, "problem")[0])
        self.assertEqual(srv.requests, [])

    def test_command_missing_or_not_executable(self):
        srv = self.server()
        plain = self.sb.write_file("plain", "", 0o644)
        for cmd, code in [("no-such-command-here", 127), (plain, 126),
                          (self.sb.path("missing"), 127)]:
            with self.subTest(cmd=cmd):
                res = self.check("-t", TOKEN, "--api-url", srv.url, "--", cmd)
                self.assertEqual(res.returncode, 1, res)
                problems = self.lines(res, "problem")
                self.assertEqual(len(problems), 1, res.stdout)
                self.assertIn("command %s" % cmd, problems[0])
                self.assertIn("would exit %d" % code, problems[0])
        self.assertEqual(srv.requests, [])

    def test_no_command_is_fine(self):
        srv = self.server()
        res = self.check("-t", TOKEN, "--api-url", srv.url)
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(srv.requests, [])
        self.assertEqual(srv.connections, 1)

    def test_nothing_listening(self):
        port = unused_port()
        res = self.check("-t", TOKEN, "--api-url", "http://127.0.0.1:%d/v1" % port,
                         "--ping-timeout", "5")
        self.assertEqual(res.returncode, 1, res)
        problems = self.lines(res, "problem")
        self.assertEqual(len(problems), 1, res.stdout)
        self.assertIn("cannot reach http://127.0.0.1:%d" % port, problems[0])

    def test_bad_certificate(self):
        srv = self.server(tls=self.self_signed)
        res = self.check("-t", TOKEN, "--api-url", srv.url, "--cacert", self.ca[0])
        self.assertEqual(res.returncode, 1, res)
        problems = self.lines(res, "problem")
        self.assertEqual(len(problems), 1, res.stdout)
        self.assertIn("cannot reach %s" % srv.base, problems[0])
        self.assertEqual(srv.requests, [])

    def test_sources_and_redaction(self):
        srv = self.server()
        self.sb.write_config("ping_retries = 2\napi_key = tk_secret_key_value\n"
                             "[nightly]\ntimeout = 30\nlock = n.lock\n"
                             "random_delay = soon\n")
        res = self.check("-j", "nightly", "--api-url", srv.url, "--success-status", "24",
                         env=self.sb.env(HBRUN_TOKEN=TOKEN))
        self.assertEqual(res.returncode, 0, res)
        conf = self.sb.config
        self.assertEqual(self.setting(res, "token"), "Ck7p... (environment HBRUN_TOKEN)")
        self.assertEqual(self.setting(res, "ping_retries"), "2 (%s:1)" % conf)
        self.assertEqual(self.setting(res, "timeout"), "30 (%s:4)" % conf)
        self.assertEqual(self.setting(res, "lock"), "%s/n.lock (%s:5)"
                         % (os.path.dirname(conf), conf))
        self.assertEqual(self.setting(res, "success_status"), "24 (command line)")
        self.assertEqual(self.setting(res, "api_url"), "%s (command line)" % srv.base)
        self.assertEqual(self.setting(res, "kill_after"), "10 (default)")
        self.assertEqual(self.setting(res, "api_key"), "(set, not shown) (%s:2)" % conf)
        self.assertNotIn("tk_secret", res.stdout)
        # The warning a run would print, in its words; the lock not created.
        self.assertIn("hbrun: %s:6: bad value for 'random_delay'" % conf,
                      res.stdout.splitlines())
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(conf), "n.lock")))
        self.assertEqual(srv.requests, [])

    def test_service_and_method_unset_show_what_decides_them(self):
        # Not "(none)": the default service, and the service's own method.
        cases = [((), "tickstem (default)", "POST (default)"),
                 (("--service", "uptime-kuma", "--api-url", "http://127.0.0.1:9"),
                  "uptime-kuma (command line)", "GET (service uptime-kuma)"),
                 (("--service", "healthchecks"), "healthchecks (command line)",
                  "POST (service healthchecks)"),
                 (("--service", "uptime-kuma", "--api-url", "http://127.0.0.1:9",
                   "--method", "POST"), "uptime-kuma (command line)",
                  "POST (command line)")]
        for opts, service, method in cases:
            with self.subTest(opts=opts):
                res = run(["--check", "-t", TOKEN] + list(opts), self.sb.env(),
                          timeout=60)
                self.assertEqual(self.setting(res, "service"), service)
                self.assertEqual(self.setting(res, "method"), method)
        # An unusable service decides nothing: no method either.
        res = run(["--check", "-t", TOKEN, "--service", "typo"], self.sb.env(), timeout=60)
        self.assertEqual(self.setting(res, "service"), "(set but unusable) (command line)")
        self.assertEqual(self.setting(res, "method"), "(none) (default)")

    def test_lock_checked_without_taking_it(self):
        import fcntl
        srv = self.server()
        held = self.sb.path("held.lock")
        with open(held, "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            res = self.check("-t", TOKEN, "--api-url", srv.url, "--lock", held)
        self.assertEqual(res.returncode, 0, res)
        self.assertIn("lock file %s is usable" % held, res.stdout)
        link = self.sb.path("link.lock")
        os.symlink(held, link)
        res = self.check("-t", TOKEN, "--api-url", srv.url, "--lock", link)
        self.assertEqual(res.returncode, 1, res)
        self.assertEqual(self.lines(res, "problem"),
                         ["lock file %s: a symbolic link; a run would exit 125" % link])

    def test_refused_url(self):
        res = self.check("-t", TOKEN, "--api-url", "http://192.0.2.1/v1")
        self.assertEqual(res.returncode, 1, res)
        self.assertEqual(len(self.lines(res, "problem")), 1, res.stdout)
        self.assertIn("plain http", self.lines(res, "problem")[0])

    def test_untrusted_config_is_a_problem(self):
        srv = self.server()
        self.sb.write_config("", mode=0o622)
        res = self.check("-t", TOKEN, "--api-url", srv.url)
        self.assertEqual(res.returncode, 1, res)
        self.assertIn("writable by group or others", self.lines(res, "problem")[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
