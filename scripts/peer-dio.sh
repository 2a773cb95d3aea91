#!/usr/bin/env bash
# dio beside fio on the same load: one dio timing pass and one fio job with
# the same file size, block size, queue depth, engine, read/write mix and
# runtime, O_DIRECT, no forks (fork_hz = 0: fio has none), the I/O on the
# CPU cowbench gives its writer.  Prints fio's figures per direction, IOPS,
# clat and lat, for both, and both command lines.
#
#   scripts/peer-dio.sh [-f FILE (4G)] [-b BS (4k)] [-q QD (16)]
#                       [-t SECONDS (30)] [-w WRITE_PCT (50)]
#                       [-e ENGINE: 0 io_uring fixedbufs, 1 io_uring (1),
#                           2 psync] [-o DIR]
#
# Needs root, fio (Debian package fio; 3.33 on Debian 12), jq and a built
# cowbench (COWBENCH, default build/cowbench); exits 2 naming what is
# missing.  DIR (default peer-dio-<date>) must be on a block-device file
# system: both files go there (fio's is removed at the end).  On a shared
# machine run it under the project's run lock.
set -u
usage() {
	echo "usage: scripts/peer-dio.sh [-f FILE] [-b BS] [-q QD] [-t SECONDS] [-w WRITE_PCT] [-e 0|1|2] [-o DIR]" >&2
	exit 2
}
top=$(cd "$(dirname "$0")/.." && pwd)
CB=${COWBENCH:-$top/build/cowbench}
file=4G bs=4k qd=16 rt=30 wp=50 eng=1 dir=peer-dio-$(date +%Y%m%d-%H%M%S)
while getopts f:b:q:t:w:e:o: o; do
	case $o in
	f) file=$OPTARG ;; b) bs=$OPTARG ;; q) qd=$OPTARG ;; t) rt=$OPTARG ;;
	w) wp=$OPTARG ;; e) eng=$OPTARG ;; o) dir=$OPTARG ;; *) usage ;;
	esac
done
[ $OPTIND -gt $# ] || usage
case $eng in 0 | 1 | 2) ;; *) echo "peer-dio: engine $eng: 0, 1 or 2" >&2; exit 2 ;; esac
for t in fio jq; do
	command -v $t > /dev/null || { echo "peer-dio: needs $t (apt-get install $t)" >&2; exit 2; }
done
[ -x "$CB" ] || { echo "peer-dio: no $CB: run make first" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "peer-dio: needs root (cowbench reads pagemap, sets knobs)" >&2; exit 2; }
mkdir -p "$dir" || exit 2
dir=$(cd "$dir" && pwd)

# dio: one repetition; its timing pass is the figure (the counting pass traces)
printf '%s\n' "scenarios = dio" "backings = base" "reps = 1" "warmup = 0" "timeout = 900" \
	"dio.file = $file" "dio.bs = $bs" "dio.qd = $qd" "dio.runtime = $rt" \
	"dio.write_pct = $wp" "dio.fork_hz = 0" "dio.engine = $eng" > "$dir/dio.conf"
dio_cmd="$CB run -o $dir/dio $dir/dio.conf"
echo "# $dio_cmd"
$dio_cmd > "$dir/dio.out" 2>&1 || { tail -3 "$dir/dio.out" >&2; exit 1; }
rec=$(jq -c 'select(.pass=="timing")' "$dir/dio/results.jsonl")
[ "$(jq -r .status <<< "$rec")" = ok ] || { echo "peer-dio: dio: $(jq -r '.status + ": " + .reason' <<< "$rec")" >&2; exit 1; }
cpu=$(jq -r .writer_cpu "$dir/dio/env.json")

# fio: the same load, its own file laid out first as dio's is
ioengine=io_uring extra=
[ "$eng" = 0 ] && extra=--fixedbufs
[ "$eng" = 2 ] && ioengine=psync qd=1
fio_cmd="fio --name=dio --filename=$dir/fio.dat --size=$file --bs=$bs --iodepth=$qd --ioengine=$ioengine $extra --direct=1 --rw=randrw --rwmixwrite=$wp --norandommap --randrepeat=0 --time_based --runtime=$rt --cpus_allowed=$cpu --output-format=json --output=$dir/fio.json"
echo "# $fio_cmd"
$fio_cmd || exit 1
rm -f "$dir/fio.dat"

# per direction: IOPS, clat p50/p99/mean, lat mean (us)
us() { awk -v n="$1" 'BEGIN { if (n == "" || n == "null") print "-"; else printf "%.1f", n / 1000 }'; }
row() { # TOOL DIR IOPS CLAT50 CLAT99 CLATMEAN LATMEAN
	printf '%-5s %-4s %8s %9s %9s %9s %9s\n' "$2" "$1" "$3" "$(us "$4")" "$(us "$5")" "$(us "$6")" "$(us "$7")"
}
printf '%-5s %-4s %8s %9s %9s %9s %9s\n' dir tool IOPS 'clat p50' 'clat p99' 'clat avg' 'lat avg'
for d in read write; do
	row dio $d $(jq -r --arg d $d '.counts.extra | [.[$d + "_iops"], .[$d + "_clat_ns_p50"], .[$d + "_clat_ns_p99"], .[$d + "_clat_ns_mean"], .[$d + "_lat_ns_mean"]] | map(tostring) | join(" ")' <<< "$rec")
	row fio $d $(jq -r --arg d $d '.jobs[0][$d] | [(.iops | floor), .clat_ns.percentile["50.000000"], .clat_ns.percentile["99.000000"], .clat_ns.mean, .lat_ns.mean] | map(tostring) | join(" ")' "$dir/fio.json")
done
echo "# dio runtime $(jq -r .counts.extra.runtime_ms <<< "$rec") ms, fio $(jq -r '.jobs[0].job_runtime' "$dir/fio.json") ms; results in $dir"
