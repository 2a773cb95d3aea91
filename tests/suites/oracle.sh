#!/usr/bin/env bash
# The observers, proven end to end: each test-only fault
# ($COWBENCH_TEST_FAULT, lib/util.h) breaks one observer or one input on
# purpose, and the verdict must follow with the exact count - or, where the
# observer could not observe, the pass must be an error, never a verdict.
set -u
. "$(dirname "$0")/../lib.sh"
need_root

# every scenario with an observer, on base pages: what the window writes
obs=$(conf obs "backings = base" "reps = 1" "warmup = 0" "pages = 512" \
	"scenarios = cow-child cow-parent mprotect-fork vmsplice cow-parallel pinned-fork file-private remote-flush hw" \
	"cow-parallel.children = 2" "cow-parallel.random = 0" "remote-flush.threads = 2" \
	"pinned-fork.pinned = 1M" "pinned-fork.mprotect = 0 1" "hw.reuse = 0" \
	"file-private.memfd = 0")
writes() { # SCENARIO: the writes its window makes
	case $1 in cow-parallel | remote-flush) echo 1024 ;; *) echo 512 ;; esac
}
verdicts() { # DIR: scenario[:mprotect] status missed wrong, one per line
	jq -r 'select(.pass=="counting") | [.scenario + (if .params.mprotect != null then ":" + (.params.mprotect | tostring) else "" end), .status, .counts.classes.missed_cow, .counts.classes.wrong_cow] | map(tostring) | join(" ")' \
		"$work/$1/results.jsonl"
}

run clean "$obs"
COWBENCH_TEST_FAULT=shared run shared "$obs"
check "test faults are recorded in env.json, and only when set" \
	eq "$(jq -r .test_faults "$work/shared/env.json"),$(jq -r .test_faults "$work/clean/env.json")" "shared,null"
while read -r s st miss wrong; do
	w=$(writes "${s%%:*}")
	if [ "$st" = skip ]; then # one CPU, io_uring disabled, a low RLIMIT_MEMLOCK, no PMU
		skip "$s: both runs" "$(jq -r --arg s "${s%%:*}" 'select(.pass=="counting" and .scenario==$s) | .reason' "$work/clean/results.jsonl" | head -n1)"
		continue
	fi
	check "$s: no fault, no missed or wrong COW" eq "$st $miss $wrong" "ok 0 0"
	check "$s: MAP_SHARED region, every write seen: FAIL with $w missed COW" \
		eq "$(verdicts shared | awk -v s="$s" '$1 == s { print $2, $3, $4 }')" "fail $w 0"
done < <(verdicts clean)
check "every observing scenario ran in both runs" \
	eq "$(verdicts clean | wc -l),$(verdicts shared | wc -l)" "10,10"

# large folios: shmem THP stands in for anonymous THP (shmem_enabled set
# inside the pass, undone by the supervisor); one write per folio or per page
T=/sys/kernel/mm/transparent_hugepage
thp=$(conf thp "backings = thp" "reps = 1" "warmup = 0" "pages = 1024" \
	"scenarios = thp-cow-child thp-cow-parent" "thp-cow-child.all_pages = 0 1" \
	"thp-cow-parent.all_pages = 0 1")
before=$(knobs_now; cat $T/shmem_enabled)
run thpclean "$thp"
COWBENCH_TEST_FAULT=shared COWBENCH_TEST_PASS_KNOB=$T/shmem_enabled=advise run thpshared "$thp"
tv() { # DIR: scenario:all_pages status missed wrong
	jq -r 'select(.pass=="counting") | [.scenario + ":" + (.params.all_pages | tostring), .status, .counts.classes.missed_cow, .counts.classes.wrong_cow] | map(tostring) | join(" ")' "$work/$1/results.jsonl" | sort
}
if [ "$(tv thpclean | awk '{ print $2 }' | sort -u)" = ok ]; then
	check "thp-cow-child, thp-cow-parent: MAP_SHARED THP, FAIL with a missed COW per write (2 folios, 1024 pages)" \
		eq "$(tv thpshared | tr '\n' ';')" \
		"thp-cow-child:0 fail 2 0;thp-cow-child:1 fail 1024 0;thp-cow-parent:0 fail 2 0;thp-cow-parent:1 fail 1024 0;"
else
	skip "thp-cow-* MAP_SHARED" "no PMD-mapped THP here: $(tv thpclean | tr '\n' ';')"
