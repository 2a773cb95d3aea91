#!/usr/bin/env bash
# Tests of compare, plot, report and regress on crafted result files
# (tests/mkrun.c writes them through the real record writer).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
CB=${COWBENCH:-build/cowbench}
MK=${MKRUN:-build/mkrun}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

n=0 passed=0 failed=0
ok() { n=$((n + 1)) passed=$((passed + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)) failed=$((failed + 1)); echo "not ok $n $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi; }
# has TEXT ERE: lines are joined with '~' first, so a pattern may span lines
has() { tr '\n' '~' <<< "$1" | grep -qE -- "$2" || { echo "# no '$2' in:"; head -n 40 <<< "$1" | sed 's/^/#   /'; return 1; }; }
hasnt() { ! grep -qE -- "$2" <<< "$1" || { echo "# unexpected '$2'"; return 1; }; }
mk() { "$MK" "$work/$1" "${@:2}" || echo "mkrun $1 failed"; }

# DIR LABEL KERNEL CREATED SCALE NOISE REPS SEED [MISSED] [ACCEL]
mk base stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.01 8 1
mk slow stock-6.18 6.18.0 2026-11-02T00:00:00Z 1.2 0.01 8 2
mk noisy_a stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.5 8 3
mk noisy_b stock-6.18 6.18.0 2026-11-02T00:00:00Z 1.2 0.5 8 4
mk tcg stock-6.18 6.18.0 2026-11-03T00:00:00Z 1.0 0.01 8 5 0 tcg

out=$("$CB" compare "$work/base" "$work/slow")
check "compare: a +20% shift with low noise is flagged" \
	has "$out" '(^|~)t/op ns +[0-9]+ ±[0-9]+% +[0-9]+ ±[0-9]+% +\+(19|20|21)\.[0-9]%\*'
check "compare: the unchanged counts are not flagged" \
	has "$out" '(^|~)copies/op +1 ±0% +1 ±0% +\+0\.0%~'
check "compare: a metric is one line, each value with its CV" \
	has "$out" '(^|~)t/op ns +[0-9]+ ±[0-9]+% [^~]*~p50 ns '
check "compare: no CV row under a metric" hasnt "$out" '^  CV %'
check "compare: json carries mean, hmean, stddev, cv and merged percentiles" \
	has "$("$CB" compare "$work/base" "$work/slow" --format json | jq -r '.[] | select(.metric=="p99") | [has("mean"), has("hmean"), has("stddev"), has("cv"), has("min"), has("merged_p99")] | all' | sort -u)" '^true~$'
out=$("$CB" compare "$work/noisy_a" "$work/noisy_b")
check "compare: the same shift within heavy noise is not flagged" hasnt "$out" '^(t/op|p50) .*\*'
out=$("$CB" compare "$work/base" "$work/base")
check "compare: identical runs show no '*'" hasnt "$out" '\*$'
out=$("$CB" compare "$work/base" "$work/slow" "$work/noisy_a" "$work/noisy_b" "$work/tcg")
check "compare: text output never exceeds 72 columns (5 runs)" \
	test -z "$(awk 'length($0) > 72' <<< "$out" | head -n 3)"
check "compare: warns when the accelerator differs" has "$out" '(^|~)warning: the runs differ in accelerator: .*E=tcg'
check "compare: md is a table per group, a row per metric, '*' escaped" has "$("$CB" compare --format md "$work/base" "$work/slow")" '(^|~)\| t/op ns +\| +9[0-9][0-9] ±[0-9]+% \| 1[12][0-9][0-9] ±[0-9]+% \+[0-9.]+%\\\* \|~'
check "compare: csv has a header and a row per run and metric" \
	has "$("$CB" compare "$work/base" "$work/slow" --format csv | sed -n '1p;$p' | tr '\n' '|')" '^scenario,backing,params,metric,.*\|"reuse-after-exit",.*'
check "compare: json parses and marks the shift significant" \
	has "$("$CB" compare "$work/base" "$work/slow" --format json | jq -r '[.[] | select(.metric=="t/op" and .significant)] | length')" '^2~$'

# ---- correctness always shows; missing is not 0 (issue 6) ----
MKRUN_FAIL_PERTURBED=2 mk pfail stock-6.19 6.19.0 2026-11-04T00:00:00Z 1.0 0.01 8 12
out=$("$CB" compare "$work/base" "$work/pfail")
check "compare: a perturbed record's missed COW shows as the max and FAIL" \
	has "$out" 'reuse-after-exit base pages=512~.*~missed COW +0 +2 FAIL~'
check "compare: json has the verdict's max from the perturbed record" \
	has "$("$CB" compare "$work/base" "$work/pfail" --format json | jq -r '.[] | select(.metric=="missed COW" and .run=="pfail" and .scenario=="reuse-after-exit") | .max')" '^2~$'
MKRUN_UNMEASURED=1 mk unmeasured stock-6.18 6.18.0 2026-11-02T00:00:00Z 1.0 0.01 8 13
out=$("$CB" compare -v "$work/base" "$work/unmeasured")
check "compare: unmeasured faults and partly skipped tlb show n/a, n=0" \
	has "$out" '~faults/op +1 ±0% +n/a~  n +8 +0~  mdc, n5~tlb/op +1 ±0% +n/a~  n +8 +0~  mdc, n5~'
check "compare: unmeasured is null in json, empty in csv" \
	has "$("$CB" compare "$work/base" "$work/unmeasured" --format json | jq -c '[.[] | select(.metric=="tlb/op" and .run=="unmeasured") | [.n, .median, .ratio]] | unique')$("$CB" compare "$work/base" "$work/unmeasured" --format csv | grep -c '"faults/op","","unmeasured","stock-6.18",0,,,,,,,,,,,,0,0,,,,0,,,,,,"",,,0$')" '^\[\[0,null,null\]\]2~$'

# ---- compare defects (issue 7 item 6) ----
MKRUN_ONLY=cow-child mk only_cc stock-6.18 6.18.0 2026-11-02T00:00:00Z 1.0 0.01 8 14
out=$("$CB" compare "$work/base" "$work/only_cc")
check "compare: a group missing in B is n/a, never -100%" \
	has "$out" 'reuse-after-exit base pages=512~.*~t/op ns +[0-9]+ ±[0-9]+% +n/a~'
check "compare: no -100% anywhere" hasnt "$out" '-100'
check "compare: a group only B has is new" \
	has "$("$CB" compare "$work/only_cc" "$work/base")" 'reuse-after-exit base pages=512~.*~t/op ns +n/a +[0-9]+ ±[0-9]+% +new~'
check "compare: a missing group is null in json" \
	has "$("$CB" compare "$work/base" "$work/only_cc" --format json | jq -c '[.[] | select(.scenario=="reuse-after-exit" and .run=="only_cc" and .metric=="t/op") | [.n, .median, .ratio, .significant]]')" '^\[\[0,null,null,false\]\]~$'
mk ties_a stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0 3 15
mk ties_b stock-6.18 6.18.0 2026-11-02T00:00:00Z 2.0 0 3 15
out=$("$CB" compare "$work/ties_a" "$work/ties_b")
check "compare: 3 tied values against 3: exact p = 0.1, '?' and no star" \
	has "$out$("$CB" compare "$work/ties_a" "$work/ties_b" --format json | jq -r '[.[] | select(.metric=="t/op" and .run=="ties_b") | [.p, .significant, .testable]] | unique | @text')" '~t/op ns +1000 ±0% +2000 ±0% +\+100%\?~.*\[\[0\.1,false,false\]\]~$'
check "compare: the legend says what '?' means" has "$out" "'\\?': too few repetitions to test"
mk esc 'x|y"z' 6.18.0 2026-11-02T00:00:00Z 1.0 0.01 8 16
check "compare: csv doubles quotes" \
	has "$("$CB" compare "$work/base" "$work/esc" --format csv | grep -c '^"cow-child","base","pages=512","t/op","ns","esc","x|y""z",')" '^1~$'
out=$("$CB" compare --format md "$work/base" "$work/esc")
check "compare: md has the header and legend, escapes '|'" \
	has "$out" '^## cowbench compare~~```~cowbench compare: 2 columns \(2 runs\).*'"'\\?'"': too few.*~```~.*\| +B: x\\\|y"z \|'
MKRUN_SUITE=t2 MKRUN_KCONFIG=c2 MKRUN_DEFRAG=never MKRUN_PAIR_NS=35 \
	mk differ stock-6.18 6.18.0 2026-11-02T00:00:00Z 1.0 0.01 8 17
out=$("$CB" compare "$work/base" "$work/differ")
check "compare: warns on THP defrag, kernel config, suite version, clock cost" \
	has "$out" 'differ in THP defrag: A=madvise B=never~warning: the runs differ in kernel config digest: A=c1 B=c2~warning: the runs differ in suite version: A=t1 B=t2~warning: the runs differ in clock cost \(ns a pair\): A=20\.0 B=35\.0~'
mk k1 stock 6.18.0-rc1 2026-11-01T00:00:00Z 1.0 0.01 3 18
mk k2 stock 6.18.0-rc2 2026-11-02T00:00:00Z 1.0 0.01 3 19
check "compare: two kernels with one label keep apart" \
	has "$("$CB" compare "$work/k1" "$work/k2" --format md)" '\| A: stock\(6\.18\.0-rc1\) \| B: stock\(6\.18\.0-rc2\) \|'

# a run is one sample: listed twice in a column (or as a copy) is bad input
cp -a "$work/base" "$work/base_copy"
for col in "$work/base,$work/base,$work/base" "$work/base,$work/base_copy"; do
	out=$("$CB" compare "$col" "$work/slow" 2>&1); rc=$?
	check "compare: a run twice in a column ($(basename "${col##*,}")): exit 2, one line naming it" \
		test "$rc,$(wc -l <<< "$out"),$(grep -c "lists run [^ ]* twice" <<< "$out")" = "2,1,1"
done

# the header names what differs between the columns' command lines, the
# rest under -v (a Firecracker cmdline is 16 lines)
out=$("$CB" compare "$work/base" "$work/slow")
check "compare: one cmdline for all: one line saying so" \
	has "$out" '~  cmdline: the same in every run \(-v prints it\)~'
check "compare -v: the cmdline whole" \
	has "$("$CB" compare -v "$work/base" "$work/slow")" '~  cmdline: console=ttyS0 quiet~'
cp -a "$work/slow" "$work/slow_mc"
jq -c '.cmdline = "console=ttyS0 quiet cow_policy=mapcount"' "$work/slow/env.json" > "$work/slow_mc/env.json"
out=$("$CB" compare "$work/base" "$work/slow_mc")
check "compare: cmdlines that differ: each column's own words only" \
	has "$out" '~    cmdline, what differs: \(none\)~.*~    cmdline, what differs: cow_policy=mapcount~'

# a table for a mail: the changes and failures first, filters, 72 columns
mk slow3 stock-6.18 6.18.0 2026-11-02T00:00:00Z 1.2 0.01 8 2 3
out=$("$CB" compare "$work/base" "$work/slow3")
check "compare: a summary of every '*' and FAIL leads the text" \
	has "$out" "~changes \('\*'\) and failures:~  cow-child base pages=512: t/op \+[0-9.]+%\* in B~.*~  reuse-after-exit base pages=512: missed COW 3 FAIL in B~~cow-child base"
check "compare: no change, no failure: the summary says none" \
	has "$("$CB" compare "$work/base" "$work/base")" "~changes \('\*'\) and failures: none~"
out=$("$CB" compare -s cow-child --changed "$work/base" "$work/slow3")
check "compare -s cow-child --changed: that scenario's starred rows only" \
	test "$(grep -cE '^(cow-child|reuse-after-exit) ' <<< "$out"),$(grep -c '^faults/op' <<< "$out"),$(grep -cE '^(t/op|p50|p99) .*\*$' <<< "$out")" = "1,0,3"
check "compare -s --changed: every line fits 72 columns" \
	test -z "$(awk 'length > 72' <<< "$out")"
out=$("$CB" compare -m 't/op' --format csv "$work/base" "$work/slow3")
check "compare -m: only that metric's rows (csv too)" \
	test "$(tail -n +2 <<< "$out" | cut -d, -f4 | sort -u | tr '\n' ' ')" = '"t/op" '

mk long_a page_count-6.12.117-lab 6.12.0 2026-11-01T00:00:00Z 1.0 0.01 3 42
mk long_b mapcount-6.12.117-lab-with-a-very-long-name 6.12.0 2026-11-02T00:00:00Z 1.0 0.01 3 43
out=$("$CB" compare "$work/long_a" "$work/long_b")
check "compare: a label too long for its column keeps its end, never vanishes" \
	has "$out" '~ +page_count-6\.12\.117-lab ~th-a-very-long-name~ +A +B~'

# ---- runs as the unit: groups of runs (issue 7) ----
# mkg GROUP SEED SCALE...: a group folder as 'cowbench run --runs K' writes
# it, one run per scale (the between-run noise), 5% noise within a run
mkg() {
	local g=$1 seed=$2 i=0 list=""; shift 2
	mkdir -p "$work/$g"
	for sc in "$@"; do
		i=$((i + 1))
		mk "$g/run-$i" stock-6.18 6.18.0 2026-11-0${i}T00:00:00Z "$sc" 0.05 8 $((seed + i))
		list="$list${list:+,}\"run-$i\""
	done
	echo "{\"runs\":[$list],\"label\":null}" > "$work/$g/group.json"
}
mkg ga 100 1.00 1.03 0.98
mkg gb 200 1.20 1.17 1.23
mkg ga2 300 0.99 1.02 1.01
out=$("$CB" compare -v "$work/ga" "$work/gb")
js=$("$CB" compare --json "$work/ga" "$work/gb")
check "groups: a planted +20% shift across 3-run groups is flagged (t/op, p50, p99)" \
	has "$(jq -r '[.[] | select(.run=="gb" and (.metric=="t/op" or .metric=="p50" or .metric=="p99")) | .significant] | [length, all] | @text' <<< "$js")" '^\[6,true\]~$'
check "groups: n shows repetitions (runs), the legend says runs are the unit" \
	has "$out" "runs are the unit, Welch's t.*~t/op ns +[0-9]+ ±[0-9]+% +[0-9]+ ±[0-9]+% +\+1[5-9]\.[0-9]%\*~  n +24 \(3\) +24 \(3\)~  mdc, n5 +[0-9.]+% +n5=[0-9]+~"
check "groups: the header names the group and its runs" \
	has "$out" '~  A ga: 3 runs \(run-1 run-2 run-3\) stock-6\.18 \(6\.18\.0\) lab1~'
check "groups: json has the unit, the between-run CV and no unknown noise" \
	has "$(jq -c '[.[] | select(.metric=="t/op") | [.runs, (.between_run_cv > 0), .stat_unit, .between_run_noise_known]] | unique' <<< "$js")" '^\[\[3,true,null,null\],\[3,true,"runs",true\]\]~$'
out=$("$CB" compare "$work/ga" "$work/ga2")
check "groups: an A/A pair of 3-run groups of crafted noise has no star" hasnt "$out" '\)\*'
check "groups: RUN,RUN,RUN is the group its folder is" \
	test "$("$CB" compare --json "$work/ga" "$work/gb" | jq -c '[.[] | [.p, .q, .median]]')" = \
	"$("$CB" compare --json "$work/ga/run-1,$work/ga/run-2,$work/ga/run-3" "$work/gb/run-1,$work/gb/run-2/,$work/gb/run-3" | jq -c '[.[] | [.p, .q, .median]]')"
out=$("$CB" compare "$work/base" "$work/slow")
check "one run a side: the legend says the between-run noise is unknown" \
	has "$out" 'one run a side: the between-run noise is unknown'
check "one run a side: json says so (between_run_cv null, noise not known)" \
	has "$("$CB" compare --json "$work/base" "$work/slow" | jq -c '[.[] | select(.run=="slow" and .metric=="t/op") | [.runs, .between_run_cv, .stat_unit, .between_run_noise_known]] | unique')" '^\[\[1,null,"repetitions",false\]\]~$'
out=$("$CB" compare -v "$work/base" "$work/slow")
check "mdc: under -v every compared row prints its smallest detectable change" \
	test "$(grep -c '^  mdc, n5' <<< "$out")" = "$(grep -cE '^  mdc, n5 +([0-9.]+%|n/a|exact)$' <<< "$out")" -a "$(grep -c '^  mdc, n5' <<< "$out")" -ge 10
check "mdc: a count with no spread on either side reads exact, without n5" \
	has "$out" '~copies/op +1 ±0% +1 ±0% +\+0\.0%~  n +8 +8~  mdc, n5 +exact~'
check "mdc: the group test's mdc is in json, above 0" \
	has "$("$CB" compare --json "$work/ga" "$work/gb" | jq -r '[.[] | select(.run=="gb" and .metric=="t/op") | .mdc > 0] | all')" '^true~$'
# a modest shift in one scenario: raw p < 0.05, not after BH over the rows
mk bh_a stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.1 8 14
MKRUN_SCALE_ONLY=cow-child mk bh_c stock-6.18 6.18.0 2026-11-02T00:00:00Z 1.06 0.1 8 15
check "BH: a raw p < 0.05 is not flagged after Benjamini-Hochberg" \
	has "$("$CB" compare --json "$work/bh_a" "$work/bh_c" | jq -c '[.[] | select(.run=="bh_c" and .metric=="t/op" and .scenario=="cow-child") | [.p < 0.05, .q >= 0.05, .significant]]')" '^\[\[true,true,false\]\]~$'
check "BH: the legend says the stars are after Benjamini-Hochberg" \
	has "$("$CB" compare "$work/bh_a" "$work/bh_c")" 'significant after~Benjamini-Hochberg over every tested row'
check "BH: no t/op star for the modest shift" hasnt "$("$CB" compare "$work/bh_a" "$work/bh_c")" '^t/op.*\*'
MKRUN_FAULTS=1 mk thp_a stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.01 8 31
MKRUN_FAULTS=1 mk thp_b stock-6.18 6.18.0 2026-11-02T00:00:00Z 1.0 0.01 8 32
out=$("$CB" compare "$work/thp_a" "$work/thp_b")
check "per fault: time per fault beside t/op where faults << ops (t/op x 512)" \
	has "$out" 'cow-child base pages=512~.*~t/op ns +(99[0-9]|100[0-9]) [^~]*~t/fault ns +5(0[5-9]|1[0-5])[0-9]{3} ±[0-9]+% +5[01][0-9]{4} '
check "per fault: no t/fault row where every op faults" hasnt "$("$CB" compare "$work/base" "$work/slow")" '^t/fault'
mk lbl my-label 6.18.0-rc1-00042-gabcdef012345 2026-11-02T00:00:00Z 1.0 0.01 8 33
out=$("$CB" compare "$work/base" "$work/lbl")
check "labels: the column header is the label, the header keeps the full uname -r" \
	has "$out" '~  B lbl my-label \(6\.18\.0-rc1-00042-gabcdef012345\)~  every run: host lab1, .*~ +stock-6\.18 +my-label~'
mkdir -p "$work/gmix"; cp -r "$work/ga/run-1" "$work/ga/run-2" "$work/gmix/"
mk gmix/run-3 stock-6.18 6.18.0 2026-11-03T00:00:00Z 1.0 0.05 8 34 0 tcg
echo '{"runs":["run-1","run-2","run-3"],"label":null}' > "$work/gmix/group.json"
check "groups: a group whose runs differ in accelerator is warned about" \
	has "$("$CB" compare "$work/ga" "$work/gmix")" 'warning: the runs differ in accelerator: A=kvm B=kvm/tcg'
mkdir -p "$work/gk"; cp -r "$work/ga/run-1" "$work/ga/run-2" "$work/gk/"
mk gk/run-3 stock-6.18 6.18.1 2026-11-03T00:00:00Z 1.0 0.05 8 37
echo '{"runs":["run-1","run-2","run-3"],"label":null}' > "$work/gk/group.json"
check "groups: a group whose runs differ in kernel is warned about" \
	has "$("$CB" compare "$work/ga" "$work/gk")" 'warning: the runs of B \(gk\) differ in kernel: 6\.18\.0/6\.18\.1~'
check "compare: columns of different kernels are no warning" \
	hasnt "$("$CB" compare "$work/k1" "$work/k2")" 'differ in kernel'
mkdir -p "$work/gbad"; echo '{"runs":[]}' > "$work/gbad/group.json"
out=$("$CB" compare "$work/ga" "$work/gbad" 2>&1); rc=$?
check "groups: a group.json without runs is a file:line error, exit 2" \
	has "$rc|$out" '^2\|.*gbad/group\.json:1: no "runs": \[RUN, \.\.\.\] in it~$'
"$CB" report "$work/ga" "$work/gb" -o "$work/greport" > /dev/null 2>&1
check "report: groups as columns, every run's env kept" \
	test -s "$work/greport/env-A1.json" -a -s "$work/greport/env-B3.json" -a -n "$(grep -l 'B gb: 3 runs (run-1 run-2 run-3)' "$work/greport/compare.txt")"

# ---- A/A script, with a fake cowbench that crafts runs ----
cbabs=$(realpath "$CB") mkabs=$(realpath "$MK")
cat > "$work/fakecb" << FAKE
#!/usr/bin/env bash
# 'run --runs K -o GROUP CONFIG' crafts K runs of one distribution (group
# b scaled by FAKE_SCALE_B); the rest is the real cowbench
if [ "\$1" = run ]; then
	shift
	while [ \$# -gt 1 ]; do
		case \$1 in --runs) k=\$2; shift 2 ;; -o) o=\$2; shift 2 ;; *) shift ;; esac
	done
	echo "run --runs \$k -o \$o \$1" >> "$work/fake.log"
	n=\$(cat "$work/fake.seed" 2> /dev/null || echo 40)
	mkdir -p "\$o"; list=
	for i in \$(seq 1 "\$k"); do
		n=\$((n + 1))
		sc=1.0; case \$o in */b) sc=\${FAKE_SCALE_B:-1.0} ;; esac
		"$mkabs" "\$o/run-\$i" stock-6.18 6.18.0 2026-11-01T00:00:00Z \$sc 0.05 8 \$n || exit 1
		list="\$list\${list:+,}\"run-\$i\""
	done
	echo \$n > "$work/fake.seed"
	echo "{\"runs\":[\$list],\"label\":null}" > "\$o/group.json"
	exit 0
