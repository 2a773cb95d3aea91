#!/bin/sh
# kbuild.sh KERNEL-DEF [--debug-vm] [--rebuild] [--check | --key]
#
# Build a guest bzImage from a kernel definition (configs/kernels/*.conf)
# and print the cache folder that holds it:
#
#   ${XDG_CACHE_HOME:-$HOME/.cache}/cowbench/kernels/<hash>/{bzImage,config,info}
#
# <hash> covers the source (Debian package + version, or git commit), every
# patch's content, every config fragment's content, the debug flag, the
# compiler (`${CC:-gcc} --version`, and $CC itself) and $KCFLAGS, and this
# script's recipe version, so an unchanged definition is never rebuilt and a
# changed one always is. An entry is complete only once renamed into place.
# A git `ref` that is a branch is fetched again on every call (a tag or a
# commit is resolved in the clone, fetched only when missing there).
#
# Outside the checkout, beside the cache:
#   cowbench/src/<package>_<version>/tree   pristine extracted source (once)
#   cowbench/src/git-<commit>/tree          pristine export of a git ref
#   cowbench/git/<name>.git                 bare clone of a git source
#   cowbench/build/<def>/src                hard-linked copy + patches
#   cowbench/build/<def>/out[-debugvm]      O= object trees (incremental)
#
# KERNEL-DEF is a path or a name in configs/kernels (with or without .conf).
# --check only validates the definition (keys, patches, fragments) and exits.
# --key prints the cache key the build would have, and builds nothing
# (`cowbench matrix` stores it in a job's status: a job whose kernel's key
# changed is run again).
# Progress goes to stderr, the cache path (or key) alone to stdout.
set -eu

RECIPE=kbuild-1		# bump when the way a kernel is built changes
prog=kbuild.sh
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
kdir=$top/configs/kernels
pdir=$top/configs/policies

die() { echo "$prog: $*" >&2; exit 1; }
usage() { echo "usage: $prog KERNEL-DEF [--debug-vm] [--rebuild] [--check | --key]" >&2; exit 2; }
log() { echo "$prog: $*" >&2; }

def= debug=0 rebuild=0 checkonly=0 keyonly=0
for a in "$@"; do
	case $a in
	--debug-vm) debug=1 ;;
	--rebuild) rebuild=1 ;;
	--check) checkonly=1 ;;
	--key) keyonly=1 ;;
	-h|--help) usage ;;
	-*) echo "$prog: unknown option $a" >&2; usage ;;
	*) [ -z "$def" ] || { echo "$prog: one KERNEL-DEF only" >&2; usage; }
	   def=$a ;;
	esac
done
[ -n "$def" ] || usage
[ $checkonly = 0 ] || [ $keyonly = 0 ] || { echo "$prog: --check or --key, not both" >&2; exit 2; }
if [ ! -f "$def" ]; then
	for c in "$kdir/$def" "$kdir/$def.conf"; do
		[ -f "$c" ] && { def=$c; break; }
	done
fi
[ -f "$def" ] || { echo "$prog: no kernel definition $def" >&2; exit 2; }
defname=$(basename "$def" .conf)

# ---- parse the definition: key = value, # comments, strict keys
source= package= version= url= ref= patches= config=
n=0
while IFS= read -r line || [ -n "$line" ]; do
	n=$((n + 1))
	line=${line%%#*}
	case $line in *[![:space:]]*) ;; *) continue ;; esac
	case $line in
	*=*) ;;
	*) echo "$def:$n: expected key = value" >&2; exit 2 ;;
	esac
	key=$(printf '%s' "${line%%=*}" | tr -d '[:space:]')
	val=$(printf '%s' "${line#*=}" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
	case $key in
	source|package|version|url|ref|patches|config) eval "$key=\$val" ;;
	*) echo "$def:$n: unknown key '$key'" >&2; exit 2 ;;
	esac
done < "$def"
case $source in
debian) [ -n "$package" ] && [ -n "$version" ] ||
		{ echo "$def: source = debian needs package and version" >&2; exit 2; } ;;
git) [ -n "$url" ] && [ -n "$ref" ] ||
		{ echo "$def: source = git needs url and ref" >&2; exit 2; } ;;
*) echo "$def: source must be debian or git" >&2; exit 2 ;;
esac
[ -n "$config" ] || { echo "$def: no config fragment" >&2; exit 2; }
frags=
for f in $config; do
	[ -f "$kdir/$f" ] || { echo "$def: no config fragment $kdir/$f" >&2; exit 2; }
	frags="$frags $kdir/$f"
done
[ $debug = 0 ] || frags="$frags $kdir/debug-vm.config"
plist=
for p in $patches; do
	[ -f "$pdir/$p" ] || { echo "$def: no patch $pdir/$p" >&2; exit 2; }
	plist="$plist $pdir/$p"
done
[ $checkonly = 0 ] || exit 0

# ---- the compiler, part of the key: $CC (passed to make when set) or gcc
cc=${CC:-gcc}
ccver=$($cc --version 2>/dev/null | head -n 1)
[ -n "$ccver" ] || { echo "$prog: compiler '$cc' does not run ($cc --version)" >&2; exit 2; }

