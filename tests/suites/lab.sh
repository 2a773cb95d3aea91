#!/usr/bin/env bash
# The matrix in a lab (issue 15): run ids unique by construction, results
# never replaced, stale results run again, the kernel cache key (compiler,
# CC/KCFLAGS, a git branch fetched again).  scripts/vmrun.sh and kbuild.sh
# are replaced by stand-ins (no qemu, no kernel build: make test-vm boots
# the real ones); the stand-in guest writes its run under the id a guest
# would take, with a start time of its own choosing (the same second for
# every job unless $fake/ts says otherwise).
set -u
source "$(dirname "$0")/../lib.sh"
need_root
MK=${MKRUN:-build/mkrun}
kern=debian-6.12-policy
me=$(uname -n)

fake=$work/fake
mkdir -p "$fake/img"
: > "$fake/img/bzImage"
echo 0123456789abcdef > "$fake/key"
echo 20260101-000000 > "$fake/ts"
# kbuild.sh: the key (--key) or the cache folder
cat > "$fake/kbuild.sh" <<EOF
#!/bin/sh
case " \$* " in *" --key "*) cat "$fake/key"; exit 0 ;; esac
echo "$fake/img"
EOF
# vmrun.sh: what a guest does, as a run named TIME-HOSTNAME-TAG (the
# guest's hostname is the kernel's name, its tag the matrix's run_tag)
cat > "$fake/vmrun.sh" <<EOF
#!/bin/sh
out= acc= last= pol=
while [ \$# -gt 0 ]; do
	case \$1 in
	--out) out=\$2; shift ;;
	--accel) acc=\$2; shift ;;
	--policy) pol=\$2; shift ;;
	esac
	last=\$1
	shift
done
echo "\$acc" > "\$out/argv.accel"
# the console: what the kernel said at boot (\$fake/boot, else the policy
# asked for), then a run-time switch back to the policy asked for
said=\$(cat "$fake/boot" 2>/dev/null || echo "\$pol")
printf 'Command line: console=ttyS0 cow_policy=%s\\ncow_policy: %s\\ncow_policy: %s\\n' "\$pol" "\$said" "\$pol" > "\$out/console.log"
# what else the kernel said (\$fake/oops: a WARN, an oops)
cat "$fake/oops" >> "\$out/console.log" 2>/dev/null
# a check suite's KTAP, its vm events line from \$fake/vm (default 3)
if [ "\$(cat "\$out/mode" 2>/dev/null)" = check ]; then
	printf '1..1\\nok 1 cow-child base\\n# vm events: %s checks%s pagemap counts within the policy patch%ss cow_* events\\n# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0\\n' \
		"\$(cat "$fake/vm" 2>/dev/null || echo 3)" "'" "'" > "\$out/check.ktap"
fi
# an interleave: one run per line of the order, under its policy (the
# second run under \$fake/liar's policy when there is one), or a kernel
# without vm.cow_policy (\$fake/nosysctl)
if [ -s "\$out/order" ]; then
	[ ! -e "$fake/nosysctl" ] || { echo "no /proc/sys/vm/cow_policy: stand-in" > "\$out/skip"; exit 0; }
	mkdir -p "\$out/runs"
	n=0
	while read -r p tag; do
		n=\$((n + 1))
		[ \$n != 2 ] || [ ! -s "$fake/liar" ] || p=\$(cat "$fake/liar")
		mkdir -p "\$out/runs/stage"
		"$top/$MK" "\$out/runs/stage/\$(cat "$fake/ts")-\$last-\$tag" \$p-6.12 6.12.0 2026-01-01T00:00:0\${n}Z 1 0 1 7 0 tcg >/dev/null &&
			mv "\$out/runs/stage/\$(cat "$fake/ts")-\$last-\$tag" "\$out/runs/\$n"
		echo 0 > "\$out/runs/\$n.rc"
	done < "\$out/order"
	echo tcg > "\$out/accel"
	exit 0
fi
id=\$(cat "$fake/ts")-\$last-\$(cat "\$out/run_tag")
mkdir -p "\$out/stage"
"$top/$MK" "\$out/stage/\$id" stock-6.12 6.12.0 2026-01-01T00:00:00Z 1 0 1 7 0 tcg >/dev/null &&
	mv "\$out/stage/\$id" "\$out/run"