fi
exec "$cbabs" "\$@"
FAKE
chmod +x "$work/fakecb"
out=$(COWBENCH=$work/fakecb scripts/aa.sh -n 4 -k 3 -o "$work/aa" configs/quick.conf 2> "$work/aa.err"); rc=$?
aa_out=$out
check "aa.sh: runs N pairs of K-run groups through 'run --runs K'" \
	test "$rc,$(grep -c "^run --runs 3 -o $work/aa/pair-[1-4]/[ab] configs/quick.conf$" "$work/fake.log")" = "0,8"
check "aa.sh: per metric the rows, the starred and the raw p < 0.05 with rates, mdc, n5" \
	has "$out" '^metric +rows +starred +rate +p<0\.05 +rate +median mdc +median n5~.*~t/op +8 +[0-8] +[0-9.]+% +[0-8] +[0-9.]+% +[0-9.]+% +[0-9]+~.*timing rows +24 +[0-9]+ +[0-9.]+% +[0-9]+ +[0-9.]+% +[0-9.]+% +[0-9]+~all tests +[0-9]+ .*~exact rows +[0-9]+ +0 +0% '
check "aa.sh: the counts are those of the compare outputs (tests: exact rows apart)" \
	test "$(jq -rs '[.[][] | select(.p != null and (.exact | not))] | [length, ([.[] | select(.significant)] | length), ([.[] | select(.p < 0.05)] | length)] | @text' "$work"/aa/pair-*/compare.json)" = "$(awk '/^all tests/ {printf "[%s,%s,%s]", $3, $4, $6}' <<< "$out")"