fi
check "the shmem THP knob the passes changed is back" eq "$(knobs_now; cat $T/shmem_enabled)" "$before"

# a swap entry of a shared mapping is not in pagemap: the precondition of
# a swapped page cannot be seen, a skip that says so, never a verdict
COWBENCH_TEST_FAULT=shared run swshared "$(conf swshared "backings = swapped-zram" \
	"scenarios = swapin-child" "reps = 1" "warmup = 0" "pages = 64" "swapin-child.read = 0")"
check "swapin-child, MAP_SHARED: a skip naming the pages not swapped out" \
	eq "$(rec swshared swapin-child swapped-zram counting '[.status, (.reason | test("swap"))] | map(tostring) | join(" ")')" "skip true"

# the workloads' observers: what the snapshot child, the forked server's
# children or the walker read shows the parent's writes (counts depend on
# timing: a failure with missed COWs, never ok)
wl=$(conf wl "backings = base" "reps = 1" "warmup = 0" "scenarios = forksrv snapshot thpdb" \
	"forksrv.heap = 32M" "forksrv.requests = 200" "forksrv.fork_every = 4" \
	"forksrv.touch_permille = 10" "forksrv.rate = 2000" \
	"snapshot.keys = 16384" "snapshot.value = 1K" "snapshot.sets = 4000" "snapshot.rate = 20000" \
	"thpdb.db = 16M" "thpdb.rate = 50000" "thpdb.duration_ms = 200" "thpdb.snapshot_ms = 50")
run wlclean "$wl"
COWBENCH_TEST_FAULT=shared run wlshared "$wl"
for s in forksrv snapshot thpdb; do
	check "$s: no fault, ok and no missed COW" \
		eq "$(rec wlclean $s base counting '[.status, .counts.classes.missed_cow] | map(tostring) | join(" ")')" "ok 0"
	# thpdb, snapshot: only a write while the snapshot child lives can be seen
	if [ "$(rec wlshared $s base counting '.counts.extra | .pages_written_during // .sets_during_snapshot // 1')" = 0 ]; then
		skip "$s: MAP_SHARED heap" "the parent wrote nothing while the child lived: nothing to observe"
		continue
	fi
	# a write after the child read the page is not seen: kept, no fault,
	# unseen on a shared page is an outcome nothing explains, never ok
	check "$s: MAP_SHARED heap: FAIL with missed COWs or unexplained outcomes, no wrong COW" \
		eq "$(rec wlshared $s base counting '[.status, .counts.classes.missed_cow + .counts.events.unexplained > 0, .counts.classes.wrong_cow] | map(tostring) | join(" ")')" "fail true 0"
done

# a pin whose view is dropped: every written pinned page is a wrong COW
pinok=$(verdicts clean | awk '$1 == "pinned-fork:0" { print $2 }')
pin=$(conf pin "backings = base" "reps = 1" "warmup = 0" "pages = 512" \
	"scenarios = pinned-fork" "pinned-fork.pinned = 1M" "pinned-fork.mprotect = 0 1")
if [ "$pinok" = ok ]; then
	COWBENCH_TEST_FAULT=drop-pin run droppin "$pin"
	check "drop-pin: pinned-fork FAILs with 256 wrong COW (each pinned page), mprotect 0 and 1" \
		eq "$(verdicts droppin | sort | tr '\n' ';')" "pinned-fork:0 fail 0 256;pinned-fork:1 fail 0 256;"
	# an observer that cannot observe: an error, never a wrong COW
	COWBENCH_TEST_FAULT=ring-error run ringerr "$pin"
	check "ring-error: the pass is an error naming the ring, no wrong COW claimed" \
		eq "$(jq -r 'select(.pass=="counting") | [.status, (.reason | test("ring")), .counts.classes.wrong_cow // 0] | map(tostring) | join(" ")' "$work/ringerr/results.jsonl" | sort -u)" "error true 0"
else
	skip "drop-pin, ring-error" "pinned-fork cannot run here (${pinok:-no record})"
fi

# dio: reads that land in a page the process does not map (the pin's view
# dropped): every read is counted wrong, with each engine
dio=$(conf dio "scenarios = dio" "backings = base" "reps = 1" "warmup = 0" \
	"dio.file = 8M" "dio.ios = 2000" "dio.fork_hz = 500" "dio.engine = 0 1 2")
