"""packaging/container/Containerfile, without a container engine (test_podman.py
builds and runs it for real, where podman can): its stages parse; the image's entrypoint is hbrun, in exec form, as
a user other than root; the build stage, run here as written on a copy of
just the files it COPYs, builds and installs hbrun; and the final stage's
packages hold every library the installed programs link, plus libcurl4
(loaded at run time) and ca-certificates.
"""

import json
import os
import re
import shutil
import subprocess
import unittest

from pkgtest import HBCTL, SOURCE_ROOT, VERSION, packaging_file, read, tempdir

CONTAINERFILE = packaging_file("container", "Containerfile")
CONTROL = packaging_file("debian", "control")


def instructions(text):
    """[(INSTRUCTION, arguments)], continuation lines joined, comments out."""
    out, cur = [], ""
    for line in text.splitlines():
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line
        word, _, rest = cur.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        cur = ""
    return out


def stages(text):
    """[[(INSTRUCTION, arguments)]] per FROM."""
    result = []
    for ins in instructions(text):
        if ins[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(ins)
    return result


def apt_packages(stage):
    pkgs = []
    for word, rest in stage:
        if word == "RUN" and "apt-get install" in rest:
            part = rest.split("apt-get install", 1)[1].split("&&")[0]
            pkgs += [w for w in part.split() if not w.startswith("-")]
    return pkgs


def build_depends():
    """The binary package's Build-Depends, less the ones only for tests and
    man pages, which the image does not build."""
    text = read(CONTROL)
    field = re.search(r"^Build-Depends:(.*?)^\S", text, re.M | re.S).group(1)
    names = []
    for item in field.split(","):
        item = item.strip()
        if not item or "<!nocheck>" in item:
            continue
        names.append(re.match(r"[a-z0-9.+-]+", item).group(0))
    return set(names) - {"debhelper-compat", "scdoc"}


class Structure(unittest.TestCase):
    def setUp(self):
        self.stages = stages(read(CONTAINERFILE))

    def test_two_stages(self):
        self.assertEqual(len(self.stages), 2)
        self.assertRegex(self.stages[0][0][1], r"\bAS build$")
        copies = [rest for word, rest in self.stages[1] if word == "COPY"]
        self.assertTrue(any(c.startswith("--from=build ") for c in copies))

    def test_entrypoint_is_hbrun(self):
        final = dict((w, r) for w, r in self.stages[-1] if w in ("ENTRYPOINT", "CMD", "USER"))
        # Exec form: hbrun itself is PID 1, not a shell.
        self.assertEqual(json.loads(final["ENTRYPOINT"]), ["/usr/bin/hbrun"])
        self.assertIsInstance(json.loads(final["CMD"]), list)
        self.assertNotRegex(final["USER"], r"^(0|root)(:|$)")

    def test_build_stage_has_the_build_depends(self):
        self.assertLessEqual(build_depends(), set(apt_packages(self.stages[0])))

    def test_final_stage_packages(self):
        pkgs = set(apt_packages(self.stages[-1]))
        self.assertLessEqual({"libcurl4", "ca-certificates"}, pkgs)
        self.assertFalse({p for p in pkgs if p.endswith("-dev")})
        if shutil.which("apt-cache"):
            for p in sorted(pkgs):
                with self.subTest(package=p):
                    r = subprocess.run(["apt-cache", "show", "--no-all-versions", p],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    self.assertEqual(r.returncode, 0, "%s is not a Debian package" % p)

    def test_copied_paths_exist(self):
        for word, rest in self.stages[0]:
            if word == "COPY":
                for src in rest.split()[:-1]:
                    self.assertTrue(os.path.exists(os.path.join(SOURCE_ROOT, src)), src)


class BuildStage(unittest.TestCase):
    """The build stage's meson commands, run here on what it COPYs."""

    def test_builds_and_installs(self):
        build = stages(read(CONTAINERFILE))[0]
        tmp = tempdir(self)
        src, out = os.path.join(tmp, "src"), os.path.join(tmp, "out")
        os.mkdir(src)
        workdir = src
        for word, rest in build:
            if word == "COPY":
                *sources, dest = rest.split()
                dest_dir = os.path.join(workdir, dest)
                for s in sources:
                    path = os.path.join(SOURCE_ROOT, s)
                    target = os.path.join(dest_dir, os.path.basename(s.rstrip("/")))
                    if os.path.isdir(path):
                        # COPY dir/ dest/ copies the folder's contents into dest/.
                        shutil.copytree(path, dest_dir if s.endswith("/") else target,
                                        dirs_exist_ok=True,
                                        ignore=shutil.ignore_patterns("__pycache__"))
                    else:
                        os.makedirs(dest_dir, exist_ok=True)
                        shutil.copy(path, os.path.join(dest_dir, os.path.basename(s)))
            elif word == "RUN" and "meson" in rest:
                cmd = re.sub(r"(?<=\s)/out\b", out, rest)
                p = subprocess.run(["sh", "-c", cmd], cwd=src, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, timeout=600)
                self.assertEqual(p.returncode, 0, p.stdout[-4000:])
        hbrun = os.path.join(out, "usr", "bin", "hbrun")
        p = subprocess.run([hbrun, "--version"], stdout=subprocess.PIPE, text=True)
        self.assertEqual(p.stdout, "hbrun %s\n" % VERSION)
        programs = [hbrun]
        if HBCTL:
            programs.append(os.path.join(out, "usr", "bin", "hbctl"))
            self.assertTrue(os.access(programs[-1], os.X_OK))
        self.check_libraries(programs)

    def check_libraries(self, programs):
        """Each library the programs link comes from a package of the final
        stage (or libc6, which every Debian image has)."""
        if not (shutil.which("readelf") and shutil.which("dpkg")):
            return
        final = set(apt_packages(stages(read(CONTAINERFILE))[-1])) | {"libc6"}
        for prog in programs:
            dyn = subprocess.run(["readelf", "-d", prog], stdout=subprocess.PIPE,
                                 text=True).stdout
            for lib in re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn):
                owner = subprocess.run(["dpkg", "-S", "*/" + lib], stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL, text=True).stdout
                pkgs = {line.split(":")[0] for line in owner.splitlines()}
                with self.subTest(program=os.path.basename(prog), library=lib):
                    self.assertTrue(pkgs & final, "%s (from %s)" % (lib, pkgs))


if __name__ == "__main__":
    unittest.main(verbosity=2)
