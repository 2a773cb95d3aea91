#!/bin/sh
# vmrun.sh --kernel BZIMAGE --policy P --out DIR [options] -- COMMAND [ARGS...]
#
# Boot BZIMAGE in qemu-system-x86_64 (2 vCPUs) with cow_policy=P, run the
# host program COMMAND inside, and power off. DIR (created if missing) is
# the guest's /out over virtio-9p, and afterwards holds:
#
#   console.log  the serial console          accel     kvm or tcg
#   stdout       COMMAND's standard output   stderr    its standard error
#   rc           COMMAND's exit status       reason    one line, on failure
#   boot_seconds host start -> our init      vm_seconds host start -> exit
#   partial/run  the run the guest had written to its disk when it hung
#                or stopped early (scripts/guest-disk.sh; the disk image
#                itself is kept as disk.img when that copy fails)
#
# Options:
#   --timeout S      hard limit for the whole guest run (default 600)
#   --mem M          guest memory in MiB (default 2048)
#   --swap KIND      zram | file | none (default none); `file` is a swapfile
#                    on the ext4 disk
#   --swap-size M    swap size in MiB (default 256)
#   --disk M         size of the ext4 virtio-blk disk, mounted at
#                    /mnt/disk (default 512; COWBENCH_DISK in the guest)
#   --accel A        auto | kvm | tcg (default auto: kvm, then tcg when the
#                    guest has not reached init within --kvm-probe seconds)
#   --kvm-probe S    default 10 (a DEBUG_VM guest reaches init in 6-8 s
#                    under TCG here)
#   --file PATH      copy another host file into the guest's /cmd (repeat)
#
# COMMAND is copied in with the shared libraries `ldd` names and the
# loader, so a normal dynamic build runs unchanged (cowbench links libperf,
# libpfm4, hwloc and liburing, not all of which Debian ships as static
# archives). Inside, the environment has COWBENCH_DISK, COWBENCH_SWAP and
# COWBENCH_POLICY; the working directory is /out.
#
# Exit status: COMMAND's own status when the guest ran it to the end;
# 1 with `reason` written when the guest panicked, hung, timed out or could
# not start; 2 for bad usage (before anything runs).
set -eu
prog=vmrun.sh
here=$(cd "$(dirname "$0")" && pwd)

usage() {
	echo "usage: $prog --kernel BZIMAGE --policy P --out DIR [--timeout S] [--mem M]" >&2
	echo "       [--swap zram|file|none] [--swap-size M] [--disk M] [--accel auto|kvm|tcg]" >&2
	echo "       [--kvm-probe S] [--file PATH]... -- COMMAND [ARGS...]" >&2
	exit 2
}
bad() { echo "$prog: $*" >&2; exit 2; }
isnum() { case $1 in ''|*[!0-9]*) return 1 ;; esac; }

kernel= policy= out= timeout=600 mem=2048 swap=none swapsize=256 disk=512
accel=auto probe=10 files=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) [ $# -ge 2 ] || usage; kernel=$2; shift 2 ;;
	--policy) [ $# -ge 2 ] || usage; policy=$2; shift 2 ;;
	--out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
	--mem) [ $# -ge 2 ] || usage; mem=$2; shift 2 ;;
	--swap) [ $# -ge 2 ] || usage; swap=$2; shift 2 ;;
	--swap-size) [ $# -ge 2 ] || usage; swapsize=$2; shift 2 ;;
	--disk) [ $# -ge 2 ] || usage; disk=$2; shift 2 ;;
	--accel) [ $# -ge 2 ] || usage; accel=$2; shift 2 ;;
	--kvm-probe) [ $# -ge 2 ] || usage; probe=$2; shift 2 ;;
	--file) [ $# -ge 2 ] || usage; [ -f "$2" ] || bad "no file $2"
		files="$files $2"; shift 2 ;;
	--) shift; break ;;
	*) echo "$prog: unknown argument $1" >&2; usage ;;
	esac