cache=${XDG_CACHE_HOME:-$HOME/.cache}/cowbench
mkdir -p "$cache/kernels" "$cache/src" "$cache/build" "$cache/git"

# ---- one kernel build at a time on this machine (--key: a git clone's
# fetch only)
if [ $keyonly = 0 ] || [ "$source" = git ]; then
	exec 9>"$cache/kbuild.lock"
	flock 9
fi

# ---- build tools (installed only when missing; apt-get update only then).
# The kernel source is never installed: scripts/srcpkg.sh fetches it.
need=
[ $keyonly = 1 ] ||
for c in gcc:build-essential make:build-essential bc:bc bison:bison \
	 flex:flex cpio:cpio xz:xz-utils perl:perl; do
	command -v "${c%%:*}" >/dev/null 2>&1 || need="$need ${c#*:}"
done
[ $keyonly = 1 ] || [ -f /usr/include/libelf.h ] || need="$need libelf-dev"
[ $keyonly = 1 ] || [ -f /usr/include/openssl/ssl.h ] || need="$need libssl-dev"
[ "$source" = git ] && ! command -v git >/dev/null 2>&1 && need="$need git"
if [ -n "$need" ]; then
	[ "$(id -u)" = 0 ] || die "need root to install:$need"
	log "installing:$need"
	apt-get update -q >&2 || die "apt-get update failed"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >&2 ||
		die "apt-get install$need failed"
fi

# ---- the source identity
if [ "$source" = debian ]; then
	srcid="debian $package $version"
	srcdir=$cache/src/${package}_$(printf '%s' "$version" | tr '~:/' '_._')
else
	gitdir=$cache/git/$(printf '%s' "$url" | tr -c 'A-Za-z0-9._-' '_').git
	if [ ! -d "$gitdir" ]; then
		log "cloning $url"
		git clone -q --bare "$url" "$gitdir.tmp.$$" >&2 ||
			{ rm -rf "$gitdir.tmp.$$"; die "git clone $url failed"; }
		mv "$gitdir.tmp.$$" "$gitdir"
	elif git -C "$gitdir" show-ref -q --verify "refs/heads/$ref"; then
		# a branch moves: never build the commit it had at the clone
		log "fetching branch $ref"
		git -C "$gitdir" fetch -q origin "+refs/heads/$ref:refs/heads/$ref" >&2 ||
			die "cannot fetch branch $ref from $url"
	fi
	commit=$(git -C "$gitdir" rev-parse -q --verify "$ref^{commit}" 2>/dev/null) ||
		{ git -C "$gitdir" fetch -q origin "$ref" >&2 &&
		  commit=$(git -C "$gitdir" rev-parse -q --verify "FETCH_HEAD^{commit}"); } ||
		die "ref $ref not found in $url"
	srcid="git $url $commit"
	srcdir=$cache/src/git-$commit
fi

# ---- the cache key
key=$({
	echo "$RECIPE"
	echo "$srcid"
	echo "debug_vm=$debug"
	echo "cc $cc: $ccver"
	echo "kcflags ${KCFLAGS:-}"
	for p in $plist; do echo "patch $(basename "$p")"; cat "$p"; done
	for f in $frags; do echo "fragment $(basename "$f")"; cat "$f"; done
} | sha256sum | cut -c1-16)
dest=$cache/kernels/$key
[ $keyonly = 0 ] || { echo "$key"; exit 0; }
if [ -f "$dest/bzImage" ] && [ $rebuild = 0 ]; then
	log "cached: $defname$([ $debug = 1 ] && echo ' (DEBUG_VM)')"
	echo "$dest"
	exit 0
fi

# ---- pristine tree, extracted once (a Debian source: scripts/srcpkg.sh)
if [ "$source" = debian ]; then
	# srcpkg.sh says why on its own line
	"$here/srcpkg.sh" "$package" "$version" >/dev/null || exit 1
elif [ ! -f "$srcdir/.complete" ]; then
	rm -rf "$srcdir"
	mkdir -p "$srcdir.tmp.$$/tree"
	log "exporting $commit"
	git -C "$gitdir" archive "$commit" | tar -C "$srcdir.tmp.$$/tree" -xf - ||
		{ rm -rf "$srcdir.tmp.$$"; die "cannot export $commit"; }
	touch "$srcdir.tmp.$$/.complete"
	mv "$srcdir.tmp.$$" "$srcdir"
fi

# ---- work tree: hard-linked copy of the pristine tree, patched.
# GNU patch writes a new file and renames it over the old, so the pristine
# files behind the links are never modified. When the patch set changes,
# the old patches are reversed first: every file they touched gets a new
# mtime, so the object trees rebuild exactly what changed.
bdir=$cache/build/$defname
wsrc=$bdir/src
applied=$bdir/applied
want=$(for p in $plist; do sha256sum < "$p"; done; echo "$srcid")
if [ -d "$wsrc" ] && [ "$(cat "$bdir/src.id" 2>/dev/null)" != "$srcid" ]; then
	log "source changed: new work tree"
	rm -rf "$bdir"
