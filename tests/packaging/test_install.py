"""`meson install` and the package recipes agree with the build:

- meson install puts hbrun and hbctl in bindir and hbrun.1, hbctl.1 and
  hbrun.conf.5 in mandir (installed here into a DESTDIR, then run);
- the Debian package (packaging/debian) and the rpm spec have the
  project's version, name libcurl by hand at meson's minimum version (it
  is loaded with dlopen(), so no tool finds it), list exactly the build
  dependencies that the meson files ask for, and ship what meson installs.

The .deb and .rpm themselves are built, linted and installed by .ci/run
(packaging/ci.sh).
"""

import glob
import os
import re
import subprocess
import unittest

from pkgtest import (HBCTL, HBRUN, MAN_PAGES, SOURCE_ROOT, VERSION, meson_version,
                     packaging_file, read, tempdir)

CONTROL = packaging_file("debian", "control")
SPEC = packaging_file("rpm", "hbrun.spec")

# What each dependency()/find_program() of the meson files needs from Debian.
# None: part of the toolchain or libc.
DEBIAN_PACKAGE = {
    "libcurl": "libcurl4-openssl-dev",
    "inih": "libinih-dev",
    "jansson": "libjansson-dev",
    "check": "check",
    "python3": "python3",
    "scdoc": "scdoc",
    "threads": None,
}
# Needed only to build and run the tests (Build-Depends "<!nocheck>").
TESTS_ONLY = {"check", "python3"}
TOOLS = {"debhelper-compat", "meson", "ninja-build", "pkgconf"}


def meson_files():
    return [os.path.join(d, f) for d, _, fs in os.walk(SOURCE_ROOT)
            if not os.path.relpath(d, SOURCE_ROOT).startswith(("build", ".git"))
            and not os.path.relpath(d, SOURCE_ROOT).startswith("tests" + os.sep + "fuzz")
            for f in fs if f == "meson.build"]


