"""The system's CA store with test CAs added, seen only inside a private
mount namespace: never on the host.

    store = trust_store.make(dir, [ca_cert])          # a copy, rehashed
    run(args, env, prefix=trust_store.prefix(store))  # one command sees it
    trust_store.enter(store)                          # this process sees it

make() copies /etc/ssl/certs, adds each CA (its PEM file, and appended to
the bundle ca-certificates.crt, as update-ca-certificates would), and
rehashes the copy with `openssl rehash`.  With hashed=False the copy holds
the bundle alone and no links by hash: a system whose libcurl has no CA
folder to search, only a bundle (the Fedora family).
"""

import ctypes
import os
import shutil
import subprocess

CERTS = "/etc/ssl/certs"
BUNDLE = "ca-certificates.crt"

__all__ = ["make", "prefix", "enter", "usable", "CERTS", "BUNDLE"]

# Bind the copy over the real folder, then run the command.
_BIND = 'mount --bind "$0" %s && exec "$@"' % CERTS


def usable():
    """None when a private mount namespace can be had, else why not."""
    if os.geteuid() != 0:
        return "needs root for a private mount namespace"
    if os.path.islink(CERTS) or not os.path.isfile(os.path.join(CERTS, BUNDLE)):
        # Elsewhere (the Fedora family) libcurl reads another bundle.
        return "not Debian's CA store: no folder %s holding %s" % (CERTS, BUNDLE)
    if not shutil.which("unshare"):
        return "util-linux unshare is not installed"
    r = subprocess.run(["unshare", "--mount", "true"], stderr=subprocess.DEVNULL)
    return None if r.returncode == 0 else "unshare --mount failed"


def make(dir, cas=(), hashed=True, in_folder=True, name="certs"):
    """A copy of the store in DIR/NAME with the CA files CAS added; with
    in_folder=False they are appended to the bundle alone (no file of
    their own in the folder, so no link by hash)."""
    copy = os.path.join(dir, name)
    if hashed:
        shutil.copytree(CERTS, copy, symlinks=True)
    else:
        os.makedirs(copy)
        shutil.copy(os.path.join(CERTS, BUNDLE), copy)
    with open(os.path.join(copy, BUNDLE), "a") as bundle:
        for i, ca in enumerate(cas):
            with open(ca) as f:
                pem = f.read()
            bundle.write(pem)
            if hashed and in_folder:
                with open(os.path.join(copy, "hbrun-test-%d.pem" % i), "w") as f:
                    f.write(pem)
    if hashed:
        subprocess.run(["openssl", "rehash", copy], check=True, timeout=120,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(copy, 0o755)
    return copy


def prefix(copy):
    """Words to put before a command so that it runs seeing COPY as the
    system's store, in a mount namespace of its own."""
    return ["unshare", "--mount", "sh", "-c", _BIND, copy]


CLONE_NEWNS = 0x00020000


def enter(copy):
    """Make this process (and what it starts from now on) see COPY as the
    system's store.  Call it before any thread is started: unshare(2)
    refuses a mount namespace to a process with threads."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    # Nothing mounted from here on may reach the host's namespace.
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    subprocess.run(["mount", "--bind", copy, CERTS], check=True)
