#!/bin/bash
# Workload drivers dio, stream and thpdb (issue 9): quick variants, asserting
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

# ---- dio: every engine; the data read back is what was written ----
di=$(conf di "scenarios = dio" "backings = base" "reps = 1" "warmup = 0" \
	"dio.file = 8M" "dio.ios = 3000" "dio.fork_hz = 500" "dio.engine = 0 1 2")
run_session di "$di"
check "dio: run completes, no process of its session left ($left)" eq "$?,$left" "0,"
engines=(io_uring-fixed io_uring psync)
for e in 0 1 2; do
	nm=${engines[$e]}
	for p in timing counting; do
		if [ "$(recp di dio engine $e base $p .status)" = skip ]; then
			skip "dio $nm $p" "$(recp di dio engine $e base $p .reason)"
			continue
		fi
		check "dio $nm $p: 0 mismatched bytes, every I/O done" \
			eq "$(recp di dio engine $e base $p '[.status, .counts.extra.mismatched_bytes, .counts.extra.reads + .counts.extra.writes] | map(tostring) | join(",")')" \
			"ok,0,3000"
	done
done
check "dio io_uring-fixed: every fork copies each registered (pinned) buffer page to the child" \
	eq "$(recp di dio engine 0 base counting '.counts.extra | (.fork_copied_pages == .forks * .buffer_pages) and .buffer_pages == 16')" true
check "dio psync: one buffer page, never more copied than forks" \
	eq "$(recp di dio engine 2 base counting '.counts.extra | (.buffer_pages == 1) and (.fork_copied_pages <= .forks)')" true

# skip paths, on every machine: tmpfs, io_uring disabled
if [ -d /dev/shm ] && [ "$(stat -f -c %T /dev/shm)" = tmpfs ]; then
	shm=$(mktemp -d /dev/shm/cowbench-test.XXXXXX)
	"$CB" run -o "$shm/r" "$(conf ds "scenarios = dio" "backings = base" "reps = 1" "warmup = 0" \
		"dio.file = 4M" "dio.ios = 100" "dio.engine = 2")" > "$work/ds.out" 2>&1
	cp "$shm/r/results.jsonl" "$work/ds.jsonl" 2>/dev/null
	rm -rf "$shm"
	check "dio on tmpfs: a skip naming tmpfs" \
		eq "$(jq -r 'select(.pass=="counting") | .status + ": " + (.reason | test("on tmpfs") | tostring)' "$work/ds.jsonl")" "skip: true"
else
	skip "dio on tmpfs: a skip naming tmpfs" "no tmpfs at /dev/shm"
fi
echo 2 > "$work/uring_disabled"
COWBENCH_IO_URING_DISABLED=$work/uring_disabled run du \
	"$(conf du "scenarios = dio" "backings = base" "reps = 1" "warmup = 0" \
		"dio.file = 4M" "dio.ios = 100" "dio.engine = 1")"
check "dio with io_uring disabled: a skip saying so" \
	eq "$(rec du dio base counting '.status + ": " + .reason')" "skip: io_uring disabled ($work/uring_disabled = 2)"

# ---- thpdb: snapshots see the fork instant; writes during them are copied ----
thpdb_checks() { # DIR THREADS: the same invariants whatever the threads
	local d=$1 t=$2 b
	run_session "$d" "$(conf "$d" "scenarios = thpdb" "backings = base thp" "reps = 1" "warmup = 0" \
		"thpdb.db = 8M" "thpdb.rate = 50000" "thpdb.duration_ms = 200" "thpdb.snapshot_ms = 50" \
		"thpdb.threads = $t")"
	check "thpdb threads=$t: run completes, no process of its session left ($left)" eq "$?,$left" "0,"
	for b in base thp; do
		status_or_skip "thpdb $b threads=$t" "$d" thpdb $b counting || continue
		check "thpdb $b threads=$t: snapshot children saw no record newer than the fork, none torn" \
			eq "$(rec "$d" thpdb $b timing '[.status, .counts.extra.newer_records_seen, .counts.extra.torn_records_seen, (.counts.extra.snapshots >= 1)] | map(tostring) | join(",")')" "ok,0,0,true"
		check "thpdb $b threads=$t: counting snapshot saw no newer or torn record, every page explained" \
			eq "$(rec "$d" thpdb $b counting '[.status, .counts.extra.newer_records_seen, .counts.extra.torn_records_seen, .counts.events.unexplained] | map(tostring) | join(",")')" "ok,0,0,0"
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
if [ "$(nproc --all)" -lt 64 ]; then
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
	check "$name" eq "$rc,$(echo "$out" | grep -c -- "$msg"),$([ -e "$work/never/results.jsonl" ] && echo ran)" "2,1,"
}
bad "dio: bs not a multiple of 512" "not a multiple of 512" "scenarios = dio" "backings = base" "dio.bs = 1000"
bad "thpdb: record not a multiple of 8" "not a multiple of 8" "scenarios = thpdb" "backings = base" "thpdb.record = 100"
bad "thpdb: more threads than records" "fewer records" "scenarios = thpdb" "backings = base" \
	"thpdb.db = 2M" "thpdb.record = 1M" "thpdb.threads = 2"

finish
