#!/usr/bin/env bash
# The history scenarios in the guest matrix (issue #10): expectation lines
# that pick one point of a sweep (SCENARIO:PARAM=V), checked against crafted
# runs; the shipped expectations against configs/guest-check.conf; the
# kpageflags bits cowbench reads against the kernel's uapi header.  The
# guests themselves boot in `make test-vm`.
set -u
source "$(dirname "$0")/../lib.sh"
need_root
MK=${MKRUN:-build/mkrun}

# ---- a crafted host run whose reuse-after-exit has two points of a sweep:
# mprotect=0 clean, mprotect=1 with 3 missed COWs (pinned=1M on both)
mkpts() { # mkpts DIR
	mkdir -p "$1/jobs/host+stock+guest-check"
	"$MK" "$1/r1" stock-6.18 6.18.0 2026-01-01T00:00:00Z 1 0 1 7 0 tcg > /dev/null
	jq -c 'if .scenario == "reuse-after-exit" then
		(.params.pinned = 1048576 | .params.mprotect = 0),
		(.params.pinned = 1048576 | .params.mprotect = 1 |
		 if .pass == "counting" then .counts.classes.missed_cow = 3 else . end)
		else . end' "$1/r1/results.jsonl" > "$1/r1/r.tmp" &&
		mv "$1/r1/r.tmp" "$1/r1/results.jsonl"
	echo "ok r1" > "$1/jobs/host+stock+guest-check/status"
}
exp=$work/expect
mkdir -p "$exp"
m=$(conf pts "kernels = host" "configs = guest-check")
mkpts "$work/mx"
mx() { # mx NAME LINES...: the expectations, then --report into $work/NAME.out
	local name=$1; shift
	printf '%s\n' "$@" > "$exp/host-stock"
	COWBENCH_EXPECT_DIR=$exp "$CB" matrix "$m" -o "$work/mx" --report \
		> "$work/$name.out" 2>&1
	rc=$?
}

mx f1 "reuse-after-exit:mprotect=0 base ok missed_cow=0" \
	"reuse-after-exit:mprotect=1 base fail:missed_cow missed_cow=3" \
	"reuse-after-exit:mprotect=1,pinned=1M base fail:missed_cow"
check "filter: each point of the sweep has its own verdict (sizes as 1M)" \
	eq "$rc:$(tail -1 "$work/f1.out")" "0:5 passed, 0 failed, 0 skipped"
check "filter: the line names the point it checked" \
	grep -q 'reuse-after-exit:mprotect=1 base: fail:missed_cow missed_cow=3$' "$work/f1.out"

mx f2 "reuse-after-exit base ok"
check "no filter: the line holds for every point, so one bad point fails it" \
	eq "$rc:$(grep -c 'reuse-after-exit base: ok; fail:missed_cow (want ok)' "$work/f2.out")" "1:1"

mx f3 "reuse-after-exit:mprotect=2 base ok" "reuse-after-exit:frob=1 base ok"
check "filter: a point not in the run is a failure, saying so" \
	eq "$rc:$(grep -c 'no counting record (scenario, backing or params not in the run)' "$work/f3.out")" "1:2"

for bad in "reuse-after-exit:mprotect base ok" "reuse-after-exit: base ok" \
	"reuse-after-exit:a=1,b=2,c=3,d=4,e=5 base ok" "reuse-after-exit:mprotect=x base ok"; do
	mx f4 "$bad"
	check "filter: '${bad%% *}' is a bad line naming file:line" \
		eq "$rc:$(grep -c "^not ok .*$exp/host-stock:1: '" "$work/f4.out")" "1:1"
done

# ---- the shipped expectations and the guest config they are about
gc=configs/guest-check.conf
list=$("$CB" list)
for f in configs/expect/*; do
	# every SCENARIO[:PARAM=V] names a scenario and, in it, a parameter
	bad=$(awk '!/^#/ && NF { print $1 }' "$f" | sort -u | while read -r spec; do
		s=${spec%%:*}
		line=$(echo "$list" | grep "^  $s ") || { echo "$s"; continue; }
		[ "$s" = "$spec" ] && continue
		for kv in $(echo "${spec#*:}" | tr , ' '); do
			echo "$line" | grep -q "[[ ]${kv%%=*}=" || echo "$spec"
		done
	done)
	check "$(basename "$f"): scenarios and filter params known" eq "$bad" ""
done
# Every policy file of the patched kernel checks the same points.
keys() { awk '!/^#/ && NF { print $1, $2 }' "$1" | sort; }
ref=configs/expect/debian-6.12-policy-stock
# (the .check files list expected failures only: they differ by design)
for f in $(ls configs/expect/debian-6.12-policy-* | grep -v '\.check$'); do
	check "$(basename "$f"): the same scenario points as $(basename "$ref")" \
		eq "$(keys "$f" | md5sum)" "$(keys "$ref" | md5sum)"
done
# The four that separate the policies are in the guests, at the points
# test-vm asserts (issue #10 Tests).
for s in vmsplice pinned-fork swapin mprotect; do
	check "guest-check.conf runs $s" grep -q "^scenarios = .*\\b$s\\b" "$gc"
done
check "guest-check.conf: pinned-fork with the mprotect round trip" \
	grep -q '^pinned-fork.mprotect = .*1' "$gc"
check "guest-check.conf: swapin on the swapfile" \
	grep -q '^swapin.backings = .*swapped-file' "$gc"
for p in stock mapcount page_count page_count_v59 always_copy; do
	f=configs/expect/debian-6.12-policy-$p
	for spec in vmsplice pinned-fork:mprotect=1 swapin:read=1 mprotect; do
		check "$p: $spec has an asserted verdict (not xfail)" \
			test -n "$(awk -v s="$spec" '$1 == s && $3 != "xfail"' "$f")"
	done
done
check "test-vm.conf boots every policy, each with the run, check and sysctl suites" \
	eq "$(sed -n 's/^policies = //p; s/^configs = //p' configs/matrix/test-vm.conf | tr '\n' ';')" \
	"stock mapcount page_count page_count_v59 always_copy;guest-check check-guest check-sysctl;"
for p in stock mapcount page_count page_count_v59 always_copy; do
	check "$p: a check suite expectation file (.check)" \
		test -s "configs/expect/debian-6.12-policy-$p.check"
done
# The guest's only swap is what the swapped-* backings set up.
for f in configs/matrix/test-vm.conf configs/matrix/local.conf; do
	check "$(basename "$f"): swap = none" grep -q '^swap = none$' "$f"
done
check "guest-run.sh puts the backing's swapfile on the guest's ext4 disk" \
	grep -q 'COWBENCH_SWAPDIR=\$COWBENCH_DISK' scripts/guest-run.sh

# ---- kpageflags bits: lib/pagemap.h against the kernel's uapi header
hdr=/usr/include/linux/kernel-page-flags.h
if [ -r "$hdr" ]; then
	for k in $(awk '/^#define KPF_/ { print $2 }' lib/pagemap.h); do
		want=$(awk -v k="$k" '$1 == "#define" && $2 == k { print $3 }' "$hdr")
		got=$(awk -v k="$k" '$2 == k { gsub(/[^0-9 ]/, " ", $0); print $NF }' lib/pagemap.h)
		check "lib/pagemap.h $k is bit ${want:-?} of $hdr" eq "$got" "$want"
	done
else
	skip "lib/pagemap.h KPF bits against the uapi header" "no $hdr (linux-libc-dev)"
fi
finish
