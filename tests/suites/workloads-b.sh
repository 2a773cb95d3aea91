#!/bin/bash
# Workload driver stream (issue 9; dio: wl-dio.sh, thpdb: wl-thpdb.sh): quick variants, asserting
# what the kernel guarantees (data read back intact, every written page
# accounted for, copies of pages written during a snapshot), never a time.
set -u
. "$(dirname "$0")/../lib.sh"
need_root

# pass PASS: the counting/timing record's value, or a skip with its reason
status_or_skip() { # NAME DIR SCEN BK PASS: 0 if ok, else skip NAME with the reason
	local st
	st=$(rec "$2" "$3" "$4" "$5" '.status')
	[ "$st" = skip ] && { skip "$1" "$(rec "$2" "$3" "$4" "$5" .reason)"; return 1; }
	return 0
}
# recp DIR SCEN PARAM VALUE BK PASS JQ: a record picked by one parameter
recp() {
	jq -r --arg s "$2" --arg p "$3" --argjson v "$4" --arg b "$5" --arg q "$6" \
		"select(.scenario==\$s and .params[\$p]==\$v and .backing==\$b and .pass==\$q) | $7" \
		"$work/$1/results.jsonl" | head -n1
}
# run in a session of its own: afterwards, nothing of that session may live
run_session() { # DIR ARGS...
	local d=$1; shift
	setsid -w "$CB" run -o "$work/$d" "$@" > "$work/$d.out" 2>&1 &
	local pid=$!
	wait $pid
	local rc=$?
	sleep 0.2
	left=$(ps -e -o sid=,pid= | awk -v s=$pid '$1 == s {print $2}' | tr '\n' ' ')
	return $rc
}

# ---- stream: every action, base pages; fork on THP ----
pages=1536 iters=2 # 3 arrays x 2 MiB, two iterations
st=$(conf st "scenarios = stream" "backings = base" "reps = 1" "warmup = 0" \
	"stream.array = 2M" "stream.iterations = $iters" "stream.action = 0 1 2 3 4 5 6")
run_session st "$st"
check "stream: run completes, no process of its session left ($left)" eq "$?,$left" "0,"
names=(none fork mprotect swap fork+ksm mprotect+ksm swap+fork)
for a in 0 1 2 3 4 5 6; do
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
	check "stream $nm: timing pass verified the arrays, rates and copies reported" \
		eq "$(recp st stream action $a base timing '[.status, .ops, (.counts.extra.triad_mb_per_s > 0), (.counts.extra.copies <= '$((pages * iters))')] | map(tostring) | join(",")')" \
		"ok,$iters,true,true"
done
check "stream fork: copies at most the pages the parent writes" \
	eq "$(recp st stream action 1 base counting "(.counts.copies <= $((pages * iters))) and .counts.faults == $((pages * iters))")" true
check "stream none: no fault and no copy (nothing shared the arrays)" \
	eq "$(recp st stream action 0 base counting '[.counts.copies, .counts.events.no_fault] | map(tostring) | join(",")')" "0,$((pages * iters))"
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

stt=$(conf stt "scenarios = stream" "backings = thp" "reps = 1" "warmup = 0" \
	"stream.array = 2M" "stream.iterations = $iters" "stream.action = 1")
run stt "$stt"
if status_or_skip "stream fork on THP" stt stream thp counting; then
	check "stream fork on THP: every page reused or copied, no missed/wrong COW" \
		eq "$(rec stt stream thp counting '.counts | [.classes.reuse + .classes.necessary_copy + .classes.unnecessary_copy + .events.no_fault, .classes.missed_cow, .classes.wrong_cow] | map(tostring) | join(",")')" \
		"$((pages * iters)),0,0"
fi


# ---- bad input: exit 2 before anything runs ----
bad() { # NAME MESSAGE CONF-LINES...
	local name=$1 msg=$2; shift 2
	out=$("$CB" run -o "$work/never" "$(conf bad "$@")" 2>&1); rc=$?
	check "$name" eq "$rc,$(echo "$out" | grep -c -- "$msg"),$([ -e "$work/never/results.jsonl" ] && echo ran)" "2,1,"
}
bad "stream: an action out of range" "stream.action" "scenarios = stream" "stream.action = 9"

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
