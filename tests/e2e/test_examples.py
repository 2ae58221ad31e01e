"""The inputs on which the two rules once broke, one test each.

Rule 1: the job always runs and keeps its exit status.  Rule 2: a ping
means success, and goes only where the settings the contract picks say.
Each class here was found by trying hbrun as a new user would; the
property test (test_rules.py) searches the same space at random.
"""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

import harness  # noqa: E402
from harness import run, scaled, start  # noqa: E402
from jobs import wait_for  # noqa: E402
from servercase import ServerCase  # noqa: E402

TOKEN = "Ex4mpleT0kenQw8Zr2Lp6Vn"
OTHER = "0therT0kenMk3Jd7Fs1Hy5Bc"


class Example(ServerCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.marker = self.sb.path("ran")

    def job(self, code=0):
        return ["sh", "-c", 'echo x >>"$0"; exit %d' % code, self.marker]

    def hb(self, args, code=0, env=None, **kw):
        res = run(args + ["--ping-deadline", "5", "--"] + self.job(code),
                  env or self.sb.env(), timeout=scaled(30), **kw)
        self.assertEqual(res.returncode, code, res)
        with open(self.marker) as f:
            self.assertEqual(f.read(), "x\n", "the job ran once")
        os.unlink(self.marker)
        return res

    def pinged(self):
        return [r.target for r in self.srv.requests]

    def assertPinged(self, token):
        self.assertEqual(self.pinged(), ["/v1/heartbeats/%s/ping" % token])

    def conf(self, text, mode=0o600, name="hb.conf"):
        return self.sb.write_file(name, text, mode)


class BlockingPaths(Example):
    """A FIFO nobody writes, as config or token file, never holds the job."""

    def test_fifo_everywhere(self):
        fifo = self.sb.path("fifo")
        os.mkfifo(fifo, 0o600)
        for args, env in ((["-c", fifo], None),
                          (["-t", TOKEN], self.sb.env(HBRUN_CONFIG=fifo)),
                          (["--token-file", fifo], None)):
            with self.subTest(args=args):
                res = self.hb(args + ["--api-url", self.srv.url], env=env)
                self.assertIn("not a regular file", res.stderr)
        self.assertEqual(self.pinged(), [])

    def test_directory_and_device(self):
        for path in (self.sb.dir, "/dev/null"):
            with self.subTest(path=path):
                res = self.hb(["-c", path, "-t", TOKEN, "--api-url", self.srv.url])
                self.assertIn("not a regular file", res.stderr)
        self.assertEqual(self.pinged(), [])


class EmptyValues(Example):
    """-t "$TOKEN" with TOKEN unset: a warning, the job runs, no ping."""

    def test_each_empty_value(self):
        for args in (["-t", ""], ["--token-file", ""], ["-t", TOKEN, "--api-url", ""],
                     ["-t", TOKEN, "--ping-url", ""], ["-c", ""]):
            with self.subTest(args=args):
                full = args if "--api-url" in args else args + ["--api-url", self.srv.url]
                res = self.hb(full, code=3)
                self.assertEqual(len(res.lines()), 1, res)
                res = self.hb(full)
                self.assertIn("empty", res.stderr)
        self.assertEqual(self.pinged(), [])

    def test_empty_value_blocks_the_lower_levels(self):
        # The file's token must not stand in for an empty -t.
        path = self.conf("api_url = %s\ntoken = %s\n" % (self.srv.url, OTHER))
        self.hb(["-c", path, "-t", ""])
        self.assertEqual(self.pinged(), [])
        env = self.sb.env(HBRUN_TOKEN="")  # an empty variable is unset
        self.hb(["-c", path], env=env)
        self.assertPinged(OTHER)


class Dialect(Example):
    def test_broken_header_keeps_its_keys_to_itself(self):
        path = self.conf("api_url = %s\n[db]\ntoken = %s\n[backup\ntoken = %s\n"
                         % (self.srv.url, OTHER, TOKEN))
        res = self.hb(["-c", path, "-j", "db"])
        self.assertIn(":4: broken section header", res.stderr)
        self.assertPinged(OTHER)  # db's own, not backup's
        res = self.hb(["-c", path, "-j", "backup"])
        self.assertIn("no section [backup]", res.stderr)
        self.assertEqual(len(self.pinged()), 1)

    def test_white_space_around_a_section_name(self):
        path = self.conf("api_url = %s\n[ db ]\ntoken = %s\n" % (self.srv.url, OTHER))
        self.assertEqual(self.hb(["-c", path, "-j", "db"]).stderr, "")
        self.assertPinged(OTHER)

    def test_indented_line_is_no_continuation(self):
        path = self.conf("api_url = %s\ntoken = %s\n    ping_retries = 2\n"
                         % (self.srv.url, TOKEN))
        res = self.hb(["-c", path])
        self.assertEqual(res.stderr, "")
        self.assertPinged(TOKEN)

    def test_quotes_and_inline_comment(self):
        path = self.conf('api_url = "%s" ; the fake\ntoken = "%s"\n' % (self.srv.url, TOKEN))
        self.assertEqual(self.hb(["-c", path]).stderr, "")
        self.assertPinged(TOKEN)

    def test_colon_is_no_separator(self):
        path = self.conf("api_url = %s\ntoken: %s\n" % (self.srv.url, TOKEN))
        res = self.hb(["-c", path])
        self.assertIn(":2: syntax error", res.stderr)
        self.assertEqual(self.pinged(), [])

    def test_long_token_line_is_read_whole(self):
        # Never cut short and used, nor left to the global token: read
        # whole, whatever its length.
        path = self.conf("api_url = %s\ntoken = %s\n[j]\ntoken = %s\n"
                         % (self.srv.url, OTHER, TOKEN + "x" * 300))
        res = self.hb(["-c", path, "-j", "j"])
        self.assertEqual(res.stderr, "")
        self.assertPinged(TOKEN + "x" * 300)

    def test_token_file_bytes(self):
        for data, sent in ((b"\xef\xbb\xbf" + TOKEN.encode() + b"\r\n", True),
                           (TOKEN.encode() + b"\0rest\n", False),
                           (b"\n" + TOKEN.encode() + b"\n", False),
                           (b"x" * 5000 + b"\n", False)):
            with self.subTest(data=data[:30]):
                path = self.sb.path("tok")
                with open(path, "wb") as f:
                    f.write(data)
                os.chmod(path, 0o600)
                before = len(self.pinged())
                self.hb(["--token-file", path, "--api-url", self.srv.url])
                new = self.pinged()[before:]
                self.assertEqual(new, ["/v1/heartbeats/%s/ping" % TOKEN] if sent else [])


class DotSegments(Example):
    def test_dot_tokens_send_nothing(self):
        for token in (".", ".."):
            with self.subTest(token=token):
                res = self.hb(["-t", token, "--api-url", self.srv.url])
                self.assertIn("cannot stand in a URL", res.stderr)
        self.assertEqual(self.pinged(), [])

    def test_hbctl_dot_ids_send_nothing(self):
        for cmd in (["delete", ".."], ["get", "."], ["pause", ".."]):
            with self.subTest(cmd=cmd):
                p = subprocess.run([os.environ["HBCTL"], "--api-key", "k", "--api-url",
                                    self.srv.url] + cmd, env=self.sb.env(),
                                   capture_output=True, text=True, timeout=scaled(30))
                self.assertEqual(p.returncode, 2, p)
        self.assertEqual(self.pinged(), [])


@unittest.skipUnless(os.geteuid() == 0, "needs root to give a file away")
class Untrusted(Example):
    def test_untrusted_file_cannot_redirect_the_token(self):
        thief = self.server()
        for mode, owner in ((0o666, 0), (0o600, 12345)):
            with self.subTest(mode=oct(mode), owner=owner):
                path = self.conf("ping_url = %s/steal/{token}\n" % thief.url, mode)
                os.chown(path, owner, owner)
                res = self.hb(["-c", path, "-t", TOKEN, "--api-url", self.srv.url])
                self.assertIn("not used", res.stderr)
        self.assertEqual(thief.requests, [])
        self.assertEqual(self.pinged(), [])


class SecretsInUrls(Example):
    def test_fragment_query_or_user_info_in_the_api_url(self):
        base = self.srv.url
        for url in (base + "#frag", base + "?a=b", base.replace("://", "://u:p@")):
            with self.subTest(url=url):
                res = self.hb(["-t", TOKEN, "--api-url", url])
                self.assertIn("no ping sent", res.stderr)
        self.assertEqual(self.pinged(), [])

    def test_token_in_the_host_is_not_shown(self):
        res = self.hb(["-v", "-t", TOKEN, "--ping-retries", "0",
                       "--ping-url", "http://{token}.invalid:9/p", "--allow-http"])
        self.assertNotIn(TOKEN[4:], res.stderr)
        self.assertIn(TOKEN[:4].lower(), res.stderr.lower())

    @unittest.skipIf(harness.UNDER_VALGRIND, "valgrind shows its own argv copy")
    def test_ping_url_is_scrubbed_from_argv(self):
        url = self.srv.url + "/heartbeats/" + TOKEN + "/ping"
        p = start(["--ping-url", url, "--", "sleep", "30"], self.sb.env())
        try:
            def cmdline():
                with open("/proc/%d/cmdline" % p.pid, "rb") as f:
                    return f.read()
            wait_for(lambda: b"*****" in cmdline(), scaled(10))
            self.assertNotIn(TOKEN.encode(), cmdline())
        finally:
            p.kill()
            p.communicate()


class OddReplies(Example):
    def test_endless_2xx_body_is_a_success(self):
        self.srv.set_plan([("endless", 0.2)])
        res = self.hb(["-t", TOKEN, "--api-url", self.srv.url, "--ping-timeout", "30",
                       "--ping-retries", "3"])
        self.assertEqual(res.stderr, "")
        self.assertEqual(len(self.pinged()), 1)

    def test_huge_body_is_not_read_whole(self):
        self.srv.set_plan([("big", 100 * 1024 * 1024)])
        res = self.hb(["-t", TOKEN, "--api-url", self.srv.url, "--ping-retries", "3"])
        self.assertEqual(res.stderr, "")
        self.assertEqual(len(self.pinged()), 1)


class Messages(Example):
    def test_verbose_beats_quiet_from_the_file(self):
        path = self.conf("quiet = true\n")
        res = self.hb(["-c", path, "-v", "-t", TOKEN, "--api-url", self.srv.url])
        self.assertIn("ping attempt 1", res.stderr)
        res = self.hb(["-c", path, "-v", "-q", "-t", TOKEN, "--api-url", self.srv.url])
        self.assertEqual(res.stderr, "")

    @unittest.skipIf(harness.UNDER_VALGRIND, "valgrind handles the exec of a "
                     "script itself, and ends with its own status")
    def test_missing_interpreter_is_named(self):
        script = self.sb.write_file("job.sh", "#!/nonexistent/sh\necho hi\n", 0o755)
        res = run([script], self.sb.env())
        self.assertEqual(res.returncode, 127, res)
        self.assertEqual(res.lines(), ["hbrun: cannot run '%s': its interpreter "
                                       "'/nonexistent/sh' is missing" % script])


if __name__ == "__main__":
    unittest.main(verbosity=2)
