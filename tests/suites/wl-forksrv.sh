#!/usr/bin/env bash
# forksrv (issue 16): its defaults are the quick variant; counts exact, the
# wrk2-style generator's warm-up and percentiles, the overload flag, and
# the two oracles seen to fail: a stalled server (coordinated omission) and
# a heap that shows a child's write (missed COW).  Needs root.
set -u
. "$(dirname "$0")/../lib.sh"
need_root

# the built-in defaults: 32 MiB heap, 1000 requests at 300/s after a 1 s
# warm-up, a child per 4th, 81 pages (1% of 8192) each
wl=$(conf wl "scenarios = forksrv" "backings = base thp" "reps = 1" "warmup = 0")
before=$(knobs_now)
if run wl "$wl"; then ok "forksrv defaults, base and thp: run exits 0"; else
	not_ok "forksrv defaults, base and thp: run exits 0" "$(tail -5 "$work/wl.out")"; fi
check "knobs are back after forksrv" eq "$(knobs_now)" "$before"

skipped() { # skipped DIR BACKING: a skip recorded for the pair
	[ "$(rec "$1" forksrv "$2" counting .status)" = skip ] || return 1
	skip "forksrv $2" "$(rec "$1" forksrv "$2" counting .reason)"
}

# counting: 750 in-place requests meet the lingering child, 250 children
# meet the parent: all 1000 x 81 pages copied, one fault each (base)
forksrv() { # forksrv BACKING
	local b=$1
	skipped wl "$b" && return
	check "forksrv $b: 1000 recorded after 300 warm-up requests (1 s at 300/s); counting: 1000, no warm-up" \
		eq "$(rec wl forksrv "$b" timing '[.counts.extra.answered, .latency_ns.n, .counts.extra.warmup_requests, .counts.extra.forks] | map(tostring) | join(" ")'),$(rec wl forksrv "$b" counting '[.counts.extra.answered, .counts.extra.forks] | map(tostring) | join(" ")')" \
		"1000 1000 300 250,1000 250"
	check "forksrv $b: 81000 copies, all necessary, no missed or wrong COW" \
		eq "$(rec wl forksrv "$b" counting '[.status, .counts.copies, .counts.classes.necessary_copy, .counts.classes.missed_cow, .counts.classes.wrong_cow, .counts.events.unexplained] | map(tostring) | join(" ")')" "ok 81000 81000 0 0 0"
	check "forksrv $b: the timing pass's heap holds the parent's writes alone" \
		eq "$(rec wl forksrv "$b" timing '[.status, .counts.extra.heap_pages_wrong] | map(tostring) | join(" ")')" "ok 0"
	# the writer is pinned to one CPU and its children inherit the mask
	check "forksrv $b: the record says the children share the server's CPU" \
		eq "$(rec wl forksrv "$b" timing '.counts.extra.children_share_cpu'),$(rec wl forksrv "$b" counting '.counts.extra.children_share_cpu')" "1,1"
	# n = 1000: p50, p90, p99 (ten samples at or above), never p99.9
	check "forksrv $b: percentiles only where n supports them (p99 yes, p99.9 no)" \
		eq "$(rec wl forksrv "$b" timing '.counts.extra | [has("uncorrected_ns_p99"), has("uncorrected_ns_p999"), has("send_lag_ns_p99"), has("fork_us_p90"), has("fork_us_p99"), has("forked_ns_max")] | map(tostring) | join(" ")')" \
		"true false true true false true"
	check "forksrv $b: the counting pass publishes no time (tracing is on)" \
		eq "$(rec wl forksrv "$b" counting '[.counts.extra | keys[] | select(test("_us|_ns|per_s"))] | length')" 0
	check "forksrv $b: below_rate says whether req/s < 95% of 300 or the median send lag > 1/300 s" \
		eq "$(rec wl forksrv "$b" timing '.counts.extra | (.below_rate == (if .req_per_s * 100 < 300 * 95 or .send_lag_ns_p50 * 300 > 1000000000 then 1 else 0 end))')" true
}
forksrv base
forksrv thp
# every in-place write meets a PTE a fork write-protected (a fork comes
# between two writes of a stripe), every child's write a shared page
skipped wl base || check "forksrv base: faults, counting exact (60750 + 20250); timing's task minor faults at least those" \
	eq "$(rec wl forksrv base counting '[.counts.extra.parent_faults, .counts.extra.child_faults] | map(tostring) | join(" ")'),$(rec wl forksrv base timing '.counts.extra | [.parent_minflt >= 60750, .child_minflt >= 20250] | map(tostring) | join(" ")')" \
	"60750 20250,true true"

