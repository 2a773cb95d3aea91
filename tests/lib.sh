# Shared by the integration suites (tests/integration.sh, tests/suites/*.sh):
# a work dir with its own knobs state file, TAP output, runs and records.
# Source it after 'set -u'; end the suite with 'finish'.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
CB=${COWBENCH:-build/cowbench}
[ -x "$CB" ] || { echo "no $CB: run make first" >&2; exit 2; }
work=$(mktemp -d)
export COWBENCH_STATE=$work/knobs.state
trap 'rm -rf "$work"' EXIT

n=0 passed=0 failed=0 skipped=0
ok() { n=$((n + 1)) passed=$((passed + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)) failed=$((failed + 1)); echo "not ok $n $1"; shift; for l in "$@"; do echo "# $l"; done; }
skip() { n=$((n + 1)) skipped=$((skipped + 1)); echo "ok $n $1 # SKIP $2"; }
check() { # check NAME COND...
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}
conf() { # conf NAME LINES...: a config file in $work
	local f=$work/$1.conf; shift
	printf '%s\n' "$@" > "$f"
	echo "$f"
}
run() { # run DIR ARGS...: a run into $work/DIR, output in $work/DIR.out
	local d=$work/$1; shift
	"$CB" run -o "$d" "$@" > "$d.out" 2>&1
}
status_or_skip() { # NAME DIR SCEN BK PASS: 0 if not a skip, else skip NAME with the reason
	[ "$(rec "$2" "$3" "$4" "$5" .status)" = skip ] || return 0
	skip "$1" "$(rec "$2" "$3" "$4" "$5" .reason)"
	return 1
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
rec() { # rec DIR SCENARIO BACKING PASS JQ-EXPR: the value in rep 0's record
	jq -r --arg s "$2" --arg b "$3" --arg p "$4" \
		"select(.scenario==\$s and .backing==\$b and .pass==\$p and .rep==0) | $5" \
		"$work/$1/results.jsonl" | head -n1
}
# ok_or_skip NAME DIR SCENARIO BACKING CHECK-ARGS...: the check if the
# counting record is ok, a skip with its reason if the record is a skip;
# an error, a failure or no record is a failure, never a skip
ok_or_skip() {
	local name=$1 d=$2 s=$3 b=$4 st
	shift 4
	st=$(rec "$d" "$s" "$b" counting .status)
	case $st in
	ok) check "$name" "$@" ;;
	skip) skip "$name" "$(rec "$d" "$s" "$b" counting .reason)" ;;
	*) not_ok "$name" "${st:-no record}: $(rec "$d" "$s" "$b" counting .reason)" ;;
	esac
}
# zero_page DIR: does a read fault map the zero page (the run's probe)?
zero_page() { jq -r .zero_page_on_read "$work/$1/env.json"; }
# zero_page_case NAME DIR SCENARIO BACKING CHECK-ARGS...: where the run
# found the zero page mapped on a read fault, the record must be ok and the
# check hold; where it did not, the record must be a skip that says so
zero_page_case() {
	local name=$1 d=$2 s=$3 b=$4
	shift 4
	if [ "$(zero_page "$d")" = true ]; then
		check "$name" eq "$(rec "$d" "$s" "$b" counting .status)" ok
		check "$name" "$@"
	else
		check "$name: a skip, no zero page on a read fault here" \
			eq "$(rec "$d" "$s" "$b" counting '.status + ": " + (.reason | test("zero page") | tostring)')" "skip: true"
	fi
}
# kernel_at_least MAJOR MINOR: the running kernel's release
kernel_at_least() {
	local r=$(uname -r) M m
	M=${r%%.*} m=${r#*.} m=${m%%[!0-9]*}
	[ "$M" -gt "$1" ] || { [ "$M" = "$1" ] && [ "$m" -ge "$2" ]; }
}
# release_expect: configs/expect/release-R of the newest R not after the
# running kernel's release (the counts that changed between releases)
release_expect() {
	local d=$(cd "$(dirname "${BASH_SOURCE[0]}")/../configs/expect" && pwd) f best= r
	for f in "$d"/release-*; do
		r=${f##*/release-}
		kernel_at_least "${r%%.*}" "${r#*.}" || continue
		[ -z "$best" ] || [ "$(printf '%s\n%s\n' "${best##*/release-}" "$r" | sort -V | tail -n1)" = "$r" ] && best=$f
	done
	echo "${best:-$d/release-none}"
}
# expect_lines FILE DIR...: each line of 'cowbench expect' as a test here,
# and a failure if it printed none or its status disagrees with its lines
expect_lines() {
	local out st line name why
	out=$("$CB" expect "$@" 2>&1); st=$?
	while read -r line; do
		case $line in
		"not ok "*) name=${line#not ok * }; not_ok "${name} (${1##*/})" ;;
		"ok "*"# SKIP"*) name=${line#ok * } name=${name%% # SKIP*} why=${line##*# SKIP}
			why=${why# }; [ -n "$why" ] || why=${name##*: }
			skip "$name (${1##*/})" "$why" ;;
		"ok "*) name=${line#ok * }; ok "$name (${1##*/})" ;;
		esac
	done <<< "$out"
	check "cowbench expect ${1##*/}: lines printed, exit status $st agrees" \
		eq "$(grep -c '^ok \|^not ok ' <<< "$out" | awk '{ print ($1 > 0) }'),$st" \
		"1,$(grep -q '^not ok ' <<< "$out" && echo 1 || echo 0)"
}
eq() { [ "$1" = "$2" ] || { echo "# got '$1', expected '$2'"; return 1; }; }
ge() { [ "$1" -ge "$2" ] 2>/dev/null || { echo "# got '$1', expected >= $2"; return 1; }; }

knob_files="/proc/sys/vm/compaction_proactiveness /proc/sys/kernel/numa_balancing
/sys/kernel/mm/transparent_hugepage/shrink_underused /sys/kernel/mm/ksm/run
/sys/kernel/mm/transparent_hugepage/enabled /proc/sys/vm/nr_hugepages
/proc/sys/vm/stat_interval $(ls /sys/kernel/mm/hugepages/*/nr_hugepages /sys/block/zram*/disksize 2>/dev/null)"
knobs_now() {
	for f in $knob_files; do [ -e "$f" ] && echo "$f=$(cat "$f")"; done
	mountpoint -q /sys/kernel/tracing && echo "tracefs mounted" || echo "tracefs not mounted"
	echo "swaps: $(awk 'NR>1{print $1}' /proc/swaps | tr '\n' ' ')"
	echo "zram devices: $(ls -d /sys/block/zram* 2>/dev/null | wc -l)"
}


bad() { # bad NAME EXPECTED-TEXT ARGS...: one line, exit 2, nothing written
	local name=$1 want=$2 out rc; shift 2
	out=$("$CB" "$@" 2>&1); rc=$?
	if [ $rc = 2 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q -- "$want" &&
		[ ! -e "$work/never" ]; then ok "bad input: $name"; else
		not_ok "bad input: $name" "exit $rc: $out"; fi
}

# tree PID: PID and every descendant
tree() {
	local k
	echo "$1"
	for k in $(pgrep -P "$1"); do tree "$k"; done
}
# alive PID...: those still running (zombies are gone for this purpose)
alive() {
	local p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && echo "$p"
	done | tr '\n' ' '
}

# interrupt MARK SIGNAL BACKING [restore]: run cow-child on BACKING until
# the state file shows MARK (the backing's resource), send SIGNAL; after
# SIGKILL, 'cowbench restore'.  What $state_fn prints (default knobs_now)
# must be as before, and no state file left; then, after a pause, no
# process the run had is alive and the machine is still as before.
interrupt() {
	local mark=$1 sig=$2 bk=$3 d=$work/int-$2-$3 pid seen= before fn=${state_fn:-knobs_now} pids
	before=$($fn)
	"$CB" run -o "$d" "$(conf "int-$sig-$bk" "scenarios = cow-child" "backings = $bk" \
		"reps = 400" "warmup = 0" "pages = 4096")" > "$d.out" 2>&1 &
	pid=$!
	for _ in $(seq 300); do
		grep -q "$mark" "$COWBENCH_STATE" 2>/dev/null && seen=yes && break
		sleep 0.05
	done
	if [ -z "$seen" ] && wait $pid 2>/dev/null; then
		# it finished without MARK: the backing was a skip here
		local why
		why=$(jq -r 'select(.status=="skip") | .reason' "$d/results.jsonl" 2>/dev/null | head -n1)
		if [ -n "$why" ]; then
			skip "SIG$sig during a $bk run" "$why"
			return
		fi
	fi
	sleep 0.3
	pids=$(tree $pid)
	kill -"$sig" $pid; wait $pid 2>/dev/null
	[ "$sig" = KILL ] && { sleep 0.2; "$CB" restore > "$d.restore" 2>&1; }
	check "SIG$sig during a $bk run${4:+ + restore}: the machine as before" \
		eq "$seen,$($fn),$([ -e "$COWBENCH_STATE" ] && echo left)" "yes,$before,"
	sleep 1
	check "SIG$sig during a $bk run${4:+ + restore}: 1 s later none of its $(echo $pids | wc -w) processes lives, the machine still as before" \
		eq "$(alive $pids)|$($fn)" "|$before"
}

# Suites need root for pagemap PFNs, tracefs and the knobs.
need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP integration tests need root"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	fi
}

finish() {
	echo "1..$n"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ]
}
