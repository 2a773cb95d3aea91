#!/usr/bin/env bash
# cowbench check: the correctness oracle in KTAP.  On the running kernel
# every check is ok, a skip with its reason or an expected failure named
# by its expectation line; each check is seen to fail when its observer's
# input is broken on purpose (test faults); bad input exits 2.
set -u
. "$(dirname "$0")/../lib.sh"
need_root

ktap_ok() { # FILE: a KTAP version 1 stream whose plan matches its lines
	local plan lines
	plan=$(sed -n '2s/^1\.\.//p' "$1")
	lines=$(grep -cE '^(not )?ok [0-9]+ ' "$1")
	[ "$(head -n1 "$1")" = "KTAP version 1" ] && [ "$plan" = "$lines" ] &&
		[ "$(grep -oE '^(not )?ok [0-9]+' "$1" | awk '{ print $NF }' | tr '\n' ' ')" = "$(seq -s ' ' 1 "$plan") " ]
}
totals() { sed -n 's/^# Totals: //p' "$1"; }
total() { totals "$1" | tr ' ' '\n' | sed -n "s/^$2://p"; }

before=$(knobs_now)
"$CB" check --quick -o "$work/ck" > "$work/ck.ktap" 2> "$work/ck.err"; rc=$?
check "check --quick: KTAP version 1, the plan matches the numbered lines" ktap_ok "$work/ck.ktap"
check "check --quick: exit 0, no failure, error or XPASS on this kernel ($(totals "$work/ck.ktap"))" \
	eq "$rc,$(total "$work/ck.ktap" fail),$(total "$work/ck.ktap" error),$(total "$work/ck.ktap" xpass)" "0,0,0,0"
grep -E '^not ok' -B1 "$work/ck.ktap" | head -n 20 | sed 's/^/# /'
check "check --quick: every SKIP and XFAIL says why" \
	eq "$(grep -cE '# (SKIP|XFAIL)$' "$work/ck.ktap")" 0
check "check --quick: the totals add up to the plan" \
	eq "$(totals "$work/ck.ktap" | tr ' :' '\n\n' | awk 'NR % 2 == 0 { s += $1 } END { print s }')" \
	"$(sed -n '2s/^1\.\.//p' "$work/ck.ktap")"
n_plan=$(sed -n '2s/^1\.\.//p' "$work/ck.ktap")
check "check --quick: per line a counting record and its verdict (check:<scenario>) in results.jsonl" \
	eq "$(jq -r 'if (.scenario | startswith("check:")) then "verdict" else .pass end' "$work/ck/results.jsonl" | sort | uniq -c | awk '{ print $1, $2 }' | tr '\n' ';')" \
	"$n_plan counting;$n_plan verdict;"
check "check --quick: a verdict record's status is its line's (ok, SKIP as skip, XFAIL as fail)" \
	eq "$(jq -r 'select(.scenario | startswith("check:")) | .status + (if (.reason // "" | startswith("XFAIL")) then "-x" else "" end)' "$work/ck/results.jsonl" | sort | uniq -c | awk '{ print $2 ":" $1 }' | tr '\n' ' ')" \
	"$(awk '/^ok [0-9]+ .* # XFAIL/ { x++; next } /^ok [0-9]+ .* # SKIP/ { s++; next } /^ok / { o++ } END { if (x) printf "fail-x:%d ", x; if (o) printf "ok:%d ", o; if (s) printf "skip:%d ", s }' "$work/ck.ktap")"
check "check --quick: knobs, swap, zram and pools as before" eq "$(knobs_now)" "$before"
if grep -q '^ok .* vmsplice on hugetlb-2048kB # XFAIL' "$work/ck.ktap"; then
	check "the hugetlb vmsplice leak is an XFAIL naming its expectation line" \
		grep -qE 'XFAIL .*missed COW.*\(release-[0-9.]+:[0-9]+\)$' <<< "$(grep 'vmsplice on hugetlb-2048kB' "$work/ck.ktap")"
