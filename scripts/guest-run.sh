#!/bin/sh
# guest-run.sh NAME: the guest side of a `cowbench matrix` job.
#
# /out/mode "check": the job's config is a check suite (configs/check*.conf),
# run by `cowbench check` against /out/guest.expect when there is one.
#
# Runs inside the VM that scripts/vmrun.sh boots (as its COMMAND, with
# /cmd/cowbench copied in by --file). The 9p share /out holds the job's
# guest.conf; the run goes to the ext4 disk first (file-private needs
# O_TMPFILE, which 9p lacks) and is copied to /out/run at the end, also
# when cowbench fails. NAME becomes the hostname, so that run ids and
# compare columns tell the kernels apart (label@NAME); /out/machine and
# /out/kernel_commit, when the matrix wrote them, go to env.json, and
# /out/run_tag (policy+config@machine) into the run id.  The
# swapped-* backings set up their own swap device, so the matrix boots
# with `swap = none`: any other swap would take their pages first.
set -u
[ $# = 1 ] || { echo "usage: guest-run.sh NAME" >&2; exit 2; }
hostname "$1"
# what the matrix knows and the guest cannot: the machine (env.json's
# machine: regress's series), the tree the kernel was built from
if [ -s /out/machine ]; then
	COWBENCH_MACHINE=$(cat /out/machine)
	export COWBENCH_MACHINE
fi
# the run id's tag: with the time and the hostname, unique by construction
if [ -s /out/run_tag ]; then
	COWBENCH_RUN_TAG=$(cat /out/run_tag)
	export COWBENCH_RUN_TAG
fi
if [ -s /out/kernel_commit ]; then
	COWBENCH_KERNEL_COMMIT=$(cat /out/kernel_commit)
	export COWBENCH_KERNEL_COMMIT
fi
mkdir -p /run/cowbench
# the swapped-file backing's swapfile: on the ext4 disk, not the initramfs
[ -z "${COWBENCH_DISK:-}" ] || export COWBENCH_SWAPDIR=$COWBENCH_DISK
dir=${COWBENCH_DISK:-/tmp}/run
if [ "$(cat /out/mode 2>/dev/null)" = check ]; then
	# a check suite: KTAP to /out/check.ktap; a failed check is a
	# verdict for the matrix's report, not a failed job (exit 1)
	set -- check -c /out/guest.conf -o "$dir"
	[ ! -e /out/guest.expect ] || set -- "$@" --expect /out/guest.expect
	/cmd/cowbench "$@" > /out/check.ktap
	rc=$?
	[ $rc != 1 ] || rc=0
else
	/cmd/cowbench run -c /out/guest.conf -o "$dir"
	rc=$?
fi
cp -r "$dir" /out/run.tmp && mv /out/run.tmp /out/run
exit $rc
