#!/usr/bin/env bash
# Install what cowbench builds on (Debian 12) and build libperf + libapi
# from Debian's linux-source-6.1 tarball into build/libperf (git-ignored).
# The source is fetched by scripts/srcpkg.sh (apt-get download, never
# installed), so the machine's linux-source packages are left alone.
# Idempotent: does nothing when everything is already there.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/libperf
pkgs="build-essential clang procps libpfm4-dev libhwloc-dev liburing-dev zlib1g-dev gnuplot-nox jq libclang-rt-14-dev xz-utils"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing packages; run as root: apt-get install$missing" >&2
		exit 2
	fi
	echo "deps: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2
	apt-get install -y -q --no-install-recommends $missing >&2
fi

[ -f "$out/lib/libperf.a" ] && [ -f "$out/lib/libapi.a" ] && exit 0

tarball=$("$top/scripts/srcpkg.sh" --tarball linux-source-6.1) ||
	{ echo "deps: cannot fetch linux-source-6.1" >&2; exit 2; }
echo "deps: building libperf from $tarball" >&2
mkdir -p "$top/build"
tmp=$(mktemp -d -p "$top/build")
trap 'rm -rf "$tmp"' EXIT
# Only what tools/lib/{perf,api} need: ~18 MB of the tree.
d=linux-source-6.1
tar -xf "$tarball" -C "$tmp" --wildcards "$d/tools/lib/*" "$d/tools/include/*" \
	"$d/tools/build/*" "$d/tools/scripts/*" "$d/tools/arch/x86/include/*" \
	"$d/include/uapi/*" "$d/arch/x86/include/uapi/*" "$d/scripts/*" "$d/Makefile"

src=$tmp/$d
make -s -C "$src/tools/lib/perf" -j"$(nproc)" libperf.a >&2
make -s -C "$src/tools/lib/api" -j"$(nproc)" libapi.a >&2
rm -rf "$out.new" && mkdir -p "$out.new/lib" "$out.new/include"
cp "$src/tools/lib/perf/libperf.a" "$src/tools/lib/api/libapi.a" "$out.new/lib/"
cp -r "$src/tools/lib/perf/include/perf" "$out.new/include/"
rm -rf "$out" && mv "$out.new" "$out"
echo "deps: libperf ready in $out" >&2
