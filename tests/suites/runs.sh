#!/usr/bin/env bash
# Runs as the unit: --runs groups, labels, the order of combinations, the
# end-of-run marker, the screen of every pass.  No time is asserted.
set -u
. "$(dirname "$0")/../lib.sh"
need_root

small=$(conf small "pages = 64" "reps = 2" "warmup = 0" "backings = base" \
	"scenarios = cow-child reuse-after-exit first-touch")
"$CB" run --runs 2 --label "A/A test" -o "$work/g" "$small" > "$work/g.out" 2>&1
check "--runs 2: group.json names two runs, the label, both exit 0" \
	eq "$(jq -c '[.runs, .label, .exit_status]' "$work/g/group.json")" '[["run-1","run-2"],"A/A test",[0,0]]'
check "--runs 2: each run is a complete run folder with the label" \
	eq "$(for r in run-1 run-2; do jq -r '.label + ":" + (.run_end.exit_status | tostring)' "$work/g/$r/env.json"; done | sort -u)" "A/A test:0"
check "--runs 2: each run has every record" \
	eq "$(wc -l < "$work/g/run-1/results.jsonl"),$(wc -l < "$work/g/run-2/results.jsonl")" "18,18"
check "--runs: each run records its own order seed" \
	eq "$(jq -r .matrix.order_seed "$work/g"/run-*/env.json | sort -u | wc -l)" 2
check "--runs: a group is never overwritten" \
	eq "$("$CB" run --runs 2 -o "$work/g" "$small" > /dev/null 2>&1; echo $?)" 2

seq1=$(jq -r 'select(.pass=="counting" and .rep==0) | .scenario' "$work/g/run-1/results.jsonl" | tr '\n' ' ')
"$CB" run --shuffle 7 -o "$work/s1" "$small" > /dev/null 2>&1
"$CB" run --shuffle 7 -o "$work/s2" "$small" > /dev/null 2>&1
o1=$(jq -r 'select(.pass=="counting" and .rep==0) | .scenario' "$work/s1/results.jsonl" | tr '\n' ' ')
o2=$(jq -r 'select(.pass=="counting" and .rep==0) | .scenario' "$work/s2/results.jsonl" | tr '\n' ' ')
check "--shuffle SEED: the same seed gives the same order (${o1% })" eq "$o1" "$o2"
check "--shuffle: every combination still runs once per repetition" \
	eq "$(echo "$o1" | tr ' ' '\n' | grep -c .),$(echo "$seq1" | tr ' ' '\n' | grep -c .)" "3,3"

r=$work/s1/results.jsonl
check "timing records: batches = ceil(ops / batch), interrupted ones counted" \
	eq "$(jq -r 'select(.pass=="timing") | (.batches == ((.ops + 31) / 32 | floor)) and (.batches_interrupted >= 0 and .batches_interrupted <= .batches) and .t_op_ns > 0' "$r" | sort -u)" true
check "every pass is screened: wall, lost (when any), context switches, migrations, steal ticks" \
	eq "$(jq -r '.screen | has("wall_ns") and has("ctxsw") and has("steal_ticks")' "$r" | sort -u)" true
check "a counting pass is never perturbed by lost time (its counts are exact)" \
	eq "$(jq -r 'select(.pass=="counting" and (.perturbed // "" | test("lost|batches"))) | "x"' "$r")" ""
fk=$(conf fk "scenarios = fork-latency" "backings = base" "reps = 2" "warmup = 0" \
	"fork-latency.size = 16M" "fork-latency.forks = 4")
run fk "$fk"
check "an op that waits by design (fork + wait) is never perturbed by its time off the CPU" \
	eq "$(jq -r 'select(.perturbed // "" | test("lost|batches")) | "x"' "$work/fk/results.jsonl")" ""
check "env.json: page reporting, DAMON, the end-of-run marker" \
	eq "$(jq -r '[(.page_reporting | type), (.damon.kdamond_threads | type), (.run_end.finished | type), (.run_end.steal_pct | type)] | join(",")' "$work/s1/env.json")" \
	"$( [ -d /sys/module/page_reporting/parameters ] && echo object || echo null),number,string,number"

# the environment changes under a run (another cowbench sets THP
# shrink_underused): env.json keeps the start's id and fields, the records
# still load, env_changed names what moved
COWBENCH_TEST_FAULT=env-drift "$CB" run -o "$work/drift" "$small" > /dev/null 2>&1
check "env changed under the run: the run loads, env_changed names it, the start's value kept" \
	eq "$("$CB" compare "$work/drift" > /dev/null 2>&1; echo $?),$(jq -c '[.env_changed, .machine == "env-drift"]' "$work/drift/env.json")" '0,[["machine"],false]'
check "env_changed: a run whose environment held names nothing it did not change" \
	eq "$(jq -r '.env_changed | map(select(. == "machine")) | length' "$work/s1/env.json")" 0

# mprotect rehearses its window once, untimed, in the timed passes, from
# repetition 0 on; a rehearsal that moved or split pages is thrown away
# and the pass runs again unrehearsed (one record, saying why)
rh=$(conf rh "scenarios = mprotect" "backings = base thp" "pages = 1024" "reps = 2" "warmup = 0")
rh_says() { # DIR: backing:pass:rehearsed of each ok record, sorted and counted
	jq -r 'select(.status == "ok") | "\(.backing):\(.pass):\(.rehearsed // "-" | gsub("[0-9]+"; "N") | .[0:40])"' \
		"$work/$1/results.jsonl" | sort | uniq -c | awk '{$1 = $1; print}' | tr '\n' ';'
}
thp_ok() { [ "$(rec "$1" mprotect thp counting .status)" = ok ]; }
run rh "$rh"
san=$(jq -r 'select(.pass == "timing") | .rehearsed' "$work/rh/results.jsonl" | grep -m1 '^no: a sanitizer build')
if [ -n "$san" ] && [ "$(basename "$(dirname "$CB")")" != build-san ]; then
	not_ok "mprotect: a build that is not build-san says it is sanitized" "$san"