else
	skip "the hugetlb vmsplice XFAIL" "$(grep 'vmsplice on hugetlb-2048kB' "$work/ck.ktap" || echo 'no 2 MiB hugetlb pool here')"
fi

# each check can fail: MAP_SHARED regions (every write seen by the other
# party), shmem THP for the THP checks; the dio and pinned-nofork checks
# have no other party, only their own reads and pins (drop-pin below)
T=/sys/kernel/mm/transparent_hugepage
COWBENCH_TEST_FAULT=shared COWBENCH_TEST_PASS_KNOB=$T/shmem_enabled=advise \
	"$CB" check --quick -o "$work/cksh" > "$work/cksh.ktap" 2> /dev/null
check "MAP_SHARED: no observing check passes (not ok, SKIP with a reason, or the XFAIL)" \
	eq "$(grep -E '^ok [0-9]+ ' "$work/cksh.ktap" | grep -vE '# (SKIP|XFAIL) ' | grep -vE ' (dio|dio-race|pinned-nofork|ro-pin)[: ]| hugetlb-rsvd ' | head -n3)" ""
check "MAP_SHARED: base pages fail every check that runs on them" \
	eq "$(grep -E '^(not )?ok [0-9]+ .* on base$' "$work/cksh.ktap" | grep -vE ' (dio|dio-race|pinned-nofork|ro-pin)[: ]| hugetlb-rsvd ' | grep -c '^ok')" 0
check "MAP_SHARED: the THP checks fail on shmem THP (not skipped)" \
	eq "$(grep -cE '^not ok [0-9]+ thp-cow-(child|parent).* on thp$' "$work/cksh.ktap")" 2
COWBENCH_TEST_FAULT=drop-pin "$CB" check --quick -k 'dio[: ]*' -o "$work/ckdio" > "$work/ckdio.ktap" 2> /dev/null
check "drop-pin: every dio check fails (reads land in pages the process does not map)" \
	eq "$(grep -cE '^ok ' "$work/ckdio.ktap"),$(grep -cE '^not ok ' "$work/ckdio.ktap")" "0,2"
COWBENCH_TEST_FAULT=drop-pin "$CB" check -k 'pinned-*base' -o "$work/ckpin" > "$work/ckpin.ktap" 2> /dev/null
uf_skips=$(grep -cE '^ok [0-9]+ pinned-nofork:.*uffd_wp=1 .*# SKIP' "$work/ckpin.ktap")
check "drop-pin: pinned-fork (mprotect 0 and 1) and pinned-nofork (mprotect, uffd-wp: 0 and 1) fail with 256 wrong COW ($uf_skips uffd-wp skips)" \
	eq "$(grep -cE '^not ok [0-9]+ pinned-(no)?fork' "$work/ckpin.ktap"),$(grep -c '256 wrong COW' "$work/ckpin.ktap")" "$((6 - uf_skips)),$((6 - uf_skips))"
"$CB" check -k 'pinned-nofork*uffd_wp=1 on base' -o "$work/ckuf" > "$work/ckuf.ktap" 2> /dev/null
if grep -q '# SKIP' "$work/ckuf.ktap"; then
	skip "pinned-nofork with a userfaultfd-wp round" "$(grep -m1 -o '# SKIP.*' "$work/ckuf.ktap")"
else
	check "pinned-nofork with a userfaultfd-wp round (mprotect 0, 1): ok on this kernel" \
		eq "$(grep -cE '^ok [0-9]+ pinned-nofork:.*uffd_wp=1 on base$' "$work/ckuf.ktap"),$(grep -c '^not ok' "$work/ckuf.ktap")" "2,0"
fi