# far above capacity: the record and the summary say so
over=$(conf over "scenarios = forksrv" "backings = base" "reps = 1" "warmup = 0" \
	"forksrv.rate = 1000000" "forksrv.warmup_ms = 0")
run over "$over"
check "rate 10^6/s: below_rate 1, the summary says it" \
	eq "$(rec over forksrv base timing '.counts.extra.below_rate'),$(grep -c 'below the rate' "$work/over.out")" "1,1"

# a server that stops 600 ms mid-run (test fault): the ~180 requests due
# meanwhile wait, so >= 150 of 1000 (those due in its first 500 ms) have
# >= 100 ms from their due time;
# wrk2's -U figure (from the send, one outstanding) sees one slow request
stall=$(conf stall "scenarios = forksrv" "backings = base" "reps = 1" "warmup = 0")
COWBENCH_TEST_FAULT=stall run stall "$stall"
# (only what the stall guarantees: the corrected figure and the send lag
# take it; the uncorrected one, from each send, lies below the corrected)
check "stall: below_rate as its rule says (req/s, or a median send lag over a period)" \
	eq "$(rec stall forksrv base timing '.counts.extra | (.below_rate == (if .req_per_s * 100 < 300 * 95 or .send_lag_ns_p50 * 300 > 1000000000 then 1 else 0 end))')" true
check "stall: corrected p90 >= 100 ms and above the uncorrected p90, sends lagged" \
	eq "$(rec stall forksrv base timing '[.status, .latency_ns.p90 >= 100000000, .counts.extra.uncorrected_ns_p90 < .latency_ns.p90, .counts.extra.send_lag_ns_p90 >= 100000000] | map(tostring) | join(" ")')" \
	"ok true true true"

# MAP_SHARED heap (test fault, a kernel that misses every COW): the heap
# shows the children's writes (timing), the page views a missed COW
# (counting)
COWBENCH_TEST_FAULT=shared run shared -b base "$wl"
check "shared: the timing pass FAILs, heap pages hold a child's write" \
	eq "$(rec shared forksrv base timing '[.status, (.reason | test("missed COW")), .counts.extra.heap_pages_wrong > 0] | map(tostring) | join(" ")')" "fail true true"
check "shared: the counting pass FAILs with missed COWs or unexplained outcomes" \
	eq "$(rec shared forksrv base counting '[.status, .counts.classes.missed_cow + .counts.events.unexplained > 0, .counts.classes.wrong_cow] | map(tostring) | join(" ")')" "fail true 0"

# nothing outlived a pass: the generator's pid and the pass's process group
left=
for d in wl over stall shared; do
	for pid in $(jq -r '.counts.extra | select(. != null) | .generator_pid, .pgid' "$work/$d/results.jsonl"); do
		[ -e "/proc/$pid" ] && left="$left $pid"
		[ -n "$(pgrep -g "$pid" 2>/dev/null)" ] && left="$left g$pid"
	done
done
check "no generator, child or pass process left (by pid and process group)" eq "$left" ""

# bad input, before anything runs
out=$("$CB" run -o "$work/never" "$(conf bad 'scenarios = forksrv' 'forksrv.warmup_ms = -1')" 2>&1); rc=$?
check "warmup_ms = -1: one line, exit 2" eq "$rc,$(echo "$out" | wc -l)" "2,1"
check "knobs are back" eq "$(knobs_now)" "$before"
finish