elif [ -n "$san" ]; then
	for t in "every timed pass rehearsed" "a rehearsal that moved nothing" "a rehearsal that moved pages" \
		"a rehearsal that made the pages exclusive" "a rehearsal that only split a THP"; do
		skip "mprotect: $t" "${san#no: }"
	done
else
	want="2 base:counting:-;2 base:sampled:yes;2 base:timing:yes;"
	thp_ok rh && want="${want}2 thp:counting:-;2 thp:sampled:yes;2 thp:timing:yes;"
	check "mprotect: every timed pass rehearsed, from rep 0 (warmup = 0); the counting pass never" \
		eq "$(rh_says rh)" "$want"
	check "a rehearsal that moved nothing leaves nothing to warm (warm_kb 0)" \
		eq "$(jq -r 'select(.rehearsed == "yes") | .screen.warm_kb' "$work/rh/results.jsonl" | sort -u)" 0
	COWBENCH_TEST_FAULT=rehearsal-moves run rhm "$rh"
	mv="no: the rehearsal moved N page(s) (a cop"
	want="2 base:counting:-;2 base:sampled:$mv;2 base:timing:$mv;"
	thp_ok rhm && want="${want}2 thp:counting:-;2 thp:sampled:$mv;2 thp:timing:$mv;"
	check "a rehearsal that moved pages: the pass ran again unrehearsed, one ok record saying so" \
		eq "$(rh_says rhm),$(wc -l < "$work/rhm/results.jsonl")" "$want,$(wc -l < "$work/rh/results.jsonl")"
	COWBENCH_TEST_FAULT=rehearsal-unshares run rhu "$rh"
	un="no: the rehearsal took N fault(s), the w"
	want="2 base:counting:-;2 base:sampled:$un;2 base:timing:$un;"
	thp_ok rhu && want="${want}2 thp:counting:-;2 thp:sampled:$un;2 thp:timing:$un;"
	check "a rehearsal whose reuse faults made the pages exclusive (no PFN moved): the window took other faults, the pass ran again unrehearsed" \
		eq "$(rh_says rhu)" "$want"
	if thp_ok rh; then
		COWBENCH_TEST_FAULT=rehearsal-splits run rhs "$rh"
		check "a rehearsal that only split a THP (no PFN moved): the pass ran again unrehearsed" \
			eq "$(jq -r 'select(.pass == "timing" and .status == "ok") | "\(.backing):\(.rehearsed | .[0:38])"' "$work/rhs/results.jsonl" | sort -u | tr '\n' ';')" \
			"base:yes;thp:no: the rehearsal split a huge mapping;"
	else
		skip "a rehearsal that only split a THP" "$(rec rh mprotect thp counting .reason)"
	fi
fi

# a scenario's own repetitions: cow-child 3 + 1 warm-up, the rest the run's
own=$(conf own "pages = 64" "reps = 2" "warmup = 0" "backings = base" \
	"scenarios = cow-child first-touch" "cow-child.reps = 3" "cow-child.warmup = 1")
run own "$own"
check "<scenario>.reps: its combinations run its repetitions, the others the run's; --reps overrides both" \
	eq "$(jq -r 'select(.pass=="counting") | .scenario' "$work/own/results.jsonl" | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}'),$(grep -c 'some scenarios their own' "$work/own.out"),$("$CB" run --reps 1 -o "$work/own1" "$own" > /dev/null 2>&1; jq -r 'select(.pass=="counting") | .scenario' "$work/own1/results.jsonl" | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')" \
	"cow-child:3 first-touch:2 ,1,cow-child:1 first-touch:1 "
check "<scenario>.warmup: its warm-up repetition runs, the others' (warmup = 0) do not" \
	eq "$(grep -c 'cow-child base .* rep -1' "$work/own.out"),$(grep -c 'first-touch base .* rep -1' "$work/own.out")" "1,0"
bad "<scenario>.reps 0" "cow-child.reps" run -o "$work/never" "$(conf own0 "scenarios = cow-child" "backings = base" "cow-child.reps = 0")"
bad "--runs 0" "--runs: '0' is not a number" run -o "$work/never" --runs 0 "$small"
bad "--label empty" "--label: 1 to 100 characters" run -o "$work/never" --label "" "$small"
bad "--label with a newline" "control character" run -o "$work/never" --label "$(printf 'a\nb')" "$small"
bad "--runs with --resume" "--runs and --resume" run --runs 2 --resume "$work/s1" "$small"
bad "--shuffle not a number" "--shuffle: 'x'" run -o "$work/never" --shuffle x "$small"
bad "--runs with a bad config" "unknown key" run --runs 2 -o "$work/never" "$(conf k 'colour = red')"

# SIGINT to a group: the run in progress restores and the group stops with it
long=$(conf long "scenarios = fork-latency" "backings = base" "reps = 50" \
	"fork-latency.size = 256M" "fork-latency.forks = 50")
before=$(knobs_now)
"$CB" run --runs 3 -o "$work/gi" "$long" > "$work/gi.out" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -e "$COWBENCH_STATE" ] && break; sleep 0.1; done
sleep 0.5
kill -INT $pid; wait $pid; rc=$?
check "SIGINT to a group: exit 130, one run started, knobs restored" \
	eq "$rc,$(jq -c .exit_status "$work/gi/group.json"),$(knobs_now)" "130,[130],$before"
check "SIGINT: the interrupted run's env.json says so" \
	eq "$(jq -r .run_end.exit_status "$work/gi/run-1/env.json")" 130

finish