out=$(FAKE_SCALE_B=1.2 COWBENCH=$work/fakecb scripts/aa.sh -n 2 -k 3 -o "$work/ab" configs/quick.conf 2> /dev/null)
check "aa.sh: a planted +20% in every B group is flagged in every timing row" \
	has "$out" '~timing rows +12 +12 +100% '

out=$(COWBENCH=$work/fakecb scripts/aa.sh -k 1 configs/quick.conf 2>&1); rc=$?
check "aa.sh: one run a group is refused, exit 2" has "$rc|$out" '^2\|aa.sh: -k needs 2 or more runs'

# ---- plot ----
if "$CB" plot "$work/base" "$work/slow" -o "$work/plots" > "$work/plot.out" 2>&1; then
	ok "plot: gnuplot ran clean (exit 0, nothing on stderr)"
else
	not_ok "plot: gnuplot ran clean" "$(tail -3 "$work/plot.out")"
fi
empty=0 count=0
for f in "$work"/plots/*.png "$work"/plots/*.svg; do
	count=$((count + 1)); [ -s "$f" ] || empty=$((empty + 1))
done
check "plot: every plot is a non-empty PNG and SVG ($count files)" test "$count" -ge 10 -a "$empty" = 0
check "plot: PNG files are PNG, SVG files are SVG" \
	test "$(head -c 4 "$work/plots/cdf-cow-child-base-pages_512.png" | tail -c 3),$(head -c 400 "$work/plots/cdf-cow-child-base-pages_512.svg" | grep -c '<svg')" = "PNG,1"
check "plot: scripts and data are kept beside the images" \
	test -s "$work/plots/cdf-cow-child-base-pages_512.gp" -a -s "$work/plots/cdf-cow-child-base-pages_512.dat"
check "plot: a plot with no data leaves no files" test ! -e "$work/plots/fork-latency.dat"

if "$CB" plot "$work/only_cc" "$work/unmeasured" -o "$work/plots2" > "$work/plot2.out" 2>&1; then
	ok "plot: runs covering different scenarios plot clean"
else
	not_ok "plot: runs covering different scenarios plot clean" "$(tail -3 "$work/plot2.out")"
fi
check "plot: a group only B has gets a bar, unmeasured is missing ('?'), not 0" \
	has "$(cat "$work/plots2/bars-tlb-op-base.dat")" '^"cow-child pages=512" 1 \?~$'
check "plot: a group no run measured is named in the log, not a row of '?'" \
	grep -q '^plot: bars-tlb-op-base: reuse-after-exit pages=512: not measured in any run$' "$work/plot2.out"
check "plot: the trend legend names the parameters" \
	has "$(cat "$work/plots2/trend-t-op.gp")" "title 'cow-child base pages=512'"
# counting records only (a check suite's runs): no series has a point
for r in base slow; do
	mkdir -p "$work/count_$r" && cp "$work/$r/env.json" "$work/count_$r/"
	jq -c 'select(.pass=="counting")' "$work/$r/results.jsonl" > "$work/count_$r/results.jsonl"
done
if "$CB" plot "$work/count_base" "$work/count_slow" -o "$work/plots5" > "$work/plot5.out" 2>&1; then
	ok "plot: runs without timing records plot clean, no empty trend"
else
	not_ok "plot: runs without timing records plot clean, no empty trend" "$(tail -3 "$work/plot5.out")"
fi
MKRUN_FORK=64M,1M,16M mk fork_a stock-6.17 6.17.0 2026-10-01T00:00:00Z 1.0 0.01 3 35
MKRUN_FORK=64M,1M,16M mk fork_b stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.5 0.01 3 36
"$CB" plot "$work/fork_b" "$work/fork_a" -o "$work/plots3" --normalise > "$work/plot3.out" 2>&1
check "plot: fork-latency points sorted by size" \
	has "$(awk 'NF {print $1}' "$work/plots3/fork-latency.dat" | tr '\n' ' ')" '^1 16 64 1 16 64 ~$'
check "plot: a log-scale tail (1 - CDF) per group" \
	test -s "$work/plots3/tail-cow-child-base-pages_512.svg" -a -n "$(grep -l 'set logscale xy' "$work/plots3/tail-cow-child-base-pages_512.gp")" -a \
	-z "$(awk 'NF && ($2 <= 0 || $2 >= 1)' "$work/plots3/tail-cow-child-base-pages_512.dat")"
# a trend series is two blocks: each run's point, then the releases' medians
medians() { awk 'BEGIN { RS = "\n\n\n" } NR % 2 == 0' "$1"; }
check "plot: --normalise starts every trend series at 1, in release order" \
	has "$(medians "$work/plots3/trend-t-op.dat")|$(grep -c "the first release's median = 1" "$work/plots3/trend-t-op.gp")" '^0 1~1 1\.[45][0-9]*~0 1~1 1\.[45][0-9]*\|1~$'

# ---- report ----
mk failing stock-6.19 6.19.0 2026-11-04T00:00:00Z 1.0 0.01 8 6 3
"$CB" report "$work/base" "$work/failing" -o "$work/report" > /dev/null 2>&1
check "report: index.html, compare text, plots and envs in one folder" \
	test -s "$work/report/index.html" -a -s "$work/report/compare.txt" -a -s "$work/report/env-B.json" -a -s "$work/report/plots/trend-t-op.svg"
check "report: verdicts side by side, the missed COW fails" \
	has "$(grep -o 'class="[a-z]*">[^<]*' "$work/report/index.html" | sort | uniq -c | tr -s ' ')" '1 class="fail">FAIL: 3 missed, 0 wrong COW~ *3 class="ok">ok~'
check "report: every plot the page shows exists" \
	test -z "$(grep -o 'plots/[^"]*\.svg' "$work/report/index.html" | while read -r p; do [ -s "$work/report/$p" ] || echo "$p"; done)"

# ---- regress ----
mkdir -p "$work/h1" "$work/h2"
mk h1/old stock-6.17 6.17.0 2026-10-01T00:00:00Z 1.0 0.01 8 7
mk h1/new stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.3 0.01 8 8
out=$("$CB" regress --history "$work/h1"); rc=$?
check "regress: one run a side: +30% is 'untested: one run', exit 0 (issue 17)" \
	has "$rc|$out" '^0\|regress: stock-6\.18 \(new\) against stock-6\.17 \(old\), threshold 5\.0%~regress: timing untested: one run a side \(a release needs 2\+ on one side: cowbench run --runs K\)~regress: 0 regressions~$'
check "regress: keeps an index by release" has "$(cat "$work/h1/index.tsv")" '^release	policy.*~6\.17\.0	stock	lab1	m1	[^~]*~6\.18\.0	stock	lab1'
mk h2/old stock-6.17 6.17.0 2026-10-01T00:00:00Z 1.0 0.3 8 9
mk h2/new stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.3 8 10
out=$("$CB" regress --history "$work/h2"); rc=$?
check "regress: exit 0 on noise" has "$rc|$out" '^0\|.*~regress: 0 regressions~$'
mk h2/newer stock-6.19 6.19.0 2026-11-05T00:00:00Z 1.0 0.01 8 11 2
out=$("$CB" regress --history "$work/h2"); rc=$?
check "regress: a new missed COW is a regression" has "$rc|$out" '^1\|.*~reuse-after-exit base pages=512: missed COW: 0 -> 2: new correctness failure'
out=$("$CB" regress --history "$work/h2" --threshold 1000 "$work/h2/new"); rc=$?
check "regress: an explicit RUN against its previous release" has "$rc|$out" '^0\|regress: stock-6.18 \(new\) against stock-6.17'

"$CB" report "$work/base" "$work/pfail" -o "$work/report2" > /dev/null 2>&1
check "report: a perturbed record's missed COW fails the verdict" \
	has "$(grep -o 'class="fail">[^<]*' "$work/report2/index.html")" '^class="fail">FAIL: 2 missed, 0 wrong COW~$'
mkdir -p "$work/h3" "$work/h4" "$work/h5"
mk h3/old stock-6.18 6.18.0 2026-10-01T00:00:00Z 1.0 0.01 8 20
MKRUN_ONLY=cow-child mk h3/new stock-6.19 6.19.0 2026-11-01T00:00:00Z 1.0 0.01 8 21
out=$("$CB" regress --history "$work/h3"); rc=$?
check "regress: a scenario with no data in the new run is a failure" \
	has "$rc|$out" '^1\|.*~reuse-after-exit base pages=512: no data in stock-6.19 new \(no records\): failure~regress: 1 regression~$'
MKRUN_FAIL_PERTURBED=2 mk h3/newer stock-6.20 6.20.0 2026-11-05T00:00:00Z 1.0 0.01 8 22
out=$("$CB" regress --history "$work/h3" "$work/h3/newer"); rc=$?
check "regress: a perturbed record's missed COW is a regression" \
	has "$rc|$out" '^1\|.*reuse-after-exit base pages=512: missed COW: n/a -> 2: new correctness failure: stock-6.19 -> stock-6.20~'
mk h4/a stock-6.17 6.17.0 2026-10-01T00:00:00Z 1.0 0.01 3 23
mk h4/b stock-6.18 6.18.0 2026-11-10T00:00:00Z 1.0 0.01 3 24
mk h4/c stock-6.18 6.18.0-rc3 2026-11-03T00:00:00Z 1.0 0.01 3 25
MKRUN_RUNNING=1 mk h4/wip stock-6.19 6.19.0 2026-11-12T00:00:00Z 1.0 0.01 3 26
head -c -20 "$work/h4/wip/results.jsonl" > "$work/h4/wip/r" && mv "$work/h4/wip/r" "$work/h4/wip/results.jsonl"
out=$("$CB" regress --history "$work/h4"); rc=$?
check "regress: an in-progress run is skipped with a note, not exit 2" \
	has "$rc|$out" '^0\|regress: skipping .*/h4/wip: in progress \(its last record is incomplete\)~regress: stock-6.18 \(b\) against stock-6.18 \(c\)'
