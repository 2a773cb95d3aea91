#!/bin/sh
# test-vm.sh [--out DIR] | --consoles MATRIX-DIR
#
# The body of `make test-vm`: `cowbench matrix configs/matrix/test-vm.conf`
# builds the 6.12 + cow-policy kernel with DEBUG_VM (scripts/kbuild.sh,
# cached) and boots it once per policy and config (stock, page_count,
# page_count_v59, mapcount, always_copy), running in each guest:
#
#   guest-check    `cowbench run`: every record's verdicts and exact counts
#                  against configs/expect/debian-6.12-policy-<policy>
#   check-guest    `cowbench check`: KTAP, every check ok, SKIP with its
#                  reason or the XFAIL its .check file names; the policy
#                  patch's cow_* vm events cross-checked against pagemap
#   check-sysctl   `cowbench check` after switching vm.cow_policy to
#                  always_copy at run time (the knobs put the boot's back):
#                  the fixed-buffer checks fail as under an always_copy boot
#
# then configs/matrix/test-vm-ab.conf: one boot (stock) interleaves
# guest-check runs under stock and mapcount, two each, in the order of
# seed 1; every run's env.json names its slot's policy (read back from
# vm.cow_policy after the switch), the runs are in the seed's order, and
# each run passes its policy's expectation file.
#
# The history the checks read (seed claims C1, C3, C4):
#
#   check (check-guest)            stock   mapcount   page_count(_v59)  always_copy
#   vmsplice base, thp, swapped    ok      missed     ok                ok
#   pinned-*:mprotect=1 base       ok      ok         wrong             wrong
#   pinned-nofork:uffd_wp=1 base   ok      ok         wrong             wrong
#
# Every job's console is checked for a kernel failure (`BUG:`, `kernel BUG
# at` — a BUG_ON has no colon after BUG —, `Oops:`, `WARNING:`, a panic, a
# bad page, a general protection fault); --consoles does only that, over a
# matrix folder that exists (the tests feed it crafted consoles).  The
# matrix itself checks that each policy guest booted with its policy (the
# console's first `cow_policy:` line, not the run-time switch's), and that
# a check job's vm events met pagemap in at least one check that copied or
# reused.  Output: `ok N name` /
# `not ok N name`, then `N passed, N failed, N skipped` (the matrix's own
# lines folded in).  Run folders stay in DIR (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/cowbench/test-vm/<UTC time>).
set -eu
prog=test-vm.sh
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

out= only=
while [ $# -gt 0 ]; do
	case $1 in
	--out) [ $# -ge 2 ] || { echo "$prog: --out needs DIR" >&2; exit 2; }
		out=$2; shift 2 ;;
	--consoles) [ $# -ge 2 ] && [ -d "$2/jobs" ] ||
			{ echo "$prog: --consoles needs a matrix folder (with jobs/)" >&2; exit 2; }
		only=$2; shift 2 ;;
	*) echo "usage: $prog [--out DIR] | --consoles MATRIX-DIR" >&2; exit 2 ;;
	esac
done
N=0 PASS=0 FAIL=0 SKIP=0
ok() { N=$((N + 1)); PASS=$((PASS + 1)); echo "ok $N $*"; }
notok() { N=$((N + 1)); FAIL=$((FAIL + 1)); echo "not ok $N $*"; }
finish() {
	[ -z "$out" ] || echo "# run folders: $out ($(( $(date +%s) - t_start )) s)"
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
	[ "$FAIL" = 0 ]
	exit $?
}

# consoles MATRIX-DIR: one line per job's console, not ok on a kernel failure
bad='BUG:|kernel BUG at|Oops:|WARNING:|Kernel panic|bad page|general protection fault'
consoles() {
	for con in "$1"/jobs/*/console.log; do
		[ -e "$con" ] || continue
		job=$(basename "$(dirname "$con")")
		if grep -E -q "$bad" "$con"; then
			notok "$job: console free of BUG/Oops/WARNING ($(grep -m1 -E "$bad" "$con" | tr -d '\r'))"
		else
			ok "$job: console free of BUG/Oops/WARNING (DEBUG_VM)"
		fi
	done
}
if [ -n "$only" ]; then
	consoles "$only"
	finish
fi

[ -n "$out" ] || out=${XDG_CACHE_HOME:-$HOME/.cache}/cowbench/test-vm/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
out=$(cd "$out" && pwd)
t_start=$(date +%s)

# ---- dependencies, once (a fresh Debian 12): the guest kernel's build
# tools (kbuild.sh fetches its source, never installs it), qemu, the
# initramfs' busybox
need=
for p in qemu-system-x86 busybox-static e2fsprogs cpio \
	bc bison flex libelf-dev libssl-dev build-essential; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		need="$need $p"
done
if [ -n "$need" ]; then
	[ "$(id -u)" = 0 ] || { echo "$prog: need root to install:$need" >&2; exit 1; }
	apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $need >&2 ||
		{ echo "$prog: cannot install$need" >&2; exit 1; }
fi

# ---- cowbench in the guests, checked against configs/expect
cb=${COWBENCH:-$top/build/cowbench}
# matrix NAME: cowbench matrix configs/matrix/NAME.conf into $out/NAME; its
# KTAP folded into ours: its lines unnumbered, without its version line,
# plan and totals, its closing line added up; then its consoles.  A
# failing job makes the matrix exit 1: its lines are reported (set -e must
# not end the script before they are printed).
matrix() {
	name=$1
	"$cb" matrix "$top/configs/matrix/$name.conf" -o "$out/$name" \
		> "$out/$name.log" 2>&1 || true
	grep -v -E '^[0-9]+ passed, [0-9]+ failed|^KTAP version 1$|^1\.\.[0-9]+$|^# Totals: ' "$out/$name.log" |
		sed 's/^ok [0-9]* /ok - /; s/^not ok [0-9]* /not ok - /'
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$out/$name.log" | tail -1)
	if [ -n "$line" ]; then
		set -- $(echo "$line" | tr -dc '0-9 ')
		PASS=$((PASS + $1)) FAIL=$((FAIL + $2)) SKIP=$((SKIP + $3))
	else
		notok "cowbench matrix $name printed no result line ($out/$name.log)"
	fi
	consoles "$out/$name"
}
matrix test-vm
# the A/B interleave: one boot, vm.cow_policy switched between the runs in
# the seed's order; the matrix checks each run's policy (env.json, read
# back from the sysctl), the order and each policy's expectations
matrix test-vm-ab
j=debian-6.12-policy+interleave+guest-check
st=$out/test-vm-ab/jobs/$j/status
if [ "$(grep -c '^ok \|^run ' "$st" 2>/dev/null)" = 4 ] &&
	[ "$(sed -n 's/^seed //p' "$st")" = 1 ]; then
	ok "$j: 4 runs in one boot, seed 1 recorded"
else
	notok "$j: 4 runs in one boot, seed 1 recorded ($(head -n1 "$st" 2>/dev/null || echo "no status"))"
fi
finish
