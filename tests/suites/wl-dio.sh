#!/bin/bash
# Workload dio: every engine at 2 KiB blocks (slots share pages) and 4 KiB,
# every block read and the whole file at the end read back as written, fio's
# per-direction latencies, the skips (tmpfs, io_uring disabled, no room for
# the file) and the test fault that makes writes go astray.  Counts and
# invariants the kernel guarantees, never a time.
set -u
. "$(dirname "$0")/../lib.sh"
need_root

# recp DIR ENGINE BS BK PASS JQ: the record of one engine and block size
recp() {
	jq -r --argjson e "$2" --argjson bs "$3" --arg b "$4" --arg q "$5" \
		"select(.scenario==\"dio\" and .params.engine==\$e and .params.bs==\$bs and .backing==\$b and .pass==\$q) | $6" \
		"$work/$1/results.jsonl" | head -n1
}

# ---- every engine, 2 KiB and 4 KiB blocks: what was written is read ----
file=$((8 << 20)) ios=3000
di=$(conf di "scenarios = dio" "backings = base" "reps = 1" "warmup = 0" \
	"dio.file = 8M" "dio.bs = 2k 4k" "dio.ios = $ios" "dio.fork_hz = 500" "dio.engine = 0 1 2")
run_session di "$di"
check "dio: run completes, no process of its session left ($left)" eq "$?,$left" "0,"
engines=(io_uring-fixed io_uring psync)
for e in 0 1 2; do
	for bs in 2048 4096; do
		nm="${engines[$e]} bs=$bs"
		for p in timing counting; do
			if [ "$(recp di $e $bs base $p .status)" = skip ]; then
				skip "dio $nm $p" "$(recp di $e $bs base $p .reason)"
				continue
			fi
			check "dio $nm $p: every I/O done, 0 bytes read wrong, every block read back as last written" \
				eq "$(recp di $e $bs base $p '.counts.extra | [.reads + .writes, .mismatched_bytes, .readback_blocks, .readback_bad_blocks] | map(tostring) | join(",")'),$(recp di $e $bs base $p .status)" \
				"$ios,0,$((file / bs)),0,ok"
		done
		check "dio $nm: fio's clat and lat per direction in the timing pass, lat >= clat, counters said off" \
			eq "$(recp di $e $bs base timing '.counts.extra | [.read_iops + .write_iops > 0, .read_lat_ns_mean >= .read_clat_ns_mean, .write_lat_ns_mean >= .write_clat_ns_mean, .read_lat_ns_max >= .read_clat_ns_max, (.read_clat_ns_p50 | type)] | map(tostring) | join(",")'),$(recp di $e $bs base timing '.counts.faults_skipped | test("counters are off")')" \
			"true,true,true,true,number,true"
		check "dio $nm: no time from the counting pass (it traces)" \
			eq "$(recp di $e $bs base counting '.counts.extra | [has("fork_us_max"), has("read_clat_ns_mean"), has("iops")] | map(tostring) | join(",")'),$(recp di $e $bs base counting .latency_ns)" \
			"false,false,false,null"
	done
done
check "dio io_uring-fixed 2k: every fork copies each registered (pinned) buffer page, 16 slots in 8 pages" \
	eq "$(recp di 0 2048 base counting '.counts.extra | (.fork_copied_pages == .forks * .buffer_pages) and .buffer_pages == 8 and .forks > 0')" true
check "dio io_uring-fixed 4k: every fork copies each registered (pinned) buffer page, 16 pages" \
	eq "$(recp di 0 4096 base counting '.counts.extra | (.fork_copied_pages == .forks * .buffer_pages) and .buffer_pages == 16 and .forks > 0')" true
check "dio io_uring 2k: 8 buffer pages, never more copied per fork than there are" \
	eq "$(recp di 1 2048 base counting '.counts.extra | (.buffer_pages == 8) and (.fork_copied_pages <= .forks * 8)')" true
check "dio psync: one buffer page, never more copied than forks" \
	eq "$(recp di 2 4096 base counting '.counts.extra | (.buffer_pages == 1) and (.fork_copied_pages <= .forks)')" true
check "dio psync: no slat (fio prints none for a sync engine), lat = clat" \
	eq "$(recp di 2 2048 base timing '.counts.extra | [has("read_slat_ns_mean"), .read_lat_ns_mean == .read_clat_ns_mean] | map(tostring) | join(",")')" "false,true"

# ---- time-based, as fio's time_based runtime: I/O for the runtime ----
rt=$(conf rt "scenarios = dio" "backings = base" "reps = 1" "warmup = 0" \
	"dio.file = 4M" "dio.runtime = 1" "dio.fork_hz = 0" "dio.engine = 2")