check "regress: -rc sorts before the release" \
	has "$(cut -f1 "$work/h4/index.tsv")" '^release~6\.17\.0~6\.18\.0-rc3~6\.18\.0~$'
mk h5/only stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.01 3 27
out=$("$CB" regress --history "$work/h5"); rc=$?
check "regress: no earlier release says so" \
	has "$rc|$out" '^0\|regress: no earlier release of 6\.18\.0 \(lab1, policy stock, matrix m1\) in .*h5: nothing to compare~$'

# a tracker never passes a crash (issue 17): the newest run ended with no
# results or a torn one, ended with a non-zero status, a pass that erred,
# more missed COWs than its baseline
ended() { # DIR STATUS: env.json says the run ended so
	jq -c ". + {run_end: {exit_status: $2}}" "$1/env.json" > "$1/e" && mv "$1/e" "$1/env.json"
}
mkdir -p "$work/h6" "$work/h7" "$work/h8"
mk h6/old stock-6.17 6.17.0 2026-10-01T00:00:00Z 1.0 0.01 3 30
mk h6/new stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.01 3 31
head -c -20 "$work/h6/new/results.jsonl" > "$work/h6/new/r" && mv "$work/h6/new/r" "$work/h6/new/results.jsonl"
ended "$work/h6/new" 0
out=$("$CB" regress --history "$work/h6"); rc=$?
check "regress: the newest run ended with a torn record: exit 1 naming it" \
	has "$rc|$out" '^1\|regress: .*/h6/new: the newest run ended \(exit status 0\) with a torn last record: failure~'
rm "$work/h6/new/results.jsonl"
out=$("$CB" regress --history "$work/h6"); rc=$?
check "regress: the newest run ended with no results.jsonl: exit 1" \
	has "$rc|$out" '^1\|regress: .*/h6/new: the newest run ended \(exit status 0\) with no results\.jsonl: failure~'
mk h7/old stock-6.17 6.17.0 2026-10-01T00:00:00Z 1.0 0.01 3 32
mk h7/new stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.01 3 33
ended "$work/h7/new" 130
jq -c 'if .scenario == "cow-child" and .pass == "counting" then .status = "error" | .reason = "the pass crashed" else . end' \
	"$work/h7/new/results.jsonl" > "$work/h7/r" && mv "$work/h7/r" "$work/h7/new/results.jsonl"
out=$("$CB" regress --history "$work/h7"); rc=$?
check "regress: a run that ended with exit status 130 is a failure" \
	has "$rc|$out" '^1\|.*~regress: new ended with exit status 130: failure~'
check "regress: a counting pass that erred is a failure, naming it" \
	has "$out" '~cow-child base pages=512: counting pass error in stock-6.18 \(the pass crashed\): failure~'
# timing passes that timed out, the counting pass ok: no t/op, and a failure
mkdir -p "$work/h7t"
mk h7t/old stock-6.17 6.17.0 2026-10-01T00:00:00Z 1.0 0.01 3 32
mk h7t/new stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.01 3 33
jq -c 'if .scenario == "cow-child" and .pass == "timing" then .status = "timeout" | .reason = "no progress for 60 s" else . end' \
	"$work/h7t/new/results.jsonl" > "$work/h7t/r" && mv "$work/h7t/r" "$work/h7t/new/results.jsonl"
out=$("$CB" regress --history "$work/h7t"); rc=$?
check "regress: the newest run's timing passes timed out: exit 1 naming the pass" \
	has "$rc|$out" '^1\|.*~cow-child base pages=512: timing pass timeout in stock-6\.18 \(no progress for 60 s\): failure~regress: 1 regression~$'
mk h8/old stock-6.17 6.17.0 2026-10-01T00:00:00Z 1.0 0.01 3 34 3
mk h8/new stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.01 3 35 500
out=$("$CB" regress --history "$work/h8"); rc=$?
check "regress: missed COWs growing from 3 to 500 are a regression" \
	has "$rc|$out" '^1\|.*~reuse-after-exit base pages=512: missed COW: 3 -> 500: more correctness failures: stock-6.17 -> stock-6.18~'

# what orders runs is never a guess: a missing field is an error, an -rc
# with a local version sorts before its release, one created time is
# ordered by run id; a timing record with no op is an error, not a gap
mkdir -p "$work/h9" "$work/h10"
mk h9/old stock-6.17 6.17.0 2026-10-01T00:00:00Z 1.0 0.01 3 36
mk h9/new stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.01 3 37
jq -c 'del(.kernel)' "$work/h9/old/env.json" > "$work/h9/e" && mv "$work/h9/e" "$work/h9/old/env.json"
out=$("$CB" regress --history "$work/h9" 2>&1); rc=$?
check "regress: a run whose env.json has no kernel: exit 2 naming the file" \
	has "$rc|$out" '^2\|cowbench: .*/h9/old/env\.json:1: no "kernel" \(regress orders and pairs runs by it\)~$'
out=$("$CB" regress --history "$work/h2" "$work/h9/old" 2>&1); rc=$?
check "regress RUN: a RUN whose env.json has no kernel: the same exit 2" \
	has "$rc|$out" '^2\|cowbench: .*/h9/old/env\.json:1: no "kernel" \(regress orders and pairs runs by it\)~$'
out=$("$CB" plot "$work/h9/old" "$work/h9/new" -o "$work/h9plot" 2>&1); rc=$?
check "plot: a run with no kernel would sort as the newest release: exit 2 naming the file" \
	has "$rc|$out|$([ -e "$work/h9plot" ] && echo written)" '^2\|cowbench: .*/h9/old/env\.json:1: no "kernel" \(the trend orders runs by it\)\|~$'
out=$("$CB" report "$work/h9/new" "$work/h9/old" -o "$work/h9rep" 2>&1); rc=$?
check "report: the same, before anything is written" \
	has "$rc|$out|$([ -e "$work/h9rep" ] && echo written)" '^2\|cowbench: .*/h9/old/env\.json:1: no "kernel" \(the trend orders runs by it\)\|~$'
mk h10/rc stock 6.18.0-rc3-lab 2026-11-01T00:00:00Z 1.0 0.01 3 38
mk h10/final stock 6.18.0-lab 2026-10-01T00:00:00Z 1.0 0.01 3 39
mk h10/y stock 6.19.0-lab 2026-11-05T00:00:00Z 1.0 0.01 3 40
mk h10/x stock 6.19.0-lab 2026-11-05T00:00:00Z 1.0 0.01 3 41
out=$("$CB" regress --history "$work/h10"); rc=$?
check "regress: -rc3-<localversion> sorts before its release" \
	has "$(cut -f1 "$work/h10/index.tsv")" '^release~6\.18\.0-rc3-lab~6\.18\.0-lab~6\.19\.0-lab~6\.19\.0-lab~$'
