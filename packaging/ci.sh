#!/bin/sh
# CI's packaging steps, each one a test case:
#
#   packaging/ci.sh OUTDIR
#
#   deb-build           packaging/build-deb.sh: dpkg-buildpackage -us -uc -b
#   deb-lintian         lintian on the .changes: no error, no warning
#   deb-source-lintian  the source package (-S) and lintian on it
#   deb-install         apt-get install ./hbrun_*.deb (root only)
#   deb-installed       tests/packaging/installed.py: the installed programs,
#                       man pages and examples, run against the local fake API
#   rpm-build           packaging/build-rpm.sh: rpmbuild -bb, and what it holds
#
# The packages and logs land in OUTDIR, and OUTDIR/testlog.json gets one
# line per step in the form of meson's testlog.json, for tests/summary.py.
# A step whose tool is missing is skipped; one that needs a failed step
# fails with it.  Exits 1 when a step failed.  The package builds compile
# hbrun plainly, as a distribution would (no sanitizers).
set -u

out=${1:?usage: packaging/ci.sh OUTDIR}
mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 1
cd "$(dirname "$0")/.." || exit 1
log="$out/testlog.json"
: >"$log"
failed=0

# record NAME RESULT FILE: one testlog line (RESULT: OK, FAIL or SKIP).
record() {
	python3 - "$1" "$2" "$3" >>"$log" <<'EOF'
import json, sys
name, result, path = sys.argv[1:]
with open(path, errors="replace") as f:
    text = f.read()
if result == "SKIP":  # counted as skipped by tests/summary.py
    text += "\nRan 1 test\n\nOK (skipped=1)\n"
    result = "OK"
print(json.dumps({"name": "packaging-ci / " + name, "result": result,
                  "stdout": text[-20000:]}))
EOF
}

# step NAME COMMAND...: run COMMAND, its output to OUTDIR/NAME.log, and
# record it.
step() {
	name=$1
	shift
	printf '%-20s ' "$name"
	if "$@" >"$out/$name.log" 2>&1; then
		echo ok
		record "$name" OK "$out/$name.log"
		return 0
	fi
	echo "FAILED (log: $out/$name.log)"
	tail -n 40 "$out/$name.log" | sed 's/^/    /'
	record "$name" FAIL "$out/$name.log"
	failed=1
	return 1
}

skip() {
	echo "$2" >"$out/$1.log"
	printf '%-20s skipped: %s\n' "$1" "$2"
	record "$1" SKIP "$out/$1.log"
}

fail() {
	echo "$2" >"$out/$1.log"
	printf '%-20s FAILED: %s\n' "$1" "$2"
	record "$1" FAIL "$out/$1.log"
	failed=1
}

lintian_clean() {
	# --fail-on: errors and warnings fail; info and pedantic tags are shown.
	lintian --display-info --pedantic --fail-on error,warning "$@"
}

deb_file() {
	ls "$out"/deb/hbrun_*.deb 2>/dev/null | head -n 1
}

if command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null; then
	step deb-build packaging/build-deb.sh "$out/deb"
	deb_ok=$?
else
	skip deb-build "dpkg-dev or debhelper is not installed"
	deb_ok=2
fi

if [ $deb_ok = 2 ] || ! command -v lintian >/dev/null; then
	skip deb-lintian "no package or no lintian"
	skip deb-source-lintian "no package or no lintian"
elif [ $deb_ok = 1 ]; then
	fail deb-lintian "deb-build failed"
	fail deb-source-lintian "deb-build failed"
else
	step deb-lintian lintian_clean "$out"/deb/hbrun_*.changes
	step deb-source-lintian sh -c 'packaging/build-deb.sh "$1/src" -S -d &&
		lintian --display-info --pedantic --fail-on error,warning \
			"$1"/src/hbrun_*_source.changes' sh "$out"
fi

if [ $deb_ok = 2 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
	skip deb-install "no package, or not root (apt-get install needs root)"
	skip deb-installed "the package is not installed"
elif [ $deb_ok = 1 ]; then
	fail deb-install "deb-build failed"
	fail deb-installed "deb-build failed"
else
	# --reinstall: a package of the same version from an earlier run
	# would otherwise be kept.
	if step deb-install env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --reinstall "$(deb_file)"; then
		step deb-installed env HBRUN=/usr/bin/hbrun HBCTL=/usr/bin/hbctl \
			HBRUN_DEB="$(deb_file)" PYTHONDONTWRITEBYTECODE=1 \
			python3 tests/packaging/installed.py
	else
		fail deb-installed "deb-install failed"
	fi
fi

rpm_check() {
	packaging/build-rpm.sh "$out/rpm" || return 1
	rpm=$(ls "$out"/rpm/hbrun-[0-9]*.rpm | head -n 1)
	echo "== $rpm"
	rpm -qpl "$rpm" && rpm -qpR "$rpm" || return 1
	for f in /usr/bin/hbrun /usr/bin/hbctl /usr/share/man/man1/hbrun.1 \
		/usr/share/man/man1/hbctl.1 /usr/share/man/man5/hbrun.conf.5; do
		rpm -qpl "$rpm" | grep -q "^$f" || { echo "missing: $f"; return 1; }
	done
	rpm -qpR "$rpm" | grep -q '^libcurl(.*) >= ' ||
		{ echo "no Requires: libcurl"; return 1; }
}

if command -v rpmbuild >/dev/null; then
	step rpm-build rpm_check
else
	skip rpm-build "rpmbuild is not installed (Debian: the rpm package)"
fi

exit $failed