# the O_DIRECT races, each seen to fail: with a dropped pin the writes
# come from pages full of the secret (races 0, 1) and the reads land in
# pages we do not map (races 2, 3).  A shared region is no deterministic
# break here: whether a leak wins the device's read is timing
COWBENCH_TEST_FAULT=drop-pin "$CB" check -k 'dio-race*' -b base -o "$work/ckrd" > "$work/ckrd.ktap" 2> /dev/null
if grep -q '# SKIP' "$work/ckrd.ktap"; then
	# a tmpfs or 9p run directory, btrfs, a 4 KiB-sector disk
	skip "dio-race drop-pin" "$(grep -m1 -o '# SKIP.*' "$work/ckrd.ktap")"
else
	check "dio-race drop-pin: the secret reaches the file (races 0, 1), the reads land elsewhere (2, 3)" \
		eq "$(grep -cE '^not ok [0-9]+ dio-race:race=[0-3],' "$work/ckrd.ktap"),$(grep -c '^# missed COW: .*secret reached' "$work/ckrd.ktap"),$(grep -c '^# wrong COW: the read landed' "$work/ckrd.ktap")" "4,2,2"
fi
"$CB" check -k 'dio-race*' -b base -o "$work/ckr" > "$work/ckr.ktap" 2> /dev/null
check "dio-race: each race ok or a SKIP with its reason on this kernel" \
	eq "$(grep -cE '^ok [0-9]+ dio-race:race=[0-3],.* on base( # SKIP .+)?$' "$work/ckr.ktap")" 4

# R/O pins need gup_test: where the kernel lacks it, every one is a skip
# naming CONFIG_GUP_TEST (the test-vm guests have it and run them)
COWBENCH_GUP_TEST=/nonexistent/gup_test "$CB" check -k 'ro-pin*' -b base -o "$work/ckro" > "$work/ckro.ktap" 2> /dev/null
check "ro-pin without gup_test: 6 skips naming CONFIG_GUP_TEST" \
	eq "$(grep -cE '^ok [0-9]+ ro-pin(-shared)?:.* on base # SKIP .*the kernel lacks CONFIG_GUP_TEST\)$' "$work/ckro.ktap")" 6

# the policy patch's vm events against pagemap: a kernel whose events
# counted nothing (test fault) makes a copying check fail, naming both
COWBENCH_TEST_FAULT=vm-events "$CB" check -k 'mprotect-fork on base' -o "$work/ckvm" > "$work/ckvm.ktap" 2> /dev/null
check "vm events that disagree with pagemap: not ok, naming both counts" \
	eq "$(grep -c '^# vm events: pagemap copied 512, cow_pte_copy + cow_unshare_copy 0;' "$work/ckvm.ktap"),$(grep -c '^not ok 1 mprotect-fork on base$' "$work/ckvm.ktap")" "1,1"

COWBENCH_TEST_FAULT=acct "$CB" check -k 'cow-parent on base' -o "$work/ckacct" > "$work/ckacct.ktap" 2> /dev/null
check "accounting not back after a check: not ok, naming the count" \
	eq "$(grep -c '^# accounting: HugePages_Total: [0-9]*, [0-9]* before the check$' "$work/ckacct.ktap"),$(grep -c '^not ok 1 cow-parent on base$' "$work/ckacct.ktap")" "1,1"

# the kernel accounting check: on a kernel with the wrap it fails (an
# XFAIL where release-R names it), and on a shared mapping, which restores
# no reserve, it passes: it can go either way
if grep -qE '^ok [0-9]+ hugetlb-rsvd on hugetlb-2048kB # XFAIL' "$work/ck.ktap"; then
	check "hugetlb-rsvd under MAP_SHARED: the reserve count stays in range (an XPASS)" \
		grep -qE '^ok [0-9]+ hugetlb-rsvd on hugetlb-2048kB # XPASS' "$work/cksh.ktap"
else
	skip "hugetlb-rsvd either way" "$(grep 'hugetlb-rsvd on hugetlb-2048kB' "$work/ck.ktap" || echo 'no 2 MiB hugetlb pool')"
fi

