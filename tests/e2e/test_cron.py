"""--output-on-failure under the real cron daemon (Debian's cron): mail only
when a job failed, holding its output byte for byte.

cron runs in a mount namespace of its own, where /etc/cron.d, /etc/crontab
and the user crontabs are the test's, /run is empty (cron's pid file
there is its own) and /usr/sbin/sendmail is a script that records what
cron hands it.  A failing and a succeeding job run under hbrun at every
minute; the test waits for both to have run and for cron to have mailed
what it would (at most two minutes), then stops cron by its pid.

    HBRUN=build/src/hbrun/hbrun python3 tests/e2e/test_cron.py
"""

import os
import shlex
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))

from daemons import stop  # noqa: E402
from harness import HBRUN, SANITIZER_ENV, command  # noqa: E402
from servercase import ServerCase  # noqa: E402

OK = ("status", 200, {}, b"OK")
CRON = shutil.which("cron") or "/usr/sbin/cron"
# Every byte value, twice, and no newline at the end.
DATA = bytes(range(256)) * 2 + b"the end, no newline"


def children(pid):
    """The pids whose parent is PID."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def mails(folder):
    """The recorded mails: (headers, body) each, split at the first blank
    line, as cron wrote them."""
    got = []
    for name in sorted(os.listdir(folder)):
        if name.startswith("mail."):
            with open(os.path.join(folder, name), "rb") as f:
                head, _, body = f.read().partition(b"\n\n")
            got.append((head.decode("latin-1"), body))
    return got


@unittest.skipUnless(os.geteuid() == 0 and os.access(CRON, os.X_OK),
                     "needs root (a mount namespace) and Debian's cron")
class Cron(ServerCase):
    def script(self, name, text, mode=0o755):
        path = self.sb.write_file(name, text, mode)
        return path

    def job_script(self, srv, name, job):
        """A script cron runs: hbrun with the test's environment, then a
        mark with its exit status (the mark adds no output)."""
        env = self.sb.env(**SANITIZER_ENV)
        exports = "".join("export %s=%s\n" % (k, shlex.quote(v)) for k, v in env.items())
        hb = command(["--output-on-failure", "--ping-url", srv.base + "/ok",
                      "--fail-url", srv.base + "/fail", "--", job])
        hb = [os.path.abspath(w) if w == HBRUN else w for w in hb]  # cron's cwd is HOME
        return self.script(name, "#!/bin/sh\n%s%s\necho $? >%s\n" % (
            exports, " ".join(shlex.quote(w) for w in hb),
            shlex.quote(self.sb.path(name + ".done"))))

    def start_cron(self, table):
        crond = self.sb.path("cron.d")
        spool = self.sb.path("crontabs")
        os.mkdir(crond, 0o755)
        os.mkdir(spool, 0o700)
        self.sb.write_file(os.path.join(crond, "hbruntest"), table, 0o644)
        empty = self.sb.write_file("crontab", "", 0o644)
        self.outbox = self.sb.path("outbox")
        os.mkdir(self.outbox)
        sendmail = self.script("sendmail", '#!/bin/sh\necho "$@" >%s/args.$$\n'
                               'exec cat >%s/mail.$$\n' % (self.outbox, self.outbox))
        setup = ("set -e; mount -t tmpfs tmpfs /run; "
                 "mount --bind %s /etc/cron.d; mount --bind %s /etc/crontab; "
                 "mount --bind %s /var/spool/cron/crontabs; "
                 "mount --bind %s /usr/sbin/sendmail; exec %s -f -L 15"
                 % tuple(shlex.quote(p) for p in (crond, empty, spool, sendmail, CRON)))
        p = subprocess.Popen(["unshare", "-m", "--propagation", "private",
                              "sh", "-c", setup], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(lambda: (stop(p, 5), p.stderr.close()))
        return p

    def test_mail_only_for_the_failing_job_with_its_output(self):
        srv = self.server(plan=[OK] * 8, max_requests=8)
        data = self.sb.path("data.bin")
        with open(data, "wb") as f:
            f.write(DATA)
        fail = self.script("fails", "#!/bin/sh\ncat %s\nexit 3\n" % shlex.quote(data))
        ok = self.script("succeeds", "#!/bin/sh\necho all done\necho 'all done' >&2\n")
        table = ("SHELL=/bin/sh\nMAILTO=ops@example.invalid\n"
                 "* * * * * root %s\n* * * * * root %s\n"
                 % (self.job_script(srv, "failing", fail),
                    self.job_script(srv, "succeeding", ok)))
        p = self.start_cron(table)
        marks = [self.sb.path("failing.done"), self.sb.path("succeeding.done")]
        deadline = time.monotonic() + 120
        done = False
        while time.monotonic() < deadline and p.poll() is None:
            # Both ran, and cron's child of each (which mails) has ended.
            if (all(os.path.exists(m) for m in marks) and mails(self.outbox)
                    and not children(p.pid)):
                done = True
                break
            time.sleep(0.2)
        stop(p, 5)
        err = p.stderr.read().decode("latin-1", "replace")
        self.assertTrue(done, "cron ran both jobs and mailed within two "
                        "minutes (cron: rc %s, %r)" % (p.returncode, err))
        for mark, status in zip(marks, ("3\n", "0\n")):
            with open(mark) as f:
                self.assertEqual(f.read(), status)
        got = mails(self.outbox)
        self.assertTrue(got)
        for head, body in got:
            self.assertIn("failing", head, "a mail for the succeeding job")
            self.assertEqual(body, DATA)
        paths = sorted(r.target.split("?")[0] for r in srv.requests)
        self.assertIn("/fail", paths)
        self.assertIn("/ok", paths)


if __name__ == "__main__":
    unittest.main(verbosity=2)