COWBENCH_TEST_FAULT=drop-pin run diodrop "$dio"
while read -r pass e st reads bad; do
	if [ "$st" = skip ]; then
		skip "dio drop-pin engine $e $pass" "$(jq -r --arg p "$pass" --argjson e "$e" 'select(.pass==$p and .params.engine==$e) | .reason' "$work/diodrop/results.jsonl")"
		continue
	fi
	check "dio drop-pin engine $e $pass: FAIL, every read wrong ($bad of $reads)" eq "$st,$((reads > 0)),$bad" "fail,1,$reads"
done < <(jq -r '[.pass, .params.engine, .status, .counts.extra.reads, .counts.extra.bad_reads] | map(tostring) | join(" ")' "$work/diodrop/results.jsonl")
check "dio drop-pin: a record per engine and pass" eq "$(wc -l < "$work/diodrop/results.jsonl")" 6

# several writers: the blame is per writer (only writer 0 writes under
# MAP_SHARED: its 512 writes are missed COWs, writer 1's 512 silent pages
# unexplained, never 1024 missed), and a writer that dies is an error at
# once, not a timeout
cp2=$(conf cp2 "backings = base" "reps = 1" "warmup = 0" "pages = 512" "timeout = 60" \
	"scenarios = cow-parallel" "cow-parallel.children = 2" "cow-parallel.random = 0")
if [ "$(nproc)" -ge 2 ]; then
	COWBENCH_TEST_FAULT=shared,mute-writer run mute "$cp2"
	check "cow-parallel, writer 1 mute, MAP_SHARED: 512 missed COW (writer 0's alone), 512 unexplained" \
		eq "$(rec mute cow-parallel base counting '[.status, .counts.classes.missed_cow, .counts.events.unexplained] | map(tostring) | join(" ")')" "fail 512 512"
	COWBENCH_TEST_FAULT=writer-dies run dies "$cp2"
	check "cow-parallel, writer 1 killed in the window: every pass an error naming it" \
		eq "$(jq -r '.status + ": " + .reason' "$work/dies/results.jsonl" | sort -u)" "error: writer 1 died in the window"
else
	skip "cow-parallel with two writers" "one CPU"
fi

# fault samples lost in a full ring: which writes faulted is unknown
small=$(conf small "backings = base" "reps = 1" "warmup = 0" "pages = 512" \
	"scenarios = cow-child reuse-after-exit cow-parallel" "cow-parallel.children = $([ "$(nproc)" -ge 2 ] && echo 2 || echo 1)" \
	"cow-parallel.random = 0")
COWBENCH_TEST_FAULT=small-ring run smallring "$small"
check "small-ring: lost fault samples make the pass an error, never no_fault or reuse" \
	eq "$(jq -r 'select(.pass=="counting") | [.status, (.reason | test("samples lost"))] | map(tostring) | join(" ")' "$work/smallring/results.jsonl" | sort -u)" "error true"

# the machine's other side: a kernel that maps no zero page on a read
zp=$(conf zp "backings = base zeropage zeropage-huge file-private" "reps = 1" "warmup = 0" "pages = 512" \
	"scenarios = zeropage cow-child")
COWBENCH_NO_ZERO_PAGE=1 run nozero "$zp"
check "COWBENCH_NO_ZERO_PAGE=1: env.json says no zero page, and that it is simulated" \
	eq "$(jq -r '[.zero_page_on_read, (.simulated | test("COWBENCH_NO_ZERO_PAGE=1"))] | map(tostring) | join(",")' "$work/nozero/env.json")" "false,true"
check "no zero page: every zero-page combination is a skip that says so" \
	eq "$(jq -r 'select(.pass=="counting" and (.scenario=="zeropage" or (.backing | startswith("zeropage")))) | [.status, (.reason | test("zero page"))] | map(tostring) | join(" ")' "$work/nozero/results.jsonl" | sort -u)" "skip true"
check "no zero page: cow-child on base pages and on a private file mapping is unaffected" \
	eq "$(rec nozero cow-child base counting '[.status, .counts.copies] | map(tostring) | join(" ")'),$(rec nozero cow-child file-private counting '[.status, .counts.copies] | map(tostring) | join(" ")')" "ok 512,ok 512"
