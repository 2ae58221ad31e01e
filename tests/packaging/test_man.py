"""The man pages (packaging/man, built by meson with scdoc): they render with
`man --warnings -l` without a warning, and they cover what the programs
take -- every option of --help, every config key, every environment
variable the sources read, every exit status -- so that they cannot fall
behind the code unnoticed.
"""

import glob
import os
import re
import shutil
import subprocess
import unittest

from pkgtest import HBCTL, HBRUN, MAN_PAGES, SOURCE_ROOT, VERSION, read

PAGES = {os.path.basename(p): p for p in MAN_PAGES}
MAN_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8",
           "MANWIDTH": "80", "HOME": "/nonexistent"}


def roff_text(path):
    """The page's roff source with font changes and zero-width escapes
    taken out, so that words are whole (rendering may hyphenate them)."""
    text = read(path)
    text = re.sub(r"\\f[BIRP]", "", text)
    return text.replace("\\&", "").replace("\\(aq", "'").replace("\\*(Aq", "'")


def sections(path):
    return re.findall(r'^\.SH "?([^"\n]+)"?$', read(path), re.M)


def source_files(pattern):
    return sorted(glob.glob(os.path.join(SOURCE_ROOT, "src", "*", pattern)))


def help_options(argv):
    """The long and short options that a --help text lists."""
    out = subprocess.run(argv, stdout=subprocess.PIPE, text=True, timeout=30,
                         env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0")).stdout
    longs = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", out))
    shorts = set(re.findall(r"^\s+(-[A-Za-z]),", out, re.M))
    return out, longs, shorts


def settings_table():
    """The rows of settings.c's table: (key, environment variable or None)."""
    text = read(os.path.join(SOURCE_ROOT, "src", "lib", "settings.c"))
    rows = re.findall(r'\[S_[A-Z_]+\] = \{ "([a-z_]+)",((?:[^"{}]|"[^"]*")*)', text)
    return [(key, (re.findall(r'"((?:HBRUN|TICKSTEM)_[A-Z_]+)"', rest) or [None])[0])
            for key, rest in rows]


def config_keys():
    """The keys of settings.c's table."""
    return {key for key, _ in settings_table()}


def mentions(text, pattern):
    return re.search(pattern, text) is not None


def env_names(files):
    names = set()
    for f in files:
        names |= set(re.findall(r'getenv\("([A-Z_]+)"\)', read(f)))
        if os.path.basename(f) == "settings.c":
            names |= {env for _, env in settings_table() if env}
    return names


@unittest.skipUnless(PAGES, "the man pages are not built (-Dman=disabled, or no scdoc)")
class Render(unittest.TestCase):
    """`man --warnings -l` (groff's warnings, through man-db) says nothing."""

    def setUp(self):
        if not shutil.which("man"):
            self.skipTest("man-db is not installed")

    def render(self, page, *opts):
        p = subprocess.run(["man"] + list(opts) + ["-l", page], env=MAN_ENV,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=60)
        return p

    def test_no_warnings(self):
        for name, page in sorted(PAGES.items()):
            with self.subTest(page=name):
                p = self.render(page, "--warnings")
                self.assertEqual((p.returncode, p.stderr), (0, ""), name)
                self.assertIn("NAME", p.stdout)

    def test_no_warnings_as_lintian_renders(self):
        # lintian's manpage check: every groff warning, UTF-8 output.
        for name, page in sorted(PAGES.items()):
            with self.subTest(page=name):
                p = self.render(page, "--warnings", "-E", "UTF-8", "-Tutf8", "-Z")
                self.assertEqual((p.returncode, p.stderr), (0, ""), name)

    def test_no_markup_left_over(self):
        # An scdoc mark that did not apply shows as _WORD_ or *word*.
        for name, page in sorted(PAGES.items()):
            with self.subTest(page=name):
                out = self.render(page).stdout
                self.assertIsNone(re.search(r"\b_[A-Za-z]+_\b|\*[A-Za-z-]+\*", out), name)


@unittest.skipUnless(PAGES, "the man pages are not built (-Dman=disabled, or no scdoc)")
class Contents(unittest.TestCase):
    def test_pages_built(self):
        expected = {"hbrun.1", "hbrun.conf.5"} | ({"hbctl.1"} if HBCTL else set())
        self.assertEqual(set(PAGES), expected)

    def test_title_line_names_the_version(self):
        for name, page in PAGES.items():
            with self.subTest(page=name):
                th = re.search(r"^\.TH (.*)$", read(page), re.M).group(1)
                self.assertIn('"hbrun %s"' % VERSION, th)

    def test_hbrun_sections(self):
        got = sections(PAGES["hbrun.1"])
        for s in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT", "FILES",
                  "EXIT STATUS", "SIGNALS", "THE PING AND ITS RETRIES", "EXAMPLES",
                  "SEE ALSO"):
            self.assertIn(s, got)

    def test_hbrun_options(self):
        _, longs, shorts = help_options([HBRUN, "--help"])
        self.assertGreater(len(longs), 10)
        text = roff_text(PAGES["hbrun.1"])
        for opt in sorted(longs | shorts):
            self.assertTrue(mentions(text, r"(?<![\w-])%s(?![\w-])" % re.escape(opt)),
                            "%s is not in the page" % opt)

    def test_hbrun_environment_and_exit_statuses(self):
        text = roff_text(PAGES["hbrun.1"])
        env = env_names(f for f in source_files("*.c") if "hbctl" not in f)
        env.discard("TICKSTEM_API_KEY")  # hbctl's, read through settings.c
        self.assertTrue({"HBRUN_TOKEN", "HBRUN_API_URL", "HBRUN_CONFIG"} <= env, env)
        for name in sorted(env):
            self.assertTrue(name in text, "%s is not in the page" % name)
        exit_part = text[text.index("EXIT STATUS"):text.index("SIGNALS")]
        for code in ("125", "126", "127", "128"):
            self.assertTrue(code in exit_part, code)

    def test_hbrun_retry_policy(self):
        text = roff_text(PAGES["hbrun.1"])
        part = text[text.index("THE PING AND ITS RETRIES"):]
        for word in ("408", "429", "500", "502", "503", "504", "404", "Retry-After",
                     "ping_deadline", "16", "jitter", "monotonic"):
            self.assertTrue(word in part, word)

    def test_config_keys(self):
        keys = config_keys()
        self.assertIn("ping_deadline", keys)
        text = read(PAGES["hbrun.conf.5"])
        for key in sorted(keys):
            self.assertTrue(mentions(text, r"\\fB%s\\fR = " % re.escape(key)),
                            "key %s is not in the page" % key)
        for s in ("LOCATION", "FORMAT", "KEYS", "PERMISSIONS", "EXAMPLES"):
            self.assertIn(s, sections(PAGES["hbrun.conf.5"]))

    @unittest.skipUnless(HBCTL, "hbctl is not built")
    def test_hbctl(self):
        page = PAGES["hbctl.1"]
        text = roff_text(page)
        out, longs, shorts = help_options([HBCTL, "--help"])
        commands = re.findall(r"^  ([a-z]+)(?= )", out[out.index("Commands:"):
                                                       out.index("Options")], re.M)
        self.assertIn("create", commands)
        for cmd in commands:
            _, cmd_longs, _ = help_options([HBCTL, cmd, "--help"])
            longs |= cmd_longs
            self.assertTrue(mentions(text, r"(?m)^%s( |$)" % cmd),
                            "command %s is not in the page" % cmd)
        for opt in sorted(longs | shorts):
            self.assertTrue(mentions(text, r"(?<![\w-])%s(?![\w-])" % re.escape(opt)),
                            "%s is not in the page" % opt)
        env = env_names(source_files("hbctl*.c")) | {"TICKSTEM_API_KEY", "HBRUN_API_URL",
                                                     "HBRUN_CONFIG"}
        for name in sorted(env):
            self.assertTrue(name in text, "%s is not in the page" % name)
        exit_part = text[text.index("EXIT STATUS"):text.index("EXAMPLES")]
        for code in range(6):
            self.assertTrue(mentions(exit_part, r"(?m)^%d$" % code), code)


if __name__ == "__main__":
    unittest.main(verbosity=2)
