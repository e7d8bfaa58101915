#!/usr/bin/env bash
# Builds the Tally container image here, with Debian's docker.io and no registry: the image is
# FROM scratch and holds only `make install`'s tree and the shared libraries ldd lists for the
# binary and every installed check plugin (plus the dynamic loader, CA certificates and a few
# /etc files).
#
#   packaging/build-image.sh [TAG]          # from a configured build tree, after `make`
#
# Environment: DOCKER (default "docker"; e.g. "docker -H unix:///tmp/x/docker.sock"),
# BUILDDIR (default: the current directory), KEEP_STAGE=1 keeps the staged tree.
set -euo pipefail

tag=${1:-tally:latest}
docker=${DOCKER:-docker}
builddir=${BUILDDIR:-$PWD}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/tally-image-XXXXXX")
cleanup() { [ -n "${KEEP_STAGE:-}" ] || rm -rf "$stage"; }
trap cleanup EXIT

root="$stage/rootfs"
make -s -C "$builddir" install DESTDIR="$root" >/dev/null
dirs=$(make -s --no-print-directory -C "$builddir" print-install-dirs)
bindir=$(printf '%s\n' "$dirs" | sed -n 's/^bindir=//p')
checkplugindir=$(printf '%s\n' "$dirs" | sed -n 's/^checkplugindir=//p')
tallyconfdir=$(printf '%s\n' "$dirs" | sed -n 's/^tallyconfdir=//p')

# The libraries, copied where the loader looks for them (real files, not symlinks).
copy_libs() {
	ldd "$1" | awk '/=> \//{print $3} /^[ \t]*\/[^ ]+ \(/{print $1}' | while read -r lib; do
		[ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"; }
	done
}
copy_libs "$root$bindir/tally"
for so in "$root$checkplugindir"/*.so; do
	[ -e "$so" ] && copy_libs "$so"
done

mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/var/lib/tally" "$root/host"
chmod 1777 "$root/tmp"
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
printf 'root:x:0:0:root:/:/nonexistent\nnobody:x:65534:65534:nobody:/:/nonexistent\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"

sed -e "s|@bindir@|$bindir|g" -e "s|@tallyconfdir@|$tallyconfdir|g" \
	"$srcdir/packaging/Dockerfile" >"$stage/Dockerfile"
$docker build -q -t "$tag" -f "$stage/Dockerfile" "$stage" >/dev/null
echo "$tag"
