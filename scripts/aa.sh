#!/usr/bin/env bash
# A/A test of compare: N pairs of run groups of one config, K runs a group,
# each pair compared; every star is a false positive.  Prints, per metric,
# the rows tested, the rows flagged and the false-positive rate, and the
# median smallest detectable change.
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
pairs=10 runs=3 out=aa-$(date +%Y%m%d-%H%M%S)
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
done

# Rows that were tested (a p) in the compared column, over every pair.
jq -s -r '
	[.[][] | select(.p != null)] as $rows
	| def line(name; r): [name, (r | length), ([r[] | select(.significant)] | length),
		(if (r | length) > 0 then 100 * ([r[] | select(.significant)] | length) / (r | length) else null end),
		([r[] | .mdc | select(. != null)] | sort | if length > 0 then 100 * .[length / 2 | floor] else null end)];
	def fmt: [.[0], .[1], .[2],
		(if .[3] == null then "-" else (.[3] * 10 | round / 10 | tostring) + "%" end),
		(if .[4] == null then "-" else (.[4] * 10 | round / 10 | tostring) + "%" end)] | @tsv;
	(["metric", "rows", "flagged", "rate", "median mdc"] | @tsv),
	(($rows | map(.metric) | unique)[] as $m | line($m; [$rows[] | select(.metric == $m)]) | fmt),
	(line("timing rows"; [$rows[] | select(.metric == "t/op" or .metric == "t/fault" or .metric == "p50" or .metric == "p99")]) | fmt),
	(line("all rows"; $rows) | fmt)
' "$out"/pair-*/compare.json |
	awk -F'\t' '{ printf "%-16s %6s %8s %7s %11s\n", $1, $2, $3, $4, $5 }'
echo "aa.sh: $pairs pairs of $runs-run groups of $config in $out"
