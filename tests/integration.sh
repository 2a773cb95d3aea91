#!/usr/bin/env bash
# Integration tests on the running kernel: exact counts the kernel
# guarantees, bad input, supervision and the knobs.  Needs root.
set -u
. "$(dirname "$0")/lib.sh"
need_root

# ---- exact counts on the running kernel, base pages ----
base=$(conf base "pages = 256" "reps = 1" "warmup = 0" "backings = base" \
	"scenarios = cow-child cow-parent reuse-after-exit first-touch zeropage file-private" \
	"file-private.memfd = 0")
before=$(knobs_now)
if run base "$base"; then ok "run of the base-page scenarios exits 0"; else
	not_ok "run of the base-page scenarios exits 0" "$(tail -5 "$work/base.out")"; fi

classes() { rec base "$1" base counting '.counts | [.copies, .reuses, .classes.reuse, .classes.necessary_copy, .classes.unnecessary_copy, .classes.missed_cow, .classes.wrong_cow, .events.populate] | map(tostring) | join(" ")'; }
check "cow-child N=256: 256 copies, all necessary" eq "$(classes cow-child)" "256 0 0 256 0 0 0 0"
check "cow-child N=256: exactly 256 faults on the region (exceptions:page_fault_user)" \
	eq "$(rec base cow-child base counting '.counts.faults')" 256
check "cow-child N=256: the task's own faults are reported beside them" \
	ge "$(rec base cow-child base counting '.counts.faults_task')" 256
check "cow-child N=256: the parent never sees the child's writes" \
	eq "$(rec base cow-child base counting '.counts.classes.missed_cow')" 0
check "cow-parent N=256: 256 copies, all necessary" eq "$(classes cow-parent)" "256 0 0 256 0 0 0 0"
check "reuse-after-exit N=256: 0 copies, 256 reuses" eq "$(classes reuse-after-exit)" "0 256 256 0 0 0 0 0"
check "reuse-after-exit: pgreuse counts (system-wide) at least 256" \
	ge "$(rec base reuse-after-exit base counting '.counts.vmstat.pgreuse')" 256
zero_page_case "zeropage: the write replaces the zero page: 0 copies, 256 populated" base zeropage base \
	eq "$(classes zeropage)" "0 0 0 0 0 0 0 256"
check "first-touch: 256 populated, no copy" eq "$(classes first-touch)" "0 0 0 0 0 0 0 256"
check "file-private: 256 copies from the page cache, file unchanged" \
	eq "$(classes file-private)" "256 0 0 256 0 0 0 0"
check "no counting pass was perturbed or unexplained" \
	eq "$(jq -r 'select(.pass=="counting") | select(.perturbed or .counts.events.unexplained > 0) | .scenario' "$work/base/results.jsonl")" ""

# ---- the record format ----
check "every record has the keys of DESIGN.md section 5" \
	eq "$(jq -r 'select((has("run") and has("scenario") and has("backing") and has("params") and has("rep") and has("pass") and has("status") and has("ops") and has("env")) | not) | .scenario' "$work/base/results.jsonl")" ""
# (a skipped record - no zero page on this kernel - measured nothing)
check "ok timing records carry the latency summary, the percentiles n supports, and the histogram" \
	eq "$(jq -r 'select(.pass!="counting" and .status=="ok") | .latency_ns | . as $l | select((has("n") and has("mean") and has("max") and has("hist") and ([["p50", 50], ["p90", 90], ["p99", 99], ["p999", 99.9]] | all(($l | has(.[0])) == ($l.n * (100 - .[1]) >= 999.999999)))) | not) | "x"' "$work/base/results.jsonl")" ""
check "each scenario has a timing, a sampled and a counting record" \
	eq "$(jq -r '.pass' "$work/base/results.jsonl" | sort | uniq -c | awk '{print $1}' | sort -u)" 6
check "records name env.json's id" \
	eq "$(jq -r .env "$work/base/results.jsonl" | sort -u)" "$(jq -r .id "$work/base/env.json")"
check "hardware counters of ok records are counted or skipped with a reason, never {}" \
	eq "$(jq -r 'select(.pass=="counting" and .status=="ok") | .counts.hw | select(length == 0 or ((has("skipped") | not) and (keys | length) == 0)) | "x"' "$work/base/results.jsonl")" ""
