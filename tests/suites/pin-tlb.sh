#!/usr/bin/env bash
# pinned-fork, remote-flush and hw on the running kernel: what fork does
# with pinned pages, what a pinned page sees after the parent's writes,
# exact copies of a multithreaded writer, and every skip path.
set -u
. "$(dirname "$0")/../lib.sh"
need_root

cnt() { # cnt DIR SCENARIO BACKING PARAMS-JQ EXPR: a counting record's value
	jq -r --arg s "$2" --arg b "$3" \
		"select(.scenario==\$s and .backing==\$b and .pass==\"counting\" and .rep==0 and ($4)) | $5" \
		"$work/$1/results.jsonl" | head -n1
}
ran() { # ran DIR SCENARIO BACKING PARAMS-JQ NAME: false (and a skip) if it was skipped
	[ "$(cnt "$1" "$2" "$3" "$4" .status)" != skip ] && return 0
	skip "$5" "$(cnt "$1" "$2" "$3" "$4" .reason)"
	return 1
}
before=$(knobs_now)

# ---- pinned-fork: 512 pages, 0, 1 MiB (half) and 2 MiB pinned ----
pin=$(conf pin "scenarios = pinned-fork" "backings = base thp" "reps = 1" "warmup = 0" \
	"timeout = 60" "pages = 512" "pinned-fork.pinned = 0 1M 2M" "pinned-fork.mprotect = 0 1")
run pin "$pin" || not_ok "pinned-fork run exits 0" "$(tail -3 "$work/pin.out")"
for bk in base thp; do
	for mp in 0 1; do
		p=".params.mprotect == $mp"
		ran pin pinned-fork $bk "$p and .params.pinned == 1048576" "pinned-fork $bk mprotect=$mp" || continue
		# a base page is its own folio; a THP is copied whole when any subpage is pinned
		half=256 && [ $bk = thp ] && half=512
		f='.counts | [.events.fork_copy, .events.no_fault, .copies, .classes.necessary_copy, .classes.wrong_cow, .classes.missed_cow, .events.unexplained] | map(tostring) | join(" ")'
		check "pinned-fork $bk mprotect=$mp, 0 pinned: no fork copy, 512 necessary copies after" \
			eq "$(cnt pin pinned-fork $bk "$p and .params.pinned == 0" "$f")" "0 0 512 512 0 0 0"
		check "pinned-fork $bk mprotect=$mp, 1M pinned: fork copied $half pages, the parent's writes to them took no fault" \
			eq "$(cnt pin pinned-fork $bk "$p and .params.pinned == 1048576" "$f")" \
			"$half $half $((512 - half)) $((512 - half)) 0 0 0"
		check "pinned-fork $bk mprotect=$mp, 2M pinned: all 512 copied at fork, wrong COW 0" \
			eq "$(cnt pin pinned-fork $bk "$p and .params.pinned == 2097152" "$f")" "512 512 0 0 0 0 0"
		check "pinned-fork $bk mprotect=$mp: the ring read back what the parent wrote, every pinned page" \
			eq "$(cnt pin pinned-fork $bk "$p and .params.pinned > 0" '[.counts.extra.pinned_pages, .counts.extra.ring_pages_same, (.counts.extra.ring_error // 0)] | map(tostring) | join(" ")')" \
			"256 256 0"
	done
done
check "pinned-fork: every pass times and counts the same op, the 512 writes" \
	eq "$(jq -r 'select(.scenario=="pinned-fork" and .status=="ok") | .ops' "$work/pin/results.jsonl" | sort -u)" "512"
check "pinned-fork: the fork before the window is timed apart (extra.fork_ns > 0)" \
	eq "$(jq -r 'select(.scenario=="pinned-fork" and .pass=="counting") | .counts.extra.fork_ns > 0' "$work/pin/results.jsonl" | sort -u)" true
check "pinned-fork: every record ok (no pin lost, no missed COW)" \
	eq "$(jq -r 'select(.scenario=="pinned-fork" and .status!="ok" and .status!="skip") | .status' "$work/pin/results.jsonl")" ""