echo tcg > "\$out/accel"
EOF
chmod +x "$fake"/*.sh
export COWBENCH_KBUILD=$fake/kbuild.sh COWBENCH_VMRUN=$fake/vmrun.sh

mx() { # mx NAME ARGS...: cowbench matrix, output in $work/NAME.out, status in $rc
	local name=$1; shift
	"$CB" matrix "$@" > "$work/$name.out" 2>&1
	rc=$?
}
st() { sed -n 1p "$work/$1/jobs/$2/status" 2>/dev/null; }

# ---- a run id's tag: checked before anything runs
COWBENCH_RUN_TAG='a/b' "$CB" run -c configs/guest-check.conf -o "$work/tag" > "$work/tag.out" 2>&1
check "COWBENCH_RUN_TAG with a '/': exit 2, one line, no folder" \
	eq "$?:$(wc -l < "$work/tag.out"):$([ -e "$work/tag" ] && echo made)" "2:1:"

# ---- two jobs of one kernel starting in the same second keep both runs
m=$(conf two "kernels = $kern" "policies = stock mapcount" "configs = guest-check" "timeout = 60")
mx two "$m" -o "$work/m2"
s1=$(st m2 "$kern+stock+guest-check") s2=$(st m2 "$kern+mapcount+guest-check")
check "same second, one kernel: both jobs ok" eq "${s1%% *}:${s2%% *}" "ok:ok"
check "same second: the run ids are time-kernel-policy+config@machine" \
	eq "${s1#ok }|${s2#ok }" \
	"20260101-000000-$kern-stock+guest-check@$me|20260101-000000-$kern-mapcount+guest-check@$me"
check "same second: two run folders, each with its results" \
	test "${s1#ok }" != "${s2#ok }" -a -s "$work/m2/${s1#ok }/results.jsonl" -a -s "$work/m2/${s2#ok }/results.jsonl"

# ---- a run folder of that id already there: kept, the job fails, its run kept
m=$(conf one "kernels = $kern" "policies = stock" "configs = guest-check" "timeout = 60")
id=20260101-000000-$kern-stock+guest-check@$me
mkdir -p "$work/m1/$id" && echo mine > "$work/m1/$id/marker"
mx clash "$m" -o "$work/m1"
check "an existing run folder is never replaced" \
	eq "$(cat "$work/m1/$id/marker"):$(ls "$work/m1/$id")" "mine:marker"
check "a clash fails the job, naming the id, and keeps its run" \
	eq "$rc:$(st m1 "$kern+stock+guest-check")" \
	"1:fail run id $id: exists in the matrix folder; this run kept in jobs/$kern+stock+guest-check/run"
check "a clash: the job's own run is still there" \
	test -s "$work/m1/jobs/$kern+stock+guest-check/run/results.jsonl"

# ---- stale results: the key in the status; another key runs the job again
m=$(conf st "kernels = $kern" "policies = stock" "configs = guest-check" "timeout = 60" "mem = 1024")
mx st1 "$m" -o "$work/ms"
key=$(sed -n 's/^key //p' "$work/ms/jobs/$kern+stock+guest-check/status")
check "the status stores the kernel's cache key and the VM settings" \
	eq "$(echo "$key" | sed 's/ config=[0-9a-f]*$//')" \
	"kernel=0123456789abcdef debug_vm=1 mem=1024 swap=file accel=auto timeout=60"
mx st2 "$m" -o "$work/ms"
check "same key: done before, not run again" \
	grep -q "^\[1/1\] $kern+stock+guest-check: done before (20260101-000000-" "$work/st2.out"
echo fedcba9876543210 > "$fake/key"
echo 20260101-000001 > "$fake/ts"
mx st3 "$m" -o "$work/ms"
check "another kernel key: stale, run again" \
	eq "$(grep -c "^$kern+stock+guest-check: stale, run again (key 'kernel=0123456789abcdef .*', now 'kernel=fedcba9876543210 " "$work/st3.out"):$(st ms "$kern+stock+guest-check")" \
	"1:ok 20260101-000001-$kern-stock+guest-check@$me"
check "stale: the earlier run is kept beside the new one" \
	test -s "$work/ms/20260101-000000-$kern-stock+guest-check@$me/env.json"
sed -i 's/^mem = 1024/mem = 2048/' "$m"
echo 20260101-000002 > "$fake/ts"
mx st4 "$m" -o "$work/ms"
check "another VM setting (mem): stale, run again" \
	eq "$(grep -c "stale, run again (key '.* mem=1024 .*', now '.* mem=2048 " "$work/st4.out"):$(st ms "$kern+stock+guest-check")" \
	"1:ok 20260101-000002-$kern-stock+guest-check@$me"
printf '%s\n' "ok 20260101-000002-$kern-stock+guest-check@$me" > "$work/ms/jobs/$kern+stock+guest-check/status"
echo 20260101-000003 > "$fake/ts"
mx st5 "$m" -o "$work/ms"
check "a status without a key (an older matrix's): run again" \
	grep -q "stale, run again (key 'none'" "$work/st5.out"

# ---- a timing matrix runs its guests under KVM only; a counting one may use TCG
m=$(conf tt "kernels = $kern" "policies = stock" "configs = guest-check" "measure = timing" "accel = tcg")
mx tt "$m" -o "$work/mt"
check "measure = timing with accel = tcg: exit 2, one line, nothing made" \
	eq "$rc:$(cat "$work/tt.out"):$([ -e "$work/mt" ] && echo made)" \
	"2:cowbench: matrix: $m: measure = timing refuses accel = tcg (TCG times are not evidence):"
m=$(conf ta "kernels = $kern" "policies = stock" "configs = guest-check" "measure = timing" "timeout = 60")
echo 20260101-000010 > "$fake/ts"
# a stand-in /dev/kvm, then none: both sides on a machine with or without one
touch "$fake/kvm"
COWBENCH_KVM_DEV=$fake/kvm mx ta "$m" -o "$work/mt"
check "measure = timing, accel = auto: vmrun is told kvm (no fallback to TCG)" \
	eq "$(cat "$work/mt/jobs/$kern+stock+guest-check/argv.accel")" kvm
COWBENCH_KVM_DEV=$fake/no-kvm mx tk "$m" -o "$work/mtk"
check "measure = timing, no debug-vm key: the guest kernel without DEBUG_VM" \
	grep -q '^key .* debug_vm=0 ' "$work/mt/jobs/$kern+stock+guest-check/status"
check "measure = timing without KVM: exit 2, one line naming it, nothing made" \
	eq "$rc:$(wc -l < "$work/tk.out"):$(grep -c "measure = timing needs KVM ($fake/no-kvm: No such file or directory)" "$work/tk.out"):$([ -e "$work/mtk" ] && echo made)" "2:1:1:"
m=$(conf tc "kernels = $kern" "policies = stock" "configs = guest-check" "accel = tcg" "timeout = 60")
mx tc "$m" -o "$work/mtc"
check "measure = counts (default) with accel = tcg: runs under tcg" \
	eq "$(cat "$work/mtc/jobs/$kern+stock+guest-check/argv.accel")" tcg

# ---- test-vm's checks that must be able to fail: the policy at boot (not
# the run-time switch's line), a kernel BUG/Oops on a console, a check
# job whose vm events met pagemap nowhere
m=$(conf boot "kernels = $kern" "policies = mapcount" "configs = guest-check" "timeout = 60")
echo 20260101-000020 > "$fake/ts"
mx boot1 "$m" -o "$work/mb1"
check "booted with the policy: the console's first cow_policy line names it" \
	grep -q "^ok [0-9]* $kern+mapcount+guest-check: booted with cow_policy=mapcount (console, first 'cow_policy:' line: mapcount)" "$work/boot1.out"
echo stock > "$fake/boot"
echo 20260101-000021 > "$fake/ts"
mx boot2 "$m" -o "$work/mb2"
check "a boot that ignored cow_policy= is not ok, though the switch later printed the policy" \
	eq "$rc:$(grep -c "^not ok [0-9]* $kern+mapcount+guest-check: booted with cow_policy=mapcount (console, first 'cow_policy:' line: stock)" "$work/boot2.out")" "1:1"
check "the report: a guest's clean console is ok" \
	grep -q "^ok [0-9]* $kern+mapcount+guest-check: console free of BUG/Oops/WARNING (clean)" "$work/boot1.out"
rm -f "$fake/boot"
printf 'WARNING: CPU: 1 PID: 77 at mm/memory.c:3521 wp_page_reuse+0x5/0x50\n' > "$fake/oops"
echo 20260101-000023 > "$fake/ts"
mx boot3 "$m" -o "$work/mb3"
check "the report: a WARN on a guest's console is not ok, naming it; exit 1" \
	eq "$rc:$(grep -c "^not ok [0-9]* $kern+mapcount+guest-check: console free of BUG/Oops/WARNING (WARNING: CPU: 1 PID: 77 at mm/memory.c:3521 wp_page_reuse+0x5/0x50)" "$work/boot3.out")" "1:1"
rm -f "$fake/oops"
cm=$(conf cvm "kernels = $kern" "policies = stock" "configs = check-guest" "timeout = 60")
echo 20260101-000022 > "$fake/ts"
COWBENCH_EXPECT_DIR=$work mx cvm1 "$cm" -o "$work/mcv1"
check "a policy kernel's check job: vm events met pagemap in 3 checks, ok" \
	grep -q "^ok [0-9]* $kern+stock+check-guest: vm events cross-checked against pagemap in 3 check(s)" "$work/cvm1.out"
echo 0 > "$fake/vm"
echo 20260101-000023 > "$fake/ts"
COWBENCH_EXPECT_DIR=$work mx cvm2 "$cm" -o "$work/mcv2"
check "a policy kernel's check job whose vm events met pagemap nowhere is not ok" \
	eq "$rc:$(grep -c "^not ok [0-9]* $kern+stock+check-guest: vm events cross-checked against pagemap in 0 check(s)" "$work/cvm2.out")" "1:1"
rm -f "$fake/vm"
c=$work/cons
mkdir -p "$c/jobs/clean" "$c/jobs/bugon" "$c/jobs/oops"
printf 'cow_policy: stock\r\nreboot: Power down\r\n' > "$c/jobs/clean/console.log"
printf '%s\r\n' '------------[ cut here ]------------' 'kernel BUG at mm/memory.c:3521!' > "$c/jobs/bugon/console.log"
printf 'Oops: general protection fault, probably for non-canonical address 0xdead: 0000 [#1] SMP\r\n' > "$c/jobs/oops/console.log"
scripts/test-vm.sh --consoles "$c" > "$work/cons.out" 2>&1
check "test-vm consoles: a BUG_ON's 'kernel BUG at' is not ok" \
	grep -q "^not ok [0-9]* bugon: console free of BUG/Oops/WARNING (kernel BUG at mm/memory.c:3521!)" "$work/cons.out"
check "test-vm consoles: an 'Oops:' is not ok" \
	grep -q "^not ok [0-9]* oops: console free of BUG/Oops/WARNING (Oops: " "$work/cons.out"
check "test-vm consoles: a clean console is ok; exit 1 over the two" \
	eq "$(grep -c '^ok [0-9]* clean: ' "$work/cons.out"):$(tail -1 "$work/cons.out")" "1:1 passed, 2 failed, 0 skipped"

# ---- runs = K: each job runs its config K times, K run folders, each
# checked against the expectations; bad K is one line, exit 2
for k in 0 -1 three 101; do
	m=$(conf badk "kernels = $kern" "policies = stock" "configs = guest-check" "runs = $k")
	mx badk "$m" -o "$work/mbk"
	check "runs = $k: exit 2, one line naming the file, nothing made" \
		eq "$rc:$(wc -l < "$work/badk.out"):$(grep -c "^cowbench: matrix: $m:" "$work/badk.out"):$([ -e "$work/mbk" ] && echo made)" "2:1:1:"
done
m=$(conf rk "kernels = $kern" "policies = stock" "configs = guest-check" "timeout = 60" "runs = 3")
mkdir -p "$work/rkexp"
printf '%s\n' "cow-child base ok" > "$work/rkexp/$kern-stock"
echo 20260101-000030 > "$fake/ts"
COWBENCH_EXPECT_DIR=$work/rkexp mx rk1 "$m" -o "$work/mrk"
j=$kern+stock+guest-check jre=${kern//./\\.}\\+stock\\+guest-check
ids=$(sed -n 's/^ok //p; s/^run //p' "$work/mrk/jobs/$j/status" | tr '\n' ' ')
check "runs = 3: the status lists 3 runs, ids .r1 .r2 .r3 (one second, unique)" \
	eq "$ids" "$(for r in 1 2 3; do printf '20260101-000030-%s-stock+guest-check.r%d@%s ' "$kern" "$r" "$me"; done)"
check "runs = 3: 3 run folders with results, each its own id" \
	eq "$(for i in $ids; do jq -r .run "$work/mrk/$i/env.json"; done | sort -u | wc -l):$(ls "$work"/mrk/*/results.jsonl | wc -l)" "3:3"
