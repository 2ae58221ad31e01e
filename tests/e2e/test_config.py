"""The config file and settings: search order, [job] sections, precedence
(command line > environment > job section > global part > defaults),
warnings with FILE:LINE, booleans, permission rules for files holding a
token, token files, -q.

Which setting won is read off the ping: the fake API records the path
(which holds the token) and which server got it (the API URL).

SPEC sections 1, 2 and 5.
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

from harness import run, sample  # noqa: E402
from fakeapi import unused_port  # noqa: E402
from servercase import ServerCase  # noqa: E402

DEAD = unused_port()
NOWHERE = "http://127.0.0.1:%d/v1" % DEAD
# What every warning about a config file that cannot be used ends with.
NOT_USED = ": no request is sent, and its job control settings are not applied"
# A safety net: should hbrun ever fall back to the default (public) API
# because of a bug, the request goes to a dead loopback proxy, not out.
NET = {
    "https_proxy": "http://127.0.0.1:%d" % DEAD,
    "HTTPS_PROXY": "http://127.0.0.1:%d" % DEAD,
    "http_proxy": "http://127.0.0.1:%d" % DEAD,
    "ALL_PROXY": "http://127.0.0.1:%d" % DEAD,
    "no_proxy": "127.0.0.1,localhost",
    "NO_PROXY": "127.0.0.1,localhost",
}
OTHER_UID = 12345
ETC_CONF = "/etc/hbrun.conf"

BOOLS_TRUE = ["true", "TRUE", "True", "yes", "YES", "Yes", "on", "ON", "oN", "1"]
BOOLS_FALSE = ["false", "FALSE", "False", "no", "NO", "nO", "off", "OFF", "Off", "0"]


def chown(path, owner):
    """Give PATH to OWNER (0: leave it to the caller, who may not be root)."""
    if owner and owner != os.geteuid():
        os.chown(path, owner, -1)


ROOT = os.geteuid() == 0


def P(token):
    return "/v1/heartbeats/%s/ping" % token


class ConfigCase(ServerCase):
    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.srv2 = self.server()
        self._seen = {}

    def env(self, **extra):
        e = dict(NET)
        e.update(extra)
        return self.sb.env(**e)

    def hb(self, args, env=None, job=("true",), code=0, **kw):
        res = run(list(args) + ["--"] + list(job), env if env is not None else self.env(), **kw)
        self.assertEqual(res.returncode, code, res)
        for line in res.lines():
            self.assertTrue(line.startswith("hbrun: "), res)
        return res

    def new(self, srv=None):
        """Paths of the requests SRV got since the last call."""
        srv = srv or self.srv
        reqs = srv.requests
        start = self._seen.get(id(srv), 0)
        self._seen[id(srv)] = len(reqs)
        return [r.path for r in reqs[start:]]

    def assertPinged(self, token, srv=None, res=None):
        srv = srv or self.srv
        others = [s for s in (self.srv, self.srv2) if s is not srv]
        self.assertEqual(self.new(srv), [P(token)], res)
        for s in others:
            self.assertEqual(self.new(s), [], ("a ping went to the other server", res))

    def assertNoPing(self, res=None):
        self.assertEqual(self.new(self.srv), [], res)
        self.assertEqual(self.new(self.srv2), [], res)

    def conf(self, name, text, mode=0o600):
        path = self.sb.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return self.sb.write_file(path, text, mode)

    def warning_for(self, res, path, line=None):
        """The stderr lines that name PATH (and LINE)."""
        pat = re.escape(path) + (":%d:" % line if line is not None else r"\b")
        return [l for l in res.lines() if re.search(pat, l)]


class Search(ConfigCase):
    def setUp(self):
        super().setUp()
        u = self.srv.url
        self.c_file = self.conf("c/hbrun.conf", "api_url = %s\ntoken = from-c-file\n" % u)
        self.env_file = self.conf("e/hbrun.conf", "api_url = %s\ntoken = from-env-file\n" % u)
        self.sb.write_config("api_url = %s\ntoken = from-xdg-file\n" % u)
        self.home_file = self.conf(".config/hbrun/hbrun.conf",
                                   "api_url = %s\ntoken = from-home-file\n" % u)

    def test_dash_c_first(self):
        res = self.hb(["-c", self.c_file], self.env(HBRUN_CONFIG=self.env_file))
        self.assertEqual(res.stderr, "")
        self.assertPinged("from-c-file")

    def test_dash_c_even_when_hbrun_config_is_missing(self):
        res = self.hb(["-c", self.c_file], self.env(HBRUN_CONFIG=self.sb.path("missing.conf")))
        self.assertEqual(res.stderr, "")
        self.assertPinged("from-c-file")

    def test_long_option(self):
        self.hb(["--config", self.c_file])
        self.assertPinged("from-c-file")
        self.hb(["--config=" + self.c_file])
        self.assertPinged("from-c-file")

    def test_hbrun_config_second(self):
        res = self.hb([], self.env(HBRUN_CONFIG=self.env_file))
        self.assertEqual(res.stderr, "")
        self.assertPinged("from-env-file")

    def test_xdg_third(self):
        res = self.hb([])
        self.assertEqual(res.stderr, "")
        self.assertPinged("from-xdg-file")

    def test_home_config_when_xdg_unset(self):
        res = self.hb([], self.env(XDG_CONFIG_HOME=None))
        self.assertEqual(res.stderr, "")
        self.assertPinged("from-home-file")

    @unittest.skipIf(os.path.exists(ETC_CONF), ETC_CONF + " exists on this machine")
    def test_home_config_not_read_when_xdg_set(self):
        empty_xdg = self.sb.path("empty-xdg")
        os.mkdir(empty_xdg)
        self.hb(["-t", "cli-only", "--api-url", self.srv2.url], self.env(XDG_CONFIG_HOME=empty_xdg))
        self.assertPinged("cli-only", self.srv2)

    def test_missing_dash_c_file_warns_and_stops_the_search(self):
        missing = self.sb.path("nope/hbrun.conf")
        res = self.hb(["-c", missing], self.env(HBRUN_CONFIG=self.env_file),
                      job=["sh", "-c", "touch ran; exit 3"], code=3, cwd=self.sb.dir)
        self.assertTrue(os.path.exists(self.sb.path("ran")), "the job did not run")
        self.assertEqual(len(res.lines()), 1, res)
        self.assertEqual(len(self.warning_for(res, missing)), 1, res)
        self.assertNoPing(res)

    def test_missing_hbrun_config_file_warns_and_stops_the_search(self):
        missing = self.sb.path("nope/env.conf")
        res = self.hb([], self.env(HBRUN_CONFIG=missing), job=["sh", "-c", "exit 0"])
        self.assertEqual(len(self.warning_for(res, missing)), 1, res)
        self.assertNoPing(res)

    def test_missing_file_blocks_even_the_command_lines_token(self):
        # The file named might have sent the ping elsewhere: no request.
        missing = self.sb.path("nope.conf")
        res = self.hb(["-c", missing, "-t", "not-pinged", "--api-url", self.srv.url])
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(len(self.warning_for(res, missing)), 1, res)
        self.assertNoPing(res)

    def test_missing_file_quiet(self):
        missing = self.sb.path("nope.conf")
        res = self.hb(["-q", "-c", missing, "-t", "quiet-missing", "--api-url", self.srv.url])
        self.assertEqual(res.stderr, "", res)
        self.assertNoPing(res)


class Sections(ConfigCase):
    def setUp(self):
        super().setUp()
        self.path = self.conf("s.conf", (
            "api_url = {u}\n"
            "token = global-token\n"
            "\n"
            "[backup]\n"
            "token = backup-token\n"
            "\n"
            "[other]\n"
            "token = other-token\n"
            "api_url = {u2}\n").format(u=self.srv.url, u2=self.srv2.url))

    def test_no_job_takes_the_global_part(self):
        self.hb(["-c", self.path])
        self.assertPinged("global-token")

    def test_job_section(self):
        res = self.hb(["-c", self.path, "-j", "backup"])
        self.assertEqual(res.stderr, "")
        self.assertPinged("backup-token")
        self.hb(["-c", self.path, "--job", "other"])
        self.assertPinged("other-token", self.srv2)
        self.hb(["-c", self.path, "--job=backup"])
        self.assertPinged("backup-token")

    def test_unknown_job_falls_back_to_global(self):
        self.hb(["-c", self.path, "-j", "no-such-job"])
        self.assertPinged("global-token")

    def test_sections_apply_only_when_selected(self):
        path = self.conf("only-sections.conf", "[backup]\ntoken = backup-only\napi_url = %s\n"
                         % self.srv.url)
        self.hb(["-c", path])
        self.assertNoPing()
        self.hb(["-c", path, "-j", "backup"])
        self.assertPinged("backup-only")


class Precedence(ConfigCase):
    """Each level against the next one down, for the token and the API URL."""

    def test_command_line_over_environment(self):
        self.hb(["-t", "cli-token", "--api-url", self.srv.url],
                self.env(HBRUN_TOKEN="env-token", HBRUN_API_URL=self.srv2.url))
        self.assertPinged("cli-token", self.srv)
        self.hb(["--token=cli-token2", "--api-url=" + self.srv2.url],
                self.env(HBRUN_TOKEN="env-token", HBRUN_API_URL=self.srv.url))
        self.assertPinged("cli-token2", self.srv2)

    def test_environment_over_job_section(self):
        path = self.conf("p.conf", "[j]\ntoken = job-token\napi_url = %s\n" % self.srv2.url)
        self.hb(["-c", path, "-j", "j"],
                self.env(HBRUN_TOKEN="env-token", HBRUN_API_URL=self.srv.url))
        self.assertPinged("env-token", self.srv)

    def test_environment_over_global(self):
        self.sb.write_config("token = global-token\napi_url = %s\n" % self.srv2.url)
        self.hb([], self.env(HBRUN_TOKEN="env-token", HBRUN_API_URL=self.srv.url))
        self.assertPinged("env-token", self.srv)

    def test_job_section_over_global(self):
        path = self.conf("p.conf", "token = global-token\napi_url = %s\n[j]\ntoken = job-token\n"
                         "api_url = %s\n" % (self.srv2.url, self.srv.url))
        self.hb(["-c", path, "-j", "j"])
        self.assertPinged("job-token", self.srv)

    def test_global_over_default(self):
        self.sb.write_config("token = global-token\napi_url = %s\n" % self.srv.url)
        self.hb([])
        self.assertPinged("global-token", self.srv)

    def test_each_setting_from_its_own_level(self):
        path = self.conf("p.conf", "api_url = %s\n[j]\ntoken = job-token\n" % self.srv2.url)
        self.hb(["-c", path, "-j", "j"])
        self.assertPinged("job-token", self.srv2)
        self.hb(["-c", path, "-j", "j", "--api-url", self.srv.url])
        self.assertPinged("job-token", self.srv)
        self.hb(["-c", path], self.env(HBRUN_TOKEN="env-token"))
        self.assertPinged("env-token", self.srv2)

    def test_ping_url_from_config(self):
        path = self.conf("p.conf", "ping_url = %s/custom/{token}/hit\ntoken = pu-token\n"
                         % self.srv.base)
        res = self.hb(["-c", path])
        self.assertEqual(res.stderr, "")
        self.assertEqual(self.new(), ["/custom/pu-token/hit"])

    def test_ping_retries_from_config_and_command_line(self):
        self.srv.set_plan([("status", 503, {}, b"")])
        path = self.conf("r.conf", "api_url = %s\ntoken = retry-token\nping_retries = 1\n"
                         % self.srv.url)
        self.hb(["-q", "-c", path])
        self.assertEqual(len(self.new()), 2, "ping_retries = 1: two attempts")
        self.hb(["-q", "-c", path, "--ping-retries", "0"])
        self.assertEqual(len(self.new()), 1, "--ping-retries 0 over the file: one attempt")

    def test_ping_timeout_and_deadline_from_config(self):
        self.srv.set_plan([("hang",)])
        path = self.conf("t.conf", "api_url = %s\ntoken = hang-token\nping_retries = 0\n"
                         "ping_timeout = 1\n" % self.srv.url)
        res = self.hb(["-q", "-c", path])
        self.assertLess(res.elapsed, 5, "ping_timeout = 1 not applied: %r" % res)
        path = self.conf("d.conf", "api_url = %s\ntoken = hang-token\nping_deadline = 1.5\n"
                         % self.srv.url)
        res = self.hb(["-q", "-c", path])
        self.assertLess(res.elapsed, 5, "ping_deadline = 1.5 not applied: %r" % res)


class TokenFiles(ConfigCase):
    def tokfile(self, name, text, mode=0o600):
        return self.conf(name, text, mode)

    def test_token_file_option(self):
        f = self.tokfile("tok", "file-token-1\n")
        res = self.hb(["--token-file", f, "--api-url", self.srv.url])
        self.assertEqual(res.stderr, "", res)
        self.assertPinged("file-token-1")
        self.hb(["--token-file=" + f, "--api-url", self.srv.url])
        self.assertPinged("file-token-1")

    def test_first_line_trimmed(self):
        for i, text in enumerate(["  trim-token \t\nsecond-line\n", "crlf-token\r\n",
                                  "no-newline-token", "\ttab-token\n\n"]):
            want = text.strip().splitlines()[0].strip()
            f = self.tokfile("tok%d" % i, text)
            self.hb(["--token-file", f, "--api-url", self.srv.url])
            self.assertPinged(want)

    def test_empty_token_file_means_no_ping(self):
        f = self.tokfile("empty", "\n")
        res = self.hb(["--token-file", f, "--api-url", self.srv.url], job=["sh", "-c", "exit 0"])
        self.assertNoPing(res)

    def test_missing_token_file(self):
        missing = self.sb.path("no-such-token-file")
        res = self.hb(["--token-file", missing, "--api-url", self.srv.url],
                      job=["sh", "-c", "exit 4"], code=4)
        self.assertTrue(self.warning_for(res, missing), res)
        self.assertNoPing(res)

    def test_relative_option_is_relative_to_cwd(self):
        self.tokfile("cwd/tok", "cwd-token\n")
        self.hb(["--token-file", "tok", "--api-url", self.srv.url], cwd=self.sb.path("cwd"))
        self.assertPinged("cwd-token")

    def test_relative_token_file_in_config_is_relative_to_its_folder(self):
        self.tokfile("confdir/tok", "right-token\n")
        self.tokfile("cwd/tok", "wrong-token\n")
        path = self.conf("confdir/hbrun.conf",
                         "api_url = %s\ntoken_file = tok\n[j]\ntoken_file = sub/tok2\n"
                         % self.srv.url, 0o644)
        self.tokfile("confdir/sub/tok2", "right-job-token\n")
        self.tokfile("cwd/sub/tok2", "wrong-job-token\n")
        res = self.hb(["-c", path], cwd=self.sb.path("cwd"))
        self.assertEqual(res.stderr, "", res)
        self.assertPinged("right-token")
        self.hb(["-c", path, "-j", "j"], cwd=self.sb.path("cwd"))
        self.assertPinged("right-job-token")
        # Also when the config file was named by a relative path.
        self.hb(["-c", "../confdir/hbrun.conf"], cwd=self.sb.path("cwd"))
        self.assertPinged("right-token")

    def test_token_wins_over_token_file_at_one_level(self):
        f = self.tokfile("tok", "file-token\n")
        self.hb(["--token-file", f, "-t", "plain-token", "--api-url", self.srv.url])
        self.assertPinged("plain-token")
        self.hb(["-t", "plain-token", "--token-file", f, "--api-url", self.srv.url])
        self.assertPinged("plain-token")
        path = self.conf("c.conf", "api_url = %s\ntoken_file = %s\ntoken = conf-token\n"
                         "[j]\ntoken_file = %s\ntoken = job-token\n" % (self.srv.url, f, f))
        self.hb(["-c", path])
        self.assertPinged("conf-token")
        self.hb(["-c", path, "-j", "j"])
        self.assertPinged("job-token")

    def test_higher_level_token_file_wins_over_lower_token(self):
        f = self.tokfile("tok", "file-token\n")
        self.hb(["--token-file", f, "--api-url", self.srv.url], self.env(HBRUN_TOKEN="env-token"))
        self.assertPinged("file-token")
        path = self.conf("c.conf", "api_url = %s\ntoken = global-token\n[j]\ntoken_file = %s\n"
                         % (self.srv.url, f))
        self.hb(["-c", path, "-j", "j"])
        self.assertPinged("file-token")

    def test_token_file_permissions(self):
        tok = "perm-token-abcdefgh"
        cases = [  # mode, owner, used, warned
            (0o600, 0, True, False),
            (0o400, 0, True, False),
            (0o640, 0, True, True),
            (0o604, 0, True, True),
            (0o644, 0, True, True),
            (0o620, 0, False, True),
            (0o602, 0, False, True),
            (0o666, 0, False, True),
            (0o600, OTHER_UID, False, True),
        ]
        for i, (mode, owner, used, warned) in sample(enumerate(cases), 4):
            with self.subTest(mode=oct(mode), owner=owner):
                if owner and not ROOT:
                    self.skipTest("needs root to give a file away")
                f = self.tokfile("ptok%d" % i, tok + "\n", mode)
                chown(f, owner)
                for how in ("option", "config"):
                    if how == "option":
                        res = self.hb(["--token-file", f, "--api-url", self.srv.url])
                    else:
                        path = self.conf("pc%d.conf" % i, "api_url = %s\ntoken_file = %s\n"
                                         % (self.srv.url, f), 0o644)
                        res = self.hb(["-c", path])
                    if used:
                        self.assertPinged(tok, res=res)
                    else:
                        self.assertNoPing(res)
                    if warned:
                        if used:
                            self.assertEqual(len(res.lines()), 1, res)
                        self.assertEqual(len(self.warning_for(res, f)), 1, res)
                    else:
                        self.assertEqual(res.stderr, "", res)
                    self.assertNotIn(tok[4:], res.stderr)
                    # -q: the same outcome, in silence.
                    if how == "option":
                        res = self.hb(["-q", "--token-file", f, "--api-url", self.srv.url])
                        self.assertEqual(res.stderr, "", res)
                        self.assertEqual(len(self.new()), 1 if used else 0)


class Permissions(ConfigCase):
    """A config file holding a token must be private."""

    TOKEN = "conf-secret-token-0123456789"

    def file(self, mode, owner=0, extra=""):
        path = self.conf("perm.conf", "api_url = %s\ntoken = %s\n%s"
                         % (self.srv.url, self.TOKEN, extra), mode)
        chown(path, owner)
        return path

    def test_private_file_is_silent(self):
        for mode in (0o600, 0o400):
            path = self.file(mode)
            res = self.hb(["-c", path])
            self.assertEqual(res.stderr, "", res)
            self.assertPinged(self.TOKEN)

    def test_readable_file_warns_but_is_used(self):
        for mode in sample((0o640, 0o604, 0o644, 0o444), 2):
            with self.subTest(mode=oct(mode)):
                path = self.file(mode)
                res = self.hb(["-c", path])
                self.assertEqual(len(res.lines()), 1, res)
                self.assertEqual(len(self.warning_for(res, path)), 1, res)
                self.assertNotIn(self.TOKEN[4:], res.stderr)
                self.assertPinged(self.TOKEN)
                res = self.hb(["-q", "-c", path])
                self.assertEqual(res.stderr, "", res)
                self.assertPinged(self.TOKEN)

    def test_token_in_a_section_counts(self):
        path = self.conf("sec.conf", "api_url = %s\n[elsewhere]\ntoken = %s\n"
                         % (self.srv.url, self.TOKEN), 0o644)
        res = self.hb(["-c", path, "-t", "cli-token"])
        self.assertEqual(len(self.warning_for(res, path)), 1, res)
        self.assertPinged("cli-token")

    def test_readable_file_without_token_is_silent(self):
        path = self.conf("notoken.conf", "api_url = %s\nping_retries = 1\n" % self.srv.url, 0o644)
        res = self.hb(["-c", path, "-t", "cli-token"])
        self.assertEqual(res.stderr, "", res)
        self.assertPinged("cli-token")

    @unittest.skipUnless(ROOT, "needs root to give a file away")
    def test_writable_or_foreign_file_is_not_used(self):
        for mode, owner in ((0o620, 0), (0o602, 0), (0o666, 0), (0o660, 0),
                            (0o600, OTHER_UID), (0o644, OTHER_UID)):
            with self.subTest(mode=oct(mode), owner=owner):
                path = self.file(mode, owner)
                res = self.hb(["-c", path], job=["sh", "-c", "exit 0"])
                # (Another line may say that there is no token.)
                self.assertEqual(len(self.warning_for(res, path)), 1, res)
                self.assertNotIn(self.TOKEN[4:], res.stderr)
                self.assertNoPing(res)

    @unittest.skipUnless(ROOT, "needs root to give a file away")
    def test_writable_file_is_not_used_at_all(self):
        # Not even its other keys: its quiet = yes must not hide the failed
        # ping (sent with the command line's token to a dead port).
        for mode, owner in ((0o622, 0), (0o600, OTHER_UID)):
            with self.subTest(mode=oct(mode), owner=owner):
                path = self.file(mode, owner, "quiet = yes\nping_retries = 0\n")
                res = self.hb(["-c", path, "-t", "cli-token", "--api-url", NOWHERE,
                               "--ping-retries", "0", "--ping-deadline", "5"])
                # Shown: the file's quiet = yes was not applied.
                self.assertEqual(len(self.warning_for(res, path)), 1, res)
                self.assertIn("no request is sent", res.stderr)
                self.assertNotIn("ping to", res.stderr)

    @unittest.skipUnless(ROOT, "needs root to run as another user")
    def test_as_another_user(self):
        # The caller is uid OTHER_UID: its own file is fine, root's file is
        # fine (readable: warning), a third user's file is not used.
        def as_user():
            os.setgroups([])
            os.setgid(OTHER_UID)
            os.setuid(OTHER_UID)

        cases = [  # owner, mode, used, warned
            (OTHER_UID, 0o600, True, False),
            (0, 0o644, True, True),
            (OTHER_UID + 1, 0o644, False, True),
        ]
        for owner, mode, used, warned in cases:
            with self.subTest(owner=owner, mode=oct(mode)):
                path = self.file(mode, owner)
                res = self.hb(["-c", path], preexec_fn=as_user)
                if used:
                    self.assertPinged(self.TOKEN, res=res)
                else:
                    self.assertNoPing(res)
                self.assertEqual(len(self.warning_for(res, path)), 1 if warned else 0, res)


class Warnings(ConfigCase):
    def check_warnings(self, text, lines, token="warn-token", args=()):
        """TEXT (with {u} for the API URL) gives one warning for each of LINES;
        the rest of the file applies; the job still runs."""
        path = self.conf("w.conf", text.format(u=self.srv.url))
        res = self.hb(["-c", path] + list(args), job=["sh", "-c", "exit 0"])
        self.assertEqual(len(res.lines()), len(lines), res)
        for n in lines:
            self.assertEqual(len(self.warning_for(res, path, n)), 1, (n, res))
        if token:
            self.assertPinged(token, res=res)
        return path, res

    def test_unknown_key(self):
        self.check_warnings("# a comment\napi_url = {u}\ncolour = blue\ntoken = warn-token\n", [3])

    def test_bad_values(self):
        self.check_warnings(
            "api_url = {u}\n"
            "ping_retries = lots\n"
            "quiet = maybe\n"
            "ping_timeout = -1\n"
            "allow_http = 2\n"
            "ping_deadline = soon\n"
            "ping_retries = -3\n"
            "token = warn-token\n", [2, 3, 4, 5, 6, 7])

    def test_syntax_error(self):
        self.check_warnings("api_url = {u}\nthis line has no equals sign\ntoken = warn-token\n", [2])

    def test_broken_section_header(self):
        self.check_warnings("api_url = {u}\ntoken = warn-token\n[broken\n", [3])

    def test_two_syntax_errors_two_warnings(self):
        self.check_warnings("api_url = {u}\nno equals here\ntoken = warn-token\nnor here\n",
                            [2, 4])

    def test_problems_in_sections(self):
        self.check_warnings(
            "api_url = {u}\n"
            "[j]\n"
            "token = warn-token\n"
            "tokn = typo\n"
            "[other]\n"
            "ping_timeout = never\n", [4, 6], args=["-j", "j"])

    def test_long_lines_are_read_whole(self):
        # No parser's buffer decides what a line is: a header with a long
        # comment is the header, a key whose '=' is far to the right is
        # read, a long value is used whole.
        comment = "; " + "c" * 300
        key = "token" + " " * 250 + "= warn-token"
        self.check_warnings("api_url = {u}\ntoken = global-token\n[j] " + comment + "\n"
                            + key + "\n", [], args=["-j", "j"])
        self.check_warnings("api_url = {u}\n[j]\ntoken = " + "k" * 5000 + "\n", [],
                            token="k" * 5000, args=["-j", "j"])

    def test_file_of_one_mib_is_read(self):
        head = "api_url = %s\ntoken = mib-token\n" % self.srv.url
        pad = 1024 * 1024 - len(head)
        path = self.conf("mib.conf", head + "#" * (pad - 1) + "\n")
        self.assertEqual(os.path.getsize(path), 1024 * 1024)
        res = self.hb(["-c", path])
        self.assertEqual(res.lines(), [])
        self.assertPinged("mib-token", res=res)

    def test_larger_file_is_not_read(self):
        head = "api_url = %s\ntoken = file-token\n" % self.srv2.url
        path = self.conf("big.conf", head + "#" * (1024 * 1024) + "\n")
        res = self.hb(["-c", path, "-t", "cli-token", "--api-url", self.srv.url])
        self.assertEqual(res.lines(), ["hbrun: %s: larger than 1 MiB; not read%s" % (path, NOT_USED)])
        # A file that was found but cannot be used blocks every request.
        self.assertNoPing(res)

    def test_endless_file_does_not_hold_up_the_job(self):
        res = self.hb(["-c", "/dev/zero", "-t", "zero-token", "--api-url", self.srv.url],
                      job=["sh", "-c", "echo ran; exit 3"], code=3, timeout=60)
        self.assertEqual(res.stdout, "ran\n")
        self.assertEqual(res.lines(), ["hbrun: /dev/zero: not a regular file; not used" + NOT_USED])
        self.assertNoPing(res)

    def test_config_from_a_pipe_is_not_read(self):
        # Only regular files are config files: a pipe is never opened in
        # a way that can block, and -c /dev/stdin no longer works.
        text = "api_url = %s\nbogus = 1\n[j]\ntoken = pipe-token\n" % self.srv.url
        res = self.hb(["-c", "/dev/stdin", "-j", "j"], input=text)
        self.assertEqual(res.lines(), ["hbrun: /dev/stdin: not a regular file; not used" + NOT_USED])
        self.assertNoPing(res)

    def test_one_of_each_and_the_job_status(self):
        path = self.conf("w.conf", "api_url = %s\nbogus = 1\nping_retries = x\nnot ini\n"
                         "token = warn-token\n" % self.srv.url)
        res = self.hb(["-c", path], job=["sh", "-c", "exit 5"], code=5)
        self.assertEqual(len(res.lines()), 3, res)
        for n in (2, 3, 4):
            self.assertEqual(len(self.warning_for(res, path, n)), 1, (n, res))
        self.assertNoPing(res)  # exit 5: no ping, whatever the file said

    def test_quiet_option_silences_config_warnings(self):
        path = self.conf("w.conf", "api_url = %s\nbogus = 1\nping_retries = x\nnot ini\n"
                         "token = warn-token\n" % self.srv.url, 0o644)
        for q in (["-q"], ["--quiet"]):
            res = self.hb(q + ["-c", path])
            self.assertEqual(res.stderr, "", res)
            self.assertPinged("warn-token")

    def test_quiet_key_silences_config_warnings(self):
        path = self.conf("w.conf", "bogus = 1\napi_url = %s\nquiet = yes\nping_retries = x\n"
                         "token = warn-token\n" % self.srv.url)
        res = self.hb(["-c", path])
        self.assertEqual(res.stderr, "", res)
        self.assertPinged("warn-token")

    def test_api_key_accepted_silently(self):
        path = self.conf("k.conf", "api_key = tk_live_0123456789\napi_url = %s\n"
                         "token = warn-token\n" % self.srv.url)
        res = self.hb(["-c", path])
        self.assertEqual(res.stderr, "", res)
        self.assertPinged("warn-token")

    def test_warning_does_not_show_the_token(self):
        secret = "wt-0123456789abcdef"
        path = self.conf("k.conf", "api_url = %s\ntoken = %s\nbogus = %s\n"
                         % (self.srv.url, secret, secret), 0o644)
        res = self.hb(["-c", path])
        self.assertGreaterEqual(len(res.lines()), 2, res)  # readable, unknown key
        self.assertNotIn(secret[4:], res.stderr)
        self.assertPinged(secret)


class Booleans(ConfigCase):
    def test_quiet_values(self):
        # quiet decides whether the failed ping (a dead port) is reported.
        for v in sample(BOOLS_TRUE + BOOLS_FALSE, 6):
            with self.subTest(quiet=v):
                path = self.conf("b.conf", "api_url = %s\ntoken = bool-token\nping_retries = 0\n"
                                 "quiet = %s\n" % (NOWHERE, v))
                res = self.hb(["-c", path])
                if v in BOOLS_TRUE:
                    self.assertEqual(res.stderr, "", res)
                else:
                    self.assertEqual(len(res.lines()), 1, res)
                    self.assertFalse(self.warning_for(res, path), "quiet = %s rejected: %r" % (v, res))

    def test_quiet_option_over_quiet_false(self):
        path = self.conf("b.conf", "api_url = %s\ntoken = bool-token\nping_retries = 0\n"
                         "quiet = false\n" % NOWHERE)
        res = self.hb(["-q", "-c", path])
        self.assertEqual(res.stderr, "", res)

    def test_allow_http_values_accepted(self):
        for v in sample(BOOLS_TRUE + BOOLS_FALSE, 6):
            with self.subTest(allow_http=v):
                path = self.conf("b.conf", "api_url = %s\ntoken = bool-token\nallow_http = %s\n"
                                 % (self.srv.url, v))
                res = self.hb(["-c", path])
                self.assertEqual(res.stderr, "", res)
                self.assertPinged("bool-token")

    def test_bad_booleans(self):
        for v in sample(("maybe", "2", "yess", "t", "enabled", "-1"), 3):
            with self.subTest(v=v):
                path = self.conf("b.conf", "api_url = %s\nquiet = %s\nallow_http = %s\n"
                                 "token = bool-token\n" % (self.srv.url, v, v))
                res = self.hb(["-c", path])
                self.assertEqual(len(res.lines()), 2, res)
                self.assertEqual(len(self.warning_for(res, path, 2)), 1, res)
                self.assertEqual(len(self.warning_for(res, path, 3)), 1, res)
                self.assertPinged("bool-token")


if __name__ == "__main__":
    unittest.main(verbosity=2)
