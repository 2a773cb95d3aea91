#!/usr/bin/env bash
# The snapshot driver's peer: Redis 7 under the same load (KEYS keys of
# VALUE bytes, SETS SETs at RATE per second, a BGSAVE after a quarter of
# them, the server on CPU 1, the load and the save child on CPU 0, where
# cowbench puts its writer and its other party on 2 CPUs: env.json's
# writer_cpu and other_cpu).  Prints Redis's own figures (rdb_last_cow_size,
# latest_fork_usec) and the SET latency during the save measured as the
# driver measures it (scripts/peer-snapshot-client.c).
#
# Needs: redis-server (7.x), redis-cli, cc, taskset (Debian: redis-server
# redis-tools util-linux gcc); exits 2 naming what is missing.  Run it
# under the measurement lock: flock /tmp/cowbench-run.lock scripts/peer-snapshot.sh
#
# usage: scripts/peer-snapshot.sh [KEYS VALUE SETS RATE]   (default: quick.conf's)
set -u
keys=${1:-16384} value=${2:-1024} sets=${3:-4000} rate=${4:-20000}
for c in redis-server redis-cli cc taskset; do
	command -v $c > /dev/null || { echo "peer-snapshot: needs $c (apt-get install redis-server redis-tools gcc util-linux)" >&2; exit 2; }
done
for v in "$keys" "$value" "$sets" "$rate"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "peer-snapshot: KEYS VALUE SETS RATE must be positive integers, got '$v'" >&2; exit 2; }
done
top=$(cd "$(dirname "$0")/.." && pwd)
# the dump goes to disk as cowbench's file does: never tmpfs (fsync is a no-op)
dir=$(mktemp -d "$top/results/peer-snapshot.XXXXXX")
[ "$(stat -f -c %T "$dir")" = tmpfs ] && { rmdir "$dir"; echo "peer-snapshot: $top/results is on tmpfs" >&2; exit 2; }
port=$((20000 + $$ % 20000))
trap 'redis-cli -p $port shutdown nosave > /dev/null 2>&1; rm -rf "$dir"' EXIT
cc -O2 -Wall -o "$dir/client" "$top/scripts/peer-snapshot-client.c" || exit 1
taskset -c 1 redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	--rdbcompression no --rdbchecksum yes --dir "$dir" --bgsave_cpulist 0 \
	--enable-debug-command yes --daemonize no --logfile "$dir/redis.log" &
for _ in $(seq 50); do redis-cli -p "$port" ping > /dev/null 2>&1 && break; sleep 0.1; done
redis-server --version
redis-cli -p "$port" debug populate "$keys" key "$value" > /dev/null
echo "keys=$(redis-cli -p "$port" dbsize) value=$value sets=$sets rate=$rate used_memory_rss=$(redis-cli -p "$port" info memory | sed -n 's/^used_memory_rss:\([0-9]*\).*/\1/p')"
taskset -c 0 "$dir/client" "$port" "$keys" "$value" "$sets" "$rate"
grep -E "Fork CoW|Background saving terminated|DB saved" "$dir/redis.log" | sed 's/^[^*]*\* /# log: /'