check "runs = 3: the report says K" grep -qx '# runs = 3: each job runs its config 3 times' "$work/rk1.out"
check "runs = 3: one 'ran' line per run, named run R/3" \
	eq "$(grep -cE "^ok [0-9]+ $jre run [123]/3: ran \(20260101-000030-" "$work/rk1.out")" 3
check "runs = 3: every run checked against the expectations" \
	eq "$(grep -cE "^ok [0-9]+ $jre run [123]/3: cow-child base: ok" "$work/rk1.out")" 3
check "runs = 3: the key says runs=3; exit 0" \
	eq "$rc:$(sed -n 's/^key //p' "$work/mrk/jobs/$j/status" | grep -o ' runs=3 ')" "0: runs=3 "
COWBENCH_EXPECT_DIR=$work/rkexp mx rk2 "$m" -o "$work/mrk"
check "runs = 3: done before, all 3 runs kept" \
	grep -q "^\[1/1\] $j: done before (3 runs: 20260101-000030-.*\.r1@$me \.\. .*\.r3@$me)" "$work/rk2.out"
sed -i 's/^runs = 3/runs = 2/' "$m"
echo 20260101-000031 > "$fake/ts"
COWBENCH_EXPECT_DIR=$work/rkexp mx rk3 "$m" -o "$work/mrk"
check "runs = 2 after 3: stale, run again, 2 runs" \
	eq "$(grep -c "stale, run again" "$work/rk3.out"):$(grep -c '^run ' "$work/mrk/jobs/$j/status")" "1:1"
rm -f "$work/mrk/20260101-000031-$kern-stock+guest-check.r2@$me/env.json"
COWBENCH_EXPECT_DIR=$work/rkexp mx rk4 "$m" -o "$work/mrk" --report
check "runs = 2: a run folder gone is a job not run (--report, exit 1)" \
	eq "$rc:$(grep -c "^not ok [0-9]* $j: ran (not run)" "$work/rk4.out")" "1:1"

# ---- interleave = yes: the policies switched between the runs of one
# boot, in the order of the seed; every run's record names its policy
badi() { # badi WHAT LINES...: a bad interleave matrix, one line naming WHAT, exit 2
	local what=$1; shift
	m=$(conf badi "kernels = $kern" "$@")
	mx badi "$m" -o "$work/mbi"
	check "interleave, bad input ($*): exit 2, one line, nothing made" \
		eq "$rc:$(wc -l < "$work/badi.out"):$(grep -c "^cowbench: matrix: $m.*$what" "$work/badi.out"):$([ -e "$work/mbi" ] && echo made)" "2:1:1:"
}
badi "needs two policies or more" "policies = stock" "configs = guest-check" "interleave = yes"
badi "check-guest is a check suite" "policies = stock mapcount" "configs = check-guest" "interleave = yes"
badi "seed orders an interleave" "policies = stock mapcount" "configs = guest-check" "seed = 4"
badi "" "policies = stock mapcount" "configs = guest-check" "interleave = yes" "seed = -1"
badi "" "policies = stock mapcount" "configs = guest-check" "interleave = maybe"
mx abv configs/matrix/test-vm-ab.conf --jobs-only -o "$work/mabv"
check "test-vm-ab.conf (make test-vm's interleave): valid, one job" \
	eq "$rc:$(awk '{ print $NF }' "$work/abv.out")" "0:$kern+interleave+guest-check"
m=$(conf ab "kernels = $kern host" "policies = stock mapcount" "configs = guest-check" "timeout = 60" \
	"runs = 2" "interleave = yes" "seed = 4")
mx abj "$m" --jobs-only -o "$work/mab"
check "interleave: one job per kernel and config" \
	eq "$(awk '{ print $NF }' "$work/abj.out" | tr '\n' ' ')" "$kern+interleave+guest-check host+interleave+guest-check "
mkdir -p "$work/abexp"
printf '%s\n' "cow-child base ok" > "$work/abexp/$kern-stock"
printf '%s\n' "cow-child base ok" "reuse-after-exit base ok" > "$work/abexp/$kern-mapcount"
echo 20260101-000040 > "$fake/ts"
j=$kern+interleave+guest-check jre=${kern//./\\.}\\+interleave\\+guest-check
COWBENCH_EXPECT_DIR=$work/abexp mx ab1 "$m" -o "$work/mab" --job "$j"
check "interleave: seed 4's order, 2 runs of each policy (jobs/ID/order)" \
	eq "$(awk '{ print $1 }' "$work/mab/jobs/$j/order" | tr '\n' ' ')" "mapcount stock stock mapcount "
check "interleave: ok, 4 runs and the seed in the status" \
	eq "$rc:$(grep -c '^ok \|^run ' "$work/mab/jobs/$j/status"):$(sed -n 's/^seed //p' "$work/mab/jobs/$j/status")" "0:4:4"
pols() { for i in $(sed -n 's/^ok //p; s/^run //p' "$work/$1/jobs/$j/status"); do jq -r "$2" "$work/$1/$i/env.json"; done | tr '\n' ' '; }
check "interleave: each run's env.json names the policy of its slot, in order" \
	eq "$(pols mab .cow_policy)" "mapcount stock stock mapcount "
check "interleave: each run's job file names its policy, slot and seed" \
	eq "$(for i in $(sed -n 's/^ok //p; s/^run //p' "$work/mab/jobs/$j/status"); do sed -n 's/^policy = //p; s/^slot = //p; s/^seed = //p' "$work/mab/$i/job" | tr '\n' ,; done)" \
	"mapcount,1/4,4,stock,2/4,4,stock,3/4,4,mapcount,4/4,4,"
check "interleave: the report checks the seeded order" \
	grep -qx "ok [0-9]* $j: 4 of 4 runs in the order of seed 4 (mapcount stock stock mapcount)" "$work/ab1.out"
check "interleave: one boot, with stock; one ran line per run naming its policy" \
	eq "$(grep -c "^ok [0-9]* $j run 1/4 (mapcount): booted with cow_policy=stock" "$work/ab1.out"):$(grep -cE "^ok [0-9]+ $jre run [1-4]/4 \((stock|mapcount)\): ran \(" "$work/ab1.out")" "1:4"
check "interleave: each policy's runs pass its expectation file (1 line stock, 2 mapcount)" \
	eq "$(grep -cE "^ok [0-9]+ $jre run [23]/4 \(stock\): cow-child base: ok" "$work/ab1.out"):$(grep -cE "^ok [0-9]+ $jre run [14]/4 \(mapcount\): (cow-child|reuse-after-exit) base: ok" "$work/ab1.out")" "2:4"
check "interleave: the job's key holds its policies and its seed" \
	grep -q '^key .* runs=4 policies=stock,mapcount seed=4 config=' "$work/mab/jobs/$j/status"
m2=$(conf ab2 "kernels = $kern host" "policies = stock page_count" "configs = guest-check" "timeout = 60" \
	"runs = 2" "interleave = yes" "seed = 4")
echo 20260101-000041 > "$fake/ts"
COWBENCH_EXPECT_DIR=$work/abexp mx ab2 "$m2" -o "$work/mab" --job "$j"
check "interleave: other policies, same folder: stale, run again (not relabelled)" \
	eq "$(grep -cE "^$jre: stale, run again \(key .*policies=stock,mapcount seed=4 .*policies=stock,page_count seed=4 " "$work/ab2.out"):$(grep -cE "^ok [0-9]+ $jre run [1-4]/4 \(page_count\): ran " "$work/ab2.out")" "1:2"
echo mapcount > "$fake/liar"
echo 20260101-000042 > "$fake/ts"
COWBENCH_EXPECT_DIR=$work/abexp mx ab3 "$m" -o "$work/mab3" --job "$j"
check "interleave: run 2 said mapcount where its slot is stock: not ok, naming both; the order not ok; exit 1" \
	eq "$rc:$(grep -c "^not ok [0-9]* $j run 2/4 (stock): ran (.*cow_policy mapcount" "$work/ab3.out"):$(grep -c "^not ok [0-9]* $j: 4 of 4 runs in the order of seed 4 (mapcount mapcount stock mapcount)" "$work/ab3.out")" \
	"1:1:1"
rm -f "$fake/liar"
: > "$fake/nosysctl"
COWBENCH_EXPECT_DIR=$work/abexp mx ab4 "$m" -o "$work/mab4" --job "$j"
check "interleave on a kernel without vm.cow_policy: a skip with the reason, no run (exit 0)" \
	eq "$rc:$(grep -c "^ok [0-9]* $j # SKIP no /proc/sys/vm/cow_policy: stand-in" "$work/ab4.out"):$(head -n1 "$work/mab4/jobs/$j/status")" \
	"0:1:skip no /proc/sys/vm/cow_policy: stand-in"
rm -f "$fake/nosysctl"
if [ -e /proc/sys/vm/cow_policy ]; then
	skip "interleave on the host without vm.cow_policy" "this kernel has vm.cow_policy"
else
	mx ab5 "$m" -o "$work/mab5" --job host+interleave+guest-check
	check "interleave on the host without vm.cow_policy: a skip with the reason (exit 0)" \
		eq "$rc:$(grep -c "^ok [0-9]* host+interleave+guest-check # SKIP no /proc/sys/vm/cow_policy: not a kernel with the cow-policy patch" "$work/ab5.out")" "0:1"
fi

# ---- a guest that hangs: what it wrote to its disk is kept
d=$work/disk
mkdir -p "$d/src/run" && echo '{"rep":0}' > "$d/src/run/results.jsonl" && : > "$d/src/swapfile"
truncate -s 64M "$d/a.img" && mkfs.ext4 -q -F -d "$d/src" "$d/a.img"
scripts/guest-disk.sh "$d/a.img" "$d/out" 2>/dev/null
check "guest-disk.sh: the guest's run copied off its ext4 image, nothing else" \
	eq "$?:$(cat "$d/out/run/results.jsonl" 2>/dev/null):$(ls "$d/out")" '0:{"rep":0}:run'
truncate -s 64M "$d/b.img" && mkfs.ext4 -q -F "$d/b.img"
scripts/guest-disk.sh "$d/b.img" "$d/none" 2>/dev/null
check "guest-disk.sh: a disk without a run is exit 1, nothing made" \
	eq "$?:$([ -e "$d/none" ] && echo made)" "1:"
printf '#!/bin/sh\nwhile [ "$1" != --out ]; do shift; done\nmkdir -p "$2/partial/run" && echo "{}" > "$2/partial/run/results.jsonl"\necho "timeout: guest still running after 60 s" > "$2/reason"\nexit 1\n' > "$fake/hung.sh"
chmod +x "$fake/hung.sh"
m=$(conf hung "kernels = $kern" "policies = stock" "configs = guest-check" "timeout = 60")
COWBENCH_VMRUN=$fake/hung.sh mx hung "$m" -o "$work/mhung"
check "a hung job says where its partial results are" \
	eq "$(st mhung "$kern+stock+guest-check")" \
	"fail timeout: guest still running after 60 s; partial results kept in partial/run"

# ---- the kernel cache key: compiler, CC, KCFLAGS, a branch fetched again
export XDG_CACHE_HOME=$work/cache
kb() { scripts/kbuild.sh "$@" --key 2>/dev/null; }
k0=$(kb $kern --debug-vm)
check "kbuild --key: 16 hex digits, stable" eq "$(echo "$k0" | grep -cx '[0-9a-f]\{16\}'):$(kb $kern --debug-vm)" "1:$k0"
check "kbuild --key: KCFLAGS is in the key" test "$(KCFLAGS=-O1 kb $kern --debug-vm)" != "$k0"
printf '#!/bin/sh\necho "fakecc (Debian 99.1) 99.1.0"\n' > "$fake/cc" && chmod +x "$fake/cc"
check "kbuild --key: the compiler's version is in the key" test "$(CC=$fake/cc kb $kern --debug-vm)" != "$k0"
check "kbuild --key: a compiler that does not run is exit 2, one line" \
	eq "$(CC=$work/none scripts/kbuild.sh $kern --key 2>&1 >/dev/null | wc -l):$(CC=$work/none kb $kern; echo $?)" "1:2"
g=$work/tree
git init -q -b lab "$g" && git -C "$g" -c user.email=t@t -c user.name=t commit -q --allow-empty -m one
printf 'source = git\nurl = %s\nref = lab\nconfig = guest.config\n' "$g" > "$work/lab.conf"
b1=$(kb "$work/lab.conf") b1b=$(kb "$work/lab.conf")
git -C "$g" -c user.email=t@t -c user.name=t commit -q --allow-empty -m two
b2=$(kb "$work/lab.conf")
check "kbuild --key: a branch ref is fetched again (new commit, new key)" \
	test -n "$b1" -a "$b1" = "$b1b" -a "$b2" != "$b1"
unset XDG_CACHE_HOME
finish
