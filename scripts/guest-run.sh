#!/bin/sh
# guest-run.sh NAME: the guest side of a `cowbench matrix` job.
#
# Runs inside the VM that scripts/vmrun.sh boots (as its COMMAND, with
# /cmd/cowbench copied in by --file). The 9p share /out holds the job's
# guest.conf; the run goes to the ext4 disk first (file-private needs
# O_TMPFILE, which 9p lacks) and is copied to /out/run at the end, also
# when cowbench fails. NAME becomes the hostname, so that run ids and
# compare columns tell the kernels apart (label@NAME).  The swapped-*
# backings set up their own swap device, so the matrix boots with
# `swap = none`: any other swap would take their pages first.
set -u
[ $# = 1 ] || { echo "usage: guest-run.sh NAME" >&2; exit 2; }
hostname "$1"
mkdir -p /run/cowbench
# the swapped-file backing's swapfile: on the ext4 disk, not the initramfs
[ -z "${COWBENCH_DISK:-}" ] || export COWBENCH_SWAPDIR=$COWBENCH_DISK
dir=${COWBENCH_DISK:-/tmp}/run
/cmd/cowbench run -c /out/guest.conf -o "$dir"
rc=$?
cp -r "$dir" /out/run.tmp && mv /out/run.tmp /out/run
exit $rc