done
[ $# -ge 1 ] || usage
[ -n "$kernel" ] && [ -n "$policy" ] && [ -n "$out" ] || usage
[ -f "$kernel" ] || bad "no kernel image $kernel"
case $policy in
stock|page_count|page_count_v59|mapcount|always_copy) ;;
*) bad "unknown policy $policy" ;;
esac
case $swap in zram|file|none) ;; *) bad "--swap must be zram, file or none" ;; esac
case $accel in auto|kvm|tcg) ;; *) bad "--accel must be auto, kvm or tcg" ;; esac
for v in "$timeout" "$mem" "$swapsize" "$disk" "$probe"; do
	isnum "$v" || bad "not a number: $v"
done
[ "$swap" != file ] || [ "$swapsize" -lt "$disk" ] ||
	bad "--swap-size must be smaller than --disk"
cmd=$1
shift
[ -f "$cmd" ] && [ -x "$cmd" ] || bad "COMMAND must be an executable host file: $cmd"

# ---- tools (installed only when missing)
need=
command -v qemu-system-x86_64 >/dev/null 2>&1 || need="$need qemu-system-x86"
[ -x /bin/busybox ] || need="$need busybox-static"
command -v mkfs.ext4 >/dev/null 2>&1 || need="$need e2fsprogs"
command -v cpio >/dev/null 2>&1 || need="$need cpio"
if [ -n "$need" ]; then
	[ "$(id -u)" = 0 ] || { echo "$prog: need root to install:$need" >&2; exit 1; }
	apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q $need >&2 ||
		{ echo "$prog: cannot install$need" >&2; exit 1; }
fi
file /bin/busybox 2>/dev/null | grep -q 'statically linked' ||
	ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' ||
	{ echo "$prog: /bin/busybox is not static (install busybox-static)" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/rc" "$out/reason" "$out/accel" "$out/stdout" "$out/stderr" \
	"$out/console.log" "$out/boot_seconds" "$out/vm_seconds" "$out/disk.img"
rm -rf "$out/partial"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmrun.XXXXXX")
qpid=
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null || true
		sleep 1
		kill -9 "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
	echo "$*" > "$out/reason"
	echo "$prog: $*" >&2
	exit 1
}
# keep_partial: after a hang or an early stop, the guest's run off its disk
# (records are fsynced one by one); the image itself when that fails
keep_partial() {
	[ -f "$tmp/disk.img" ] || return 0
	"$here/guest-disk.sh" "$tmp/disk.img" "$out/partial" >&2 && return 0
	rm -rf "$out/partial"
	cp --sparse=always "$tmp/disk.img" "$out/disk.img" 2>/dev/null || true
}

# ---- initramfs: busybox, our init, the command and its libraries
root=$tmp/root
mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" "$root/dev" \
	"$root/out" "$root/mnt/disk" "$root/tmp" "$root/cmd" "$root/etc"
cp /bin/busybox "$root/bin/busybox"
copy_with_libs() {
	cp "$1" "$root/cmd/"
	ldd "$1" 2>/dev/null | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}' |
	while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
copy_with_libs "$cmd"
for f in $files; do copy_with_libs "$f"; done
name=$(basename "$cmd")
: > "$root/cmd/args"
for a in "$@"; do printf '%s\n' "$a" >> "$root/cmd/args"; done
cat > "$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/cmd
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
exec 0</dev/console 1>/dev/console 2>&1
mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
echo "cowbench-init: started"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /out ||
	{ echo "cowbench-init: cannot mount the 9p share"; poweroff -f; }
step() { "\$@" || { echo "init: \$* failed" >> /out/init.err; }; }
if [ -b /dev/vda ]; then
	step mount -t ext4 /dev/vda /mnt/disk
	export COWBENCH_DISK=/mnt/disk
fi
case $swap in
zram)
	step sh -c 'echo ${swapsize}M > /sys/block/zram0/disksize'
	step mkswap /dev/zram0 >/dev/null
	step swapon /dev/zram0 ;;
file)
	step dd if=/dev/zero of=/mnt/disk/swapfile bs=1M count=$swapsize 2>/dev/null
	step chmod 600 /mnt/disk/swapfile
	step mkswap /mnt/disk/swapfile >/dev/null
	step swapon /mnt/disk/swapfile ;;
esac
export COWBENCH_SWAP=$swap COWBENCH_POLICY=$policy
cd /out
set --
while IFS= read -r a; do set -- "\$@" "\$a"; done < /cmd/args
/cmd/$name "\$@" > /out/stdout 2> /out/stderr
echo \$? > /out/rc.tmp
swapoff -a 2>/dev/null
umount /mnt/disk 2>/dev/null
mv /out/rc.tmp /out/rc
sync
echo "cowbench-init: done"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$tmp/initrd.gz"

