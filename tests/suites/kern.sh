#!/usr/bin/env bash
# cowbench matrix (configs/matrix, configs/expect): bad input, the job list
# for GNU parallel, the host job on the running kernel, a guest that panics
# or hangs (scripts/vmrun.sh and kbuild.sh replaced by stand-ins: no qemu,
# no kernel build here; make test-vm boots the real ones), and the
# expectations checked against crafted runs.
set -u
source "$(dirname "$0")/../lib.sh"
need_root
MK=${MKRUN:-build/mkrun}

# An existing kernel definition and guest config, whatever the tree has.
kern=debian-6.12-policy
fake=$work/fake
mkdir -p "$fake/img"
: > "$fake/img/bzImage"
# kbuild.sh's record of what it built (its cache entry's info file)
printf '%s\n' "source = debian linux-source-6.12 6.12.117-1~deb12u1" \
	"patches = cow-policy-6.12.patch:0123456789abcdef " > "$fake/img/info"
printf '#!/bin/sh\necho %s\n' "$fake/img" > "$fake/kbuild.sh"
# vmrun stand-ins: a panic (reason, exit 1) and a hang
printf '#!/bin/sh\nwhile [ "$1" != --out ]; do shift; done\necho "Kernel panic - not syncing: stand-in" > "$2/reason"\nexit 1\n' > "$fake/panic.sh"
printf '#!/bin/sh\nexec sleep 600\n' > "$fake/hang.sh"
chmod +x "$fake"/*.sh

mx() { # mx NAME ARGS...: cowbench matrix, output in $work/NAME.out, status in $rc
	local name=$1; shift
	"$CB" matrix "$@" > "$work/$name.out" 2>&1
	rc=$?
}

# ---- bad input: one line, exit 2, nothing created
m=$(conf bad-kernel "kernels = frob" "configs = guest-check")
mx bad1 "$m" -o "$work/bad1"
check "unknown kernel: exit 2, one line, no folder" \
	eq "$rc:$(wc -l < "$work/bad1.out"):$([ -e "$work/bad1" ] && echo made)" "2:1:"
m=$(conf bad-key "kernels = host" "configs = guest-check" "frob = 1")
mx bad2 "$m"
check "unknown key: exit 2" eq "$rc" 2
m=$(conf no-configs "kernels = host")
mx bad3 "$m"
check "no configs: exit 2" eq "$rc:$(cat "$work/bad3.out")" \
	"2:cowbench: matrix: $m: needs 'kernels' and 'configs'"
m=$(conf bad-timeout "kernels = host" "configs = guest-check" "timeout = 1")
mx bad4 "$m"
check "timeout below 10 s: exit 2" eq "$rc" 2
mx bad5 configs/matrix/test-vm.conf --job nope
check "unknown --job: exit 2" eq "$rc" 2
mx bad6 configs/matrix/test-vm.conf --report --jobs-only
check "--report with --jobs-only: exit 2" eq "$rc" 2
mx bad7 "$work/none.conf"
check "missing file: exit 2" eq "$rc" 2

# ---- the job list: policies only where the patch is
m=$(conf jobs "kernels = host debian-6.1-stock $kern" \
	"policies = stock mapcount page_count" "configs = guest-check")
mx jobs "$m" --jobs-only -o "$work/mj"
check "--jobs-only: 1 host + 1 stock kernel + 3 policies = 5 lines" \
	eq "$rc:$(wc -l < "$work/jobs.out")" "0:5"
check "--jobs-only: a stock kernel runs its own rule only" \
	eq "$(grep -c 'debian-6.1-stock+' "$work/jobs.out")" 1
check "--jobs-only: one runnable command per job" \
	eq "$(sed -n 5p "$work/jobs.out")" \
	"./cowbench matrix $m -o $work/mj --job $kern+page_count+guest-check"

# ---- the host job: cowbench run on the running kernel, merged by run id
m=$(conf host "kernels = host" "configs = guest-check" "timeout = 300")
mx host "$m" -o "$work/mh"
status=$(head -n1 "$work/mh/jobs/host+stock+guest-check/status" 2>/dev/null)
runid=${status#ok }
check "host job: status ok with its run id" eq "${status%% *}" ok
check "host job: the run folder is named by its run id" \
	test -s "$work/mh/$runid/results.jsonl" -a -s "$work/mh/$runid/env.json"
check "host job: the run's own id is that name" \
	eq "$(jq -r .run "$work/mh/$runid/env.json" 2>/dev/null)" "$runid"
check "host job: the run id ends in the job id (COWBENCH_RUN_TAG)" \
	eq "${runid#*-*-"$(uname -n)"-}" "host+stock+guest-check"
check "host job: progress names the job, elapsed and ETA" \
	grep -q '^\[1/1\] host+stock+guest-check: running (elapsed 0:00, ETA unknown)' "$work/host.out"
check "host job: compare table and report folder" \
	test -f "$work/mh/report/index.html" -a -n "$(grep -m1 '^cowbench compare' "$work/host.out")"
check "host job: matrix exit 0, closing line" \
	eq "$rc:$(tail -1 "$work/host.out")" "0:2 passed, 0 failed, 0 skipped"
mx host2 "$m" -o "$work/mh"
check "a job done before is kept, not run again" \
	grep -q "^\[1/1\] host+stock+guest-check: done before ($runid)" "$work/host2.out"

# ---- a check job: cowbench check on the running kernel, its totals judged
# against the job's expectations (a failed check is a verdict, not a job
# failure)
printf '%s\n' "vmsplice hugetlb-* fail:missed_cow" "vmsplice-parent hugetlb-* fail:missed_cow" \
	> "$work/host-stock.exp"
mkdir -p "$work/cexp" && cp "$work/host-stock.exp" "$work/cexp/host-stock.check"
m=$(conf chk "kernels = host" "configs = check-guest" "timeout = 300")
COWBENCH_EXPECT_DIR=$work/cexp mx chk "$m" -o "$work/mc"
status=$(head -n1 "$work/mc/jobs/host+stock+check-guest/status" 2>/dev/null)
check "check job: status ok, its records merged by run id" \
	test "${status%% *}" = ok -a -s "$work/mc/${status#ok }/results.jsonl"
check "check job: one line of totals, no failure, error or XPASS" \
	grep -qE '^ok [0-9]+ host\+stock\+check-guest: check pass:[0-9]+ fail:0 xfail:[0-9]+ xpass:0 skip:[0-9]+ error:0$' "$work/chk.out"
check "check job: the KTAP went to the job's stdout" \
	grep -q '^# Totals: pass:' "$work/mc/jobs/host+stock+check-guest/stdout"
# the report reads the job's own KTAP: cut short, it is not ok
ktap=$work/mc/jobs/host+stock+check-guest/stdout
cp "$ktap" "$work/ktap.keep" && head -n 5 "$work/ktap.keep" > "$ktap"
COWBENCH_EXPECT_DIR=$work/cexp mx chk3 "$m" -o "$work/mc" --report
check "check job: a KTAP cut short (no totals) is not ok" \
	eq "$rc:$(grep -cE '^not ok [0-9]+ host\+stock\+check-guest: check cut short' "$work/chk3.out")" "1:1"
cp "$work/ktap.keep" "$ktap"
printf '%s\n' "cow-parent base fail:missed_cow" > "$work/cexp/host-stock.check"
COWBENCH_EXPECT_DIR=$work/cexp mx chk2 "$m" -o "$work/mc2"
check "check job: a check that passes against an expected failure is an XPASS, not ok" \
	eq "$rc:$(grep -cE '^not ok [0-9]+ host\+stock\+check-guest: check .* xpass:1 ' "$work/chk2.out")" "1:1"

# ---- a guest that panics / hangs is a recorded failure, not a stuck matrix
m=$(conf guest "kernels = $kern" "policies = mapcount" "configs = guest-check" "timeout = 10")
COWBENCH_KBUILD=$fake/kbuild.sh COWBENCH_VMRUN=$fake/panic.sh mx panic "$m" -o "$work/mp"
check "panic: recorded with the console's reason" \
	eq "$(head -n1 "$work/mp/jobs/$kern+mapcount+guest-check/status")" \
	"fail Kernel panic - not syncing: stand-in; no results"
check "panic: not ok line, exit 1" \
	eq "$rc:$(grep -c "^not ok 1 $kern+mapcount+guest-check: ran (Kernel panic" "$work/panic.out")" "1:1"
check "guest: the job folder gives guest-run.sh the machine and the kernel's tree" \
	eq "$(cat "$work/mp/jobs/$kern+mapcount+guest-check/machine" "$work/mp/jobs/$kern+mapcount+guest-check/kernel_commit")" \
	"$(uname -n)
Debian 6.12.117-1~deb12u1 (linux-source-6.12) + cow-policy-6.12.patch:0123456789abcdef"
t0=$(date +%s)
COWBENCH_KBUILD=$fake/kbuild.sh COWBENCH_VMRUN=$fake/hang.sh mx hang "$m" -o "$work/mg"
t1=$(date +%s)
check "hang: killed at the limit and recorded (exit 1)" \
	eq "$rc:$(head -n1 "$work/mg/jobs/$kern+mapcount+guest-check/status" | cut -c1-4)" "1:fail"
check "hang: no process of the stand-in left" \
	eq "$(pgrep -f "$fake/hang.sh" | wc -l)" 0
echo "# the hang took $((t1 - t0)) s (timeout 10 s + 10 s margin)"

# ---- expectations: crafted runs, data in a directory of our own
exp=$work/expect
mkdir -p "$exp"
mkrep() { # mkrep DIR [MISSED]: a report-only matrix folder with one host run
	mkdir -p "$1/jobs/host+stock+guest-check"
	"$MK" "$1/r1" stock-6.18 6.18.0 2026-01-01T00:00:00Z 1 0 2 7 ${2:-} tcg
	echo "ok r1" > "$1/jobs/host+stock+guest-check/status"
}
m=$(conf rep "kernels = host" "configs = guest-check")
mkrep "$work/me1" 3
printf '%s\n' "# crafted: 3 missed COWs in reuse-after-exit" \
	"cow-child base ok copies=512 necessary_copy=512 faults=512" \
	"reuse-after-exit base fail:missed_cow missed_cow=3 reuses=512" > "$exp/host-stock"
COWBENCH_EXPECT_DIR=$exp mx exp1 "$m" -o "$work/me1" --report
check "expect: verdicts and exact counts that hold pass" \
	eq "$rc:$(tail -1 "$work/exp1.out")" "0:4 passed, 0 failed, 0 skipped"
check "expect: the line says what the records have" \
	grep -q 'reuse-after-exit base: fail:missed_cow missed_cow=3 reuses=512$' "$work/exp1.out"
printf '%s\n' "cow-child base ok copies=511" "reuse-after-exit base ok" \
	"zeropage base ok" "cow-child base xfail" > "$exp/host-stock"
COWBENCH_EXPECT_DIR=$exp mx exp2 "$m" -o "$work/me1" --report
check "expect: a wrong count, a wrong verdict, a missing scenario fail; xfail skips" \
	eq "$rc:$(tail -1 "$work/exp2.out")" "1:2 passed, 3 failed, 1 skipped"
check "expect: a count mismatch names both values" \
	grep -q 'cow-child base: ok copies=512 (want 511)' "$work/exp2.out"
check "expect: a verdict mismatch names both" \
	grep -q 'reuse-after-exit base: fail:missed_cow (want ok)' "$work/exp2.out"
printf '%s\n' "cow-child base maybe" > "$exp/host-stock"
COWBENCH_EXPECT_DIR=$exp mx exp3 "$m" -o "$work/me1" --report
check "expect: a bad line is a failure naming file:line" \
	grep -q "^not ok .*$exp/host-stock:1: verdict 'maybe' is not ok" "$work/exp3.out"
printf '%s\n' "cow-child base ok frobs=1" > "$exp/host-stock"
COWBENCH_EXPECT_DIR=$exp mx exp4 "$m" -o "$work/me1" --report
check "expect: an unknown count is a failure" \
	grep -q "host-stock:1: 'frobs' is not COUNT=N" "$work/exp4.out"
rm -rf "$work/me1/jobs"
mx exp5 "$m" -o "$work/me1" --report
check "--report: a job never run is a failure" \
	eq "$rc:$(grep -c '^not ok 1 host+stock+guest-check: ran (not run)' "$work/exp5.out")" "1:1"

# ---- the shipped expectations parse and name only known scenarios
for f in configs/expect/*; do
	bad=$(awk '!/^#/ && NF { sub(/:.*/, "", $1); print $1 }' "$f" | sort -u | while read -r s; do
		"$CB" list | grep -q "^  $s " || echo "$s"; done)
	check "$(basename "$f"): names known scenarios" eq "$bad" ""
done
finish
