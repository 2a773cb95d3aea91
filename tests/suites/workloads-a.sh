#!/usr/bin/env bash
# The workloads' shared paths on the running kernel: SIGINT in a pass with a
# server, a generator and children, and a store no machine holds (forksrv:
# wl-forksrv.sh, snapshot: wl-snapshot.sh, the others: wl-*.sh).  Needs root.
set -u
. "$(dirname "$0")/../lib.sh"
need_root
before=$(knobs_now)

# SIGINT during a forksrv pass: exit 130, the pass's group gone, knobs back
long=$(conf long "scenarios = forksrv" "backings = base" "reps = 20" "warmup = 0" \
	"forksrv.heap = 64M" "forksrv.requests = 100000" "forksrv.fork_every = 1" "forksrv.rate = 0")
"$CB" run -o "$work/int" "$long" > "$work/int.out" 2>&1 &
cb=$!
group=
for _ in $(seq 100); do
	pass=$(pgrep -P $cb | head -n1)
	# never -g 0: that is our own process group
	[ -n "$pass" ] && group=$(pgrep -g "$pass" | tr '\n' ' ')
	[ "$(echo $group | wc -w)" -ge 2 ] && break
	sleep 0.1
done
sleep 0.5
[ -n "$pass" ] && group="$group $(pgrep -g "$pass" | tr '\n' ' ')"
kill -INT $cb; wait $cb; rc=$?
still=
for pid in $group; do [ -e "/proc/$pid" ] && still="$still $pid"; done
check "SIGINT in forksrv: the pass had a server and a generator (and children)" ge "$(echo $group | wc -w)" 2
check "SIGINT in forksrv: exit 130, no process of the pass left, knobs back" \
	eq "$rc,$still,$(knobs_now)" "130,,$before"

# bad input, before anything runs
out=$("$CB" run -o "$work/never" "$(conf big 'scenarios = snapshot' 'snapshot.keys = 200000000' 'snapshot.value = 1M')" 2>&1); rc=$?
check "a store above MemTotal: one line, exit 2" \
	eq "$rc,$(echo "$out" | wc -l),$(echo "$out" | grep -c 'more than MemTotal')" "2,1,1"
finish
