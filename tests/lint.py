"""Static analysis of src/: one tool, every C file, clean or it fails.

    lint.py cppcheck|clang-tidy|includes SOURCE_ROOT BUILD_DIR

The files are src/*/*.c (every one, whoever added it), compiled as BUILD_DIR's
compile_commands.json says.  cppcheck runs with warnings, style, performance
and portability checks; clang-tidy with the checks in SOURCE_ROOT/tests/clang-tidy.yaml.
Both honour suppressions written inline next to the code, each with a
comment saying why.  "includes" needs no tool: a module is DIR/NAME.c with
DIR/NAME.h under src/, it uses the modules whose headers either file
includes (its own folder's first, then lib's), and no two modules may use
each other, directly or through others (a finding per cycle).  The folders
are link units: nothing in src/lib includes a header of another folder, and
no program's folder includes one of another program's (a finding each).  Prints the findings, then "lint TOOL: N file(s), N
finding(s)".
"""

import glob
import os
import re
import subprocess
import sys


def sources(root):
    return sorted(glob.glob(os.path.join(root, "src", "*", "*.c")))


def run_cppcheck(root, build, files):
    cmd = ["cppcheck", "--project=" + os.path.join(build, "compile_commands.json"),
           "--enable=warning,style,performance,portability", "--inline-suppr",
           "--error-exitcode=1", "--quiet", "--std=c11",
           "--suppress=missingIncludeSystem", "--suppress=unmatchedSuppression",
           "--template={file}:{line}: {severity}: {message} [{id}]"]
    cmd += ["--file-filter=" + f for f in files]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace")
    findings = [l for l in p.stdout.splitlines() if re.match(r"^\S+:\d+: ", l)]
    return p.returncode, p.stdout, findings


def run_clang_tidy(root, build, files):
    config = os.path.join(root, "tests", "clang-tidy.yaml")
    cmd = ["clang-tidy", "-p", build, "--quiet", "--warnings-as-errors=*",
           "--config-file=" + config] + files
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace")
    findings = [l for l in p.stdout.splitlines()
                if re.match(r"^\S+:\d+:\d+: (warning|error):", l)]
    return p.returncode, p.stdout, findings


SHARED = "lib"


def headers(root):
    """{folder: set of header names it holds} under src/."""
    found = {}
    for path in glob.glob(os.path.join(root, "src", "*", "*.h")):
        folder = os.path.basename(os.path.dirname(path))
        found.setdefault(folder, set()).add(os.path.basename(path)[:-2])
    return found


def module_uses(root):
    """({"folder/module": set of "folder/module" its .c and .h include},
    [findings of includes across the folders' boundary])."""
    held = headers(root)
    uses, crossings = {}, []
    for path in sorted(glob.glob(os.path.join(root, "src", "*", "*.[ch]"))):
        folder = os.path.basename(os.path.dirname(path))
        name = folder + "/" + os.path.splitext(os.path.basename(path))[0]
        with open(path, errors="replace") as f:
            text = f.read()
        mine = uses.setdefault(name, set())
        for n in re.findall(r'^#include "([^"/]+)\.h"', text, re.M):
            if n in held.get(folder, ()):
                target = folder + "/" + n
            elif n in held.get(SHARED, ()):
                target = SHARED + "/" + n
            else:
                owners = sorted(f for f, names in held.items() if n in names)
                if owners:
                    crossings.append("src/%s:1: includes %s/%s.h, across its "
                                     "folder's boundary"
                                     % (os.path.relpath(path, os.path.join(root, "src")),
                                        owners[0], n))
                continue
            if target != name:
                mine.add(target)
    return uses, crossings


def cycle_through(uses, start):
    """A path of modules from START back to itself, or None."""
    stack, seen = [(start, [start])], set()
    while stack:
        name, path = stack.pop()
        for nxt in sorted(uses.get(name, ())):
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


def run_includes(root, build, files):
    uses, crossings = module_uses(root)
    cycles = {}
    for name in sorted(uses):
        path = cycle_through(uses, name)
        if path:
            cycles.setdefault(frozenset(path), path)
    findings = crossings + [
        "src/%s.c:1: modules use each other: %s" % (p[0], " -> ".join(p))
        for p in cycles.values()]
    return (1 if findings else 0), "\n".join(findings), findings


def main(tool, root, build):
    root, build = os.path.abspath(root), os.path.abspath(build)
    files = sources(root)
    runner = {"cppcheck": run_cppcheck, "clang-tidy": run_clang_tidy,
              "includes": run_includes}[tool]
    rc, out, findings = runner(root, build, files)
    if out.strip():
        print(out.rstrip())
    print("lint %s: %d file(s), %d finding(s)" % (tool, len(files), len(findings)))
    return 1 if rc != 0 or findings else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