mk h10/rcu stock 6.18.0-rcu-test 2026-09-01T00:00:00Z 1.0 0.01 3 42
out=$("$CB" regress --history "$work/h10"); rc=$?
check "regress: '-rcu-test' is a local version, not a release candidate" \
	has "$(cut -f1 "$work/h10/index.tsv")" '^release~6\.18\.0-rc3-lab~6\.18\.0-lab~6\.18\.0-rcu-test~'
rm -r "$work/h10/rcu"
out=$("$CB" regress --history "$work/h10"); rc=$?
check "regress: one created time: the newest by run id, against the final release" \
	has "$out" '^regress: stock \(2 runs: y x\) against stock \(final\)'
cp -a "$work/base" "$work/ops0"
jq -c 'if .pass == "timing" and .rep == 0 and .scenario == "cow-child" then .ops = 0 else . end' "$work/base/results.jsonl" > "$work/ops0/results.jsonl"
out=$("$CB" compare "$work/base" "$work/ops0" 2>&1); rc=$?
check "compare: a timing record with ops 0 is a file:line error" \
	has "$rc|$out" '^2\|cowbench: .*/ops0/results\.jsonl:[0-9]+: a timing record with status ok and ops 0~$'
mkdir -p "$work/empty" && cp "$work/base/env.json" "$work/empty/" && : > "$work/empty/results.jsonl"
out=$("$CB" report "$work/empty" -o "$work/erep" 2>&1); rc=$?
check "report: a run with no record: exit 2, nothing written" \
	test "$rc,$(grep -c 'holds no record' <<< "$out"),$([ -e "$work/erep" ] && echo written)" = "2,1,"

# ---- regress: a release is its runs, runs are the unit (issue 17) ----
# mkrel HIST KERNEL MONTH SCALE SEED K: K runs of stock-<major.minor>
# KERNEL, each with between-run noise ($CV, default 5%) and 5% within
mkrel() {
	local i
	for i in $(seq "$6"); do
		MKRUN_RUN_CV=${CV:-0.05} mk "$1/$2-$i" "stock-${2%.*}" "$2" \
			"2026-$3-0${i}T00:00:00Z" "$4" 0.05 8 $(($5 + i))
	done
}
aa=0
for s in $(seq 20); do
	mkdir -p "$work/aa$s"
	mkrel "aa$s" 6.17.0 10 1.0 $((s * 100)) 3
	mkrel "aa$s" 6.18.0 11 1.0 $((s * 100 + 50)) 3
	"$CB" regress --history "$work/aa$s" > /dev/null || aa=$((aa + 1))
done
check "regress: A/A, 20 histories of 3-run releases at 5% between-run CV: $aa exit 1 (at most 1, the 5% the test allows)" \
	test "$aa" -le 1
mkdir -p "$work/g30"
CV=0.02 mkrel g30 6.17.0 10 1.0 1000 3
CV=0.02 mkrel g30 6.18.0 11 1.3 1050 3
out=$("$CB" regress --history "$work/g30"); rc=$?
check "regress: +30% between 3-run releases: exit 1, a 0-day line with the CVs" \
	has "$rc|$out" '^1\|regress: stock-6\.18 \(3 runs: 6\.18\.0-3 6\.18\.0-2 6\.18\.0-1\) against stock-6\.17 \(3 runs: 6\.17\.0-3 6\.17\.0-2 6\.17\.0-1\), threshold 5\.0%~.*cow-child base pages=512: t/op \+(2[5-9]|3[0-5])\.[0-9]% regression: stock-6\.17 -> stock-6\.18 \([0-9.]+ -> [0-9.]+ ns, CV [0-9.]+% -> [0-9.]+%\)~'
check "regress: 3 runs a side: nothing untested" hasnt "$out" 'untested'
mk g30/one stock-6.19 6.19.0 2026-12-01T00:00:00Z 1.7 0.05 8 1100
out=$("$CB" regress --history "$work/g30"); rc=$?
check "regress: one run of the new release against 3: tested with the group's spread (+30% found)" \
	has "$rc|$out" '^1\|regress: stock-6\.19 \(one\) against stock-6\.18 \(3 runs: [^)]*\), threshold 5\.0%~cow-child base pages=512: t/op \+[0-9.]+% regression'
rm -r "$work/g30/one"
MKRUN_FAIL_PERTURBED=4 mk g30/one stock-6.19 6.19.0 2026-12-01T00:00:00Z 1.7 0.05 8 1100
out=$("$CB" regress --history "$work/g30"); rc=$?
check "regress: one run still has its correctness judged" \
	has "$rc|$out" '^1\|.*~reuse-after-exit base pages=512: missed COW: 0 -> 4: new correctness failure: stock-6\.18 -> stock-6\.19~'
rm -r "$work/g30/one"
cp -r "$work/g30/6.18.0-1" "$work/g30/copy"
out=$("$CB" regress --history "$work/g30" 2>&1); rc=$?
check "regress: one run twice in a release (a copied folder) is exit 2" \
	has "$rc|$out" '^2\|cowbench: regress: run 6\.18\.0-1 twice \(.*/g30/(copy|6\.18\.0-1), .*/g30/(copy|6\.18\.0-1)\): a run is one sample~$'
rm -r "$work/g30/copy"
# 'cowbench run --runs K -o HIST/NAME' folders: group.json and its runs
grp() { # grp HIST/NAME: group.json naming its run folders
	local d=$work/$1 r list=""
	for r in "$d"/*/; do
		r=${r%/}
		list="$list${list:+,}\"${r##*/}\""
	done
	echo "{\"runs\":[$list],\"label\":null}" > "$d/group.json"
}
mkdir -p "$work/hg/a" "$work/hg/b"
CV=0.02 mkrel hg/a 6.17.0 10 1.0 1200 3
CV=0.02 mkrel hg/b 6.18.0 11 1.3 1250 3
grp hg/a
grp hg/b
out=$("$CB" regress --history "$work/hg"); rc=$?
check "regress: a history of run groups: their runs, +30% found" \
	has "$rc|$out" '^1\|regress: stock-6\.18 \(3 runs: [^)]*\) against stock-6\.17 \(3 runs: [^)]*\).*~cow-child base pages=512: t/op \+'
mkdir -p "$work/hp"
mkrel hp 6.17.0 10 1.0 1300 1
MKRUN_ONLY=cow-child mk hp/cc1 stock-6.17 6.17.0 2026-10-02T00:00:00Z 1.0 0.05 8 1310
MKRUN_ONLY=cow-child mk hp/cc2 stock-6.17 6.17.0 2026-10-03T00:00:00Z 1.0 0.05 8 1311
mkrel hp 6.18.0 11 1.0 1350 3
out=$("$CB" regress --history "$work/hp"); rc=$?
check "regress: a row one old run has: tested against the new group, exit 0 on noise" \
	has "$rc|$out" '^0\|.*~regress: 0 regressions~$'

# ---- regress over a matrix folder (issue 15): a guest's hostname is its
# kernel's name, env.json's machine the lab machine; jobs/ and report/ hold
# no run.  mxrun KERNEL-DEF RELEASE SCALE DAY SEED: a job's run that day
mxrun() {
	MKRUN_HOST=$1 MKRUN_MACHINE=lab1 MKRUN_RUN_CV=0.02 mk "mx/2026110$4-000000-$1" \
		"stock-${2%.*}" "$2" "2026-11-0$4T00:00:00Z" "$3" 0.05 8 "$5"
}
mkdir -p "$work/mx/jobs/debian-6.1-stock+stock+guest-check" "$work/mx/report"
mxrun debian-6.1-stock 6.1.192 1.0 1 1
mxrun debian-6.12-stock 6.12.117 1.3 1 2
echo "ok 20261101-000000-debian-6.1-stock" > "$work/mx/jobs/debian-6.1-stock+stock+guest-check/status"
cp "$work/base/env.json" "$work/mx/report/env-A.json"
out=$("$CB" regress --history "$work/mx"); rc=$?
check "regress, matrix folder: the kernels of one machine pair, one run each: untested" \
	has "$rc|$out" '^0\|regress: stock-6\.12 \(20261101-000000-debian-6\.12-stock\) against stock-6\.1 \(20261101-000000-debian-6\.1-stock\), threshold 5\.0%~regress: timing untested: one run a side '
# the job run again twice (its folder under jobs/ deleted each time)
mxrun debian-6.1-stock 6.1.192 1.0 2 11
mxrun debian-6.1-stock 6.1.192 1.0 3 21
mxrun debian-6.12-stock 6.12.117 1.3 2 12
mxrun debian-6.12-stock 6.12.117 1.3 3 22
out=$("$CB" regress --history "$work/mx"); rc=$?
check "regress, matrix folder: 3 runs a kernel (a job run 3 times): +30% found" \
	has "$rc|$out" '^1\|regress: stock-6\.12 \(3 runs: [^)]*\) against stock-6\.1 \(3 runs: [^)]*\).*~cow-child base pages=512: t/op \+(2[5-9]|3[0-5])\.[0-9]% regression: stock-6\.1 -> stock-6\.12 '
check "regress, matrix folder: index.tsv's series is the machine" \
	test "$(cut -f3 "$work/mx/index.tsv" | sort | uniq -c | tr -s ' ')" = "$(printf ' 6 lab1\n 1 machine')"

# ---- the kernel commit (issue 17): env.json's, shown where it differs
MKRUN_KERNEL_COMMIT="Debian 6.12.117-1~deb12u1 (linux-source-6.12) + cow-policy-6.12.patch:0123456789abcdef" \
	mk kc_a stock-6.12 6.12.117 2026-11-01T00:00:00Z 1.0 0.01 8 50
MKRUN_KERNEL_COMMIT=0123456789abcdef0123456789abcdef01234567 \
	mk kc_b stock-6.12 6.12.117 2026-11-02T00:00:00Z 1.0 0.01 8 51