# ---- pinned-fork skips: no pin allowed, io_uring disabled ----
small=$(conf pinsmall "scenarios = pinned-fork" "backings = base" "reps = 1" "warmup = 0" \
	"pages = 64" "pinned-fork.pinned = 256k" "pinned-fork.mprotect = 0")
if command -v setpriv >/dev/null && command -v prlimit >/dev/null; then
	setpriv --bounding-set=-ipc_lock -- prlimit --memlock=65536 \
		"$CB" run -o "$work/memlock" "$small" > "$work/memlock.out" 2>&1
	check "pinned-fork without CAP_IPC_LOCK over RLIMIT_MEMLOCK: a skip naming it" \
		eq "$(cnt memlock pinned-fork base true '.status + ": " + .reason' | grep -c '^skip: io_uring_register_buffers of 256 kB: .*RLIMIT_MEMLOCK 64 kB')" 1
else
	skip "pinned-fork over RLIMIT_MEMLOCK" "no setpriv or prlimit (util-linux)"
fi
dis=/proc/sys/kernel/io_uring_disabled
if [ -w $dis ]; then
	old=$(cat $dis)
	trap 'echo "$old" > '$dis'; rm -rf "$work"' EXIT
	echo 2 > $dis
	run nouring "$small"
	echo "$old" > $dis
	check "pinned-fork with kernel.io_uring_disabled = 2: a skip naming the sysctl" \
		eq "$(cnt nouring pinned-fork base true '.status + ": " + .reason')" \
		"skip: io_uring_setup: Operation not permitted (kernel.io_uring_disabled = 2)"
else
	skip "pinned-fork with io_uring disabled" "no $dis on this kernel"
fi
bad_pin() { # bad_pin NAME TEXT VALUE
	local out rc
	out=$("$CB" run -o "$work/never" -s pinned-fork -b base "$(conf badpin "pages = 512" "pinned-fork.pinned = $3")" 2>&1); rc=$?
	check "bad input: pinned-fork $1 (exit 2, one line)" \
		eq "$rc,$(echo "$out" | wc -l),$(echo "$out" | grep -c -- "$2"),$([ -e "$work/never" ] && echo written)" "2,1,1,"
}
bad_pin "pinned above the region" "pinned = 4M is more than the region (pages = 512, 2M)" 4M
bad_pin "pinned not whole pages" "not a whole number of 4 KiB pages" 6000

# ---- remote-flush: threads up to the CPU count, then the skip ----
rf=$(conf rf "scenarios = remote-flush" "backings = base thp" "reps = 1" "warmup = 0" \
	"timeout = 60" "pages = 512" "remote-flush.threads = 1 2 1024")
run rf "$rf" || not_ok "remote-flush run exits 0" "$(tail -3 "$work/rf.out")"
for bk in base thp; do
	for t in 1 2; do
		p=".params.threads == $t"
		ran rf remote-flush $bk "$p" "remote-flush $bk threads=$t" || continue
		all=$((512 * t))
		check "remote-flush $bk threads=$t: $all copies, all necessary, none missed" \
			eq "$(cnt rf remote-flush $bk "$p" '.counts | [.copies, .classes.necessary_copy, .classes.missed_cow, .classes.wrong_cow, .events.unexplained] | map(tostring) | join(" ")')" \
			"$all $all 0 0 0"
		# at least once per page: a fault that races the other thread's
		# split of the same PMD may be retried (measured once: 513); the
		# fault samples follow every thread of the mm
		check "remote-flush $bk threads=$t: each thread faulted on each of its 512 pages (region faults >= $all), $t writers' ops" \
			eq "$(cnt rf remote-flush $bk "$p" '[.counts.faults >= '$all', .ops] | map(tostring) | join(" ")')" \
			"true $all"
		# the per-task counts follow every thread of the mm: each
		# copy is a fault of the thread that wrote (main or sibling)
		check "remote-flush $bk threads=$t: task faults cover every thread's copies (faults_task >= $all)" \
			ge "$(cnt rf remote-flush $bk "$p" .counts.faults_task)" "$all"
		# paravirtual flush skips preempted vCPUs without a trace: reported, never asserted
		echo "# remote-flush $bk threads=$t: $(cnt rf remote-flush $bk "$p" '"remote_shootdown \(.counts.tlb_flush.remote_shootdown // .counts.tlb_flush.skipped), remote_send_ipi \(.counts.tlb_events.remote_send_ipi // .counts.tlb_events.skipped), local_mm_shootdown \(.counts.tlb_flush.local_mm_shootdown)"')"
	done
	check "remote-flush $bk threads=1024: skipped with the CPU count hwloc sees" \
		eq "$(cnt rf remote-flush $bk ".params.threads == 1024" '.status + ": " + .reason' |
			grep -cE '^skip: threads = 1024: one CPU per writer, hwloc sees [0-9]+$')" 1
