#!/bin/bash
# Workload driver stream (issue 16): every action on base pages, fork and
# fork+read on THP, asserting what the kernel guarantees (every written page
# accounted for, the values STREAM's check expects, every page a live child
# maps copied), never a time; and both oracles seen to fail.
set -u
. "$(dirname "$0")/../lib.sh"
need_root

# recp DIR SCEN PARAM VALUE BK PASS JQ: a record picked by one parameter
recp() {
	jq -r --arg s "$2" --arg p "$3" --argjson v "$4" --arg b "$5" --arg q "$6" \
		"select(.scenario==\$s and .params[\$p]==\$v and .backing==\$b and .pass==\$q) | $7" \
		"$work/$1/results.jsonl" | head -n1
}

# ---- every action, base pages ----
pages=1536 iters=3 timed=2 # 3 arrays x 2 MiB; STREAM leaves iteration 0 out
st=$(conf st "scenarios = stream" "backings = base" "reps = 1" "warmup = 0" \
	"stream.array = 2M" "stream.iterations = $iters" "stream.action = 0 1 2 3 4 5 6 7")
run_session st "$st"
check "stream: run completes, no process of its session left ($left)" eq "$?,$left" "0,"
names=(none fork mprotect swap fork+ksm mprotect+ksm swap+fork fork+read)
for a in 0 1 2 3 4 5 6 7; do
	nm=${names[$a]}
	st=$(recp st stream action $a base counting .status)
	if [ "$st" = skip ]; then
		skip "stream $nm: every written page accounted for" "$(recp st stream action $a base counting .reason)"
		continue
	fi
	check "stream $nm: every page written in each iteration is one reuse, copy or fault-less write; no missed/wrong COW" \
		eq "$st,$(recp st stream action $a base counting \
		'.counts | (.lower_bounds // {}) as $lb | [($lb.reuse // .classes.reuse) + .classes.necessary_copy + ($lb.unnecessary_copy // .classes.unnecessary_copy) + ($lb.no_fault // .events.no_fault) + .undecided, .classes.missed_cow, .classes.wrong_cow, .events.unexplained] | map(tostring) | join(",")')" \
		"ok,$((pages * iters)),0,0,0"
	check "stream $nm: timing pass verified the arrays; rates over the $timed timed iterations, copies reported, counters said off" \
		eq "$(recp st stream action $a base timing '[.status, .ops, .counts.extra.timed_iterations, .latency_ns.n, (.counts.extra.triad_mb_per_s > 0), (.counts.extra.copies <= '$((pages * timed))'), (.counts.faults_skipped | test("counters are off"))] | map(tostring) | join(",")')" \
		"ok,$iters,$timed,$timed,true,true,true"
	check "stream $nm: the counting pass publishes no time" \
		eq "$(recp st stream action $a base counting '[.window_ns, .latency_ns, .counts.extra.triad_mb_per_s] | map(tostring) | join(",")')" "null,null,null"
	check "stream $nm: base pages ran on no PMD THP" \
		eq "$(recp st stream action $a base timing '[.counts.extra.anon_huge_kb_min, .counts.extra.anon_huge_kb_max] | map(tostring) | join(",")')" "0,0"
done
check "stream fork: copies at most the pages the parent writes" \
	eq "$(recp st stream action 1 base counting "(.counts.copies <= $((pages * iters))) and .counts.faults == $((pages * iters))")" true
check "stream none: no fault and no copy (nothing shared the arrays)" \
	eq "$(recp st stream action 0 base counting '[.counts.copies, .counts.events.no_fault] | map(tostring) | join(",")')" "0,$((pages * iters))"
check "stream fork+read: every page the live child maps copied, necessary; the child saw no parent write" \
	eq "$(recp st stream action 7 base counting '[.status, .counts.copies, .counts.classes.necessary_copy, .counts.classes.missed_cow, .counts.extra.reader_wrong_elements] | map(tostring) | join(",")')" \
	"ok,$((pages * iters)),$((pages * iters)),0,0"
check "stream fork+read timing: every page of the timed iterations copied, the child saw no parent write" \
	eq "$(recp st stream action 7 base timing '[.status, .counts.extra.copies, .counts.extra.reader_wrong_elements] | map(tostring) | join(",")')" \
	"ok,$((pages * timed)),0"
sw=$(recp st stream action 3 base counting .status)
[ "$sw" = ok ] && check "stream swap: MADV_PAGEOUT swapped pages out every iteration" \
	ge "$(recp st stream action 3 base counting .counts.extra.swapped_out_pages)" "$iters" ||
	skip "stream swap: pages swapped out" "$(recp st stream action 3 base counting .reason)"
ks=$(recp st stream action 4 base counting .status)
[ "$ks" = ok ] && check "stream fork+ksm: KSM finished at least two scans over the arrays" \
	ge "$(recp st stream action 4 base counting .counts.extra.ksm_full_scans)" 2 ||
	skip "stream fork+ksm: KSM scanned" "$(recp st stream action 4 base counting .reason)"
check "stream: swap and KSM undone after the passes" \
	eq "$(awk 'NR>1' /proc/swaps | wc -l),$(cat /sys/kernel/mm/ksm/run)" "0,0"

