#!/usr/bin/env bash
# Analysis touches no knob and no resource: compare, plot, report and
# regress on crafted runs (groups included) leave the machine as it was
# and write no undo state.
set -u
source "$(dirname "$0")/../lib.sh"
need_root
MK=${MKRUN:-build/mkrun}
[ -x "$MK" ] || { echo "no $MK: run make first" >&2; exit 2; }

before=$(knobs_now)
mkdir -p "$work/g" "$work/h"
for i in 1 2 3; do
	"$MK" "$work/g/run-$i" stock-6.18 6.18.0 2026-11-0${i}T00:00:00Z 1.0 0.05 8 $i
done
echo '{"runs":["run-1","run-2","run-3"],"label":null}' > "$work/g/group.json"
"$MK" "$work/one" stock-6.18 6.18.0 2026-11-04T00:00:00Z 1.1 0.05 8 9
"$MK" "$work/h/old" stock-6.17 6.17.0 2026-10-01T00:00:00Z 1.0 0.05 8 10
"$MK" "$work/h/new" stock-6.18 6.18.0 2026-11-01T00:00:00Z 1.0 0.05 8 11
rcs=""
"$CB" compare "$work/g" "$work/one" > /dev/null; rcs="$rcs$?"
"$CB" compare --json "$work/g" "$work/g/run-1,$work/g/run-2" > /dev/null; rcs="$rcs$?"
"$CB" plot "$work/g" "$work/one" -o "$work/plots" --normalise > /dev/null; rcs="$rcs$?"
"$CB" report "$work/g" "$work/one" -o "$work/report" > /dev/null; rcs="$rcs$?"
"$CB" regress --history "$work/h" > /dev/null; rcs="$rcs$?"
check "analysis: compare, plot, report and regress ran (exit 0 each)" eq "$rcs" 00000
check "analysis: knobs, swap, zram and tracefs untouched" eq "$(knobs_now)" "$before"
check "analysis: no undo state written" test ! -s "$COWBENCH_STATE"
finish