def calls(text, function):
    """The argument texts of every FUNCTION(...) call in TEXT."""
    out = []
    for m in re.finditer(r"\b%s\(" % function, text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        out.append(text[m.end():i - 1])
    return out


def meson_needs():
    """What the meson files require: dependency() and find_program() calls,
    less the optional ones (required : false)."""
    names = set()
    for f in meson_files():
        text = read(f)
        for args in calls(text, "dependency") + calls(text, "find_program"):
            m = re.match(r"\s*'([^']+)'", args)
            if m and not re.search(r"required\s*:\s*false", args):
                names.add(m.group(1))
    return names


def control_field(name, text=None):
    text = text if text is not None else read(CONTROL)
    m = re.search(r"^%s:(.*?)(?=^\S|\Z)" % name, text, re.M | re.S)
    lines = [l for l in m.group(1).splitlines() if not l.lstrip().startswith("#")]
    return [i.strip() for i in " ".join(lines).split(",") if i.strip()]


def curl_minimum():
    m = re.search(r"dependency\('libcurl',\s*version\s*:\s*'>=\s*([0-9.]+)'",
                  read(os.path.join(SOURCE_ROOT, "meson.build")))
    return m.group(1)


class MesonInstall(unittest.TestCase):
    def test_install_layout(self):
        # HBRUN is BUILD/src/hbrun/hbrun.
        build = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(HBRUN))))
        dest = tempdir(self)
        p = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--quiet",
                            "--destdir", dest], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout)
        files = {os.path.relpath(os.path.join(d, f), dest)
                 for d, _, fs in os.walk(dest) for f in fs}
        bindir = [os.path.dirname(f) for f in files if f.endswith(os.sep + "hbrun")][0]
        prefix = os.path.dirname(bindir)
        want = {"bin/hbrun"} | ({"bin/hbctl"} if HBCTL else set())
        if MAN_PAGES:
            want |= {"share/man/man1/hbrun.1", "share/man/man5/hbrun.conf.5"}
            want |= {"share/man/man1/hbctl.1"} if HBCTL else set()
        self.assertEqual({os.path.relpath(f, prefix) for f in files}, want)
        installed = os.path.join(dest, prefix, "bin", "hbrun")
        out = subprocess.run([installed, "--version"], stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0")).stdout
        self.assertEqual(out, "hbrun %s\n" % VERSION)


class Debian(unittest.TestCase):
    def test_version(self):
        first = read(packaging_file("debian", "changelog")).splitlines()[0]
        m = re.match(r"hbrun \(([^)]+)\) \w+; urgency=\w+$", first)
        self.assertEqual(m.group(1), meson_version())
        self.assertEqual(meson_version(), VERSION)
        # Native format: the version has no Debian revision.
        self.assertEqual(read(packaging_file("debian", "source", "format")).strip(),
                         "3.0 (native)")

    def test_depends_names_libcurl(self):
        depends = control_field("Depends")
        self.assertIn("libcurl4 (>= %s)" % curl_minimum(), depends)
        self.assertIn("dlopen", read(CONTROL))  # and says why

    def test_build_depends_exact(self):
        items = control_field("Build-Depends")
        names = {re.match(r"[a-z0-9.+-]+", i).group(0): i for i in items}
        self.assertEqual(names["debhelper-compat"], "debhelper-compat (= 13)")
        needs = meson_needs()
        unknown = needs - set(DEBIAN_PACKAGE)
        self.assertFalse(unknown, "add these to DEBIAN_PACKAGE and debian/control")
        wanted = {DEBIAN_PACKAGE[n] for n in needs if DEBIAN_PACKAGE[n]}
        self.assertEqual(set(names) - TOOLS, wanted)
        for n in needs & TESTS_ONLY:
            self.assertIn("<!nocheck>", names[DEBIAN_PACKAGE[n]])
        self.assertIn("(>= %s)" % curl_minimum(), names["libcurl4-openssl-dev"])

    def test_rules(self):
        rules = packaging_file("debian", "rules")
        self.assertTrue(os.access(rules, os.X_OK))
        text = read(rules)
        self.assertIn("--buildsystem=meson", text)
        self.assertIn("-Dman=enabled", text)

    def test_examples_exist(self):
        for line in read(packaging_file("debian", "hbrun.examples")).split():
            self.assertTrue(os.path.exists(os.path.join(SOURCE_ROOT, line)), line)

    def test_copyright_has_the_license(self):
        copyright = read(packaging_file("debian", "copyright"))
        body = copyright.split("License: Expat\n")[-1]
        body = "\n".join(l[1:] if l != " ." else "" for l in body.splitlines())
        license = read(os.path.join(SOURCE_ROOT, "LICENSE"))
        grant = license[license.index("Permission is hereby"):]
        self.assertEqual(body.split(), grant.split())

    def test_scripts_executable(self):
        for s in ("build-deb.sh", "build-rpm.sh", "ci.sh"):
            self.assertTrue(os.access(packaging_file(s), os.X_OK), s)


class Rpm(unittest.TestCase):
    def setUp(self):
        self.spec = read(SPEC)

    def tag(self, name):
        return re.findall(r"^%s:\s*(.+)$" % name, self.spec, re.M)

    def test_version(self):
        self.assertEqual(self.tag("Version"), [meson_version()])

    def test_requires_libcurl(self):
        self.assertIn("libcurl%%{?_isa} >= %s" % curl_minimum(), self.tag("Requires"))

    def test_files_are_what_meson_installs(self):
        files = self.spec.split("%files", 1)[1].split("%changelog")[0]
        want = ["%{_bindir}/hbrun", "%{_mandir}/man1/hbrun.1*",
                "%{_mandir}/man5/hbrun.conf.5*"]
        if HBCTL:
            want += ["%{_bindir}/hbctl", "%{_mandir}/man1/hbctl.1*"]
        for f in want:
            self.assertIn("\n" + f + "\n", files)

    def test_build_requires(self):
        brs = " ".join(self.tag("BuildRequires"))
        for name in meson_needs():
            if DEBIAN_PACKAGE.get(name) is None:
                continue
            self.assertTrue(re.search(r"pkgconfig\(%s\)|\b%s\b" % (name, name), brs), name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