fi
# touched PATCH...: the files the patches modify
touched() { sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$@" | sort -u; }
if [ -d "$wsrc" ] && [ "$(cat "$bdir/patches.id" 2>/dev/null)" != "$want" ]; then
	log "patch set changed: reversing the old one"
	# Remember content and mtime of every file either set touches, so
	# that a file whose content comes out the same (a patch whose header
	# or another hunk changed) keeps its mtime and is not rebuilt.
	(cd "$wsrc" && touched "$applied"/* $plist 2>/dev/null |
		while read -r f; do
			[ -f "$f" ] && echo "$(sha256sum < "$f" | cut -c1-64) $(stat -c %Y "$f") $f"
		done) > "$bdir/mtimes" || true
	for p in $(ls -r "$applied" 2>/dev/null); do
		patch -s -R -p1 -d "$wsrc" < "$applied/$p" >&2 ||
			{ log "cannot reverse $p: new work tree"; rm -rf "$bdir"; break; }
	done
	rm -rf "$applied" "$bdir/patches.id"
fi
if [ ! -d "$wsrc" ]; then
	mkdir -p "$bdir"
	log "linking work tree"
	cp -al "$srcdir/tree" "$wsrc.tmp.$$" && mv "$wsrc.tmp.$$" "$wsrc"
	echo "$srcid" > "$bdir/src.id"
fi
if [ ! -f "$bdir/patches.id" ]; then
	mkdir -p "$applied"
	i=0
	for p in $plist; do
		i=$((i + 1))
		log "patching $(basename "$p")"
		patch -s -p1 -N -d "$wsrc" < "$p" >&2 ||
			{ rm -rf "$bdir"; die "$(basename "$p") does not apply to $srcid"; }
		cp "$p" "$applied/$(printf '%02d' $i)-$(basename "$p")"
	done
	if [ -f "$bdir/mtimes" ]; then
		while read -r sum mt f; do
			[ -f "$wsrc/$f" ] &&
			[ "$(sha256sum < "$wsrc/$f" | cut -c1-64)" = "$sum" ] &&
			touch -d "@$mt" "$wsrc/$f" || true
		done < "$bdir/mtimes"
		rm -f "$bdir/mtimes"
	fi
	echo "$want" > "$bdir/patches.id"
fi

# ---- configure: tinyconfig + fragments, olddefconfig, verify
out=$bdir/out$([ $debug = 1 ] && echo -debugvm || true)
mkdir -p "$out"
mk() { make -s -C "$wsrc" O="$out" ${CC:+CC="$CC"} "$@"; }
log "configuring ($(echo $frags | xargs -n1 basename | tr '\n' ' '))"
mk tinyconfig >"$out/config.log" 2>&1 || die "make tinyconfig failed: $out/config.log"
cat $frags >> "$out/.config"
mk olddefconfig >>"$out/config.log" 2>&1 || die "make olddefconfig failed: $out/config.log"
missing=
for f in $frags; do
	for opt in $(sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=y$/\1/p' "$f"); do
		grep -qx "$opt=y" "$out/.config" || missing="$missing $opt"
	done
	for opt in $(sed -n 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1/p' "$f"); do
		grep -q "^$opt=" "$out/.config" && missing="$missing !$opt"
	done
done
[ -z "$missing" ] || die "fragment options not set after olddefconfig:$missing"

# ---- build
jobs=$(nproc)
log "make -j$jobs bzImage (log: $out/build.log)"
t0=$(date +%s)
if ! mk -j"$jobs" bzImage >"$out/build.log" 2>&1; then
	tail -20 "$out/build.log" >&2
	die "build failed: $out/build.log"
fi
secs=$(( $(date +%s) - t0 ))
release=$(mk kernelrelease)
log "built $release in $secs s"

# ---- install into the cache: write, then rename
tmp=$cache/kernels/.tmp.$key.$$
rm -rf "$tmp"
mkdir -p "$tmp"
cp "$out/arch/x86/boot/bzImage" "$tmp/bzImage"
cp "$out/.config" "$tmp/config"
{
	echo "definition = $defname"
	echo "source = $srcid"
	echo "patches = $(for p in $plist; do printf '%s:%s ' "$(basename "$p")" \
		"$(sha256sum < "$p" | cut -c1-16)"; done)"
	echo "config = $(echo $frags | xargs -n1 basename | tr '\n' ' ')"
	echo "debug_vm = $debug"
	echo "compiler = $cc: $ccver"
	echo "kcflags = ${KCFLAGS:-}"
	echo "release = $release"
	echo "build_seconds = $secs"
	echo "jobs = $jobs"
	echo "built_at = $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "recipe = $RECIPE"
} > "$tmp/info"
if [ -d "$dest" ]; then
	rm -rf "$dest.old.$$"
	mv "$dest" "$dest.old.$$"
	rm -rf "$dest.old.$$"
fi
mv "$tmp" "$dest"
echo "$dest"
