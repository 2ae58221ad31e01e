"""What the packaging tests share: where things are, a PATH that finds the
built hbrun as plain "hbrun", and a network that ends at 127.0.0.1.

meson sets HBRUN (the binary under test), HBRUN_SOURCE_ROOT, HBRUN_VERSION,
HBRUN_MAN_PAGES (the built pages, os.pathsep-separated; empty without
scdoc) and, when hbctl is built, HBCTL.
"""

import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))

from harness import HBRUN, SANITIZER_ENV, run, start  # noqa: E402,F401
from fakeapi import unused_port  # noqa: E402
from servercase import ServerCase  # noqa: E402,F401

SOURCE_ROOT = os.environ.get("HBRUN_SOURCE_ROOT") or os.path.normpath(
    os.path.join(HERE, "..", ".."))
PACKAGING = os.path.join(SOURCE_ROOT, "packaging")
VERSION = os.environ.get("HBRUN_VERSION", "")
HBCTL = os.environ.get("HBCTL", "")
MAN_PAGES = [p for p in os.environ.get("HBRUN_MAN_PAGES", "").split(os.pathsep) if p]

DEAD = unused_port()
# Should anything ever fall back to a public URL, it meets a dead loopback
# proxy instead of the network.
NET = {
    "https_proxy": "http://127.0.0.1:%d" % DEAD,
    "HTTPS_PROXY": "http://127.0.0.1:%d" % DEAD,
    "http_proxy": "http://127.0.0.1:%d" % DEAD,
    "ALL_PROXY": "http://127.0.0.1:%d" % DEAD,
    "no_proxy": "127.0.0.1,localhost",
    "NO_PROXY": "127.0.0.1,localhost",
}


def packaging_file(*parts):
    return os.path.join(PACKAGING, *parts)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def bin_dir(sandbox):
    """A folder in SANDBOX holding "hbrun" (and "hbctl"): the built ones."""
    d = sandbox.path("bin")
    if not os.path.isdir(d):
        os.mkdir(d)
        os.symlink(os.path.abspath(HBRUN), os.path.join(d, "hbrun"))
        if HBCTL:
            os.symlink(os.path.abspath(HBCTL), os.path.join(d, "hbctl"))
    return d


def sandbox_env(sandbox, **extra):
    """The sandbox's environment, the network fenced, "hbrun" on PATH."""
    env = sandbox.env(**NET)
    env["PATH"] = bin_dir(sandbox) + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def job_replaced(argv, job=("true",)):
    """ARGV (an hbrun command line) with everything after "--" replaced by
    JOB: the examples' jobs (/usr/local/bin/backup, ...) do not exist here."""
    i = argv.index("--")
    return list(argv[:i + 1]) + list(job)


def meson_version():
    m = re.search(r"version\s*:\s*'([^']+)'", read(os.path.join(SOURCE_ROOT, "meson.build")))
    return m.group(1) if m else ""


def private_copy(sandbox, path, name=None, mode=0o600):
    """A copy of PATH in SANDBOX with MODE, as an admin would install it."""
    dest = sandbox.path(name or os.path.basename(path))
    shutil.copyfile(path, dest)
    os.chmod(dest, mode)
    return dest


def tempdir(testcase, prefix="hbrun-pkg-"):
    d = tempfile.mkdtemp(prefix=prefix)
    testcase.addCleanup(shutil.rmtree, d, True)
    return d
