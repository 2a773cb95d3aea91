#!/usr/bin/env bash
# The reuse paths of issue 8: ksm, swapin, mprotect, vmsplice, lru-fresh.
# Exact counts on the running kernel (6.18: PageAnonExclusive), each
# precondition verified or a skip with the record's reason, and the
# machine as before after every run (swap, zram, ksm/run as found).
set -u
. "$(dirname "$0")/../lib.sh"
need_root

N=256
start=$(knobs_now)
# after every run: as the suite found the machine (knobs_now covers swaps,
# zram disksizes and ksm/run), whatever that was
restored() {
	check "$1: knobs, swap, zram and KSM as before" eq "$(knobs_now)" "$start"
}
# the counting record of rep 0, by parameters
crec() { # crec DIR SCENARIO BACKING PARAMS-JQ EXPR
	jq -r --arg s "$2" --arg b "$3" \
		"select(.scenario==\$s and .backing==\$b and .pass==\"counting\" and .rep==0 and ($4)) | $5" \
		"$work/$1/results.jsonl" | head -n1
}
counts() { # copies reuses reuse nec unn miss wrong faults
	crec "$@" '.counts | [.copies, .reuses, .classes.reuse, .classes.necessary_copy, .classes.unnecessary_copy, .classes.missed_cow, .classes.wrong_cow, .faults] | map(tostring) | join(" ")'
}
# ok, or a skip with the record's reason; 0 when the record is ok
ran() { # ran NAME DIR SCENARIO BACKING PARAMS-JQ
	local st
	st=$(crec "$2" "$3" "$4" "$5" '.status')
	[ "$st" = ok ] && return 0
	if [ "$st" = skip ]; then skip "$1" "$(crec "$2" "$3" "$4" "$5" .reason)"; else
		not_ok "$1" "status '$st': $(crec "$2" "$3" "$4" "$5" .reason)"; fi
	return 1
}

# ---- ksm: every write to a merged page copies; after unmerge none does ----
# cow_ksm is system-wide: other mergeable processes (a QEMU guest) move it too
mergeable() { grep -l "ksm_mergeable: yes" /proc/[0-9]*/ksm_stat 2>/dev/null | wc -l; }
others=$(mergeable)
run ksm "$(conf ksm "pages = $N" "reps = 1" "warmup = 0" "scenarios = ksm" "backings = ksm")"
m=$(mergeable); [ "$m" -gt "$others" ] && others=$m
cow_ksm() { # cow_ksm NAME UNMERGE WANT
	local got
	got=$(crec ksm ksm ksm ".params.unmerge==$2" .counts.vmstat.cow_ksm)
	if [ "$others" = 0 ]; then check "$1: vmstat cow_ksm delta == $3" eq "$got" "$3"
	else check "$1: vmstat cow_ksm delta >= $3 ($others other mergeable processes)" ge "$got" "$3"; fi
}
if ran "ksm: writes to merged pages" ksm ksm ksm '.params.unmerge==0'; then
	check "ksm: $N copies == $N pages written, all necessary, one fault each" \
		eq "$(counts ksm ksm ksm '.params.unmerge==0')" "$N 0 0 $N 0 0 0 $N"
	cow_ksm "ksm" 0 "$N"
fi
if ran "ksm: after MADV_UNMERGEABLE" ksm ksm ksm '.params.unmerge==1'; then
	check "ksm unmerge=1: 0 copies, $N reuses of the unshared exclusive pages" \
		eq "$(counts ksm ksm ksm '.params.unmerge==1')" "0 $N $N 0 0 0 0 $N"
	if [ "$others" = 0 ]; then cow_ksm "ksm unmerge=1" 1 0; else
		skip "ksm unmerge=1: cow_ksm delta 0" "$others other mergeable processes move the system-wide count"; fi
fi
restored "ksm"