# ---- THP: none keeps every PMD; fork and fork+read account for every page ----
stt=$(conf stt "scenarios = stream" "backings = thp" "reps = 1" "warmup = 0" \
	"stream.array = 2M" "stream.iterations = $iters" "stream.action = 0 1 7")
run stt "$stt"
if [ "$(recp stt stream action 0 thp counting .status)" = skip ]; then
	skip "stream on THP" "$(recp stt stream action 0 thp counting .reason)"
else
	check "stream none on THP: the kernels ran on PMD-mapped THP only (6 MiB)" \
		eq "$(recp stt stream action 0 thp timing '[.status, .counts.extra.anon_huge_kb_min, .counts.extra.anon_huge_kb_max] | map(tostring) | join(",")')" "ok,6144,6144"
	# the precondition: nothing moved or dropped the pages under a window
	# (once 1536 of 4608 were neither copied nor reused, make test of
	# 2026-12-03 18:08: khugepaged collapsing an earlier iteration's copies
	# is the likely mover)
	moved() { recp stt stream action $1 thp counting '.counts.events | ((.collapse // 0) + (.migrated // 0) + (.reclaimed // 0) + (.populate // 0))'; }
	for a in 1 7; do
		if [ "$(moved $a)" != 0 ]; then
			skip "stream ${names[$a]} on THP: every page reused or copied" "$(moved $a) pages collapsed or migrated under the windows"
			continue
		fi
		check "stream ${names[$a]} on THP: every page reused or copied, no missed/wrong COW" \
			eq "$(recp stt stream action $a thp counting '.counts | [.classes.reuse + .classes.necessary_copy + .classes.unnecessary_copy + .events.no_fault, .classes.missed_cow, .classes.wrong_cow] | map(tostring) | join(",")')" \
			"$((pages * iters)),0,0"
	done
	if [ "$(moved 7)" != 0 ]; then
		skip "stream fork+read on THP: every page copied, necessary" "$(moved 7) pages collapsed or migrated under the windows"
	else
		check "stream fork+read on THP: every page copied, necessary" \
			eq "$(recp stt stream action 7 thp counting '[.status, .counts.classes.necessary_copy] | map(tostring) | join(",")')" "ok,$((pages * iters))"
	fi
fi

# ---- the oracles, broken on purpose: each must FAIL ----
# shared: the arrays are MAP_SHARED, a kernel that misses every COW; the
# fork+read child sees the parent's writes (the plain fork's child is gone)
COWBENCH_TEST_FAULT=shared run sh "$(conf sh "scenarios = stream" "backings = base" "reps = 1" \
	"warmup = 0" "stream.array = 2M" "stream.iterations = $iters" "stream.action = 7")"
check "stream fork+read, test fault shared: timing FAILs, the child saw every element written" \
	eq "$(rec sh stream base timing '[.status, (.reason | test("^missed COW: the fork\\+read child saw")), .counts.extra.reader_wrong_elements] | map(tostring) | join(",")')" \
	"fail,true,$((pages * 512 * iters))"
check "stream fork+read, test fault shared: counting FAILs, every page a missed COW" \
	eq "$(rec sh stream base counting '[.status, .counts.classes.missed_cow] | map(tostring) | join(",")')" "fail,$((pages * iters))"
# lost-write: in the last iteration a page of a and one of b lose the
# kernels' writes; STREAM's check must name both arrays
COWBENCH_TEST_FAULT=lost-write run lw "$(conf lw "scenarios = stream" "backings = base" "reps = 1" \
	"warmup = 0" "stream.array = 2M" "stream.iterations = $iters" "stream.action = 0")"
for p in timing counting; do
	check "stream, test fault lost-write: $p FAILs naming 512 elements of a and of b" \
		eq "$(rec lw stream base $p '.status + ": " + .reason')" \
		"fail: STREAM results wrong (a lost write): a 512, b 512, c 0 of 262144 elements each"
done

# ---- bad input: exit 2 before anything runs ----
bad() { # NAME MESSAGE CONF-LINES...
	local name=$1 msg=$2; shift 2
	out=$("$CB" run -o "$work/never" "$(conf bad "$@")" 2>&1); rc=$?
	check "$name" eq "$rc,$(echo "$out" | grep -c -- "$msg"),$([ -e "$work/never/results.jsonl" ] && echo ran)" "2,1,"
}
bad "stream: an action out of range" "stream.action" "scenarios = stream" "stream.action = 9"
bad "stream: one iteration (STREAM times none but the first)" "stream.iterations" "scenarios = stream" "stream.iterations = 1"
bad "stream: arrays above MemTotal" "more than MemTotal" "scenarios = stream" "backings = base" "stream.array = 200G"

# ---- SIGINT during the swap action: no process left, swap and zram undone ----
before=$(knobs_now)
setsid "$CB" run -o "$work/int" "$(conf int "scenarios = stream" "backings = base" "reps = 50" \
	"stream.array = 64M" "stream.iterations = 20" "stream.action = 3")" > "$work/int.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '/dev/zram' /proc/swaps && break; sleep 0.1; done
kill -INT $pid; wait $pid; rc=$?
sleep 0.2
left=$(ps -e -o sid=,pid= | awk -v s=$pid '$1 == s {print $2}' | tr '\n' ' ')
check "stream swap, SIGINT: exit 130, no process of the run left, knobs/swap/zram undone" \
	eq "$rc,$left,$(knobs_now)" "130,,$before"
finish