# an expectation that a passing check fails: XPASS, and exit 1
printf 'cow-parent base fail:missed_cow\n' > "$work/xp.expect"
"$CB" check -k 'cow-parent on base' --expect "$work/xp.expect" -o "$work/ckxp" > "$work/ckxp.ktap" 2> /dev/null; rc=$?
check "an expected failure that passes: XPASS naming the line, exit 1" \
	eq "$rc,$(grep -c '^ok 1 cow-parent on base # XPASS xp.expect:1 expects it to fail$' "$work/ckxp.ktap")" "1,1"
# vm.EVENT counts: the window's vmstat delta; an event this kernel lacks
# is -1, never 0 (the policy kernels' lines in configs/expect assert them)
if grep -q '^cow_pte_copy ' /proc/vmstat; then
	skip "expect: vm.cow_pte_copy on a kernel without the event" "this kernel counts cow_pte_copy"
else
	printf 'cow-parent base ok vm.cow_pte_copy=512\n' > "$work/vm.expect"
	out=$("$CB" expect "$work/vm.expect" "$work/ckxp" 2>&1); rc=$?
	check "expect: vm.cow_pte_copy where the kernel lacks the event is -1, a failure" \
		eq "$rc,$(grep -c 'vm.cow_pte_copy=-1 (want 512)' <<< "$out")" "1,1"
fi
"$CB" check -k 'cow-parent on base' --repeat 2 -o "$work/ckrep" > "$work/ckrep.ktap" 2> /dev/null
check "--repeat 2: each check twice, numbered" \
	eq "$(grep -oE 'cow-parent on base \[[0-9]/2\]' "$work/ckrep.ktap" | tr '\n' ';')" "cow-parent on base [1/2];cow-parent on base [2/2];"

# a signal mid-run: KTAP's "Bail out!", knobs back, exit 128 + 2
before=$(knobs_now)
"$CB" check -o "$work/ckint" > "$work/ckint.ktap" 2> /dev/null &
pid=$!
for _ in $(seq 100); do grep -q '^ok 3 ' "$work/ckint.ktap" 2> /dev/null && break; sleep 0.1; done
kill -INT $pid; wait $pid; rc=$?
check "SIGINT: Bail out! naming the signal, exit 130, knobs restored" \
	eq "$rc,$(grep -c '^Bail out! interrupted by signal 2$' "$work/ckint.ktap"),$(knobs_now)" "130,1,$before"

# bad input: one line, exit 2, nothing run
bad() { # NAME TEXT ARGS...
	local name=$1 want=$2 out rc; shift 2
	out=$("$CB" check -o "$work/never" "$@" 2>&1); rc=$?
	check "bad input: $name (exit 2, one line)" \
		eq "$rc,$(wc -l <<< "$out"),$(grep -c -- "$want" <<< "$out"),$([ -e "$work/never" ] && echo written)" "2,1,1,"
}
bad "-k matching nothing" "no check matches" -k 'no-such-check*'
bad "--repeat 0" "--repeat: '0' is not a number" --repeat 0
bad "an unknown option" "unknown option" --frobnicate
if [ -e /proc/sys/vm/cow_policy ]; then
	skip "bad input: cow_policy without the sysctl" "this kernel has vm.cow_policy"
else
	printf 'scenarios = cow-parent\nbackings = base\ncow_policy = always_copy\n' > "$work/pol.conf"
	bad "cow_policy on a kernel without vm.cow_policy" "has no /proc/sys/vm/cow_policy" -c "$work/pol.conf"
fi
bad "an unknown vm.EVENT count" "badvm:1: 'vm.no_such_event' is not COUNT=N" --expect "$(printf 'cow-parent base ok vm.no_such_event=1\n' > "$work/badvm"; echo "$work/badvm")"
bad "a bad expectation file" "badexp:1:" --expect "$(printf 'cow-parent base maybe\n' > "$work/badexp"; echo "$work/badexp")"
finish
