#!/usr/bin/env bash
# A/A test of compare: N pairs of run groups of one config, K runs a group,
# each pair compared; every star is a false positive.  Prints, per metric,
# the rows tested, the rows starred and their rate, the rows with a raw
# p < 0.05 and their rate (calibration: about 5% if the test's p is
# honest), the median smallest detectable change and runs a side for +5%.
# Then the power: each pair compared again with B's timings scaled by
# +5/+10/+20% (compare --inject-shift), the share of timing rows starred.
#
#   scripts/aa.sh [-n PAIRS] [-k RUNS] [-o DIR] CONFIG
#
# COWBENCH names the cowbench binary (default build/cowbench).  Runs go to
# DIR (default aa-<date>); each pair's compare --json is kept there.
set -u
usage() {
	echo "usage: scripts/aa.sh [-n PAIRS (10)] [-k RUNS (3)] [-o DIR] CONFIG" >&2
	exit 2
}
top=$(cd "$(dirname "$0")/.." && pwd)
CB=${COWBENCH:-$top/build/cowbench}
pairs=10 runs=3 out=aa-$(date +%Y%m%d-%H%M%S) shifts="5 10 20"
while getopts n:k:o:h opt; do
	case $opt in
	n) pairs=$OPTARG ;;
	k) runs=$OPTARG ;;
	o) out=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 1 ] || usage
config=$1
for v in "$pairs" "$runs"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "aa.sh: '$v' is not a positive count" >&2; exit 2; }
done
[ "$runs" -ge 2 ] || { echo "aa.sh: -k needs 2 or more runs a group (runs are the unit)" >&2; exit 2; }
[ -r "$config" ] || { echo "aa.sh: $config: no such config" >&2; exit 2; }
command -v jq > /dev/null || { echo "aa.sh: needs jq" >&2; exit 2; }
mkdir -p "$out" || exit 2

# A then B within a pair, pairs one after another: drift between pairs is
# no false positive, drift within one is
for i in $(seq 1 "$pairs"); do
	mkdir -p "$out/pair-$i" || exit 2
	for side in a b; do
		g=$out/pair-$i/$side
		echo "aa.sh: pair $i/$pairs, group $side: $CB run --runs $runs -o $g $config" >&2
		"$CB" run --runs "$runs" -o "$g" "$config" > "$g.log" 2>&1 ||
			{ echo "aa.sh: run failed, see $g.log" >&2; exit 1; }
	done
	"$CB" compare --json "$out/pair-$i/a" "$out/pair-$i/b" > "$out/pair-$i/compare.json" ||
		{ echo "aa.sh: compare of pair $i failed" >&2; exit 1; }
	for s in $shifts; do
		"$CB" compare --json --inject-shift "$s" "$out/pair-$i/a" "$out/pair-$i/b" \
			> "$out/pair-$i/shift-$s.json" ||
			{ echo "aa.sh: compare of pair $i at +$s% failed" >&2; exit 1; }
	done
done

# A test is a row with a p that is not exact (no spread either side: a
# deterministic count is certain, and compare leaves it out of m).
defs='def tested: .p != null and (.exact | not);
	def timing: .metric == "t/op" or .metric == "t/fault" or .metric == "p50" or .metric == "p99";
	def median: sort | if length > 0 then .[length / 2 | floor] else null end;
	def count(r; f): [r[] | select(f)] | length;
	def rate(r; f): if (r | length) > 0 then 100 * count(r; f) / (r | length) else null end;
	def pct: if . == null then "-" else (. * 10 | round / 10 | tostring) + "%" end;'

# The compared column's rows over every pair: tests per metric, then the
# timing tests, all tests, and the exact rows apart (a star there is a
# false positive too).
jq -s -r "$defs"'
	[.[][] | select(.p != null)] as $all | [$all[] | select(tested)] as $rows
	| def line(name; r): [name, (r | length),
		count(r; .significant), (rate(r; .significant) | pct),
		count(r; .p < 0.05), (rate(r; .p < 0.05) | pct),
		([r[] | .mdc | select(. != null) | . * 100] | median | pct),
		([r[] | .runs_for_5pct | select(. != null)] | median // "-")] | @tsv;
	(["metric", "rows", "starred", "rate", "p<0.05", "rate", "median mdc", "median n5"] | @tsv),
	(($rows | map(.metric) | unique)[] as $m | line($m; [$rows[] | select(.metric == $m)])),
	line("timing rows"; [$rows[] | select(timing)]),
	line("all tests"; $rows),
	line("exact rows"; [$all[] | select(.exact)])
' "$out"/pair-*/compare.json |
	awk -F'\t' '{ printf "%-13s %5s %7s %6s %6s %6s %10s %9s\n", $1, $2, $3, $4, $5, $6, $7, $8 }'

# Power: the share of timing tests starred with B's timings scaled.
echo
echo "power: timing rows starred with B's timings scaled (--inject-shift)"
printf "%-13s %5s %7s %6s\n" shift rows starred rate
for s in $shifts; do
	jq -s -r --arg s "+$s%" "$defs"'
		[.[][] | select(tested and timing)] as $r
		| [$s, ($r | length), count($r; .significant), (rate($r; .significant) | pct)] | @tsv
	' "$out"/pair-*/shift-"$s".json
done | awk -F'\t' '{ printf "%-13s %5s %7s %6s\n", $1, $2, $3, $4 }'
echo "aa.sh: $pairs pairs of $runs-run groups of $config in $out"
