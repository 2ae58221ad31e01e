"""What the runtime tests (test_podman.py, test_systemd_boot.py,
test_kube.py) share: Debian root file systems made with mmdebstrap and kept
in a cache, podman set up for this machine, the image of
packaging/container/Containerfile built with it, and sigjob, the job that
reports the TERMs it receives.

Everything needs root and the Debian archive (the mirrors that apt's own
sources name); whatever cannot run here is a skip with its reason, never a
pass.  A test module calls missing_tools(), rootfs() or need_podman_image()
in setUpClass and raises SkipTest with the reason they return.

The cache (HBRUN_TEST_CACHE, default /var/cache/hbrun-tests) holds each
root file system as a tarball whose name carries a hash of how it is made
(variant, packages, mirrors): a change there makes a new one.  One older
than MAX_AGE is made again, so that the images get Debian's updates.
"""

import contextlib
import fcntl
import glob
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from pkgtest import HERE, SOURCE_ROOT, packaging_file, read

CACHE = os.environ.get("HBRUN_TEST_CACHE") or "/var/cache/hbrun-tests"
MAX_AGE = 7 * 86400
SUITE = "bookworm"
CONTAINERFILE = packaging_file("container", "Containerfile")
BASE_IMAGE = "localhost/debian:bookworm-slim"
IMAGE = "localhost/hbrun-test"


def log(msg):
    """A progress line on stderr, which meson keeps in the test's log."""
    print("runtimes: " + msg, file=sys.stderr, flush=True)