# ---- the disk: ext4 for O_DIRECT, io_uring files and a swapfile
truncate -s "${disk}M" "$tmp/disk.img"
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$tmp/disk.img" ||
	fail "mkfs.ext4 failed"

# ---- boot
append="console=ttyS0 panic=-1 cow_policy=$policy"
start() {	# start ACCEL: qemu in the background, pid in $qpid
	if [ "$1" = kvm ]; then cpu=host; acc=kvm; else cpu=max; acc=tcg,thread=multi; fi
	: > "$out/console.log"
	qemu-system-x86_64 -nodefaults -no-reboot -display none -monitor none \
		-accel "$acc" -cpu "$cpu" -smp 2 -m "$mem" \
		-kernel "$kernel" -initrd "$tmp/initrd.gz" -append "$append" \
		-serial "file:$out/console.log" \
		-virtfs "local,path=$out,mount_tag=out,security_model=none,id=out" \
		-drive "file=$tmp/disk.img,if=virtio,format=raw" \
		-nic none > "$tmp/qemu.log" 2>&1 &
	qpid=$!
}
now() { date +%s%N | cut -c1-11; }	# deciseconds
t0=$(now)
reached() { grep -q 'cowbench-init: started' "$out/console.log" 2>/dev/null; }
boot=
try_accel() {	# ACCEL LIMIT_S: 0 when init was reached
	start "$1"
	ts=$(now)
	while kill -0 "$qpid" 2>/dev/null; do
		reached && { boot=$(( $(now) - ts )); return 0; }
		[ $(( $(now) - ts )) -lt $(( $2 * 10 )) ] || break
		sleep 0.2
	done
	reached && { boot=$(( $(now) - ts )); return 0; }
	kill "$qpid" 2>/dev/null || true
	wait "$qpid" 2>/dev/null || true
	qpid=
	return 1
}
used=
case $accel in
auto|kvm)
	if [ -c /dev/kvm ] && try_accel kvm "$probe"; then
		used=kvm
	elif [ "$accel" = kvm ]; then
		fail "kvm: guest did not reach init within $probe s"
	else
		echo "$prog: kvm did not reach init within $probe s, using tcg" >&2
		cp "$out/console.log" "$out/console-kvm.log" 2>/dev/null || true
	fi ;;
esac
if [ -z "$used" ]; then
	try_accel tcg "$timeout" ||
		fail "tcg: guest did not reach init ($(grep -m1 -E 'Kernel panic|BUG:|error' "$out/console.log" || tail -1 "$tmp/qemu.log" 2>/dev/null || echo 'no output'))"
	used=tcg
fi
echo "$used" > "$out/accel"
printf '%d.%d\n' $((boot / 10)) $((boot % 10)) > "$out/boot_seconds"

# ---- run to the end or to the time limit
limit=$(( t0 + timeout * 10 ))
while kill -0 "$qpid" 2>/dev/null; do
	if [ "$(now)" -ge "$limit" ]; then
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
		qpid=
		keep_partial
		fail "timeout: guest still running after $timeout s"
	fi
	sleep 0.5
done
wait "$qpid" 2>/dev/null || true
qpid=
e=$(( $(now) - t0 ))
printf '%d.%d\n' $((e / 10)) $((e % 10)) > "$out/vm_seconds"

if [ ! -f "$out/rc" ]; then
	why=$(grep -m1 -E 'Kernel panic[^"]*|kernel BUG at.*|BUG: .*|Oops: .*' "$out/console.log" ||
		true)
	[ -n "$why" ] || why="guest stopped before the command finished ($(tail -1 "$out/console.log" | tr -d '\r'))"
	keep_partial
	fail "$why"
fi
rc=$(cat "$out/rc")
if grep -q -E 'WARNING:|BUG:|kernel BUG at|Oops:|Kernel panic' "$out/console.log"; then
	echo "$prog: the console has kernel warnings: $out/console.log" >&2
fi
[ "$rc" = 0 ] || echo "command exited $rc" > "$out/reason"
exit "$rc"
