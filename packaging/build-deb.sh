#!/bin/sh
# Build the hbrun .deb from this source tree:
#
#   packaging/build-deb.sh OUTDIR [DPKG-BUILDPACKAGE-OPTION]...
#
# dpkg-buildpackage wants debian/ at the top of the source, where this
# project keeps none: the tree (less .git and build folders) is copied to a
# temporary folder, packaging/debian is put there as debian/, and
# dpkg-buildpackage -us -uc runs there, with -b (the binary package) unless
# other options are given (-S -d: the source package alone).  What it makes
# (.deb, .dsc, .tar.xz, .buildinfo, .changes) lands in OUTDIR.  A binary
# build needs the Build-Depends of packaging/debian/control and dpkg-dev
# (dpkg-checkbuilddeps says what is missing).
set -eu

out=${1:?usage: packaging/build-deb.sh OUTDIR [DPKG-BUILDPACKAGE-OPTION]...}
shift
[ $# -gt 0 ] || set -- -b
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(dpkg-parsechangelog -l "$src/packaging/debian/changelog" -S Version)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hbrun-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
tree="$tmp/hbrun-$version"
mkdir "$tree"

# The tree less .git, build folders and OUTDIR (should it be inside).
tar -C "$src" --anchored --exclude-vcs --exclude='./build*' \
	--exclude='./debian' --exclude='*/__pycache__' \
	--exclude="./${out#"$src"/}" -cf - . |
	tar -C "$tree" -xf -
cp -R "$src/packaging/debian" "$tree/debian"

(cd "$tree" && dpkg-buildpackage -us -uc "$@")

for f in "$tmp"/hbrun*_*; do
	[ -f "$f" ] || continue
	rm -f "$out/${f##*/}"
	mv "$f" "$out"/
	echo "$out/${f##*/}"
done