run rt "$rt"
check "dio runtime=1: I/O until the runtime is over, ops = reads + writes, every block read back" \
	eq "$(recp rt 2 2048 base timing '[.status, .ops == .counts.extra.reads + .counts.extra.writes, .counts.extra.runtime_ms >= 1000, .counts.extra.readback_blocks, .counts.extra.readback_bad_blocks] | map(tostring) | join(",")')" \
	"ok,true,true,2048,0"

# ---- every percentile of both directions in one record ----
# 24000 I/Os, half writes: each direction passes 10000, so p99.9 of clat,
# lat and slat for reads and writes, beside the rest (once too many keys for
# a record: the pass died at full size)
pc=$(conf pc "scenarios = dio" "backings = base" "reps = 1" "warmup = 0" \
	"dio.file = 16M" "dio.bs = 4k" "dio.ios = 24000" "dio.fork_hz = 100" "dio.engine = 1")
run pc "$pc"
check "dio 24000 I/Os: p99.9 of clat, lat and slat for both directions in one timing record" \
	eq "$(recp pc 1 4096 base timing '[.status, (.counts.extra | [has("read_clat_ns_p999"), has("write_clat_ns_p999"), has("read_lat_ns_p999"), has("write_slat_ns_p999"), has("fork_us_max")] | all)] | map(tostring) | join(",")')" \
	"ok,true"

# ---- the oracle seen to fail: writes that go astray ----
# stale-write: each write goes out from a page the process does not map,
# holding what the slot held before (what a pin left behind by a COW
# writes); the reads see a few, the read-back at the end every block written
COWBENCH_TEST_FAULT=stale-write run sw "$(conf sw "scenarios = dio" "backings = base" "reps = 1" "warmup = 0" \
	"dio.file = 8M" "dio.ios = 2000" "dio.engine = 0 1 2")"
while read -r pass e st bad wr why; do
	if [ "$st" = skip ]; then
		skip "dio stale-write engine $e $pass" "$(jq -r --arg p "$pass" --argjson e "$e" 'select(.pass==$p and .params.engine==$e) | .reason' "$work/sw/results.jsonl")"
		continue
	fi
	check "dio stale-write engine $e $pass: FAIL (wrong COW), every block written wrong at the end ($bad of $wr)" \
		eq "$st,$why,$((wr > 0)),$bad" "fail,true,1,$wr"
done < <(jq -r '[.pass, .params.engine, .status, .counts.extra.readback_bad_blocks, .counts.extra.blocks_written, (.reason | test("^wrong COW"))] | map(tostring) | join(" ")' "$work/sw/results.jsonl")
check "dio stale-write: a record per engine and pass" eq "$(wc -l < "$work/sw/results.jsonl")" 6

# ---- skips, on every machine: tmpfs, io_uring disabled, no room ----
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
read -r avail bsize < <(stat -f -c '%a %S' "$work")
free_mib=$((avail * bsize >> 20))
if [ "$free_mib" -lt $((1 << 20)) ]; then
	run nospace "$(conf nospace "scenarios = dio" "backings = base" "reps = 1" "warmup = 0" \
		"dio.file = 1T" "dio.ios = 100" "dio.engine = 2")"
	check "dio with a 1 TiB file: every pass a skip naming the free space, the run exits 0" \
		eq "$?,$(jq -r '.status + ": " + (.reason | test("has [0-9]+ MiB free, the 1048576 MiB file needs")  | tostring)' "$work/nospace/results.jsonl" | sort | uniq -c | tr -s ' ')" \
		"0, 2 skip: true"
else
	skip "dio with a 1 TiB file: a skip naming the free space" "$free_mib MiB free here"
fi

# ---- bad input: exit 2 before anything runs ----
bad() { # NAME MESSAGE CONF-LINES...
	local name=$1 msg=$2; shift 2
	out=$("$CB" run -o "$work/never" "$(conf bad "$@")" 2>&1); rc=$?
	check "$name" eq "$rc,$(echo "$out" | grep -c -- "$msg"),$([ -e "$work/never/results.jsonl" ] && echo ran)" "2,1,"
}
bad "dio: bs not a multiple of 512" "not a multiple of 512" "scenarios = dio" "backings = base" "dio.bs = 1000"
bad "dio: fewer blocks than qd" "fewer blocks than qd" "scenarios = dio" "backings = base" "dio.file = 1M" "dio.bs = 1M" "dio.qd = 2"
bad "dio: runtime out of range" "dio.runtime" "scenarios = dio" "backings = base" "dio.runtime = 4000"
finish
