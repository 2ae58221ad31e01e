"""See a ping arrive: start the local fake heartbeat API, run a sample job
under hbrun against it, and print every request the API received.

    python3 tests/demo.py build/src/hbrun/hbrun

No network is needed: the API listens on 127.0.0.1 only.
"""
import functools
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "support"))
from fakeapi import FakeAPI  # noqa: E402

print = functools.partial(print, flush=True)


def main(hbrun):
    with FakeAPI() as api:
        job = ["sh", "-c", "echo 'sample job: backing up...'; sleep 1; echo done"]
        cmd = [hbrun, "-v", "-t", "demo-token-1234", "--api-url", api.url,
               "--"] + job
        print("$ " + " ".join(cmd[:6]) + " -- " + " ".join(repr(w) for w in job))
        rc = subprocess.call(cmd)
        print("hbrun exited %d (the job's status)" % rc)
        if not api.wait_requests(1, 5):
            print("no ping arrived")
            return 1
        for r in api.requests:
            print("fake API received: %s %s  (User-Agent: %s, Content-Length: %s)"
                  % (r.method, r.path, r.headers.get("user-agent"),
                     r.headers.get("content-length")))
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/src/hbrun/hbrun"))
