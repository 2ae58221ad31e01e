"""The third round's inputs on which the two rules or a secret once broke,
one test each (and their variants): INI headers decided by the whole line,
secrets in messages and in hbctl, settings that applied where they should
not or were silently ignored.  test_examples.py holds the earlier rounds;
the property test (test_rules.py) searches the same space at random.
"""

import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from harness import run, scaled  # noqa: E402
from servercase import ServerCase  # noqa: E402

TOKEN = "Ex4mpleT0kenQw8Zr2Lp6Vn"
OTHER = "0therT0kenMk3Jd7Fs1Hy5Bc"
THIRD = "Th1rdT0kenPz9Wq4Rx8Tc2Nm"
HBCTL = os.environ.get("HBCTL", "")
ROOT = os.geteuid() == 0
OTHER_UID = 12345
NOT_SENT = "no request is sent"


def some(items):
    """ITEMS, or under valgrind (half a second a run) every third of them,
    the first and the last always among them."""
    items = list(items)
    if not harness.UNDER_VALGRIND or len(items) < 3:
        return items
    return items[:-1:3] + items[-1:]


def leaks(text, secret, shown=4):
    """The pieces of SECRET longer than SHOWN characters found in TEXT."""
    n = shown + 1
    return sorted({secret[i:i + n] for i in range(len(secret) - n + 1)
                   if secret[i:i + n] in text})


