#!/usr/bin/env bash
# cowbench's mprotect scenario beside the Copy-on-Pin paper's loop
# (scripts/mprotect-ref.c: one process, mprotect RO then RW, one write per
# page, the first 2 of 12 iterations discarded), at the paper's size (1 GiB
# of 4 KiB pages), ROUNDS times in turn, and the same loop with 1 GiB freed
# just before each iteration (-f: the perturbation a warm-up must not
# cause).  Prints each side's t/write per repetition, range and median.
#
# Needs root, cc, jq and a built cowbench; exits 2 naming what is missing.
# On a shared machine run it under the run lock:
#   flock /tmp/cowbench-run.lock scripts/peer-mprotect.sh
#
# usage: scripts/peer-mprotect.sh [PAGES (262144) [ROUNDS (3) [REPS (5)]]]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
CB=${COWBENCH:-$top/build/cowbench}
pages=${1:-262144} rounds=${2:-3} reps=${3:-5}
die() { echo "peer-mprotect: $*" >&2; exit 2; }
[ $# -le 3 ] || die "usage: $0 [PAGES [ROUNDS [REPS]]]"
for v in "$pages" "$rounds" "$reps"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || die "PAGES ROUNDS REPS must be positive integers, got '$v'"
done
for c in cc jq; do command -v $c > /dev/null || die "needs $c"; done
[ -x "$CB" ] || die "no $CB: run make first"
[ "$(id -u)" = 0 ] || die "needs root (cowbench reads pagemap, sets knobs)"
dir=$(mktemp -d /tmp/peer-mprotect.XXXXXX)
cc -O2 -Wall -o "$dir/ref" "$top/scripts/mprotect-ref.c" || exit 1
printf 'scenarios = mprotect\nbackings = base\npages = %s\nreps = %s\nwarmup = 1\n' \
	"$pages" "$reps" > "$dir/mp.conf"
for r in $(seq "$rounds"); do
	"$CB" run -o "$dir/cb.$r" "$dir/mp.conf" > "$dir/cb.$r.out" 2>&1 ||
		{ echo "peer-mprotect: cowbench run failed: $dir/cb.$r.out" >&2; exit 1; }
	jq -r 'select(.pass=="timing" and .status=="ok") | .t_op_ns' \
		"$dir/cb.$r/results.jsonl" >> "$dir/cb.ns"
	"$dir/ref" "$pages" 12 | tail -n +3 >> "$dir/ref.ns" || exit 1
	"$dir/ref" -f "$pages" 12 | tail -n +3 >> "$dir/ref-f.ns" || exit 1
done
show() { # NAME FILE: the values, range and median
	sort -n "$2" | awk -v n="$1" '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%-34s n %3d  min %8.1f  median %8.1f  max %8.1f ns\n", n, NR, v[1], m, v[NR] }'
}
echo "pages $pages, $rounds rounds in turn; records and values in $dir"
show "cowbench mprotect t/op (per rep)" "$dir/cb.ns"
show "paper's loop (per iteration)" "$dir/ref.ns"
show "paper's loop, 1 GiB freed before" "$dir/ref-f.ns"
