#!/usr/bin/env bash
# Workload snapshot (issues 9, 16): its built-in defaults (the quick
# variant) on the running kernel, asserting invariants, never times; each
# oracle broken by a test fault and seen to fail.  Needs root.
set -u
. "$(dirname "$0")/../lib.sh"
need_root

# no snapshot.* key: the built-in defaults are configs/quick.conf's
wl=$(conf wl "scenarios = snapshot" "backings = base thp" "reps = 1" "warmup = 0")
before=$(knobs_now)
if run wl "$wl"; then ok "snapshot defaults, base and thp: run exits 0"; else
	not_ok "snapshot defaults, base and thp: run exits 0" "$(tail -5 "$work/wl.out")"; fi
check "knobs are back after snapshot" eq "$(knobs_now)" "$before"
check "snapshot defaults are the quick variant: 16384 keys of 1 KiB, 4000 SETs at 20000/s" \
	eq "$(rec wl snapshot base timing '[.params.keys, .params.value, .params.sets, .params.rate] | map(tostring) | join(" ")')" \
	"16384 1024 4000 20000"

skipped() { # skipped BACKING: a skip recorded for the pair
	[ "$(rec wl snapshot "$1" counting .status)" = skip ] || return 1
	skip "snapshot $1" "$(rec wl snapshot "$1" counting .reason)"
}

# the file equals the store at the fork, the store holds every SET; every
# page the parent wrote during the snapshot was copied, and necessarily
snapshot() { # snapshot BACKING
	local b=$1
	skipped "$b" && return
	check "snapshot $b: the file equals the store at the fork, no write lost (timing and counting)" \
		eq "$(rec wl snapshot "$b" timing '[.status, .counts.extra.file_missed_keys, .counts.extra.store_lost_keys, .counts.extra.file_bytes] | map(tostring) | join(" ")'),$(rec wl snapshot "$b" counting '[.status, .counts.extra.file_missed_keys, .counts.extra.store_lost_keys] | map(tostring) | join(" ")')" \
		"ok 0 0 $((24 + 16384 * 1032)),ok 0 0"
	check "snapshot $b: SETs met the snapshot" \
		ge "$(rec wl snapshot "$b" counting .counts.extra.sets_during_snapshot)" 1
	check "snapshot $b: copies >= pages the parent wrote during the snapshot" \
		ge "$(rec wl snapshot "$b" counting '.counts.copies - .counts.extra.pages_written_snapshot')" 0
	check "snapshot $b: every copy necessary, no missed or wrong COW" \
		eq "$(rec wl snapshot "$b" counting '[(.counts.copies == .counts.classes.necessary_copy), .counts.classes.missed_cow, .counts.classes.wrong_cow, .counts.events.unexplained] | map(tostring) | join(" ")')" "true 0 0 0"
	# a store page is private to the child only once the parent copied it
	# and not 0 while copies were made: a store mapping merged with a
	# neighbour would read 0 silently
	check "snapshot $b: the child's store Private_Dirty <= the parent's copies (pagemap), <= its process-wide one, > 0 if any, 2+ samples" \
		eq "$(rec wl snapshot "$b" counting '[.counts.extra.cow_samples >= 2, .counts.extra.cow_store_private_dirty_kb <= .counts.extra.cow_pagemap_kb, .counts.extra.cow_store_private_dirty_kb <= .counts.extra.cow_private_dirty_kb, (.counts.extra.cow_pagemap_kb == 0 or .counts.extra.cow_store_private_dirty_kb > 0)] | map(tostring) | join(" ")')" "true true true true"
	check "snapshot $b: Redis's figures and the generator's, timing pass only; one fork: its time is mean and max" \
		eq "$(rec wl snapshot "$b" timing '[.counts.extra.fork_us_max, .counts.extra.cow_private_dirty_kb, .counts.extra.cow_store_private_dirty_kb, .counts.extra.snapshot_us, .counts.extra.set_snap_ns_p50, .counts.extra.set_snap_uncorrected_ns_p50, .counts.extra.gen_lag_snap_ns_p50, .counts.extra.generator_lagged] | map(type) | join(",")'),$(rec wl snapshot "$b" timing '.counts.extra | [.fork_us_mean == .fork_us_max, has("fork_us_p50")] | map(tostring) | join(",")')" \
		"number,number,number,number,number,number,number,number,true,false"
	check "snapshot $b: the counting pass (traced) publishes no time" \
		eq "$(rec wl snapshot "$b" counting '[.counts.extra | keys[] | select(test("_us$|_us_|_ns_|per_s|lag"))] | length')" 0
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

# the file oracle fails a pass whose child sees the parent's SETs (test
# hook: a MAP_SHARED store stands for a kernel that missed the COW)
one=$(conf one "scenarios = snapshot" "backings = base" "reps = 1" "warmup = 0")
COWBENCH_TEST_FAULT=shared run shared "$one"
check "oracle: a child that sees SETs fails the timing pass as a missed COW" \
	eq "$(rec shared snapshot base timing '[.status, (.reason | test("missed COW")), (.counts.extra.file_missed_keys > 0)] | map(tostring) | join(" ")')" "fail true true"
check "oracle: the counting pass classifies what the child saw as missed COW, fails" \
	eq "$(rec shared snapshot base counting '[.status, (.counts.extra.file_missed_keys > 0), (.counts.classes.missed_cow > 0), .counts.copies, .counts.classes.necessary_copy] | map(tostring) | join(" ")')" "fail true true 0 0"

# the store oracle fails a pass whose SETs during the save land outside the
# store (test hook lose-write: a parent write lost, as by a wrong COW)
COWBENCH_TEST_FAULT=lose-write run lost "$one"
for p in timing counting; do
	check "oracle: a SET lost from the store fails the $p pass, naming the keys" \
		eq "$(rec lost snapshot base $p '[.status, (.reason | test("^lost write: [0-9]+ key")), (.counts.extra.store_lost_keys > 0), .counts.extra.file_missed_keys] | map(tostring) | join(" ")')" "fail true true 0"
done

# a save on tmpfs never reaches a disk (fsync does nothing): a skip that says so
shm=/dev/shm/cowbench-wl-snapshot.$$
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
	"$CB" run -o "$shm" "$one" > "$work/shm.out" 2>&1
	check "a run directory on tmpfs: both passes skip, naming tmpfs and fsync" \
		eq "$(jq -r 'select(.scenario=="snapshot") | [.pass, .status, (.reason | test("on tmpfs: fsync does nothing"))] | map(tostring) | join(" ")' "$shm/results.jsonl" | sort | tr '\n' ,)" \
		"counting skip true,timing skip true,"
	rm -rf "$shm"
else
	skip "a run directory on tmpfs" "/dev/shm is not tmpfs here"
fi
finish
