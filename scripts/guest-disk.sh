#!/bin/sh
# guest-disk.sh IMAGE DIR: the run a guest left on its ext4 disk (the
# guest-run.sh folder /run on the disk, /mnt/disk/run inside the guest)
# copied into DIR/run, without mounting (e2fsck replays the journal of a
# guest that was killed, debugfs copies).  scripts/vmrun.sh calls it when
# a guest hangs or stops early: cowbench fsyncs every record, so what the
# guest wrote before it stopped is kept.  Exit 0 with DIR/run, 1 when the
# disk holds no run (nothing is created then), 2 for bad usage.
set -u
prog=guest-disk.sh
[ $# = 2 ] || { echo "usage: $prog IMAGE DIR" >&2; exit 2; }
img=$1 dir=$2
[ -f "$img" ] || { echo "$prog: no disk image $img" >&2; exit 2; }
PATH=$PATH:/sbin:/usr/sbin
e2fsck -fy "$img" >/dev/null 2>&1
[ "$(debugfs -R 'stat /run' "$img" 2>/dev/null | grep -c 'Type: directory')" = 1 ] ||
	{ echo "$prog: no run on $img" >&2; exit 1; }
mkdir -p "$dir"
rm -rf "$dir/run"
debugfs -R "rdump /run $dir" "$img" >/dev/null 2>&1
[ -d "$dir/run" ] || { echo "$prog: cannot copy /run out of $img" >&2; exit 1; }
