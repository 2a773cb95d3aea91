#!/usr/bin/env bash
# The thpdb workload (workloads/thpdb.c): a checkpointing table whose
# snapshot children must see the table as it was at the fork.  Asserts what
# the kernel and the driver guarantee (counts, placement, the oracle's
# verdict with and without a broken COW), never a time.  Needs root.
set -u
. "$(dirname "$0")/../lib.sh"
need_root

cpus=$(nproc --all)
# only the timing pass reports times: the counting pass runs with tracing on
times='["during_ns_mean", "during_ns_p50", "during_ns_p99", "during_ns_max", "outside_ns_mean", "outside_ns_p50", "outside_ns_p99", "outside_ns_max", "fork_us_mean", "fork_us_max", "walk_us_mean", "walk_us_max", "child_start_us_mean", "child_start_us_max", "snapshot_window_us_mean", "snapshot_window_us_max"]'

# ---- snapshots see the fork instant; writes during them are copied ----
thpdb_checks() { # DIR THREADS: the same invariants whatever the threads
	local d=$1 t=$2 b other shares
	run_session "$d" "$(conf "$d" "scenarios = thpdb" "backings = base thp" "reps = 1" "warmup = 0" \
		"thpdb.db = 8M" "thpdb.rate = 50000" "thpdb.duration_ms = 200" "thpdb.snapshot_ms = 50" \
		"thpdb.threads = $t")"
	check "thpdb threads=$t: run completes, no process of its session left ($left)" eq "$?,$left" "0,"
	other=$(jq -r .other_cpu "$work/$d/env.json")
	# one update thread per CPU: a child finds a free CPU only if one is left
	shares=$([ "$cpus" -gt "$t" ] && echo 0 || echo 1)
	for b in base thp; do
		status_or_skip "thpdb $b threads=$t" "$d" thpdb $b counting || continue
		check "thpdb $b threads=$t: snapshot children saw no record newer than the fork, none torn" \
			eq "$(rec "$d" thpdb $b timing '[.status, .counts.extra.newer_records_seen, .counts.extra.torn_records_seen, (.counts.extra.snapshots >= 1)] | map(tostring) | join(",")')" "ok,0,0,true"
		check "thpdb $b threads=$t: counting snapshot saw no newer or torn record, every page explained" \
			eq "$(rec "$d" thpdb $b counting '[.status, .counts.extra.newer_records_seen, .counts.extra.torn_records_seen, .counts.events.unexplained] | map(tostring) | join(",")')" "ok,0,0,0"
		if [ "$t" = 1 ] && [ "$cpus" -ge 2 ]; then
			check "thpdb $b threads=1: the snapshot child walked on the other CPU ($other), alone" \
				eq "$(rec "$d" thpdb $b timing '[.counts.extra.child_cpu, .counts.extra.child_shares_cpu] | map(tostring) | join(",")')" "$other,0"
		else
			check "thpdb $b threads=$t on $cpus CPUs: the record says whether the child shares a CPU ($shares)" \
				eq "$(rec "$d" thpdb $b timing '.counts.extra.child_shares_cpu')" "$shares"
		fi
		check "thpdb $b threads=$t: times in the timing pass only, counters off there" \
			eq "$(rec "$d" thpdb $b timing "[(.counts.extra | has(\"during_ns_p50\") and has(\"fork_us_max\") and has(\"walk_us_max\")), (.counts.faults_skipped | test(\"counters are off\"))] | map(tostring) | join(\",\")"),$(rec "$d" thpdb $b counting "[.counts.extra | has($times[])] | any")" \
			"true,true,false"
		if [ "$(rec "$d" thpdb $b counting '.counts.extra.pages_written_during')" = 0 ]; then
			skip "thpdb $b threads=$t: every page written during the snapshot copied" \
				"the parent wrote nothing while the child lived (its walk ended first)"
			continue
		fi
		check "thpdb $b threads=$t: every page written during the snapshot copied, classified necessary" \
			eq "$(rec "$d" thpdb $b counting '.counts | [.classes.necessary_copy == .extra.pages_written_during, .copies >= .extra.pages_written_during, .classes.missed_cow, .classes.wrong_cow, .events.unexplained] | map(tostring) | join(",")')" \
			"true,true,0,0,0"
	done
}
thpdb_checks tb 1
thpdb_checks tb2 2

# ---- the oracle, broken on purpose: a MAP_SHARED table (lib/util.h) ----
# The children see the parent's updates: the timing pass must FAIL naming
# the records, and in the counting pass every page written while the child
# lived is kept (no copy) and is a missed COW or an outcome nothing
# explains, exactly.
sh=$(conf sh "scenarios = thpdb" "backings = base" "reps = 1" "warmup = 0" \
	"thpdb.db = 16M" "thpdb.rate = 50000" "thpdb.duration_ms = 200" "thpdb.snapshot_ms = 50")
COWBENCH_TEST_FAULT=shared run thsh "$sh"
check "thpdb, MAP_SHARED table: the test fault is recorded in env.json" \
	eq "$(jq -r .test_faults "$work/thsh/env.json")" shared
check "thpdb, MAP_SHARED table: the timing pass FAILs, the children read records written after the fork" \
	eq "$(rec thsh thpdb base timing '[.status, (.counts.extra.newer_records_seen > 0), (.reason | test("^missed COW: a snapshot child read [0-9]+ record"))] | map(tostring) | join(",")')" \
	"fail,true,true"
if [ "$(rec thsh thpdb base counting '.counts.extra.pages_written_during')" = 0 ]; then
	skip "thpdb, MAP_SHARED table: the counting pass FAILs" "the parent wrote nothing while the child lived"
else
	check "thpdb, MAP_SHARED table: the counting pass FAILs, each page written during the snapshot missed or unexplained, none copied" \
		eq "$(rec thsh thpdb base counting '[.status, (.counts | .classes.missed_cow + .events.unexplained == .extra.pages_written_during), .counts.classes.necessary_copy, .counts.classes.wrong_cow] | map(tostring) | join(",")')" \
		"fail,true,0,0"
fi

# ---- the built-in defaults are the quick variant's ----
run_session td "$(conf td "scenarios = thpdb" "backings = base" "reps = 1" "warmup = 0")"
check "thpdb with no thpdb.* key: run completes, nothing of it left ($left)" eq "$?,$left" "0,"
want=$(grep '^thpdb\.' configs/quick.conf | grep -v -E '^thpdb\.(reps|warmup|backings) ' | while IFS=' =' read -r k v; do
	echo "${k#thpdb.}=$(numfmt --from=iec "$v")"; done | sort | tr '\n' ' ')
got=$(rec td thpdb base timing '.params | to_entries | map("\(.key)=\(.value)") | join(" ")')
check "thpdb defaults: every key of configs/quick.conf has its value there ($want)" \
	eq "$(for kv in $want; do grep -qw -- "$kv" <<< "$got" || echo "missing $kv"; done)" ""
check "thpdb defaults: both passes ok; at 50000/s (20 us gaps) no update thread ever sleeps" \
	eq "$(rec td thpdb base timing '[.status, .counts.extra.writer_naps] | map(tostring) | join(",")'),$(rec td thpdb base counting .status)" "ok,0,ok"

# ---- pacing: at 1000 updates/s the thread sleeps through its gaps ----
run tp "$(conf tp "scenarios = thpdb" "backings = base" "reps = 1" "warmup = 0" \
	"thpdb.db = 8M" "thpdb.rate = 1000" "thpdb.duration_ms = 200" "thpdb.snapshot_ms = 50")"
check "thpdb rate=1000: 1 ms gaps are slept, not spun (naps taken; how many depends on the host)" \
	eq "$(rec tp thpdb base timing '[.status, .ops, (.counts.extra.writer_naps > 0)] | map(tostring) | join(",")')" "ok,200,true"

# ---- a stall near the end: every update due is still done, counted late ----
# the first thread stops 100 ms ten updates before the end (test fault);
# a pass that ended on the clock dropped those ten
COWBENCH_TEST_FAULT=stall run ts "$(conf ts "scenarios = thpdb" "backings = base" "reps = 1" "warmup = 0" \
	"thpdb.db = 8M" "thpdb.rate = 1000" "thpdb.duration_ms = 200" "thpdb.snapshot_ms = 50")"
check "thpdb stall 100 ms before the end: all 200 updates due done, the late ones counted from their due time" \
	eq "$(rec ts thpdb base timing '[.status, .ops >= 200, .latency_ns.n == .ops, .latency_ns.max >= 90000000] | map(tostring) | join(",")')" \
	"ok,true,true,true"

# ---- more threads than CPUs: a skip ----
if [ "$cpus" -lt 64 ]; then
	run tbs "$(conf tbs "scenarios = thpdb" "backings = base" "reps = 1" "warmup = 0" \
		"thpdb.db = 8M" "thpdb.duration_ms = 10" "thpdb.threads = 64")"
	check "thpdb threads=64: a skip per pass naming the CPUs hwloc sees" \
		eq "$(jq -r 'select(.scenario=="thpdb") | .status + ": " + (.reason | test("threads = 64 needs a CPU per thread, hwloc sees [0-9]+$") | tostring)' "$work/tbs/results.jsonl" | sort -u)" "skip: true"
else
	skip "thpdb threads=64: a skip naming the CPUs" "this machine has 64 CPUs or more"
fi

# ---- bad input: exit 2 before anything runs ----
bad() { # NAME MESSAGE CONF-LINES...
	local name=$1 msg=$2; shift 2
	out=$("$CB" run -o "$work/never" "$(conf bad "$@")" 2>&1); rc=$?
	check "$name" eq "$rc,$(echo "$out" | wc -l),$(echo "$out" | grep -c -- "$msg"),$([ -e "$work/never/results.jsonl" ] && echo ran)" "2,1,1,"
}
bad "thpdb: record not a multiple of 8" "not a multiple of 8" "scenarios = thpdb" "backings = base" "thpdb.record = 100"
bad "thpdb: more threads than records" "fewer records" "scenarios = thpdb" "backings = base" \
	"thpdb.db = 2M" "thpdb.record = 1M" "thpdb.threads = 2"
finish
