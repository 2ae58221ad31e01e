"""Run the C test programs under valgrind memcheck: the 'memcheck' test of
the 'valgrind' setup (tests/meson.build).

    memcheck.py BUILD_DIR VALGRIND [OPTION]...

Every test of the 'unit' and 'fuzz-replay' suites (read from meson's
meson-info/intro-tests.json, so a program added to those suites is covered
without being named here) is run as VALGRIND OPTION... COMMAND, two at a
time.  valgrind runs with --error-exitcode, so an invalid access, a use of
uninitialised memory or a definite leak fails the program, a check test's
forked child included (check reports its exit).

Prints a line per program, then one "Checks: N, Failures: F, Errors: 0"
line over all of them (a check program counts its checks, any other counts
one) for tests/summary.py.
"""

import concurrent.futures
import json
import os
import re
import subprocess
import sys

SUITES = ("unit", "fuzz-replay")
CHECK = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")


def programs(builddir):
    with open(os.path.join(builddir, "meson-info", "intro-tests.json")) as f:
        tests = json.load(f)
    for t in tests:
        if any(s.split(":")[-1] in SUITES for s in t["suite"]):
            yield t


def run_one(test, valgrind):
    env = dict(os.environ)
    env.update(test.get("env") or {})
    p = subprocess.run(valgrind + test["cmd"], env=env, cwd=test.get("workdir"),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace",
                       timeout=max(600, 10 * (test.get("timeout") or 60)))
    m = CHECK.search(p.stdout)
    if m:
        total, failures, errors = map(int, m.groups())
    else:
        total, failures, errors = 1, 0, 0
    if p.returncode != 0 and failures + errors == 0:
        failures = 1
    return test["name"], p.returncode, total, failures + errors, p.stdout


def main(builddir, *valgrind):
    tests = list(programs(builddir))
    if not tests:
        print("memcheck: no test programs found in %s" % builddir)
        return 1
    total = bad = 0
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for name, rc, n, failed, out in pool.map(lambda t: run_one(t, list(valgrind)), tests):
            total += n
            bad += failed
            print("%s under memcheck: exit %d, %d check(s), %d failed"
                  % (name, rc, n, failed))
            if rc != 0 or failed:
                # Its own "Checks:" line must not be the one summary.py reads.
                print("  " + CHECK.sub("(checks)", out).replace("\n", "\n  "))
    print("memcheck: %d%%: Checks: %d, Failures: %d, Errors: 0"
          % (100 * (total - bad) // max(total, 1), total, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
