#!/bin/bash
# The stream driver beside STREAM's own way of measuring, at one array size:
# scripts/stream-ref.c (STREAM's rules: static arrays, -O2, first iteration
# untimed, best of the rest, MB = 10^6) and `cowbench run -s stream` with
# action 0 (none) on base pages, both pinned to the same CPU, REPS runs each
# in turn;
# prints the median of each side's best rates and their ratio.
#
# Needs: root, gcc, objdump (binutils), jq, taskset (util-linux), a built
# cowbench (make).  Exits 2, saying what is missing or wrong, before
# anything runs; 1 if a run fails.
# On a shared machine run it under the measurement lock:
#   flock /tmp/cowbench-run.lock scripts/peer-stream.sh 336M 10 3
#
# usage: scripts/peer-stream.sh [ARRAY [ITERATIONS [REPS]]]
#   ARRAY bytes per array (K/M/G suffix, a multiple of 4 KiB, >= 2M;
#   default 336M), ITERATIONS >= 2 (default 10), REPS >= 1 (default 3)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
CB=${COWBENCH:-$top/build/cowbench}
die() { echo "peer-stream: $*" >&2; exit 2; }
fail() { echo "peer-stream: $*" >&2; exit 1; }

array=${1:-336M} iters=${2:-10} reps=${3:-3}
[ $# -le 3 ] || die "usage: $0 [ARRAY [ITERATIONS [REPS]]]"
case $array in
*K) bytes=$((${array%K} * 1024)) ;;
*M) bytes=$((${array%M} * 1024 * 1024)) ;;
*G) bytes=$((${array%G} * 1024 * 1024 * 1024)) ;;
*) bytes=$array ;;
esac 2>/dev/null
[[ $bytes =~ ^[0-9]+$ ]] && [ "$bytes" -ge $((2 << 20)) ] && [ $((bytes % 4096)) = 0 ] ||
	die "ARRAY '$array': bytes per array, a multiple of 4K, at least 2M"
[[ $iters =~ ^[0-9]+$ ]] && [ "$iters" -ge 2 ] && [ "$iters" -le 1000 ] ||
	die "ITERATIONS '$iters': 2 to 1000 (the first is not timed)"
[[ $reps =~ ^[0-9]+$ ]] && [ "$reps" -ge 1 ] || die "REPS '$reps': at least 1"
[ "$(id -u)" = 0 ] || die "needs root (cowbench run)"
for t in gcc objdump jq taskset; do
	command -v $t > /dev/null || die "needs $t"
done
[ -x "$CB" ] || die "no $CB: run make first"

cpu=1 # cowbench's writer CPU on this 2-CPU machine (env.json writer_cpu)
work=$(mktemp -d /tmp/peer-stream.XXXXXX)
n=$((bytes / 8))
ref=$work/stream-ref
gcc -O2 -Wall -Wextra -Werror -DSTREAM_N=$n -DNTIMES=$iters -o "$ref" \
	"$top/scripts/stream-ref.c" -lm || fail "cannot build scripts/stream-ref.c"

packed() { # BINARY SYMBOL-REGEX: packed double mul/add instructions in those symbols
	objdump -d --no-show-raw-insn "$1" |
		awk -v re="$2" '/^[0-9a-f]+ <.*>:$/ { p = ($0 ~ re) } p' | grep -cE 'mulpd|addpd'
}
echo "packed mulpd/addpd: stream-ref main $(packed "$ref" '<main>'), cowbench k_* $(packed "$CB" '<k_')"

# interleaved, so that the host's drift over minutes hits both sides alike
printf '%s\n' "scenarios = stream" "backings = base" "reps = 1" "warmup = 0" \
	"stream.array = $bytes" "stream.iterations = $iters" "stream.action = 0" > "$work/cb.conf"
for r in $(seq "$reps"); do
	taskset -c $cpu "$ref" > "$work/ref.$r" || fail "stream-ref failed: $(cat "$work/ref.$r")"
	"$CB" run -o "$work/cb.$r" "$work/cb.conf" > "$work/cb.$r.out" 2>&1 ||
		fail "cowbench run failed: $(tail -3 "$work/cb.$r.out")"
done
cat "$work"/cb.*/results.jsonl > "$work/cb.jsonl"
[ "$(jq -r 'select(.pass == "timing") | .status' "$work/cb.jsonl" | sort -u)" = ok ] ||
	fail "cowbench's timing passes are not all ok: $work/cb.jsonl"

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
echo "array $array ($n doubles), $iters iterations (first untimed), $reps runs each, CPU $cpu"
echo "THP: stream-ref AnonHugePages $(sed -n 's/^anon_huge_kb=//p' "$work/ref.1") kB," \
	"cowbench base anon_huge_kb_max $(jq -r 'select(.pass == "timing") | .counts.extra.anon_huge_kb_max' "$work/cb.jsonl" | head -1) kB"
printf '%-6s %14s %14s %7s\n' kernel "STREAM-rules" "cowbench" ratio
for k in copy scale add triad; do
	s=$(sed -n "s/^$k best_mb_per_s=\([0-9]*\).*/\1/p" "$work"/ref.* | median)
	c=$(jq -r "select(.pass == \"timing\") | .counts.extra.${k}_mb_per_s" "$work/cb.jsonl" | median)
	printf '%-6s %9s MB/s %9s MB/s %7s\n' $k "$s" "$c" "$(awk -v a="$c" -v b="$s" 'BEGIN { printf "%.3f", a / b }')"
done
echo "records: $work/cb.*/results.jsonl; stream-ref output: $work/ref.*"