out=$("$CB" compare "$work/kc_a" "$work/kc_b")
check "compare: the header names each column's kernel commit where they differ" \
	has "$out" '~  A kc_a [^~]*~    kernel commit: Debian 6\.12\.117-1~deb12u1 \(linux-source-6\.12\) \+~ +cow-policy-6\.12\.patch:0123456789abcdef~  B kc_b [^~]*~    kernel commit: 0123456789abcdef0123456789abcdef01234567~'
check "compare: no kernel commit line where every run has the same" \
	hasnt "$("$CB" compare "$work/base" "$work/slow")" 'kernel commit'
mkdir -p "$work/hk"
cp -r "$work/kc_a" "$work/hk/a"
cp -r "$work/kc_b" "$work/hk/b"
out=$("$CB" regress --history "$work/hk"); rc=$?
check "regress: two trees of one uname -r are two releases, the commits said" \
	has "$rc|$out" '^0\|regress: stock-6\.12 \(kc_b\) against stock-6\.12 \(kc_a\), threshold 5\.0%~regress: kernel commit Debian 6\.12\.117-1~deb12u1 \(linux-source-6\.12\) \+ cow-policy-6\.12\.patch:0123456789abcdef -> 0123456789abcdef0123456789abcdef01234567~'

# ---- regress: every run of the release, every series, runs that did not end ----
# regress_check NAME HISTORY ERE: regress over $work/HISTORY, "rc|output" matches
regress_check() {
	out=$("$CB" regress --history "$work/$2"); rc=$?
	check "$1" has "$rc|$out" "$3"
}
# a missed COW in one run of a 3-run release (not the newest) is found
mkdir -p "$work/hr"
mkrel hr 6.17.0 10 1.0 1400 3
mkrel hr 6.18.0 11 1.0 1410 3
rm -rf "$work/hr/6.18.0-1"
MKRUN_RUN_CV=0.05 mk hr/6.18.0-1 stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.05 8 1411 500
regress_check "regress: a missed COW in any run of the new release fails it" hr \
	'^1\|.*missed COW: 0 -> 500: new correctness failure'
# the series' highest release is judged, whatever run was made last
mkdir -p "$work/hs"
mk hs/a stock-6.16 6.16.0 2026-09-01T00:00:00Z 1.0 0.01 3 1420
mk hs/b stock-6.18 6.18.0 2026-10-01T00:00:00Z 1.0 0.01 3 1421 7
mk hs/c stock-6.17 6.17.0 2026-11-01T00:00:00Z 1.0 0.01 3 1422
regress_check "regress: the highest release of a series is judged, not the last made" hs \
	'^1\|regress: stock-6\.18 \(b\) against stock-6\.17 \(c\).*missed COW: 0 -> 7'
# every series: a policy with no earlier release does not hide another's
mk hs/d always_copy-6.18 6.18.0 2026-12-01T00:00:00Z 1.0 0.01 3 1423
regress_check "regress: every series is judged (a later series with nothing to compare hides none)" hs \
	'^1\|.*missed COW: 0 -> 7.*no earlier release of 6\.18\.0 \(lab1, policy always_copy'
# complete lines but no run_end: in progress when newest, killed when outlived
mkdir -p "$work/hp2"
mk hp2/a stock-6.17 6.17.0 2026-10-01T00:00:00Z 1.0 0.01 3 1430
MKRUN_RUNNING=1 MKRUN_ONLY=cow-child mk hp2/b stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.01 3 1431
regress_check "regress: the newest run without run_end is in progress: skipped, exit 0" hp2 \
	'^0\|regress: skipping .*/hp2/b: in progress \(no run_end\)'
mk hp2/c stock-6.18 6.18.0 2026-11-02T00:00:00Z 1.0 0.01 3 1432
regress_check "regress: a run without run_end that a later run outlived was killed: failure" hp2 \
	'^1\|regress: .*/hp2/b: killed \(no run_end'
# env.json names its writer (pid, boot id, start time): a newest run
# without run_end is in progress while that process runs, else killed
boot=$(cat /proc/sys/kernel/random/boot_id)
me="$$ $(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f20) $boot"
( exit 0 ) & dead=$!; wait $dead
mkdir -p "$work/hw"
mk hw/a stock-6.17 6.17.0 2026-10-01T00:00:00Z 1.0 0.01 3 1460
hwb() { # hwb "PID START BOOT_ID": hw/b anew, no run_end, that writer
	rm -rf "$work/hw/b"
	MKRUN_RUNNING=1 MKRUN_WRITER=$1 mk hw/b stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.01 3 1461
}
hwb "$me"
regress_check "regress: the newest run without run_end whose writer runs: in progress, exit 0" hw \
	"^0\|regress: skipping .*/hw/b: in progress \(no run_end, its writer, pid $$, is running\)~"
hwb "$dead 100 $boot"
regress_check "regress: the newest run's writer is gone (SIGKILL, OOM): killed, exit 1 naming it" hw \
	"^1\|regress: .*/hw/b: killed \(no run_end, its writer, pid $dead, is gone\): failure~"
hwb "$$ 1 $boot"
regress_check "regress: the writer's pid now runs another process: killed" hw \
	"^1\|regress: .*/hw/b: killed \(no run_end, pid $$ is another process now\): failure~"
hwb "${me% *} 00000000-0000-0000-0000-000000000000"
regress_check "regress: the writer was of another boot: killed" hw \
	'^1\|regress: .*/hw/b: killed \(no run_end, written in another boot\): failure~'
head -c -20 "$work/hw/b/results.jsonl" > "$work/hw/r" && mv "$work/hw/r" "$work/hw/b/results.jsonl"
regress_check "regress: killed with a torn last record: a crash, exit 1" hw \
	'^1\|regress: .*/hw/b: the newest run was killed \(no run_end, written in another boot\), with a torn last record: failure~'
hwb "$me"
head -c -20 "$work/hw/b/results.jsonl" > "$work/hw/r" && mv "$work/hw/r" "$work/hw/b/results.jsonl"
regress_check "regress: a torn record while the writer runs: in progress, exit 0" hw \
	"^0\|regress: skipping .*/hw/b: in progress \(its last record is incomplete; its writer, pid $$, is running\)~"

# compare and report say when a run did not end (its numbers may be partial)
hwb "$me"
out=$("$CB" compare "$work/hw/a" "$work/hp2/b" "$work/hw/b")
check "compare: a note names each run without run_end, in progress or killed" \
	has "$out" "~note: B b has no run_end: in progress or killed~note: C b has no run_end: in progress \(its writer, pid $$, is[ ~]+running\)~"
check "compare: runs that ended: no note" hasnt "$("$CB" compare "$work/hw/a" "$work/hp2/a")" '^note:'
hwb "$dead 100 $boot"
"$CB" report "$work/hw/a" "$work/hw/b" -o "$work/hwrep" > /dev/null 2>&1
check "report: the page names a killed run, a line of its own" \
	has "$(grep -c 'has no run_end' "$work/hwrep/index.html")|$(grep '^<p class="fail">' "$work/hwrep/index.html")" "^2\|<p class=\"fail\">B b has no run_end: killed \(its writer, pid $dead, is gone\)</p>~$"

# a metric the old release had and the new one lost (its passes skipped)
mkdir -p "$work/hm"
mkrel hm 6.17.0 10 1.0 1440 3
mkrel hm 6.18.0 11 1.0 1450 3
for d in "$work"/hm/6.18.0-*; do
	jq -c 'if .scenario == "cow-child" and .pass != "counting" then .status = "skip" | .reason = "no zero page" else . end' "$d/results.jsonl" > "$d/r" && mv "$d/r" "$d/results.jsonl"
done
regress_check "regress: a timing the old release had and the new one lost is a failure" hm \
	'^1\|.*cow-child base pages=512: t/op: no value in stock-6\.18 \(stock-6\.17 had one\): failure'

# a group against one run: the group's between-run spread stands for the
# run's (repetitions of one run understate it: a quarter were starred)
mkdir -p "$work/gs"
mkrel gs 6.18.0 10 1.0 1500 3
printf '{"runs":["6.18.0-1","6.18.0-2","6.18.0-3"],"label":null}' > "$work/gs/group.json"
starred=0
for i in $(seq 20); do
	MKRUN_RUN_CV=0.05 mk "gs1-$i" stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.05 8 $((1600 + i))
	"$CB" compare --json "$work/gs" "$work/gs1-$i" | jq -e '[.[] | select(.metric == "t/op" and .significant)] | length > 0' > /dev/null && starred=$((starred + 1))
done
check "compare: a 3-run group against 20 single runs of one kernel: at most 2 starred ($starred)" \
	test "$starred" -le 2

out=$("$CB" compare -s cow-child --changed "$work/ga" "$work/gb")
check "compare: what every run shares is said once, not per column" \
	has "$(grep -c 'Test CPU' <<< "$out")|$out" '^1\|.*~  every run: kernel 6\.18\.0, host lab1, Test CPU, accelerator kvm, THP~ +madvise~'
# two policies of one kernel in one guest: the kernel and host once, the
# labels per column (they name the columns)
for p in stock policy; do
	mkdir -p "$work/pol_$p"
	for i in 1 2; do
		MKRUN_HOST=debian-6.12-policy mk "pol_$p/run-$i" "$p-6.12@debian-6.12-policy" 6.12.117 2026-11-0${i}T00:00:00Z 1.0 0.02 3 $((1700 + i))
	done
	echo '{"runs":["run-1","run-2"],"label":null}' > "$work/pol_$p/group.json"
done
out=$("$CB" compare "$work/pol_stock" "$work/pol_policy")
check "compare: a kernel and host every column shares: once, not per column" \
	has "$(grep -c '6\.12\.117' <<< "$out")|$out" '^1\|.*~  A pol_stock: 2 runs \(run-1 run-2\) stock-6\.12@debian-6\.12-policy~  B pol_policy: 2 runs \(run-1 run-2\) policy-6\.12@debian-6\.12-policy~  every run: kernel 6\.12\.117, host debian-6\.12-policy, Test CPU,~ +accelerator kvm, THP madvise~'