done

# ---- hw: the machine's own answer, the no-PMU skip, the counted path ----
hw=$(conf hw "scenarios = hw" "backings = base thp" "reps = 1" "warmup = 0" "pages = 512")
run hwreal "$hw"
if [ -e /sys/bus/event_source/devices/cpu ]; then
	check "hw on a machine with a cpu PMU: ok, hardware counts present" \
		eq "$(cnt hwreal hw base '.params.reuse == 0' '.status + " " + (.counts.hw | keys | length > 0 | tostring)')" "ok true"
else
	check "hw here (no cpu PMU): every combination a skip with the reason" \
		eq "$(jq -r '.status + ": " + .reason' "$work/hwreal/results.jsonl" | sort -u)" \
		"skip: no cpu PMU (no /sys/bus/event_source/devices/cpu)"
fi
COWBENCH_PMU_DIR=$work/no-pmu run hwnopmu "$hw"
check "hw with no cpu PMU: a skip with the reason, no counting" \
	eq "$(jq -r '.status + ": " + .reason' "$work/hwnopmu/results.jsonl" | sort -u)" "skip: no cpu PMU (no $work/no-pmu)"
check "hw is counted only: one record per combination" \
	eq "$(jq -r .pass "$work/hwnopmu/results.jsonl" | sort -u)" counting
mkdir -p "$work/fake-pmu"
COWBENCH_PMU_DIR=$work/fake-pmu COWBENCH_HW_EVENTS=perf::PERF_COUNT_SW_PAGE_FAULTS_MIN,no-such-event \
	run hwfake "$hw"
ev='"perf::PERF_COUNT_SW_PAGE_FAULTS_MIN"'
for bk in base thp; do
	# the event through libpfm4 against the region's faults from the
	# tracepoint: two sources, so a broken hw path cannot agree by itself
	check "hw $bk reuse=0 via an overridden event list: 512 necessary copies, the event counted every region fault" \
		eq "$(cnt hwfake hw $bk '.params.reuse == 0' "[.status, .counts.copies, .counts.classes.necessary_copy, (.counts.hw[$ev] >= .counts.faults and .counts.faults > 0)] | map(tostring) | join(\" \")")" "ok 512 512 true"
	check "hw $bk reuse=1: the child dropped the pages, 512 reuses, the event counted every region fault" \
		eq "$(cnt hwfake hw $bk '.params.reuse == 1' "[.status, .counts.reuses, .counts.copies, (.counts.hw[$ev] >= .counts.faults and .counts.faults > 0)] | map(tostring) | join(\" \")")" "ok 512 0 true"
done
check "hw: an event libpfm4 cannot encode is skipped alone, with its reason" \
	eq "$(cnt hwfake hw base '.params.reuse == 0' '.counts.hw.skipped["no-such-event"] | startswith("libpfm4 cannot encode")')" true

check "knobs, swap, zram, pools as before the suite" eq "$(knobs_now)" "$before"
finish
