"""Count test cases, not test programs, from meson's testlog.json files.

check prints "NN%: Checks: C, Failures: F, Errors: E"; Python's unittest
prints "Ran N tests" then "OK" or "FAILED (failures=F, errors=E)", with
"skipped=S" in either.  A program whose output has neither (it crashed, or
timed out) counts as one failure.  Prints "N passed, N failed[, N skipped]"
and exits 1 when anything failed.
"""
import json
import re
import sys

CHECK = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")
RAN = re.compile(r"^Ran (\d+) tests?", re.M)
FAILED = re.compile(r"(failures|errors|skipped|expected failures|unexpected successes)=(\d+)")


def count(entry):
    """(passed, failed, skipped) for one meson test."""
    out = (entry.get("stdout") or "") + "\n" + (entry.get("stderr") or "")
    ok = entry.get("result") == "OK"
    m = CHECK.search(out)
    if m:
        total, failures, errors = map(int, m.groups())
        bad = failures + errors
        return total - bad, bad if bad or ok else 1, 0
    m = RAN.search(out)
    if m:
        total = int(m.group(1))
        tail = out[m.end():]
        counts = {k: int(v) for k, v in FAILED.findall(tail)}
        bad = counts.get("failures", 0) + counts.get("errors", 0) + \
            counts.get("unexpected successes", 0)
        skipped = counts.get("skipped", 0)
        if not ok and bad == 0:
            bad = 1
        return max(total - bad - skipped, 0), bad, skipped
    return (1, 0, 0) if ok else (0, 1, 0)


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        try:
            with open(path) as f:
                entries = [json.loads(line) for line in f if line.strip()]
        except OSError as e:
            print("summary: %s: %s" % (path, e.strerror), file=sys.stderr)
            failed += 1
            continue
        for entry in entries:
            p, f_, s = count(entry)
            passed, failed, skipped = passed + p, failed + f_, skipped + s
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
