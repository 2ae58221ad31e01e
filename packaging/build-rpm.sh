#!/bin/sh
# Build the hbrun binary .rpm from this source tree with rpmbuild -bb:
#
#   packaging/build-rpm.sh OUTDIR
#
# The tree (less .git and build folders) becomes Source0, hbrun-VERSION.tar.gz,
# in a private _topdir; the .rpm lands in OUTDIR.  On a system whose rpm
# database knows no build dependencies (Debian's rpm package), the
# BuildRequires cannot be checked: they are skipped (--nodeps), and meson's
# rpm macros, which only Fedora's meson package ships, come from
# packaging/rpm/macros.meson-fallback.
set -eu

out=${1:?usage: packaging/build-rpm.sh OUTDIR}
src=$(cd "$(dirname "$0")/.." && pwd)
spec="$src/packaging/rpm/hbrun.spec"
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hbrun-rpm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
top="$tmp/rpmbuild"
mkdir -p "$top/SOURCES" "$top/SPECS" "$top/BUILD" "$top/RPMS" "$top/SRPMS"

# The tree less .git, build folders and OUTDIR (should it be inside).
tar -C "$src" --anchored --exclude-vcs --exclude='./build*' \
	--exclude='*/__pycache__' \
	--exclude="./${out#"$src"/}" --transform "s,^\\.,hbrun-$version," \
	-czf "$top/SOURCES/hbrun-$version.tar.gz" .

set -- --define "_topdir $top"
if [ "$(rpm --eval '%{?meson:yes}')" != yes ]; then
	set -- "$@" --load "$src/packaging/rpm/macros.meson-fallback"
fi
if [ -z "$(rpm -qa 2>/dev/null | head -n 1)" ]; then
	set -- "$@" --nodeps
fi
rpmbuild -bb "$@" "$spec"

for f in "$top"/RPMS/*/*.rpm; do
	rm -f "$out/${f##*/}"
	mv "$f" "$out"/
	echo "$out/${f##*/}"
done