check "cow-child: exactly one local TLB flush per copy (pages != 0 only)" \
	eq "$(rec base cow-child base counting '.counts.tlb_flush.local_mm_shootdown')" 256
check "reuse-after-exit: a reuse flushes nothing" \
	eq "$(rec base reuse-after-exit base counting '[.counts.tlb_flush.local_shootdown, .counts.tlb_flush.local_mm_shootdown] | add')" 0
check "task_switch is not reported as a flush" \
	eq "$(jq -r 'select(.pass=="counting") | .counts.tlb_flush | select(has("task_switch")) | "x"' "$work/base/results.jsonl")" ""
check "env.json says whether PFNs are visible and remote flushes paravirtual" \
	eq "$(jq -r '[.cap_sys_admin, (.pv_tlb_flush | type)] | map(tostring) | join(",")' "$work/base/env.json")" "true,boolean"
check "env.json: a run records the kernel commit, null with why where nothing names it" \
	eq "$(jq -r '[.kernel_commit == null, (.kernel_commit_from | startswith("unknown: "))] | .[0] == .[1]' "$work/base/env.json")" true
kc() { COWBENCH_KERNEL_COMMIT=$1 COWBENCH_MACHINE=lab9 "$CB" env | jq -r "$2"; }
check "cowbench env: the kernel commit and machine the matrix gives, in the id" \
	eq "$(kc 0123abc '[.kernel_commit, .kernel_commit_from, .machine] | join(",")'),$([ "$(kc a .id)" != "$(kc b .id)" ] && echo own-id)" \
	"0123abc,COWBENCH_KERNEL_COMMIT,lab9,own-id"
check "the summary shows the clock overhead and every scenario" \
	eq "$(grep -cE '^(cow-child|cow-parent|reuse-after-exit|first-touch|zeropage|file-private) ' "$work/base.out")" 6
check "knobs are back after a normal run" eq "$(knobs_now)" "$before"

# ---- THP: what the kernel really does, or a recorded skip ----
thp=$(conf thp "pages = 512" "reps = 1" "warmup = 0" "backings = thp" \
	"scenarios = cow-child reuse-after-exit")
run thp "$thp"
st=$(rec thp cow-child thp counting .status)
if [ "$st" = skip ]; then
	skip "thp cow-child" "$(rec thp cow-child thp counting .reason)"
else
	check "thp cow-child: every 4 KiB written is one necessary copy" \
		eq "$(rec thp cow-child thp counting '[.counts.copies, .counts.classes.necessary_copy] | map(tostring) | join(" ")')" "512 512"
	check "thp cow-child: the child's PMD is split (thp_split_pmd)" \
		ge "$(rec thp cow-child thp counting .counts.vmstat.thp_split_pmd)" 1
	check "thp cow-child: the child ends with no PMD mapping" \
		eq "$(rec thp cow-child thp counting .counts.extra.anon_huge_kb)" 0
	check "thp cow-child: the parent keeps its PMD (2048 kB AnonHugePages)" \
		eq "$(rec thp cow-child thp counting .counts.extra.observer_anon_huge_kb)" 2048
	# the first write reuses the PMD; a concurrent job touching THPs made
	# the CPU fault again on it a few times once (4 faults, PMD kept)
	check "thp reuse-after-exit: the first fault reuses the whole PMD ($(rec thp reuse-after-exit thp counting .counts.faults) fault(s))" \
		eq "$(rec thp reuse-after-exit thp counting '[.counts.faults >= 1 and .counts.faults <= 512, .counts.reuses, .counts.copies, .counts.extra.anon_huge_kb] | map(tostring) | join(" ")')" "true 512 0 2048"
fi

# ---- fork latency ----
fk=$(conf fork "scenarios = fork-latency" "backings = base" "reps = 1" "warmup = 0" \
	"fork-latency.size = 16M" "fork-latency.forks = 4")
run fork "$fk"
check "fork-latency: 4 forks timed per pass, page tables counted" \
	eq "$(rec fork fork-latency base sampled '.latency_ns.n'),$(rec fork fork-latency base counting '.counts.extra.child_pte_kb >= 32')" "4,true"

