#!/usr/bin/env bash
# VM end-to-end suite: boot Debian's cloud kernel under qemu TCG once per topology (see
# topologies.sh) with an initramfs holding busybox, the freshly built llcslice and the
# scenarios; read the results from the serial console; print a table with boot and scenario
# times. Exits non-zero on any FAIL, or when a guest did not report completion (timeout, panic).
#
# Environment: LLCSLICE_BIN, LLCSLICE_SRC, LLCSLICE_BUILD (as ctest sets them);
#   LLCSLICE_VM_TOPOLOGIES  topologies to boot (default: all, "A B")
#   LLCSLICE_VM_ONLY        scenario numbers to run, e.g. "0,3" (default: all)
#   LLCSLICE_VM_TIMEOUT     seconds one guest may run before it is killed (default 900)
#   LLCSLICE_VM_BOOT_TIMEOUT  seconds a guest may take to reach /init before that boot is
#                           killed and, once, retried (default 240; an idle boot takes 3-5 s)
#   LLCSLICE_VM_SCENARIO_TIMEOUT  seconds one scenario may run inside the guest (default 240)
#   LLCSLICE_VM_CACHE       kernel cache dir (default $LLCSLICE_BUILD/vm-cache)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
SRC=${LLCSLICE_SRC:-$(cd "$here/../.." && pwd)}
BUILD=${LLCSLICE_BUILD:-$SRC/build}
BIN=${LLCSLICE_BIN:-$BUILD/llcslice}
TOPOLOGIES=${LLCSLICE_VM_TOPOLOGIES:-}
ONLY=${LLCSLICE_VM_ONLY:-}
GUEST_TIMEOUT=${LLCSLICE_VM_TIMEOUT:-900}
BOOT_TIMEOUT=${LLCSLICE_VM_BOOT_TIMEOUT:-240}
BOOT_TRIES=2
SCENARIO_TIMEOUT=${LLCSLICE_VM_SCENARIO_TIMEOUT:-240}
CACHE=${LLCSLICE_VM_CACHE:-$BUILD/vm-cache}
LOGS=$BUILD/vm-logs

