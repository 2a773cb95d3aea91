#!/usr/bin/env bash
# Workload snapshot (issue 9; forksrv: wl-forksrv.sh): its quick variant on the
# running kernel, asserting invariants, never times.  Needs root.
set -u
. "$(dirname "$0")/../lib.sh"
need_root

wl=$(conf wl "scenarios = snapshot" "backings = base thp" "reps = 1" "warmup = 0" \
	"snapshot.keys = 16384" "snapshot.value = 1K" "snapshot.sets = 4000" "snapshot.rate = 20000")
before=$(knobs_now)
if run wl "$wl"; then ok "quick snapshot, base and thp: run exits 0"; else
	not_ok "quick snapshot, base and thp: run exits 0" "$(tail -5 "$work/wl.out")"; fi
check "knobs are back after the workloads" eq "$(knobs_now)" "$before"

skipped() { # skipped SCENARIO BACKING: a skip recorded for the pair
	[ "$(rec wl "$1" "$2" counting .status)" = skip ] || return 1
	skip "$1 $2" "$(rec wl "$1" "$2" counting .reason)"
}

# snapshot: the file equals the store at the fork; every page the parent
# wrote during the snapshot was copied, and necessarily.
snapshot() { # snapshot BACKING
	local b=$1
	skipped snapshot "$b" && return
	check "snapshot $b: the file equals the store at the fork (timing and counting)" \
		eq "$(rec wl snapshot "$b" timing '[.status, .counts.extra.file_missed_keys, .counts.extra.file_bytes] | map(tostring) | join(" ")'),$(rec wl snapshot "$b" counting '[.status, .counts.extra.file_missed_keys] | map(tostring) | join(" ")')" \
		"ok 0 $((24 + 16384 * 1032)),ok 0"
	check "snapshot $b: SETs met the snapshot" \
		ge "$(rec wl snapshot "$b" counting .counts.extra.sets_during_snapshot)" 1
	check "snapshot $b: copies >= pages the parent wrote during the snapshot" \
		ge "$(rec wl snapshot "$b" counting '.counts.copies - .counts.extra.pages_written_snapshot')" 0
	check "snapshot $b: every copy necessary, no missed or wrong COW" \
		eq "$(rec wl snapshot "$b" counting '[(.counts.copies == .counts.classes.necessary_copy), .counts.classes.missed_cow, .counts.classes.wrong_cow, .counts.events.unexplained] | map(tostring) | join(" ")')" "true 0 0 0"
	check "snapshot $b: Redis's figures: fork us, Private_Dirty, SET p99 during the snapshot" \
		eq "$(rec wl snapshot "$b" timing '[.counts.extra.fork_us, .counts.extra.cow_private_dirty_kb, .counts.extra.snapshot_us, .counts.extra.set_snap_ns_p99] | map(type) | join(",")')" "number,number,number,number"
}
snapshot base
snapshot thp
check "snapshot base: exactly one copy per page written during the snapshot" \
	eq "$(rec wl snapshot base counting '.counts.copies == .counts.extra.pages_written_snapshot')" true

# nothing outlived a pass: the generator's pid and the pass's process group
left=
for pid in $(jq -r '.counts.extra | select(. != null) | .generator_pid, .pgid' "$work/wl/results.jsonl"); do
	[ -e "/proc/$pid" ] && left="$left $pid"
	[ -n "$(pgrep -g "$pid" 2>/dev/null)" ] && left="$left g$pid"
done
check "no generator, child or pass process left (by pid and process group)" eq "$left" ""

# the oracle fails a pass whose child sees the parent's SETs (test hook:
# a MAP_SHARED store stands for a kernel that missed the COW)
COWBENCH_TEST_FAULT=shared run shared -s snapshot -b base "$wl"
check "oracle: a child that sees SETs fails the timing pass as a missed COW" \
	eq "$(rec shared snapshot base timing '[.status, (.reason | test("missed COW")), (.counts.extra.file_missed_keys > 0)] | map(tostring) | join(" ")')" "fail true true"
check "oracle: the counting pass classifies what the child saw as missed COW, fails" \
	eq "$(rec shared snapshot base counting '[.status, (.counts.extra.file_missed_keys > 0), (.counts.classes.missed_cow > 0), .counts.copies, .counts.classes.necessary_copy] | map(tostring) | join(" ")')" "fail true true 0 0"

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
check "a store above MemTotal: one line, exit 2" \
	eq "$rc,$(echo "$out" | wc -l),$(echo "$out" | grep -c 'more than MemTotal')" "2,1,1"
finish