# a precondition missing in two repetitions in a row (warm-up and rep 0):
# the combination's later repetitions are recorded as skips for that
# reason, not run and retried, and the progress says it once
zr=$(conf zr "backings = zeropage" "reps = 6" "warmup = 1" "pages = 64" "scenarios = cow-child")
COWBENCH_NO_ZERO_PAGE=1 run zeroreps "$zr"
check "no zero page, 6 reps + 1 warm-up: reps 1-5 recorded with the reason of reps -1 and 0, the skip printed once" \
	eq "$(jq -r 'select(.pass=="counting") | [.rep, .status, (.reason | test("zero page")), (.reason | test("every pass of reps -1 and 0"))] | map(tostring) | join(" ")' "$work/zeroreps/results.jsonl" | tr '\n' ,)$(grep -c '^\[.*rep .*zero page' "$work/zeroreps.out")" \
	"0 skip true false,1 skip true true,2 skip true true,3 skip true true,4 skip true true,5 skip true true,1"
run withzero "$zp"
if [ "$(zero_page withzero)" = true ]; then
	check "zero page mapped here: the zeropage scenario is ok, 512 populated, no copy" \
		eq "$(rec withzero zeropage base counting '[.status, .counts.copies, .counts.events.populate] | map(tostring) | join(" ")')" "ok 0 512"
	# (one fault and a THP, or 512 after a fallback: not asserted)
	ok_or_skip "huge zero page here: cow-child on zeropage-huge, 512 populated, no copy, nothing missed" withzero cow-child zeropage-huge \
		eq "$(rec withzero cow-child zeropage-huge counting '[.counts.copies, .counts.events.populate, .counts.classes.missed_cow] | map(tostring) | join(" ")')" "0 512 0"
else
	skip "the zero-page side" "this kernel maps no zero page on a read fault (the skip side is tested above)"
fi

# a 2 MiB THP backing that got an mTHP folio (the PMD size off, 64 kB on:
# what a failed PMD allocation gives) is a skip naming the folio, never
# a row labelled 2 MiB
T=/sys/kernel/mm/transparent_hugepage
if [ -e $T/hugepages-64kB/enabled ] && [ -e $T/hugepages-2048kB/enabled ]; then
	before=$(knobs_now; cat $T/hugepages-*/enabled)
	knobs="$T/hugepages-2048kB/enabled=never,$T/hugepages-64kB/enabled=madvise"
	COWBENCH_TEST_PASS_KNOB=$knobs run mthp \
		"$(conf mthp "backings = thp-pte" "scenarios = cow-child" "reps = 1" "warmup = 0" "pages = 512")"
	# 16 pages: thp-single takes 2 MiB of memory per page
	COWBENCH_TEST_PASS_KNOB=$knobs run mthp1 \
		"$(conf mthp1 "backings = thp-single" "scenarios = cow-child" "reps = 1" "warmup = 0" "pages = 16")"
	# (a 64 kB allocation that failed falls back to 4 KiB: not a THP either)
	check "thp-pte, thp-single on 64 kB folios: a skip naming what the page is, never a 2 MiB row" \
		eq "$(jq -r 'select(.pass=="counting") | .status + ": " + (.reason | test("^page [0-9]+: (a 64 kB folio, not a 2 MiB THP|not in a THP folio)") | tostring)' "$work/mthp/results.jsonl" "$work/mthp1/results.jsonl" | sort -u)" \
		"skip: true"
	check "the mTHP knobs the passes changed are back" eq "$(knobs_now; cat $T/hugepages-*/enabled)" "$before"
else
	skip "thp-pte on an mTHP folio" "no hugepages-64kB or hugepages-2048kB in $T"
fi

# the machine's other side: a kernel without swap (COWBENCH_NO_SWAP=1)
before=$(knobs_now)
COWBENCH_NO_SWAP=1 run noswap "$(conf noswap "backings = swapped-zram swapped-file" \
	"scenarios = cow-child" "reps = 1" "warmup = 0" "pages = 64")"
check "COWBENCH_NO_SWAP=1: every swap backing a skip naming CONFIG_SWAP, recorded as simulated" \
	eq "$(jq -r 'select(.pass=="counting") | .status + ": " + (.reason | test("no CONFIG_SWAP") | tostring)' "$work/noswap/results.jsonl" | sort -u),$(jq -r '.simulated | test("COWBENCH_NO_SWAP=1")' "$work/noswap/env.json")" \
	"skip: true,true"
check "COWBENCH_NO_SWAP=1: the zram device and swapfile it set up are undone" eq "$(knobs_now)" "$before"

finish