# ---- swapin: on every swap backing this machine offers ----
swaps=$("$CB" list | awk '/^backings/{b=1} b && $1 ~ /^swapped-/{print $1}')
for bk in $swaps; do
	run "sw-$bk" "$(conf "sw-$bk" "pages = $N" "reps = 1" "warmup = 0" \
		"scenarios = swapin swapin-child" "backings = $bk")"
	ev() { crec "sw-$bk" "$1" "$bk" "$2" "$3"; }
	if ran "swapin $bk read=1" "sw-$bk" swapin "$bk" '.params.read==1'; then
		check "swapin $bk read=1: read fault mapped it writable: $N no_fault, 0 faults, PFN kept" \
			eq "$(ev swapin '.params.read==1' '[.counts.events.no_fault, .counts.faults, .counts.copies] | map(tostring) | join(" ")')" "$N 0 0"
		check "swapin $bk read=1: every page mapped once (pagemap bit 56) before the write" \
			eq "$(ev swapin '.params.read==1' .counts.extra.pm_exclusive_before)" $N
	fi
	if ran "swapin $bk read=0" "sw-$bk" swapin "$bk" '.params.read==0'; then
		# alone, the writer keeps no reference to tell a swap-in copy from
		# a reuse (the slot is freed in the fault): not asserted
		check "swapin $bk read=0: one fault per page, every page swapped in" \
			eq "$(ev swapin '.params.read==0' '[.counts.faults, .counts.events.swapin + .counts.events.swapin_reuse] | map(tostring) | join(" ")')" "$N $N"
	fi
	if ran "swapin-child $bk read=0" "sw-$bk" swapin-child "$bk" '.params.read==0'; then
		check "swapin-child $bk read=0: $N swapin_copy, all necessary; the child reads the old bytes" \
			eq "$(ev swapin-child '.params.read==0' '[.counts.events.swapin_copy, .counts.copies, .counts.classes.necessary_copy, .counts.classes.missed_cow, .counts.faults] | map(tostring) | join(" ")')" "$N $N $N 0 $N"
	fi
	if ran "swapin-child $bk read=1" "sw-$bk" swapin-child "$bk" '.params.read==1'; then
		check "swapin-child $bk read=1: the read maps the swap-cache folio read-only, the write copies ($N necessary)" \
			eq "$(counts "sw-$bk" swapin-child "$bk" '.params.read==1')" "$N 0 0 $N 0 0 0 $N"
		check "swapin-child $bk read=1: pagemap calls the shared swap-cache page exclusive (mapcount 1)" \
			eq "$(ev swapin-child '.params.read==1' '.counts.extra.swapcache_before == '$N' and .counts.extra.pm_exclusive_before == '$N)" true
	fi
	restored "swapin on $bk"
done
[ -n "$swaps" ] || skip "swapin" "no swapped-* backing in 'cowbench list'"

# ---- mprotect, vmsplice, lru-fresh on base pages ----
run base "$(conf base "pages = $N" "reps = 1" "warmup = 0" "backings = base" \
	"scenarios = mprotect mprotect-fork vmsplice lru-fresh")"
if ran "mprotect base" base mprotect base true; then
	check "mprotect base: RO then RW, $N writes, every page no_fault, 0 faults, 0 copies" \
		eq "$(crec base mprotect base true '[.counts.events.no_fault, .counts.faults, .counts.copies] | map(tostring) | join(" ")')" "$N 0 0"
fi
if ran "mprotect-fork base" base mprotect-fork base true; then
	check "mprotect-fork base: fork-shared pages stay write-protected: $N necessary copies" \
		eq "$(counts base mprotect-fork base true)" "$N 0 0 $N 0 0 0 $N"
fi
if ran "vmsplice base" base vmsplice base true; then
	check "vmsplice base: the pipe returns the old bytes: $N necessary copies, 0 missed COW" \
		eq "$(counts base vmsplice base true)" "$N 0 0 $N 0 0 0 $N"