# ---- bad input: one line, exit 2, nothing written ----
bad "unknown scenario" "unknown scenario 'nope'" run -o "$work/never" -s nope
bad "unknown backing" "unknown backing 'huge'" run -o "$work/never" -b huge
bad "unknown config key" "$work/k.conf:2: unknown key 'colour'" run -o "$work/never" "$(conf k 'reps = 1' 'colour = red')"
bad "malformed number in a config" "m.conf:1: 'reps': 'abc' is not a number" run -o "$work/never" "$(conf m 'reps = abc')"
bad "malformed size in a config" "'fork-latency.size': '12Q' is not a size" run -o "$work/never" "$(conf s 'fork-latency.size = 12Q')"
bad "malformed --reps" "--reps: 'x' is not a number" run -o "$work/never" --reps x
bad "size above MemTotal" "more than MemTotal" run -o "$work/never" "$(conf big 'pages = 60000000')"
bad "THP region not a multiple of 2 MiB" "not a multiple of 512" run -o "$work/never" -b thp "$(conf odd 'pages = 100')"
bad "scenario on a backing it does not support" "runs on none of the selected backings" run -o "$work/never" -s file-private -b thp
bad "unknown option" "unknown option" run --frobnicate
bad "missing config file" "No such file" run -o "$work/never" "$work/none.conf"
# above what is free now (a stand-in MemAvailable): that combination is a
# skip with what it needs, the others run
COWBENCH_MEMAVAILABLE_MB=2 run memav "$(conf memav 'scenarios = reuse-after-exit' 'backings = base' \
	'reps = 1' 'warmup = 0' 'pages = 64 512')"