class Example(ServerCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.marker = self.sb.path("ran")
        self.seen = 0  # requests already looked at

    def job(self, code=0):
        return ["sh", "-c", 'echo x >>"$0"; exit %d' % code, self.marker]

    def hb(self, args, code=0, env=None, runs=1, **kw):
        res = run(args + ["--ping-deadline", "5", "--"] + self.job(code),
                  env or self.sb.env(), timeout=scaled(30), **kw)
        self.assertEqual(res.returncode, code, res)
        ran = ""
        if os.path.exists(self.marker):
            with open(self.marker) as f:
                ran = f.read()
        self.assertEqual(ran, "x\n" * runs, "the job ran %d time(s)" % runs)
        if runs:
            os.unlink(self.marker)
        return res

    def pinged(self):
        """The targets of the requests not looked at yet."""
        return [r.target for r in self.srv.requests[self.seen:]]

    def forget(self):
        self.seen = len(self.srv.requests)

    def assertPinged(self, token):
        self.assertEqual(self.pinged(), ["/v1/heartbeats/%s/ping" % token])
        self.forget()

    def assertNoPing(self):
        self.assertEqual(self.pinged(), [])

    def conf(self, text, mode=0o600, name="hb.conf"):
        return self.sb.write_file(name, text.replace("{u}", self.srv.url), mode)


class Headers(Example):
    """Class 1: what a header is, the file decides, not a parser's limits."""

    def sections(self, text, want):
        """-j NAME pings WANT[NAME] (None: nothing) for each NAME."""
        path = self.conf("api_url = {u}\n" + text)
        for name, token in want.items():
            with self.subTest(job=name[:60]):
                res = self.hb(["-c", path, "-j", name])
                if token is None:
                    self.assertNoPing()
                else:
                    self.assertPinged(token)
        return path

    def test_header_with_a_comment_past_199_characters(self):
        # It was dropped whole: b's token went to job a.
        self.sections("[a]\ntoken = %s\n[b] ; %s\ntoken = %s\n" % (OTHER, "c" * 250, TOKEN),
                      {"a": OTHER, "b": TOKEN})

    def test_long_headers_of_every_length(self):
        for n in some((48, 49, 50, 51, 199, 200, 4000)):
            with self.subTest(length=n):
                name = "n" * n
                self.sections("[%s]\ntoken = %s\n" % (name, TOKEN), {name: TOKEN})

    def test_section_name_over_49_characters_is_not_cut(self):
        # Cut at 49, both were one section, and -j <prefix> took a token.
        prefix = "p" * 49
        self.sections("[%sX]\ntoken = %s\n[%sY]\ntoken = %s\n" % (prefix, TOKEN, prefix, OTHER),
                      {prefix: None, prefix + "X": TOKEN, prefix + "Y": OTHER})

    def test_comment_inside_the_brackets_is_a_broken_header(self):
        # It was merged into the section above: a pinged b's token.
        path = self.sections("[a]\ntoken = %s\n[b ;nightly]\ntoken = %s\n" % (OTHER, TOKEN),
                             {"a": OTHER, "b": None, "b ;nightly": None})
        res = self.hb(["-c", path, "-j", "a"])
        self.assertIn(":4: broken section header", res.stderr)
        self.forget()

    def test_keys_after_an_empty_header_are_not_global(self):
        for empty in some(("[]", "[ ]", "[\t]")):
            with self.subTest(header=empty):
                path = self.conf("api_url = {u}\ntoken = %s\n%s\ntoken = %s\n"
                                 % (OTHER, empty, TOKEN))
                self.hb(["-c", path])
                self.assertPinged(OTHER)

    def test_text_after_the_bracket_is_a_broken_header(self):
        for header in some(("[j]x", "[j] x", "[j]]", "[j]x]", "[[j]]", "[j#1]", "[j")):
            with self.subTest(header=header):
                self.sections("[a]\ntoken = %s\n%s\ntoken = %s\n" % (OTHER, header, TOKEN),
                              {"a": OTHER, "j": None})
        self.sections("[a]b]\ntoken = %s\n" % TOKEN, {"a": None, "a]b": None})

    def test_a_comment_after_the_bracket_is_a_header(self):
        for header in some(("[j] ; nightly", "[j];x", "[j]  # nightly", "[j]#x", "  [ j ]  ")):
            with self.subTest(header=header):
                self.sections("%s\ntoken = %s\n" % (header, TOKEN), {"j": TOKEN})

    def test_key_whose_equals_sign_is_past_column_199(self):
        # It was ignored without a word, and the global token was sent.
        path = self.conf("api_url = {u}\ntoken = %s\n[j]\ntoken%s= %s\n"
                         % (OTHER, " " * 250, TOKEN))
        res = self.hb(["-c", path, "-j", "j"])
        self.assertEqual(res.stderr, "")
        self.assertPinged(TOKEN)

    def test_empty_job_name_is_a_usage_error(self):
        # It matched [ ].
        path = self.conf("api_url = {u}\n[ ]\ntoken = %s\n" % TOKEN)
        for name in ("", " ", "\t"):
            with self.subTest(name=name):
                res = self.hb(["-c", path, "-j", name], code=125, runs=0)
                self.assertIn("empty job name", res.stderr)
        self.hb(["-c", path, "--job=", "-t", TOKEN], code=125, runs=0)
        self.assertNoPing()

    def test_last_line_of_blanks_without_a_newline(self):
        # take_line() read past the buffer (valgrind: uninitialised value).
        for tail in (" ", "\t", "   \t  ", "\r"):
            with self.subTest(tail=tail):
                path = self.conf("api_url = {u}\ntoken = %s\n%s" % (TOKEN, tail))
                res = self.hb(["-c", path])
                self.assertEqual(res.stderr, "")
                self.assertPinged(TOKEN)


class Secrets(Example):
    """Class 5: no message shows a credential, hbctl's included."""

    def test_check_with_the_token_in_the_host(self):
        res = run(["--check", "-t", TOKEN, "--ping-timeout", "2",
                   "--ping-url", "https://{token}.invalid/p", "--", "true"], self.sb.env(),
                  timeout=scaled(30))
        self.assertEqual(res.returncode, 1, res)  # the host cannot be resolved
        self.assertEqual(leaks(res.stdout + res.stderr, TOKEN), [], res)
        self.assertIn("ping_url = https://{token}.invalid:443 (command line)", res.stdout)
        self.assertNotIn("unparsable", res.stdout)

    def test_no_option_value_in_a_usage_error(self):
        for args in some((["--tokn=" + TOKEN], ["--to=" + TOKEN], ["--check=" + TOKEN],
                          ["-qx" + TOKEN], ["--ping-retries=" + TOKEN],
                          ["--timeout", TOKEN], ["--success-status", TOKEN])):
            with self.subTest(args=args[0][:12]):
                res = self.hb(args, code=125, runs=0)
                self.assertEqual(leaks(res.stderr, TOKEN), [], res)
                self.assertEqual(len(res.lines()), 1, res)
        # an unknown service is a warning, which does not repeat it either
        res = self.hb(["--service", TOKEN, "-t", OTHER])
        self.assertEqual(leaks(res.stderr, TOKEN), [], res)
        self.assertNoPing()

    def hbctl(self, args, env, **kw):
        return subprocess.run(harness.WRAPPER + [HBCTL] + args, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=scaled(60), **kw)

    @unittest.skipIf(harness.UNDER_VALGRIND, "under valgrind /proc/PID/environ is "
                     "valgrind's own copy, which hbctl cannot overwrite")
    def test_hbctl_key_not_in_its_environ(self):
        srv = self.server([("hang",)])
        env = self.sb.env(TICKSTEM_API_KEY=TOKEN)
        p = subprocess.Popen(harness.WRAPPER + [HBCTL, "--api-url", srv.url, "--deadline", "30",
                                                "list"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            self.assertTrue(srv.wait_requests(1, scaled(10)), "no request")
            with open("/proc/%d/environ" % p.pid, "rb") as f:
                environ = f.read().decode("latin-1")
            self.assertEqual(leaks(environ, TOKEN), [], environ)
            self.assertIn("Bearer " + TOKEN, srv.requests[0].headers.get("authorization"))
        finally:
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=scaled(10))

    def test_hbctl_refuses_a_fragment_query_or_user_info(self):
        # With '#x', delete sent DELETE /v1 with the key and exited 0.
        base = self.srv.url
        for url, how in some((u, h) for u in (base + "#x", base + "?a=1",
                                              base.replace("http://", "http://u:p@"),
                                              base.replace("http://", "http://u@"))
                             for h in ("option", "environment", "file")):
            with self.subTest(url=url, how=how):
                env = self.sb.env(TICKSTEM_API_KEY=TOKEN)
                args = ["delete", "abc"]
                if how == "option":
                    args = ["--api-url", url] + args
                elif how == "environment":
                    env["HBRUN_API_URL"] = url
                else:
                    args = ["-c", self.conf("api_url = %s\n" % url)] + args
                p = self.hbctl(args, env)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("nothing sent", p.stderr)
                self.assertEqual(leaks(p.stderr, TOKEN), [])
        self.assertNoPing()


class Settings(Example):
    """Class 6: a setting applies where it should, or says why not."""

    def test_global_template_not_applied_to_a_section_of_another_service(self):
        # The global ping_url took the section's healthchecks UUID.
        for key in ("ping_url", "start_url", "fail_url"):
            with self.subTest(key=key):
                path = self.conf("%s = {u}/g/{token}\n[hc]\nservice = healthchecks\n"
                                 "api_url = %s/hc\ntoken = %s\n" % (key, self.srv.base, TOKEN))
                self.hb(["-c", path, "-j", "hc"])
                got = self.pinged()
                self.forget()
                self.assertFalse([t for t in got if t.startswith("/v1/g/")], got)
                self.assertIn("/hc/%s?rid=" % TOKEN, " ".join(got))
        # at the section's own level or below the command line's service, it applies
        path = self.conf("[hc]\nservice = healthchecks\nping_url = {u}/s/{token}\n")
        self.hb(["-c", path, "-j", "hc", "-t", TOKEN])
        self.assertEqual(self.pinged(), ["/v1/s/" + TOKEN])

    def test_check_says_a_template_does_not_apply(self):
        path = self.conf("ping_url = {u}/g/{token}\n[hc]\nservice = healthchecks\n")
        res = run(["--check", "-c", path, "-j", "hc", "-t", TOKEN, "--ping-timeout", "1"],
                  self.sb.env(), timeout=scaled(30))
        self.assertRegex(res.stdout, r"ping_url = .*not applied")

    def test_trailing_newline_of_a_token_is_trimmed(self):
        # It was sent as %0A.
        for how, value in some((h, v) for h in ("-t", "env", "file")
                               for v in (TOKEN + "\n", TOKEN + " \r\n", "  " + TOKEN + "\t")):
            with self.subTest(how=how, value=value):
                args, env = ["--api-url", self.srv.url], self.sb.env()
                if how == "-t":
                    args += ["-t", value]
                elif how == "env":
                    env["HBRUN_TOKEN"] = value
                else:
                    args += ["-c", self.conf('api_url = {u}\ntoken = "%s"\n'
                                             % value.replace("\n", ""))]
                res = self.hb(args, env=env)
                self.assertEqual(res.stderr, "")
                self.assertPinged(TOKEN)

    def test_token_of_white_space_only_is_unusable(self):
        for how in ("-t", "env"):
            with self.subTest(how=how):
                args = ["--api-url", self.srv.url]
                env = self.sb.env()
                if how == "-t":
                    args += ["-t", " \n"]
                else:
                    env["HBRUN_TOKEN"] = " \n"
                path = self.conf("token = %s\n" % OTHER)  # a lower level: never used
                res = self.hb(args + ["-c", path], env=env)
                self.assertEqual(len(res.lines()), 1, res)
                self.assertNoPing()

    @unittest.skipUnless(ROOT, "needs root to run as another user")
    def test_searched_config_that_the_caller_may_not_read(self):
        # root's config kept 0600, seen by another user, blocked every ping.
        def as_user():
            os.setgroups([])
            os.setgid(OTHER_UID)
            os.setuid(OTHER_UID)

        self.sb.write_config("token = %s\n" % OTHER, 0o600)
        os.chmod(os.path.dirname(self.sb.config), 0o755)
        os.chmod(self.sb.xdg, 0o755)
        os.chmod(self.marker.rsplit("/", 1)[0], 0o777)
        args = ["-t", TOKEN, "--api-url", self.srv.url]
        res = self.hb(args, preexec_fn=as_user)
        self.assertEqual(res.stderr, "")
        self.assertPinged(TOKEN)
        res = self.hb(args + ["-v"], preexec_fn=as_user)
        self.assertIn("%s: not readable by you; passed over" % self.sb.config, res.stderr)
        self.assertPinged(TOKEN)
        res = run(["--check", "--ping-timeout", "1"] + args, self.sb.env(), preexec_fn=as_user,
                  timeout=scaled(30))
        self.assertIn("ok: config file %s is not readable by you" % self.sb.config, res.stdout)
        # named, it is no search: unusable, as before
        res = self.hb(args + ["-c", self.sb.config], preexec_fn=as_user)
        self.assertIn(NOT_SENT, res.stderr)
        self.assertNoPing()

    def test_kill_after_without_timeout_warns(self):
        res = self.hb(["--kill-after", "3", "-t", TOKEN, "--api-url", self.srv.url])
        self.assertEqual(res.lines(), ["hbrun: --kill-after without --timeout does nothing"])
        self.assertPinged(TOKEN)
        path = self.conf("api_url = {u}\nkill_after = 5\ntoken = %s\n[j]\nkill_after = 3\n"
                         % TOKEN)
        res = self.hb(["-c", path, "-j", "j"])
        self.assertEqual(res.lines(), ["hbrun: %s:5: kill_after without a timeout does nothing"
                                       % path])
        self.assertPinged(TOKEN)
        # a global default for the jobs that have a timeout: silent
        self.assertEqual(self.hb(["-c", path]).stderr, "")
        self.assertEqual(self.hb(["-c", path, "-j", "j", "--timeout", "60"]).stderr, "")
        self.forget()

    def test_repeated_success_status_warns(self):
        res = self.hb(["--success-status", "3", "--success-status", "4", "-t", TOKEN,
                       "--api-url", self.srv.url], code=3)
        self.assertEqual(res.lines(), ["hbrun: --success-status given more than once: "
                                       "only the last list counts"])
        self.assertNoPing()  # 3 was not in the last list

    def test_unusable_config_warnings_say_no_request_is_sent(self):
        self.conf("token = %s\n" % TOKEN, name="hb.conf")
        cases = [("missing", self.sb.path("nope.conf")), ("directory", self.sb.dir),
                 ("writable", self.conf("token = %s\n" % TOKEN, 0o666, "w.conf")),
                 ("NUL", self.conf("token = a\0b\n", name="nul.conf")),
                 ("large", self.conf("#" * (1 << 20) + "\n", name="big.conf"))]
        for what, path in some(cases):
            with self.subTest(what=what):
                res = self.hb(["-c", path, "-t", TOKEN, "--api-url", self.srv.url])
                self.assertEqual(len(res.lines()), 1, res)
                self.assertIn(NOT_SENT, res.stderr)
                self.assertNoPing()


if __name__ == "__main__":
    if not HBCTL or not os.access(HBCTL, os.X_OK):
        raise SystemExit("tests: set HBCTL to the hbctl binary (meson test does this)")
    unittest.main(verbosity=2)