check "compare -v: every column's kernel and host" \
	has "$("$CB" compare -v "$work/pol_stock" "$work/pol_policy")" '~  A pol_stock: 2 runs \(run-1 run-2\) stock-6\.12@debian-6\.12-policy~ +\(6\.12\.117\) debian-6\.12-policy~'
check "compare -s cow-child --changed on two groups: within 72 columns" \
	test -z "$(sed 's/±/+/g' <<< "$out" | awk 'length > 72' | head -n 3)"

# ---- a table for a mail, power stated honestly (issue 17) ----
# lkp's layout: a metric on one line, each value with its spread (±CV)
# and the change beside it.  md is counted in columns: '±' is 2 bytes.
cols72() { sed 's/±/+/g' <<< "$1" | awk 'length > 72' | head -n 3; }
fits72() { test -z "$(cols72 "$1")"; }
out=$("$CB" compare "$work/ga" "$work/gb")
check "mail: a metric is one line: value ±CV, value ±CV change" \
	has "$out" '~t/op ns +[0-9]+ ±[0-9]+% +[0-9]+ ±[0-9]+% +\+1[5-9]\.[0-9]%\*~p50 ns +[0-9]+ ±[0-9]+% +[0-9]+ ±[0-9]+% +\+1[5-9]\.[0-9]%\*~p99 ns '
check "mail: the legend says what ± is, which way is better, what -v adds" \
	has "$out" "~±: the CV, between runs for a group, else over repetitions.*lower-is-better: a '\+' change is a slowdown.*-v adds n, mdc, n5 \(at p < 0\.05/m"
md=$("$CB" compare --format md "$work/ga" "$work/gb")
check "mail: md has a row per metric, value ±CV and the change in a cell" \
	has "$md" '~\| t/op ns +\| +[0-9]+ ±[0-9]+% \| +[0-9]+ ±[0-9]+% \+1[5-9]\.[0-9]%\\\* \|~\| p50 ns '
check "mail: md fits 72 columns (two 3-run groups)" fits72 "$md"
five=("$work/base" "$work/slow" "$work/noisy_a" "$work/noisy_b" "$work/tcg")
check "mail: md fits 72 columns (five columns: a table per two)" \
	fits72 "$("$CB" compare --format md "${five[@]}")"