fi
# hugetlb: the leak upstream still has (cow.c: xfail) is the observer's
# positive control; a kernel that fixed it copies every page instead
run hv "$(conf hv "pages = 512" "reps = 1" "warmup = 0" "backings = hugetlb-2048kB" "scenarios = vmsplice")"
st=$(crec hv vmsplice hugetlb-2048kB true .status)
case $st in
fail | ok)
	check "vmsplice hugetlb-2048kB: the pipe saw the write on every page the parent reused (known leak), or none was reused ($st)" \
		eq "$(crec hv vmsplice hugetlb-2048kB true '.counts | [(if .classes.missed_cow > 0 then "fail" else "ok" end), .classes.missed_cow + .classes.necessary_copy, .reuses == .classes.missed_cow, .events.unexplained] | map(tostring) | join(" ")')" "$st 512 true 0"
	echo "# vmsplice hugetlb-2048kB on $(uname -r): $(crec hv vmsplice hugetlb-2048kB true '.reason // "ok: every page copied"')" ;;
skip) skip "vmsplice hugetlb-2048kB" "$(crec hv vmsplice hugetlb-2048kB true .reason)" ;;
*) not_ok "vmsplice hugetlb-2048kB" "status '$st': $(crec hv vmsplice hugetlb-2048kB true .reason)" ;;
esac
restored "vmsplice on hugetlb"
for d in 0 1; do
	ran "lru-fresh drain=$d" base lru-fresh base ".params.drain==$d" || continue
	check "lru-fresh drain=$d: the classes explain every page written (reuse + unnecessary == $N)" \
		eq "$(crec base lru-fresh base ".params.drain==$d" '.counts | [.classes.reuse + .classes.unnecessary_copy, .classes.necessary_copy, .classes.missed_cow, .classes.wrong_cow, .events.unexplained] | map(tostring) | join(" ")')" "$N 0 0 0 0"
	check "lru-fresh drain=$d: unnecessary_copy == copies pagemap shows, none of a page on the LRU" \
		eq "$(crec base lru-fresh base ".params.drain==$d" '.counts | .classes.unnecessary_copy == .copies and .copies <= .extra.off_lru_before')" true
	echo "# lru-fresh drain=$d: $(crec base lru-fresh base ".params.drain==$d" '.counts | "\(.copies) unnecessary copies, \(.extra.off_lru_before) pages off the LRU before the write"')"
done
restored "mprotect, vmsplice, lru-fresh"

# ---- skip paths, taken on every machine ----
small=$(conf small "pages = 16" "reps = 1" "warmup = 0" "scenarios = ksm" "backings = ksm" "ksm.unmerge = 0")
COWBENCH_KSM_DIR=$work/no-ksm run noksm "$small"
check "no KSM: ksm is a skip naming the missing knob" \
	eq "$(crec noksm ksm ksm '.params.unmerge==0' '.status + ": " + .reason')" "skip: no KSM ($work/no-ksm/run missing)"
mkdir -p "$work/idle-ksm"
for f in run full_scans pages_to_scan sleep_millisecs; do echo 0 > "$work/idle-ksm/$f"; done
COWBENCH_KSM_DIR=$work/idle-ksm run idleksm "$small"
check "ksmd that never scans: a skip saying how many pages merged" \
	eq "$(crec idleksm ksm ksm '.params.unmerge==0' '.status + ": " + .reason')" "skip: KSM merged 0 of 16 pages in 0 full scans (ksmd stopped scanning)"
restored "the KSM skips"
one=$(conf one "pages = 16" "reps = 1" "warmup = 0" "scenarios = lru-fresh" "backings = base")
# hwloc's synthetic topology: one core, one PU (CPU 0)
HWLOC_SYNTHETIC="core:1 pu:1" HWLOC_THISSYSTEM=1 run one "$one"
check "lru-fresh on one CPU: a skip, it needs two" \
	eq "$(crec one lru-fresh base '.params.drain==0' '.status + ": " + .reason')" "skip: lru-fresh needs two CPUs (writer and other on CPU 0)"

finish
