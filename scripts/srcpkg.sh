#!/bin/sh
# srcpkg.sh [--tarball] PACKAGE [VERSION]
#
# Fetch a Debian source package (linux-source-X) into cowbench's cache and
# print where it is, without installing anything on the machine:
#
#   ${XDG_CACHE_HOME:-$HOME/.cache}/cowbench/debs/<pkg>_<ver>/   the .deb, unpacked
#   ${XDG_CACHE_HOME:-$HOME/.cache}/cowbench/src/<pkg>_<ver>/tree the tarball, extracted
#
# `apt-get download` + `dpkg-deb -x` leave dpkg's database alone: a build
# never installs, upgrades or downgrades a system package (a pinned version
# older than the candidate would otherwise be refused as a downgrade).
# VERSION defaults to apt's candidate.  Prints the extracted tree, or with
# --tarball the source tarball alone (for a caller that needs a few files).
# Each step is write-then-rename, so an interrupted fetch leaves nothing
# that looks complete.  Progress on stderr, the path alone on stdout.
set -eu
prog=srcpkg.sh
die() { echo "$prog: $*" >&2; exit 1; }
log() { echo "$prog: $*" >&2; }

want=tree
[ "${1:-}" = --tarball ] && { want=tarball; shift; }
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $prog [--tarball] PACKAGE [VERSION]" >&2; exit 2; }
pkg=$1 ver=${2:-}
case $pkg in linux-source-[0-9]*) ;; *) echo "$prog: not a linux-source package: $pkg" >&2; exit 2 ;; esac

# lists_know PKG [VER]: apt's lists have that package (at that version)
lists_know() {
	if [ -n "${2:-}" ]; then
		apt-cache show "$1=$2" >/dev/null 2>&1
	else
		[ -n "$(candidate "$1")" ]
	fi
}
candidate() {
	apt-cache policy "$1" 2>/dev/null |
		sed -n 's/^  Candidate: //p' | grep -v '(none)' || true
}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/cowbench
paths() {
	id=${pkg}_$(printf '%s' "$ver" | tr '~:/' '_._')
	debdir=$cache/debs/$id
	srcdir=$cache/src/$id
}
# a version fetched before needs no apt, even one the archive dropped since
cached=0
if [ -n "$ver" ]; then
	paths
	[ ! -f "$debdir/.complete" ] || cached=1
	[ $want != tree ] || [ ! -f "$srcdir/.complete" ] || { echo "$srcdir/tree"; exit 0; }
fi
if [ $cached = 0 ] && ! lists_know "$pkg" "$ver"; then
	[ "$(id -u)" = 0 ] || die "apt does not know $pkg${ver:+=$ver}; run apt-get update as root"
	log "apt-get update (no $pkg${ver:+=$ver} in the lists)"
	apt-get update -q >&2 || die "apt-get update failed"
	lists_know "$pkg" "$ver" ||
		die "no $pkg${ver:+ version $ver} in Debian's archive (its newest: $(candidate "$pkg" | grep . || echo none))"
fi
[ -n "$ver" ] || { ver=$(candidate "$pkg"); paths; }
mkdir -p "$cache/debs" "$cache/src"

if [ ! -f "$debdir/.complete" ]; then
	rm -rf "$debdir" "$debdir.tmp.$$"
	mkdir -p "$debdir.tmp.$$"
	log "apt-get download $pkg=$ver"
	# _apt cannot write into root's cache: fetch as the caller (apt warns)
	(cd "$debdir.tmp.$$" && apt-get download -q "$pkg=$ver" >&2 2>&1) ||
		{ rm -rf "$debdir.tmp.$$"; die "apt-get download $pkg=$ver failed"; }
	deb=$(ls "$debdir.tmp.$$"/*.deb)
	dpkg-deb -x "$deb" "$debdir.tmp.$$/root" ||
		{ rm -rf "$debdir.tmp.$$"; die "dpkg-deb -x $deb failed"; }
	rm -f "$deb"
	touch "$debdir.tmp.$$/.complete"
	mv "$debdir.tmp.$$" "$debdir"
fi
tarball=$(ls "$debdir"/root/usr/src/linux-source-*.tar.* 2>/dev/null | head -n1)
[ -f "$tarball" ] || die "$pkg $ver holds no source tarball"
if [ $want = tarball ]; then
	echo "$tarball"
	exit 0
fi

if [ ! -f "$srcdir/.complete" ]; then
	rm -rf "$srcdir" "$srcdir.tmp.$$"
	mkdir -p "$srcdir.tmp.$$"
	t0=$(date +%s)
	log "extracting $tarball"
	tar -C "$srcdir.tmp.$$" -xf "$tarball" ||
		{ rm -rf "$srcdir.tmp.$$"; die "cannot extract $tarball"; }
	mv "$srcdir.tmp.$$"/* "$srcdir.tmp.$$/tree"
	touch "$srcdir.tmp.$$/.complete"
	mv "$srcdir.tmp.$$" "$srcdir"
	log "extracted in $(( $(date +%s) - t0 )) s"
fi
echo "$srcdir/tree"