# a matrix's labels (policy-release@guest) are 26-40 characters: md cuts
# them as the text does, a name's end after a '~', and fits 72 columns
longs=()
for l in stock-6.1@debian-6.1-stock page_count-6.12@debian-6.12-page_count \
	mapcount-6.12@debian-6.12-mapcount always_copy-6.12@debian-6.12-always_copy \
	stock-6.12@debian-6.12-stock; do
	mk "ll_${l%%@*}" "$l" 6.12.0 2026-11-01T00:00:00Z 1.2 0.01 8 $((1800 + ${#longs[@]}))
	longs+=("$work/ll_${l%%@*}")
done
md=$("$CB" compare --format md "${longs[0]}" "${longs[1]}")
check "md: long labels, 2 columns: within 72 columns" fits72 "$md"
check "md: a label too long for its place keeps its end after a '~' (escaped)" \
	has "$md" '~\| metric +\| A: (stock-6\.1@debian-6\.1-stock|\\~[-a-z0-9.@]+stock) \| B: \\~[-a-z0-9.@]*6\.12-page\\_count \|~'
check "md: long labels, 5 columns: within 72 columns" \
	fits72 "$("$CB" compare --format md "${longs[@]}")"
mkdir -p "$work/llg_a" "$work/llg_b"
for i in 1 2; do
	mk "llg_a/run-$i" stock-6.12@debian-6.12-policy 6.12.117 2026-11-0${i}T00:00:00Z 1.0 0.05 8 $((1810 + i))
	mk "llg_b/run-$i" page_count-6.12@debian-6.12-policy 6.12.117 2026-11-0${i}T00:00:00Z 1.2 0.05 8 $((1820 + i))
done
echo '{"runs":["run-1","run-2"],"label":null}' | tee "$work/llg_a/group.json" > "$work/llg_b/group.json"
check "md -s cow-child, 2-run groups with long labels: within 72 columns" \
	fits72 "$("$CB" compare --format md -s cow-child "$work/llg_a" "$work/llg_b")"
# values of seven digits with a two-digit CV and a change fill a line:
# no blanks around the '|', the names still cut to fit
for i in 1 2 3; do
	mk "wide_$i" "a-long-label-of-column-$i" 6.1$i.0 2026-11-01T00:00:00Z $((1000 * i + 1000)) 0.15 8 $((1830 + i))
done
md=$("$CB" compare --format md "$work"/wide_{1,2,3})
check "md: seven-digit values with their CV and change: within 72 columns" \
	has "$(cols72 "$md")|$(grep -c '^|t/op ns *| *[0-9]\{7\} ±[0-9]*%|' <<< "$md")" '^\|1~$'
out=$("$CB" compare -v "${five[@]}")
check "mail: -v puts n, the mdc and n5 under each metric" \
	has "$out" '~t/op ns [^~]*~  n +8 +8 +8~  mdc, n5 +[0-9.]+% +[0-9.]+%~'
check "mail: -v fits 72 columns (five columns)" fits72 "$out"

# the value shown is the one tested: a group's is the geometric mean of
# its runs' figures and the change is their ratio (the median of the
# runs' figures hid the slow run and showed +20%)
mkg gm_a 500 1.0 1.0 1.6
mkg gm_b 600 1.2 1.2 1.2
out=$("$CB" compare -s cow-child -m t/op "$work/gm_a" "$work/gm_b")
check "value: a group shows the geometric mean, the change its ratio" \
	has "$out" '~t/op ns +11[4-9][0-9] ±[0-9]+% +1[12][0-9]{2} ±[0-9]+% +\+[0-9]\.[0-9]%~'
g=$("$CB" compare --json "$work"/gm_a/run-{1,2,3} | jq '[.[] | select(.scenario=="cow-child" and .metric=="t/op") | .median | log] | add / length | exp')
check "value: json value = exp(mean log of the runs' figures), ratio = B/A" \
	has "$("$CB" compare --json "$work/gm_a" "$work/gm_b" | jq -c --argjson g "$g" '[.[] | select(.scenario=="cow-child" and .metric=="t/op")] as [$a, $b] | [$a.value_stat, ($a.value / $g - 1 | fabs < 1e-5), ($b.ratio * $a.value / $b.value - 1 | fabs < 1e-5)]')" '^\["gmean",true,true\]~$'

# power: exact counts (no spread on either side) are no tests, the mdc is
# at the level that stars a change alone (0.05/m), n5 runs for +5%
MKRUN_SCALE_ONLY=cow-child mk bh_b stock-6.18 6.18.0 2026-11-02T00:00:00Z 1.1 0.1 8 15
js=$("$CB" compare --json "$work/bh_a" "$work/bh_b")
check "power: m counts the 6 timing rows, not the 8 exact counts" \
	has "$(jq -c '[([.[] | select(.run=="bh_b" and .mdc_alpha != null) | .mdc_alpha * 6 * 1e4 | round] | unique), ([.[] | select(.run=="bh_b" and .exact)] | length)]' <<< "$js")" '^\[\[500\],8\]~$'
check "power: so a shift with raw p 0.015 that 14 'tests' hid is starred" \
	has "$(jq -c '[.[] | select(.run=="bh_b" and .scenario=="cow-child" and .metric=="t/op") | [.p < 0.05, .significant]]' <<< "$js")" '^\[\[true,true\]\]~$'
js=$("$CB" compare --json "$work/ga" "$work/gb")
check "power: the mdc is at 0.05/m (over 1.6 half-intervals, not 1.2-1.4)" \
	has "$(jq '[.[] | select(.run=="gb" and (.metric=="t/op" or .metric=="p50" or .metric=="p99")) | (.mdc | log1p) / (((.ci_hi | log) - (.ci_lo | log)) / 2) > 1.6] | [length, all] | @text' <<< "$js")" '^"\[6,true\]"~$'
check "power: runs_for_5pct is above 3 exactly where the mdc at 3 runs is above 5%" \
	has "$(jq '[.[] | select(.run=="gb" and .runs_for_5pct != null) | (.mdc > 0.05) == (.runs_for_5pct > 3)] | [length >= 6, all] | @text' <<< "$js")" '^"\[true,true\]"~$'
check "power: -v's legend gives the level and each column's m" \
	has "$("$CB" compare -v "$work/ga" "$work/gb")" 'at p < 0\.05/m, the level[ ~]that stars a change alone among its[ ~]column.s m tested rows \(m: B 6\)'

# aa.sh: calibration (the raw p < 0.05 above) and power: each pair again
# with B's timings scaled by a hidden compare option
check "aa.sh: power: timing rows starred at +5/+10/+20%, from the shifted compares" \
	test "$(for s in 5 10 20; do jq -rs '[.[][] | select(.p != null and (.exact | not) and (.metric == "t/op" or .metric == "t/fault" or .metric == "p50" or .metric == "p99"))] | "\(length) \([.[] | select(.significant)] | length)"' "$work"/aa/pair-*/shift-$s.json; done | tr '\n' ,)" = \
	"$(awk '/^\+(5|10|20)%/ {printf "%s %s,", $2, $3}' <<< "$aa_out")"
check "aa.sh: power: +20% starred in every timing row, +5% in fewer" \
	has "$aa_out" "~power: timing rows starred with B's timings scaled[^~]*~shift +rows +starred +rate~\+5% +24 +([0-9]|1[0-9]|2[0-3]) .*~\+10% +24 .*~\+20% +24 +24 +100%~"
js=$("$CB" compare --json --inject-shift 10 "$work/base" "$work/slow")
check "compare --inject-shift: every timing of B times 1.10, no count" \
	has "$(jq -c --slurpfile r <("$CB" compare --json "$work/base" "$work/slow") '[range(length) as $i | select(.[$i].run == "slow" and .[$i].ratio != null) | (.[$i].ratio / $r[0][$i].ratio * 1000 | round)] | unique' <<< "$js")" '^\[1000,1100\]~$'
check "compare --inject-shift: the header says it is no measurement" \
	has "$("$CB" compare --inject-shift 10 "$work/base" "$work/slow")" '~warning: every timing but A.s scaled by \+10\.0%: a power test,~ +not a measurement'

# ---- bad input: one line naming file and line, exit 2 ----
bad() { # bad NAME EXPECTED ARGS...
	local name=$1 want=$2 out rc; shift 2
	out=$("$CB" "$@" 2>&1); rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <<< "$out")" = 1 ] && grep -qF -- "$want" <<< "$out"; then
		ok "bad input: $name"
	else
		not_ok "bad input: $name" "exit $rc: $out"
	fi
}
cp -r "$work/base" "$work/torn"
head -c -20 "$work/base/results.jsonl" > "$work/torn/results.jsonl"
lines=$(wc -l < "$work/base/results.jsonl")
bad "a truncated results file" "torn/results.jsonl:$lines: truncated record" compare "$work/base" "$work/torn"
cp -r "$work/base" "$work/garbled"
sed -i '5s/"status":"ok"/"status":/' "$work/garbled/results.jsonl"
bad "a garbled line" "garbled/results.jsonl:5: unexpected character" compare "$work/garbled"
cp -r "$work/base" "$work/nokey"
sed -i '7s/"scenario":"[a-z-]*",//' "$work/nokey/results.jsonl"
bad "a record without a required key" "nokey/results.jsonl:7: not a cowbench record" plot "$work/nokey" -o "$work/p2"
mkdir -p "$work/noenv"; cp "$work/base/results.jsonl" "$work/noenv/"
bad "a run without env.json" "noenv/env.json: No such file" report "$work/noenv" -o "$work/r2"
cp -r "$work/base" "$work/strtype"
sed -i '4s/"window_ns":[0-9.e+]*/"window_ns":"fast"/' "$work/strtype/results.jsonl"
bad "a string where a number belongs" "strtype/results.jsonl:4: window_ns: a string where a number belongs" compare "$work/strtype"
cp -r "$work/base" "$work/negtime"
sed -i '4s/"window_ns":[0-9.e+]*/"window_ns":-5/' "$work/negtime/results.jsonl"
bad "a negative time" "negtime/results.jsonl:4: window_ns: -5 is not a valid time" compare "$work/negtime"
cp -r "$work/base" "$work/dup"
sed -n 2p "$work/base/results.jsonl" >> "$work/dup/results.jsonl"
bad "a duplicated record" "dup/results.jsonl:$((lines + 1)): duplicated record (the same pass as line 2)" compare "$work/dup"
cp -r "$work/base" "$work/otherenv"
sed -i '3s/"env":"00000000000000e1"/"env":"00000000000000e2"/' "$work/otherenv/results.jsonl"
bad "a record of another environment" "otherenv/results.jsonl:3: env id 00000000000000e2 does not match env.json's id 00000000000000e1" report "$work/otherenv" -o "$work/r3"
bad "an unknown format" "unknown format 'xml'" compare --format xml "$work/base"
bad "regress without --history" "--history DIR is required" regress
bad "expect without a run" "expect: needs FILE and RUN_DIR" expect configs/expect/release-6.15
bad "expect with a missing file" "expect: $work/nofile: No such file" expect "$work/nofile" "$work/base"
printf 'cow-child base maybe\n' > "$work/badexp"
bad "expect with a bad verdict" "badexp:1:" expect "$work/badexp" "$work/base"
bad "a bad threshold" "is not a percentage" regress --history "$work/h1" --threshold lots

# ---- the trend plot: partial data, releases of run groups (issue 17) ----
# a release whose run lost its timing pass, one that ran one scenario: the
# series no run timed is left out and named, the plot is still made
mk tr_old stock-6.17 6.17.0 2026-10-01T00:00:00Z 1.0 0.01 3 60
jq -c 'select(.pass != "timing")' "$work/tr_old/results.jsonl" > "$work/tr_old/r" && mv "$work/tr_old/r" "$work/tr_old/results.jsonl"
MKRUN_ONLY=cow-child mk tr_cc stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.01 3 61
out=$("$CB" report "$work/tr_old" "$work/tr_cc" -o "$work/trrep" 2>&1); rc=$?
check "trend: partial data: report exits 0 with index.html and the trend" \
	test "$rc" = 0 -a -s "$work/trrep/index.html" -a -s "$work/trrep/plots/trend-t-op.svg"
check "trend: a series no run timed is left out, the index says why" \
	has "$(grep -o '<li>plot: trend-t-op: [^<]*' "$work/trrep/index.html")" '^<li>plot: trend-t-op: reuse-after-exit base pages=512: left out, no run has an ok timing record of it~$'
check "trend: the series left out is not in the script" \
	hasnt "$(cat "$work/trrep/plots/trend-t-op.gp")" 'reuse-after-exit'
out=$("$CB" plot --normalise "$work/tr_old" "$work/tr_cc" -o "$work/trplot" 2>&1); rc=$?
check "trend: partial data: plot --normalise exits 0 (one point is no empty axis)" \
	has "$rc|$out" '^0\|.*~plot: trend-t-op: reuse-after-exit base pages=512: left out, [^~]*~.*trend-t-op\.\{png,svg\}'

# mkgr GROUP LABEL KERNEL MONTH SCALE...: a group of runs of one release,
# no noise within a run (t/op is 1000 * scale ns for cow-child)
mkgr() {
	local g=$1 label=$2 kernel=$3 month=$4 i=0 list=""; shift 4
	mkdir -p "$work/$g"
	for sc in "$@"; do
		i=$((i + 1))
		mk "$g/run-$i" "$label" "$kernel" "2026-$month-0${i}T00:00:00Z" "$sc" 0 3 $((70 + i))
		list="$list${list:+,}\"run-$i\""
	done
	echo "{\"runs\":[$list],\"label\":null}" > "$work/$g/group.json"
}
# the first run of the first release is its fastest: dividing by it reads
# +11% at that release and +33% at the next, against the medians' 0 and +20%
mkgr tr_r1 stock-6.17 6.17.0 10 0.9 1.0 1.1
mkgr tr_r2 stock-6.18 6.18.0 11 1.15 1.2 1.25
"$CB" plot --normalise "$work/tr_r2" "$work/tr_r1" -o "$work/trn" > /dev/null 2>&1
check "trend --normalise: relative to the median of the first release's runs" \
	has "$(medians "$work/trn/trend-t-op.dat")" '^0 1~1 1\.2~0 1~1 1\.2~$'
check "trend --normalise: each run's point too (0.9, 1, 1.1 at the first)" \
	has "$(grep '# run-' "$work/trn/trend-t-op.dat" | head -n 3 | cut -d' ' -f2 | tr '\n' ' ')" '^0\.9 1 1\.1 ~$'
yr=$(sed -n 's/^set yrange \[\(.*\):\(.*\)\]$/\1 \2/p' "$work/trn/trend-t-op.gp")
check "trend --normalise: a linear axis around 1 where +-20% shows ($yr)" \
	test -z "$(grep 'logscale y' "$work/trn/trend-t-op.gp")" -a -n "$yr" -a \
	"$(awk '{ print ($1 > 0.6 && $1 < 0.9 && $2 > 1.25 && $2 < 1.6) }' <<< "$yr")" = 1
"$CB" plot "$work/tr_r1" "$work/tr_r2" -o "$work/trg" > "$work/trg.out" 2>&1; rc=$?
check "trend: groups: one x tick per release, with its number of runs" \
	has "$rc|$(grep '^set xtics' "$work/trg/trend-t-op.gp")" '^0\|set xtics \("stock-6\.17\\n3 runs" 0, "stock-6\.18\\n3 runs" 1\)~$'
check "trend: groups: every run is plotted at its release's x" \
	test "$(awk '/# run-/ { d = $1 - int($1 + 0.5); if (d < 0) d = -d; if (d <= 0.2 && $1 > -0.5 && $1 < 1.5) n++ } END { print n + 0 }' "$work/trg/trend-t-op.dat")" = 12
check "trend: groups: the release's median marked, in ns (1000 -> 1200)" \
	has "$(medians "$work/trg/trend-t-op.dat")" '^0 1000~1 1200~'
yr=$(sed -n 's/^set yrange \[\(.*\):\(.*\)\]$/\1 \2/p' "$work/trg/trend-t-op.gp")
check "trend: in ns, an axis that follows the data, not whole decades ($yr)" \
	test "$(awk '{ print ($1 > 250 && $1 < 360 && $2 > 1250 && $2 < 1600) }' <<< "$yr")" = 1

# a label is the user's text: quotes in it must not break a plot script
mk q_a "it's \"x\"\\" 6.18.0 2026-11-01T00:00:00Z 1.0 0.01 3 62
mk q_b stock-6.18 6.18.0 2026-11-02T00:00:00Z 1.1 0.01 3 63
out=$("$CB" plot "$work/q_a" "$work/q_b" -o "$work/qplot" 2>&1); rc=$?
check "plot: labels with quotes and a backslash plot (exit 0, no gnuplot error)" \
	has "$rc|$(ls "$work/qplot" | grep -c 'svg$')|$(grep -ci 'unexpected\|error' <<< "$out")" '^0\|[1-9][0-9]*\|0~$'

# a group no run measured (each run's records errors): not drawn, but named;
# its row of '?' alone made gnuplot 5.4 warn "difficulty making room for
# xtic labels", which failed the plot and a matrix's report
for r in q_a q_b; do
	cp -r "$work/$r" "$work/gap_$r"
	jq -c '. as $r | (0, 1) as $m | $r | .params += {pinned: 1048576, mprotect: $m} |
		if $m == 1 then .status = "error" | .reason = "planted" else . end' \
		"$work/$r/results.jsonl" > "$work/gap_$r/results.jsonl"
done
out=$("$CB" plot "$work/gap_q_a" "$work/gap_q_b" -o "$work/gplot" 2>&1); rc=$?
check "plot: a group no run measured is named, not drawn; no gnuplot warning (exit 0)" \
	has "$rc|$(grep -c warning <<< "$out")|$(grep -c 'mprotect=1' "$work/gplot/bars-copies-op-base.dat")|$out" '^0\|0\|0\|.*bars-copies-op-base: cow-child pages=512,pinned=1048576,mprotect=1: not measured in any run'

echo "1..$n"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