check "a combination above MemAvailable is a skip naming both, the smaller one runs" \
	eq "$(jq -r 'select(.pass=="counting") | "\(.params.pages) \(.status) \(.reason // "" | test("needs 4 MiB .*more than MemAvailable \\(2 MiB\\)"))"' "$work/memav/results.jsonl" | sort -n | tr '\n' ,)" \
	"64 ok false,512 skip true,"
# ---- a workload's built-in defaults are the quick variant make run uses
# (configs/quick.conf), so `run -s W` and `--quick` run what make run does
num() { # a config number or size, in bytes (k, M, G in either case)
	local v=${1,,}
	case $v in
	*k) echo $((${v%k} << 10)) ;; *m) echo $((${v%m} << 20)) ;;
	*g) echo $((${v%g} << 30)) ;; *) echo "$v" ;;
	esac
}
defaults_differ() { # WORKLOAD: quick.conf's W.key values the defaults lack
	local w=$1 key vals def v d hit
	# (its own reps, warm-up and backings are the run's, not parameters)
	grep -E "^$w\.[a-z_]+ *=" configs/quick.conf | grep -v -E "^$w\.(reps|warmup|backings) " |
		sed 's/ *= */ /' |
		while read -r key vals; do
			def=$("$CB" list | grep -E "^  $w " | grep -oE "[ ;]${key#"$w".}=[^ ]*" |
				head -n1 | sed 's/^.[^=]*=//; s/\]$//')
			for v in $vals; do
				hit=
				for d in ${def//,/ }; do
					[ "$(num "$d")" = "$(num "$v")" ] && hit=1
				done
				[ -n "$hit" ] || echo "$key=$v (default ${def:-none})"
			done
		done
}
for w in forksrv snapshot thpdb stream dio; do
	check "$w: its built-in defaults hold quick.conf's values" \
		eq "$(defaults_differ "$w" | tr '\n' ' ')" ""
done
# every shipped config plans: each scenario runs on a backing it names
# (the planner is all 'check -k' runs before it finds nothing to keep)
for c in configs/*.conf; do
	check "$c plans (every scenario on a backing it takes)" \
		eq "$("$CB" check -c "$c" -k 'no-such-check*' -o "$work/never" 2>&1)" "cowbench: no check matches"
done
bad "unknown command" "unknown command" frob

# ---- supervision: a hung pass times out, a crashed one is an error ----
to=$(conf to "scenarios = fork-latency file-private" "backings = base" "reps = 1" "warmup = 0" \
	"timeout = 1" "fork-latency.size = 1G" "fork-latency.forks = 10000" "pages = 64")
run to "$to"
check "a pass over its time limit is recorded as timeout and the run goes on" \
	eq "$(rec to fork-latency base timing .status),$(rec to file-private base counting .status)" "timeout,ok"
check "the timed-out pass left no process behind" eq "$(pgrep -f "$work/to" | wc -l)" 0

cr=$(conf cr "scenarios = fork-latency file-private" "backings = base" "reps = 1" "warmup = 0" \
	"fork-latency.size = 64M" "fork-latency.forks = 3000" "pages = 64")
before=$(knobs_now)
"$CB" run -o "$work/cr" "$cr" > "$work/cr.out" 2>&1 &
pid=$!
for _ in $(seq 100); do pass=$(pgrep -P $pid | head -n1); [ -n "$pass" ] && break; sleep 0.1; done
sleep 0.5
kill -SEGV "$pass" 2>/dev/null
sleep 0.3
during="$([ -e "$COWBENCH_STATE" ] && echo state),$(cat /proc/sys/vm/compaction_proactiveness)"
wait $pid
check "a crashed pass is recorded as error with its signal, the run goes on" \
	eq "$(rec cr fork-latency base timing '.status + ": " + .reason' | grep -o '^error: pass process killed by signal 11'),$(rec cr file-private base counting .status)" \
	"error: pass process killed by signal 11,ok"
check "a crashed pass does not undo the run's knobs; the run's end does" \
	eq "$during|$(knobs_now)|$([ -e "$COWBENCH_STATE" ] && echo left)" "state,0|$before|"

# ---- knobs: SIGINT restores; SIGKILL + 'cowbench restore' restores ----
long=$(conf long "scenarios = fork-latency" "backings = base" "reps = 50" \
	"fork-latency.size = 256M" "fork-latency.forks = 50")
before=$(knobs_now)
"$CB" run -o "$work/int" "$long" > "$work/int.out" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -e "$COWBENCH_STATE" ] && break; sleep 0.1; done
sleep 0.5
changed=$(knobs_now)
kill -INT $pid; wait $pid; rc=$?
check "SIGINT: exit 130, knobs restored, no state file left" \
	eq "$rc,$(knobs_now),$([ -e "$COWBENCH_STATE" ] && echo left)" "130,$before,"
[ "$changed" != "$before" ] && ok "the run did change knobs (compaction_proactiveness, tracefs, ...)" ||
	skip "the run did change knobs" "every knob already had the run's value"

"$CB" run -o "$work/kill" "$long" > "$work/kill.out" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -e "$COWBENCH_STATE" ] && break; sleep 0.1; done
sleep 0.5
kill -KILL $pid; wait $pid 2>/dev/null
sleep 0.2
check "SIGKILL leaves the state file and no pass process" \
	eq "$([ -e "$COWBENCH_STATE" ] && echo yes),$(pgrep -f "$work/kill" | wc -l)" "yes,0"
"$CB" restore > "$work/restore.out" 2>&1
check "after SIGKILL, 'cowbench restore' puts every knob back" eq "$(knobs_now)" "$before"
check "restore with nothing to do says so and exits 0" eq "$("$CB" restore)" "restored 0 value(s): nothing to restore"

# ---- exact by construction: 20 fresh invocations ----
exact=$(conf exact "pages = 512" "reps = 1" "warmup = 0" "backings = base" \
	"scenarios = cow-child cow-parent")
bad_runs=
for i in $(seq 20); do
	run "exact$i" "$exact"
	got=$(jq -r 'select(.pass=="counting") | "\(.scenario)=\(.counts.faults)/\(.counts.copies)/\(.counts.classes.necessary_copy)"' \
		"$work/exact$i/results.jsonl" | sort | tr '\n' ' ')
	[ "$got" = "cow-child=512/512/512 cow-parent=512/512/512 " ] || bad_runs="$bad_runs [$i: $got]"
	rm -rf "$work/exact$i"
done
check "cow-child and cow-parent: 512 faults and 512 copies in each of 20 fresh runs" eq "$bad_runs" ""

# ---- hidden PFNs: without CAP_SYS_ADMIN the pass is an error that says so ----
if command -v setpriv >/dev/null; then
	setpriv --bounding-set=-sys_admin -- "$CB" run -o "$work/nocap" -s reuse-after-exit -b base \
		--reps 1 "$(conf nocap 'pages = 64' 'warmup = 0')" > "$work/nocap.out" 2>&1
	check "without CAP_SYS_ADMIN: error naming the capability, env.json says so" \
		eq "$(rec nocap reuse-after-exit base counting '.status + ": " + .reason' | grep -o '^error: .*CAP_SYS_ADMIN' | cut -c1-6),$(jq -r .cap_sys_admin "$work/nocap/env.json")" "error:,false"
	check "without CAP_SYS_ADMIN: no count claims a reuse" \
		eq "$(rec nocap reuse-after-exit base counting '.counts.reuses // "absent"')" absent
	setpriv --bounding-set=-sys_admin -- "$CB" run -o "$work/nocapm" -s mprotect -b base \
		--reps 1 "$(conf nocapm 'pages = 64' 'warmup = 0')" > "$work/nocapm.out" 2>&1
	check "without CAP_SYS_ADMIN: mprotect's timed passes run unrehearsed, saying why" \
		eq "$(jq -r 'select(.pass != "counting") | .rehearsed | .[0:15]' "$work/nocapm/results.jsonl" | sort -u)" "no: PFNs hidden"
else
	skip "without CAP_SYS_ADMIN" "no setpriv (util-linux)"
fi

# ---- skip paths, taken on every machine, PMU or not ----
small=$(conf small "pages = 64" "reps = 1" "warmup = 0" "backings = base" "scenarios = reuse-after-exit")
COWBENCH_PMU_DIR=$work/no-pmu run nopmu "$small"
check "no cpu PMU: hw is skipped as a whole, with the reason" \
	eq "$(rec nopmu reuse-after-exit base counting '.counts.hw | keys | join(",")'),$(rec nopmu reuse-after-exit base counting .counts.hw.skipped)" \
	"skipped,no cpu PMU (no $work/no-pmu)"
COWBENCH_PMU_DIR=/sys COWBENCH_HW_EVENTS=no-such-event,cycles run onebad "$small"
check "one hardware event that cannot be counted is skipped alone, with its reason" \
	eq "$(rec onebad reuse-after-exit base counting '.counts.hw.skipped["no-such-event"] | startswith("libpfm4 cannot encode")')" true
check "the other hardware event is counted, or skipped with its own reason" \
	eq "$(rec onebad reuse-after-exit base counting '(.counts.hw.cycles | type) == "number" or (.counts.hw.skipped.cycles | type) == "string"')" true
COWBENCH_TRACEFS=$work/no-tracefs run notp "$small"
check "no tracepoints: TLB flushes skipped with the reason, not 0" \
	eq "$(rec notp reuse-after-exit base counting '.counts.tlb_flush | keys | join(",")')" skipped
check "no tracepoints: region faults absent with the reason, task faults kept" \
	eq "$(rec notp reuse-after-exit base counting '[(.counts.faults | type), (.counts.faults_skipped | type), (.counts.faults_task | type)] | join(",")')" "null,string,number"
check "no tracepoints: a PFN kept with no fault sample is undecided, never a reuse" \
	eq "$(rec notp reuse-after-exit base counting '[.status, .counts.reuses, .counts.undecided, .counts.classes.reuse] | map(tostring) | join(",")')" "ok,null,64,null"

# ---- one run at a time ----
"$CB" run -o "$work/first" "$long" > "$work/first.out" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -e "$COWBENCH_STATE" ] && break; sleep 0.1; done
out=$("$CB" run -o "$work/second" "$small" 2>&1); rc=$?
check "a second concurrent run exits 2 naming the holder's pid" \
	eq "$rc,$(echo "$out" | grep -c "pid $pid")" "2,1"
out=$("$CB" restore 2>&1); rc=$?
check "restore refuses while a live run holds the lock" eq "$rc,$(echo "$out" | grep -c "pid $pid")" "2,1"
kill -INT $pid; wait $pid

# ---- a knob set inside a pass is undone after the pass ----
orig=$(cat /proc/sys/vm/stat_interval)
COWBENCH_TEST_PASS_KNOB=/proc/sys/vm/stat_interval=7 run passknob \
	"$(conf pk "pages = 64" "reps = 3" "warmup = 0" "backings = base" "scenarios = first-touch")"
check "a knob a pass changed is back before the next pass" \
	eq "$(jq -r 'select(.pass=="counting") | .counts.extra.test_knob_found' "$work/passknob/results.jsonl" | sort -u)" "$orig"
check "and after the run" eq "$(cat /proc/sys/vm/stat_interval)" "$orig"

# ---- resources of a backing: zram swap and a hugetlb pool, undone ----
interrupt swapon INT swapped-zram
interrupt swapon KILL swapped-zram restore
interrupt nr_hugepages INT hugetlb-2048kB
interrupt nr_hugepages KILL hugetlb-2048kB restore

# ---- resume: an interrupted results file is continued, not repeated ----
rs=$(conf rs "scenarios = first-touch zeropage" "backings = base" "reps = 2" "warmup = 0" "pages = 64")
run rs "$rs"
full=$(wc -l < "$work/rs/results.jsonl")
rs_env=$(jq -c '[.run, .created]' "$work/rs/env.json")
head -n 4 "$work/rs/results.jsonl" > "$work/rs/cut"
head -n 5 "$work/rs/results.jsonl" | tail -n 1 | head -c 40 >> "$work/rs/cut"
mv "$work/rs/cut" "$work/rs/results.jsonl"
sleep 1 # a later second: a created rewritten at the resume would differ
"$CB" run --resume "$work/rs" "$rs" > "$work/rs.out2" 2>&1
check "--resume completes a torn run without repeating a record" \
	eq "$(wc -l < "$work/rs/results.jsonl"),$(jq -c '[.scenario,.backing,.rep,.pass]' "$work/rs/results.jsonl" | sort -u | wc -l)" "$full,$full"
[ "$(wc -l < "$work/rs/results.jsonl")" = "$full" ] || sed "s/^/# /" "$work/rs.out2" | tail -n 3
check "--resume of a run made with -o DIR keeps its id and start time" \
	eq "$(jq -c '[.run, .created]' "$work/rs/env.json") $(jq -r .run "$work/rs/results.jsonl" | sort -u)" \
	"$rs_env $(jq -r '.[0]' <<< "$rs_env")"
# the counting pass a resume finds recorded still says what to warm:
# reuse-after-exit allocates nothing, so rep 1 warms nothing (not the region)
rw=$(conf rw "scenarios = reuse-after-exit" "backings = base" "reps = 2" "warmup = 0" "pages = 64")
run rw "$rw"
head -n 3 "$work/rw/results.jsonl" > "$work/rw/cut"
mv "$work/rw/cut" "$work/rw/results.jsonl"
"$CB" run --resume "$work/rw" "$rw" > "$work/rw.out2" 2>&1
check "--resume: the recorded counting pass sets the next pass's warming (warm_kb 256 in rep 0, 0 in rep 1)" \
	eq "$(jq -r '"\(.rep):\(.screen.warm_kb)"' "$work/rw/results.jsonl" | sort -u | tr '\n' ' ')" "0:256 1:0 "
check "refuses to overwrite a finished run" eq "$("$CB" run -o "$work/rs" "$rs" >/dev/null 2>&1; echo $?)" 2

# ---- the peer scripts: bad input is one line and exit 2, before anything runs ----
peer_bad() { # NAME EXPECTED SCRIPT ARGS...
	local name=$1 want=$2 out rc; shift 2
	out=$(COWBENCH=$CB "$@" 2>&1); rc=$?
	if [ $rc = 2 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q -- "$want"; then
		ok "bad input: $name"; else not_ok "bad input: $name" "exit $rc: $out"; fi
}
peer_bad "peer-mprotect PAGES 0" "positive integers" scripts/peer-mprotect.sh 0
peer_bad "peer-mprotect four arguments" "usage" scripts/peer-mprotect.sh 1 2 3 4
peer_bad "peer-stream ARRAY x" "" scripts/peer-stream.sh x
peer_bad "peer-dio engine 7" "" scripts/peer-dio.sh -e 7
peer_bad "peer-snapshot KEYS 0 (or a missing redis)" "" scripts/peer-snapshot.sh 0 1 1 1

finish
