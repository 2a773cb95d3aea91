#!/bin/sh
# test-patches.sh: fast checks of configs/policies and configs/kernels.
#
#   - every configs/policies/*.patch names its base ("Applies to: Debian
#     PACKAGE VERSION") and applies cleanly to that extracted tree
#     (patch --dry-run; the pristine tree is scripts/srcpkg.sh's cached
#     one, fetched without installing anything);
#   - the kernel's checkpatch.pl finds no ERROR in it;
#   - its header carries the site x policy table (every site named);
#   - the vm events it adds are listed in the same order in
#     vm_event_item.h and vmstat.c;
#   - every configs/kernels/*.conf parses and names existing patches and
#     fragments (kbuild.sh --check);
#   - kbuild.sh, vmrun.sh and test-vm.sh reject bad input with status 2;
#   - srcpkg.sh uses a cached version without apt, and names the newest
#     version when asked for one the archive does not have.
#
# Output: `ok N name` / `not ok N name`, then `N passed, N failed, 0 skipped`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
[ $# = 0 ] || { echo "usage: test-patches.sh" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-patches.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

N=0 PASS=0 FAIL=0
ok() { N=$((N + 1)); PASS=$((PASS + 1)); echo "ok $N $*"; }
notok() { N=$((N + 1)); FAIL=$((FAIL + 1)); echo "not ok $N $*"; }
check() {	# NAME COMMAND...: ok when COMMAND succeeds
	name=$1; shift
	if "$@" > "$tmp/log" 2>&1; then ok "$name"; else
		notok "$name"; sed 's/^/# /' "$tmp/log" | head -20; fi
}

# pristine PACKAGE VERSION: print the cached pristine tree, fetching it
pristine() { "$here/srcpkg.sh" "$1" "$2"; }

for p in "$top"/configs/policies/*.patch; do
	[ -f "$p" ] || continue
	b=$(basename "$p")
	base=$(sed -n 's/^Applies to: Debian \([^ ]*\) \([^ ]*\) .*/\1 \2/p' "$p" | head -1)
	if [ -z "$base" ]; then
		notok "$b: names its base (Applies to: Debian PACKAGE VERSION)"
		continue
	fi
	ok "$b: names its base ($base)"
	# shellcheck disable=SC2086
	if tree=$(pristine $base 2> "$tmp/log"); then
		check "$b: applies cleanly to $base" \
			patch -p1 --dry-run -F0 -d "$tree" -i "$p"
		if perl "$tree/scripts/checkpatch.pl" --no-tree --no-signoff -q \
			--terse --show-types "$p" > "$tmp/cp" 2>&1 ||
			! grep -q ': ERROR:' "$tmp/cp"; then
			ok "$b: checkpatch.pl finds no ERROR ($(grep -c ': WARNING:' "$tmp/cp" || true) warnings)"
		else
			notok "$b: checkpatch.pl finds no ERROR"
			grep ': ERROR:' "$tmp/cp" | head -10 | sed 's/^/# /'
		fi
	else
		notok "$b: applies cleanly to $base ($(cat "$tmp/log"))"
	fi
	missing=
	for site in do_wp_page wp_can_reuse_anon_folio do_huge_pmd_wp_page \
		do_swap_page can_change_pte_writable can_change_pmd_writable \
		gup_must_unshare copy_present_pte KSM hugetlb \
		stock page_count mapcount always_copy; do
		grep -q "$site" "$p" || missing="$missing $site"
	done
	if [ -z "$missing" ]; then ok "$b: site x policy table names every site"
	else notok "$b: site x policy table names every site (missing:$missing)"; fi
	items=$(sed -n '/^+++ b\/include\/linux\/vm_event_item.h/,/^+++ /s/^+[[:space:]]*\(COW_[A-Z_]*\),$/\1/p' "$p" |
		tr 'A-Z' 'a-z' | tr '\n' ' ')
	names=$(sed -n '/^+++ b\/mm\/vmstat.c/,/^+++ /s/^+[[:space:]]*"\(cow_[a-z_]*\)",$/\1/p' "$p" |
		tr '\n' ' ')
	if [ -n "$items" ] && [ "$items" = "$names" ]; then
		ok "$b: vm events match vmstat names ($names)"
	else
		notok "$b: vm events match vmstat names (enum: $items; names: $names)"
	fi
done

for d in "$top"/configs/kernels/*.conf; do
	check "kernel definition $(basename "$d") is valid" \
		"$here/kbuild.sh" "$d" --check
done

bad2() {	# NAME COMMAND...: ok when COMMAND exits 2
	name=$1; shift
	set +e; "$@" > "$tmp/log" 2>&1; rc=$?; set -e
	if [ $rc = 2 ]; then ok "$name"; else
		notok "$name (exit $rc)"; sed 's/^/# /' "$tmp/log" | head -5; fi
}
printf 'source = debian\nbogus = 1\n' > "$tmp/bad.conf"
bad2 "kbuild.sh: unknown key is exit 2" "$here/kbuild.sh" "$tmp/bad.conf"
bad2 "kbuild.sh: missing definition is exit 2" "$here/kbuild.sh" "$tmp/none.conf"
bad2 "kbuild.sh: unknown option is exit 2" "$here/kbuild.sh" x --frob
: > "$tmp/k"
bad2 "vmrun.sh: unknown policy is exit 2" "$here/vmrun.sh" --kernel "$tmp/k" \
	--policy frob --out "$tmp/o" -- /bin/true
bad2 "vmrun.sh: missing command is exit 2" "$here/vmrun.sh" --kernel "$tmp/k" \
	--policy stock --out "$tmp/o"
bad2 "vmrun.sh: bad --swap is exit 2" "$here/vmrun.sh" --kernel "$tmp/k" \
	--policy stock --out "$tmp/o" --swap disk -- /bin/true
bad2 "test-vm.sh: unknown policy is exit 2" "$here/test-vm.sh" --policies frob
[ ! -e "$tmp/o" ] && ok "vmrun.sh: bad input touches nothing" ||
	notok "vmrun.sh: bad input touches nothing ($tmp/o exists)"

# srcpkg.sh: a version in the cache needs no apt (the archive drops old
# ones); one that is in neither is one line naming the newest there is.
# A stand-in apt: it knows only 6.1.999-1 and updates nothing.
mkdir -p "$tmp/bin" "$tmp/xdg/cowbench/src/linux-source-6.1_6.1.1-1/tree"
touch "$tmp/xdg/cowbench/src/linux-source-6.1_6.1.1-1/.complete"
printf '#!/bin/sh
case "$1" in policy) echo "  Candidate: 6.1.999-1" ;; *) exit 100 ;; esac
' > "$tmp/bin/apt-cache"
printf '#!/bin/sh
[ "$1" = update ] || [ "$2" = update ] || exit 1
' > "$tmp/bin/apt-get"
chmod +x "$tmp/bin/apt-cache" "$tmp/bin/apt-get"
out=$(PATH=$tmp/bin:$PATH XDG_CACHE_HOME=$tmp/xdg "$here/srcpkg.sh" linux-source-6.1 6.1.1-1 2>&1) &&
	[ "$out" = "$tmp/xdg/cowbench/src/linux-source-6.1_6.1.1-1/tree" ] &&
	ok "srcpkg.sh: a cached version is used without apt" ||
	{ notok "srcpkg.sh: a cached version is used without apt"; echo "# $out"; }
set +e
out=$(PATH=$tmp/bin:$PATH XDG_CACHE_HOME=$tmp/xdg "$here/srcpkg.sh" linux-source-6.1 6.1.2-1 2>&1); rc=$?
set -e
[ $rc = 1 ] && [ "$(printf '%s\n' "$out" | grep -vc 'apt-get update')" = 1 ] &&
	printf '%s\n' "$out" | grep -q "no linux-source-6.1 version 6.1.2-1 in Debian's archive (its newest: 6.1.999-1)$" &&
	ok "srcpkg.sh: a version nobody has: one line naming the newest, exit 1" ||
	{ notok "srcpkg.sh: a version nobody has: one line naming the newest, exit 1 (exit $rc)"; printf '%s\n' "$out" | sed 's/^/# /'; }

echo "$PASS passed, $FAIL failed, 0 skipped"
[ "$FAIL" = 0 ]
