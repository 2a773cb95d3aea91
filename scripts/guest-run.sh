#!/bin/sh
# guest-run.sh NAME: the guest side of a `cowbench matrix` job.
#
# /out/mode "check": the job's config is a check suite (configs/check*.conf),
# run by `cowbench check` against /out/guest.expect when there is one.
# /out/order: an interleave job (below).
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
# an interleave job: /out/order holds one line per run, "POLICY TAG", in
# the matrix's seeded order; each run switches vm.cow_policy to POLICY
# through its config (/out/policy-POLICY.conf) and goes to /out/runs/N,
# its exit status to /out/runs/N.rc; the first failure ends the boot.  A
# kernel without the sysctl is a skip with the reason, never a run.
if [ -s /out/order ]; then
	if [ ! -e /proc/sys/vm/cow_policy ]; then
		echo "no /proc/sys/vm/cow_policy: not a kernel with the cow-policy patch" > /out/skip
		exit 0
	fi
	mkdir -p /out/runs
	n=0
	while read -r pol tag; do
		n=$((n + 1))
		echo "guest-run: run $n: vm.cow_policy $(cat /proc/sys/vm/cow_policy) before, $pol asked"
		# in $dir, the disk's /run, as every job's: a hang keeps the
		# run in progress (scripts/guest-disk.sh copies /run out)
		rm -rf "$dir"
		COWBENCH_RUN_TAG=$tag /cmd/cowbench run -c "/out/policy-$pol.conf" -o "$dir" < /dev/null
		rc=$?
		cp -r "$dir" "/out/runs/$n.tmp" && mv "/out/runs/$n.tmp" "/out/runs/$n"
		echo $rc > "/out/runs/$n.rc"
		[ $rc = 0 ] || exit $rc
	done < /out/order
	exit 0
fi
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
