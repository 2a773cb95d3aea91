#!/usr/bin/env bash
# Workload forksrv (issue 9): its quick variant on the running kernel,
# asserting invariants, never times (snapshot: wl-snapshot.sh).  Needs root.
set -u
. "$(dirname "$0")/../lib.sh"
need_root

wl=$(conf wl "scenarios = forksrv" "backings = base thp" "reps = 1" "warmup = 0" \
	"forksrv.heap = 32M" "forksrv.requests = 200" "forksrv.fork_every = 4" \
	"forksrv.touch_permille = 10" "forksrv.rate = 2000")
before=$(knobs_now)
if run wl "$wl"; then ok "quick forksrv, base and thp: run exits 0"; else
	not_ok "quick forksrv, base and thp: run exits 0" "$(tail -5 "$work/wl.out")"; fi
check "knobs are back after the workloads" eq "$(knobs_now)" "$before"

skipped() { # skipped SCENARIO BACKING: a skip recorded for the pair
	[ "$(rec wl "$1" "$2" counting .status)" = skip ] || return 1
	skip "$1 $2" "$(rec wl "$1" "$2" counting .reason)"
}

# forksrv: 200 requests, a child for ids 0, 4, ..., 196; each writes 81 pages
# (1% of 8192): in the counting pass the parent's 150 stripes meet the
# lingering child, the children's 50 meet the parent: all 200 x 81 copied.
forksrv() { # forksrv BACKING
	local b=$1
	skipped forksrv "$b" && return
	check "forksrv $b: every request answered, timing and counting" \
		eq "$(rec wl forksrv "$b" timing '.counts.extra.answered'),$(rec wl forksrv "$b" counting '.counts.extra.answered'),$(rec wl forksrv "$b" timing '.latency_ns.n')" "200,200,200"
	check "forksrv $b: 50 forks, fork time reported" \
		eq "$(rec wl forksrv "$b" timing '[.counts.extra.forks, (.counts.extra.fork_us_p50 | type)] | map(tostring) | join(",")')" "50,number"
	check "forksrv $b: 16200 copies, all necessary, no missed or wrong COW" \
		eq "$(rec wl forksrv "$b" counting '[.status, .counts.copies, .counts.classes.necessary_copy, .counts.classes.missed_cow, .counts.classes.wrong_cow, .counts.events.unexplained] | map(tostring) | join(" ")')" "ok 16200 16200 0 0 0"
	[ "$b" = base ] && check "forksrv base: one fault per copy: parent 12150, children 4050" \
		eq "$(rec wl forksrv base counting '[.counts.extra.parent_faults, .counts.extra.child_faults, .counts.faults] | map(tostring) | join(" ")')" "12150 4050 16200"
	check "forksrv $b: the timing pass has latency percentiles and throughput" \
		eq "$(rec wl forksrv "$b" timing '[(.counts.extra.req_per_s > 0), (.latency_ns.p999 >= .latency_ns.p50), (.counts.tlb_flush.skipped | type)] | map(tostring) | join(",")')" "true,true,string"
}
forksrv base
forksrv thp

# nothing outlived a pass: the generator's pid and the pass's process group
left=
for pid in $(jq -r '.counts.extra | select(. != null) | .generator_pid, .pgid' "$work/wl/results.jsonl"); do
	[ -e "/proc/$pid" ] && left="$left $pid"
	[ -n "$(pgrep -g "$pid" 2>/dev/null)" ] && left="$left g$pid"
done
check "no generator, child or pass process left (by pid and process group)" eq "$left" ""

# SIGINT during a forksrv pass: exit 130, the pass's group gone, knobs back
long=$(conf long "scenarios = forksrv" "backings = base" "reps = 20" "warmup = 0" \
	"forksrv.heap = 64M" "forksrv.requests = 100000" "forksrv.fork_every = 1" "forksrv.rate = 0")
"$CB" run -o "$work/int" "$long" > "$work/int.out" 2>&1 &
cb=$!
group=
for _ in $(seq 100); do
	pass=$(pgrep -P $cb | head -n1)
	# never -g 0: that is our own process group
	[ -n "$pass" ] && group=$(pgrep -g "$pass" | tr '\n' ' ')
	[ "$(echo $group | wc -w)" -ge 2 ] && break
	sleep 0.1
done
sleep 0.5
[ -n "$pass" ] && group="$group $(pgrep -g "$pass" | tr '\n' ' ')"
kill -INT $cb; wait $cb; rc=$?
still=
for pid in $group; do [ -e "/proc/$pid" ] && still="$still $pid"; done
check "SIGINT in forksrv: the pass had a server and a generator (and children)" ge "$(echo $group | wc -w)" 2
check "SIGINT in forksrv: exit 130, no process of the pass left, knobs back" \
	eq "$rc,$still,$(knobs_now)" "130,,$before"

# bad input, before anything runs
out=$("$CB" run -o "$work/never" "$(conf big 'scenarios = snapshot' 'snapshot.keys = 200000000' 'snapshot.value = 1M')" 2>&1); rc=$?
check "a store above MemAvailable: one line, exit 2" \
	eq "$rc,$(echo "$out" | wc -l),$(echo "$out" | grep -c 'more than MemAvailable')" "2,1,1"
finish