def sh(args, timeout=120, check=False, env=None, **kw):
    """subprocess.run with text output captured; CompletedProcess."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    p = subprocess.run(args, timeout=timeout, text=True, env=env, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(args), p.returncode,
                                                    p.stdout or "", p.stderr or ""))
    return p


def tail(text, n=15):
    return "\n".join((text or "").strip().splitlines()[-n:])


def missing_tools(*tools):
    """A skip reason when not root or a tool is missing, else None."""
    if os.geteuid() != 0:
        return "needs root"
    gone = [t for t in tools if not shutil.which(t)]
    if gone:
        return "not installed: %s (Debian packages)" % ", ".join(gone)
    return None


@contextlib.contextmanager
def cache_lock():
    """The cache, held by this process: the test modules run in parallel."""
    os.makedirs(CACHE, mode=0o755, exist_ok=True)
    with open(os.path.join(CACHE, ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


# ---- root file systems ---------------------------------------------------

def debian_sources():
    """["deb URI SUITE COMPONENTS"] for Debian's own suites that apt's
    sources name (deb822 .sources files and one-line .list files)."""
    lines = []
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for stanza in re.split(r"\n\s*\n", read(path)):
            fields = {}
            for line in stanza.splitlines():
                m = re.match(r"([A-Za-z-]+):\s*(.*)", line)
                if m:
                    fields[m.group(1).lower()] = m.group(2).split()
            for uri in fields.get("uris", []):
                for suite in fields.get("suites", []):
                    if suite.startswith(SUITE):
                        lines.append("deb %s %s %s" % (uri, suite, " ".join(
                            fields.get("components", ["main"]))))
    lists = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
    for path in lists:
        if not os.path.exists(path):
            continue
        for line in read(path).splitlines():
            words = re.sub(r"\[[^]]*\]", "", line.split("#")[0]).split()
            if len(words) >= 3 and words[0] == "deb" and words[2].startswith(SUITE):
                lines.append(" ".join(words))
    return lines


def rootfs(name, include=()):
    """The cached tarball of a Debian root file system (mmdebstrap
    --variant=apt, plus INCLUDE), made when missing or stale.  Returns
    (path, None), or (None, reason) where it cannot be made here."""
    sources = debian_sources()
    if not sources:
        return None, "apt's sources name no %s mirror" % SUITE
    recipe = json.dumps(["apt", sorted(include), sources])
    key = hashlib.sha256(recipe.encode()).hexdigest()[:16]
    path = os.path.join(CACHE, "%s-%s.tar" % (name, key))
    with cache_lock():
        if os.path.isfile(path) and time.time() - os.path.getmtime(path) < MAX_AGE:
            return path, None
        if not shutil.which("mmdebstrap"):
            return None, "no cached %s and mmdebstrap is not installed" % os.path.basename(path)
        log("making %s (mmdebstrap)" % path)
        tmp = path + ".part"
        args = ["mmdebstrap", "--variant=apt", "--format=tar", "--quiet"]
        if include:
            args.append("--include=" + ",".join(include))
        p = sh(args + [SUITE, tmp] + sources, timeout=900)
        if p.returncode != 0:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            return None, "mmdebstrap could not make the %s root file system " \
                "(no mirror?):\n%s" % (name, tail(p.stderr))
        os.replace(tmp, path)
        for old in glob.glob(os.path.join(CACHE, name + "-*.tar")):
            if old != path:
                os.unlink(old)
        return path, None


# ---- podman --------------------------------------------------------------

def podman_conf(directory):
    """A containers.conf for this machine, in DIRECTORY: runc with cgroupfs
    (crun refuses hybrid cgroups), container rlimits no higher than ours
    (without CAP_SYS_RESOURCE podman's defaults cannot be set), events in a
    file (no journald).  Returns the environment that uses it."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nofile = 1048576 if nofile == resource.RLIM_INFINITY else nofile
    nproc = 32768 if nproc == resource.RLIM_INFINITY else min(nproc, 32768)
    path = os.path.join(directory, "containers.conf")
    with open(path, "w") as f:
        f.write('[containers]\n'
                'default_ulimits = ["nofile=%d:%d", "nproc=%d:%d"]\n'
                '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n'
                'events_logger = "file"\n' % (nofile, nofile, nproc, nproc))
    env = dict(os.environ)
    env["CONTAINERS_CONF"] = path
    return env


def context_hash():
    """A hash of everything the image is built from: the Containerfile and
    the files its COPY lines name."""
    h = hashlib.sha256(read(CONTAINERFILE).encode())
    for src in copied_paths():
        full = os.path.join(SOURCE_ROOT, src)
        files = [full] if os.path.isfile(full) else sorted(
            os.path.join(d, f) for d, _, fs in os.walk(full) for f in fs
            if "__pycache__" not in d)
        for f in files:
            h.update(os.path.relpath(f, SOURCE_ROOT).encode() + b"\0")
            with open(f, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()[:16]


def copied_paths():
    """The source paths of the Containerfile's COPY lines (not --from)."""
    paths = []
    for line in read(CONTAINERFILE).splitlines():
        words = line.split()
        if words and words[0] == "COPY" and not words[1].startswith("--"):
            paths += words[1:-1]
    return paths


def build_context(directory):
    """A build context in DIRECTORY: just the files the Containerfile
    copies, as they are in this tree (a build folder is never sent)."""
    for src in copied_paths():
        s, d = os.path.join(SOURCE_ROOT, src), os.path.join(directory, src)
        os.makedirs(os.path.dirname(d.rstrip("/")), exist_ok=True)
        if os.path.isdir(s):
            shutil.copytree(s, d, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(s, d)


def need_podman_image(env):
    """Make the image (cached by the hash of its sources); returns
    (image, None) or (None, skip reason).  A failed build raises."""
    why = missing_tools("podman", "runc")
    if why:
        return None, why
    tar, why = rootfs("base")
    if why:
        return None, why
    key = os.path.basename(tar)[len("base-"):-len(".tar")]
    base = "localhost/hbrun-test-base:" + key
    image = "%s:%s" % (IMAGE, context_hash())
    with cache_lock():
        if sh(["podman", "image", "exists", base], env=env).returncode != 0:
            p = sh(["podman", "import", tar, base], env=env, timeout=300)
            if p.returncode != 0:
                return None, "podman cannot import an image here:\n" + tail(p.stderr)
            sh(["podman", "tag", base, BASE_IMAGE], env=env)
        p = sh(["podman", "run", "--rm", "--network", "host", base, "true"], env=env)
        if p.returncode != 0:
            return None, "podman cannot run a container here:\n" + tail(p.stderr)
        if sh(["podman", "image", "exists", image], env=env).returncode == 0:
            return image, None
        with tempfile.TemporaryDirectory(prefix="hbrun-ctx-") as ctx:
            build_context(ctx)
            log("building %s from %s" % (image, CONTAINERFILE))
            sh(["podman", "build", "--network", "host", "--build-arg", "BASE=" + base,
                "-f", CONTAINERFILE, "-t", image, ctx], env=env, timeout=1200, check=True)
        drop_old_images(env, image)
    return image, None


def drop_old_images(env, keep):
    """Remove the test images of earlier sources, and the build stages
    left untagged, so that the storage stays small."""
    p = sh(["podman", "images", "--format", "{{.Repository}}:{{.Tag}}", IMAGE], env=env)
    for name in p.stdout.split():
        if name != keep:
            sh(["podman", "rmi", "-f", name], env=env)
    sh(["podman", "image", "prune", "-f"], env=env, timeout=300)


# ---- sigjob --------------------------------------------------------------

def build_sigjob(directory):
    """tests/packaging/sigjob.c, built static into DIRECTORY (mode 0755):
    the path, or None when no C compiler can link it statically."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None
    out = os.path.join(directory, "sigjob")
    p = sh([cc, "-static", "-O2", "-o", out, os.path.join(HERE, "sigjob.c")])
    if p.returncode != 0:
        return None
    os.chmod(out, 0o755)
    return out


def terms(output):
    """The senders' PIDs of the TERMs sigjob reported in OUTPUT."""
    return [int(m) for m in re.findall(r"^TERM from (-?\d+)$", output, re.M)]


def wait_for(predicate, timeout, interval=0.2):
    """Poll PREDICATE until it returns a true value or TIMEOUT passes."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > end:
            return value
        time.sleep(interval)