say() { echo "vm: $*"; }
die() { echo "vm: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

[[ -x $BIN ]] || die "llcslice binary '$BIN' not found (build first, or set LLCSLICE_BIN)"
t_start=$(now)

# What the suite needs comes from the project's own scripts: packages, kernel, initramfs.
"$SRC/scripts/deps.sh"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing after scripts/deps.sh"
kernel=$("$here/fetch-kernel.sh" "$CACHE")
mkdir -p "$LOGS"
initrd=$CACHE/initramfs.cpio.gz
"$here/mkinitramfs.sh" "$initrd" "$BIN" "$BUILD"
t_prep=$(now)
say "kernel $(cat "$CACHE/kernel.pkg"), initramfs $(du -k "$initrd" | cut -f1) KiB, prepared in $(secs "$t_start" "$t_prep") s"

# shellcheck source=topologies.sh
. "$here/topologies.sh"
TOPOLOGIES=${TOPOLOGIES:-$ALL_TOPOLOGIES}

# Never leave a qemu behind: on any exit kill the one still running (timeout(1) also bounds
# it should this script itself be SIGKILLed).
qpid='' qemu_pidfile=''
cleanup() {
    if [[ -n $qpid ]] && kill -0 "$qpid" 2>/dev/null; then
        kill -TERM "$qpid" 2>/dev/null || true # timeout(1) passes it on to qemu
        sleep 1
        kill -KILL "$qpid" 2>/dev/null || true
        if [[ -s $qemu_pidfile ]]; then kill -KILL "$(cat "$qemu_pidfile")" 2>/dev/null || true; fi
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Scenario 8 (vmm-qemu) runs a nested qemu: its binary, libraries and firmware go into a
# second initramfs layer (~20 MB), built and appended only for topology A runs that select it.
qemu_layer_for() { [[ $1 == A ]] && { [[ -z $ONLY ]] || [[ ,$ONLY, == *,8,* ]]; }; }
qemu_layer=

results=$(mktemp)
failed=0
boot_rows=()

for t in $TOPOLOGIES; do
    declare -F "topo_$t" >/dev/null || die "unknown topology '$t' (topologies.sh has: $ALL_TOPOLOGIES)"
    "topo_$t"
    log=$LOGS/$t.log
    qemu_pidfile=$LOGS/$t.qemu.pid
    rm -f "$LOGS/$t".boot*.log
    initrd_t=$initrd
    if qemu_layer_for "$t"; then
        if [[ -z $qemu_layer ]]; then
            qemu_layer=$CACHE/initramfs-qemu.cpio.gz
            "$here/mkqemu-layer.sh" "$qemu_layer"
        fi
        initrd_t=$CACHE/initramfs-$t.cpio.gz
        cat "$initrd" "$qemu_layer" >"$initrd_t"
    fi
    # no_ipi_broadcast=1: a 16-vCPU TCG boot hung right after "IPI shorthand broadcast:
    # enabled" (kept as A.boot1.log); plain IPIs there cost nothing measurable.
    append="console=ttyS0 panic=-1 loglevel=7 no_ipi_broadcast=1 rdinit=/init llcslice.topo=$t llcslice.limit=$SCENARIO_TIMEOUT"
    [[ -n $ONLY ]] && append+=" llcslice.only=$ONLY"
    # shellcheck disable=SC2206 # QEMU_TOPO is a word list by design
    cmd=(qemu-system-x86_64 -accel tcg -name "llcslice-vm-$t" -nodefaults -display none -monitor none
        -pidfile "$qemu_pidfile" -no-reboot -serial "file:$log" $QEMU_TOPO
        -kernel "$kernel" -initrd "$initrd_t" -append "$append")
    say "topology $t: ${cmd[*]}"
    # A TCG guest with many vCPUs now and then hangs in early boot (SMP bring-up) with no
    # console output; such a boot is killed after BOOT_TIMEOUT and retried once, and says so.
    retried=
    for ((try = 1; try <= BOOT_TRIES; try++)); do
        : >"$log"
        rm -f "$qemu_pidfile"
        t0=$(now)
        timeout --kill-after=10 "$GUEST_TIMEOUT" "${cmd[@]}" </dev/null &
        qpid=$!
        shown=0 booted= boot_hung=
        # Stream the guest's progress lines while it runs.
        while :; do
            running=1
            kill -0 "$qpid" 2>/dev/null || running=0
            lines=$(tr -d '\r' <"$log" | wc -l)
            if ((lines > shown)); then
                tr -d '\r' <"$log" | sed -n "$((shown + 1)),${lines}p" | grep -E '^(LLCSLICE-|# )' | sed "s/^/  [$t] /" || true
                shown=$lines
            fi
            if [[ -z $booted ]] && grep -q '^LLCSLICE-BOOTED' "$log"; then booted=$(now); fi
            ((running)) || break
            if [[ -z $booted ]] && awk -v a="$t0" -v b="$(now)" -v l="$BOOT_TIMEOUT" 'BEGIN { exit !(b - a > l) }'; then
                boot_hung=1
                kill -TERM "$qpid" 2>/dev/null || true
            fi
            sleep 0.5
        done
        rc=0
        wait "$qpid" || rc=$?
        qpid=
        t1=$(now)
        [[ -n $boot_hung ]] || break
        cp "$log" "$LOGS/$t.boot$try.log"
        say "topology $t: boot $try did not reach /init in ${BOOT_TIMEOUT} s; its console ($LOGS/$t.boot$try.log) ends:"
        tr -d '\r' <"$log" | tail -n 15 | sed 's/^/    /'
        retried+="boot $try hung before /init; "
    done
    tr -d '\r' <"$log" | sed -n "$((shown + 1)),\$p" | grep -E '^(LLCSLICE-|# )' | sed "s/^/  [$t] /" || true

    # awk reads to the end: one that exits early can SIGPIPE tr, and pipefail then ends the script
    guest_boot=$(tr -d '\r' <"$log" | awk '$1 == "LLCSLICE-BOOTED" && g == "" { g = $3 } END { print g }')
    host_boot=-
    [[ -n $booted ]] && host_boot=$(secs "$t0" "$booted")
    status=ok
    if [[ -n $boot_hung ]]; then
        status="no boot reached /init in ${BOOT_TIMEOUT} s ($BOOT_TRIES tries)"
    elif ((rc == 124 || rc == 137)); then
        status="killed after ${GUEST_TIMEOUT} s (timeout)"
    elif ! grep -q '^LLCSLICE-DONE' "$log"; then
        status="no completion report (qemu exit $rc; panic or init died?)"
    elif ((rc != 0)); then
        status="qemu exited $rc"
    fi
    [[ -z $retried || $status != ok ]] || status="ok (${retried%; })"
    boot_rows+=("$t|${guest_boot:--}|$host_boot|$(secs "$t0" "$t1")|$status")
    tr -d '\r' <"$log" | awk '$1 == "LLCSLICE-RESULT"' >>"$results"
    if [[ $status != ok* ]]; then
        failed=1
        say "topology $t: $status; last console lines ($log):"
        tr -d '\r' <"$log" | tail -n 30 | sed 's/^/    /'
    fi
done

echo
say "boots (guest uptime at /init, host wall time to /init, whole run):"
printf '  %-9s %10s %10s %10s  %s\n' topology "guest s" "to-init s" "total s" status
for row in "${boot_rows[@]}"; do
    IFS='|' read -r t g h tot st <<<"$row"
    printf '  %-9s %10s %10s %10s  %s\n' "$t" "$g" "$h" "$tot" "$st"
done
echo
say "scenarios:"
printf '  %-9s %-22s %-5s %8s  %s\n' topology scenario result "secs" detail
awk '{ d = ""; for (i = 6; i <= NF; i++) d = d (i > 6 ? " " : "") $i
       printf "  %-9s %-22s %-5s %8s  %s\n", $2, $3, $4, $5, d }' "$results"
npass=$(awk '$4 == "PASS"' "$results" | wc -l)
nfail=$(awk '$4 == "FAIL"' "$results" | wc -l)
nskip=$(awk '$4 == "SKIP"' "$results" | wc -l)
rm -f "$results"
((nfail == 0)) || failed=1
((npass + nfail + nskip > 0)) || { say "no scenario reported a result"; failed=1; }
echo
say "whole suite $(secs "$t_start" "$(now)") s (preparation $(secs "$t_start" "$t_prep") s); logs in $LOGS"
echo "vm: $npass passed, $nfail failed, $nskip skipped"
exit "$failed"
