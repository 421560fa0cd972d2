#!/usr/bin/env bash
# VM suite, systemd guest: boot Debian 12 (systemd 252, cgroup v2 only) from an initramfs built
# with mmdebstrap, on 8 vCPUs in 2 sockets / 2 NUMA nodes, and run the scenarios in
# tests/vm/systemd/ as systemd units (one boot for all). They print "VMT: PASS|FAIL name: detail"
# on the serial console; a last unit prints "VMT-SUMMARY pass=N fail=M" and powers off.
# Exits non-zero on any FAIL, or when the guest did not report its summary in time.
#
# Environment: LLCSLICE_BIN, LLCSLICE_SRC, LLCSLICE_BUILD (as ctest sets them);
#   LLCSLICE_VM_CACHE          kernel cache dir (default $LLCSLICE_BUILD/vm-cache; may be
#                              read-only when the kernel is already there)
#   LLCSLICE_VM_ROOTFS_CACHE   where the Debian root file system tarball is kept (default
#                              $LLCSLICE_BUILD/vm-cache; built once with mmdebstrap when
#                              missing, ~30-60 s, ~200 MB)
#   LLCSLICE_VM_TIMEOUT        seconds the guest may run before it is killed (default 1800)
#   LLCSLICE_VM_SD_BOOT_TIMEOUT  seconds the guest may take to start the scenarios (VMT-BOOTED)
#                              before that boot is killed and, once, retried (default 600;
#                              an idle boot takes about 60 s)
#   LLCSLICE_VM_SD_ONLY        scenario names to run, space-separated (default: all)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
SRC=${LLCSLICE_SRC:-$(cd "$here/../.." && pwd)}
BUILD=${LLCSLICE_BUILD:-$SRC/build}
BIN=${LLCSLICE_BIN:-$BUILD/llcslice}
CACHE=${LLCSLICE_VM_CACHE:-$BUILD/vm-cache}
# Beside the kernel in the default layout; its own variable, as a shared kernel cache may be
# read-only.
RCACHE=${LLCSLICE_VM_ROOTFS_CACHE:-$BUILD/vm-cache}
GUEST_TIMEOUT=${LLCSLICE_VM_TIMEOUT:-1800}
BOOT_TIMEOUT=${LLCSLICE_VM_SD_BOOT_TIMEOUT:-600}
ONLY=${LLCSLICE_VM_SD_ONLY:-}
LOGS=$BUILD/vm-logs

say() { echo "vm-systemd: $*"; }
die() { echo "vm-systemd: error: $*" >&2; exit 1; }

[[ -x $BIN ]] || die "llcslice binary '$BIN' not found (build first, or set LLCSLICE_BIN)"
[[ $(id -u) -eq 0 ]] || die "needs root (unpacks a root file system with its owners)"
t_start=$(date +%s)
"$SRC/scripts/deps.sh"
kernel=$("$here/fetch-kernel.sh" "$CACHE")
mkdir -p "$RCACHE" "$LOGS"
rootfs=$RCACHE/debian12-systemd.tar
# The package list is part of the cache key: a changed list builds a new tarball.
pkgs=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,procps,util-linux,passwd,jq
if [[ ! -s $rootfs || $(cat "$rootfs.pkgs" 2>/dev/null) != "$pkgs" ]]; then
    say "building $rootfs with mmdebstrap (once)"
    mmdebstrap --quiet --variant=minbase --include="$pkgs" bookworm "$rootfs.tmp.tar" >&2
    mv "$rootfs.tmp.tar" "$rootfs"
    echo "$pkgs" >"$rootfs.pkgs"
fi

stage=$(mktemp -d)
initrd=$(mktemp --suffix=.cpio.gz)
qpid=''
cleanup() {
    if [[ -n $qpid ]] && kill -0 "$qpid" 2>/dev/null; then
        kill -TERM "$qpid" 2>/dev/null || true
        sleep 1
        kill -KILL "$qpid" 2>/dev/null || true
    fi
    rm -rf "$stage" "$initrd"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tar -C "$stage" -xf "$rootfs"
chmod 755 "$stage"
install -D -m 0755 "$BIN" "$stage/usr/bin/llcslice"
for lib in $(ldd "$BIN" 2>/dev/null | grep -o '/[^ ]*' || true); do
    [[ -e $stage$lib ]] || install -D -m 0755 "$(readlink -f "$lib")" "$stage$lib"
done
mkdir -p "$stage/vm/sd"
install -m 0755 "$here"/systemd/*.sh "$stage/vm/sd/"
install -m 0644 "$here"/systemd/*.service "$stage/etc/systemd/system/"
ln -sf /etc/systemd/system/vmt-main.service "$stage/etc/systemd/system/multi-user.target.wants/vmt-main.service"
printf '%s\n' "$ONLY" >"$stage/vm/sd/only"
# Two users with lingering managers: tester gets Debian's default delegation (no cpuset),
# tester2 a user@.service drop-in delegating cpuset.
chroot "$stage" useradd -m -u 1000 -s /bin/bash tester
chroot "$stage" useradd -m -u 1001 -s /bin/bash tester2
mkdir -p "$stage/var/lib/systemd/linger" "$stage/etc/systemd/system/user@1001.service.d"
touch "$stage/var/lib/systemd/linger/tester" "$stage/var/lib/systemd/linger/tester2"
printf '[Service]\nDelegate=cpu cpuset io memory pids\n' \
    >"$stage/etc/systemd/system/user@1001.service.d/delegate.conf"
# Quiet console: no gettys, no status lines; an empty machine-id is filled at boot.
for u in serial-getty@ttyS0.service getty@tty1.service systemd-firstboot.service; do
    ln -sf /dev/null "$stage/etc/systemd/system/$u"
done
: >"$stage/etc/machine-id"
echo llcslice-vm >"$stage/etc/hostname"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) | gzip -1 >"$initrd"
say "kernel $(cat "$CACHE/kernel.pkg"), initramfs $(du -k "$initrd" | cut -f1) KiB, prepared in $(($(date +%s) - t_start)) s"

log=$LOGS/systemd.log
topo="-cpu qemu64,vendor=GenuineIntel -smp 8,sockets=2,cores=4,threads=1 -m 2G
    -object memory-backend-ram,id=m0,size=1G -object memory-backend-ram,id=m1,size=1G
    -numa node,nodeid=0,cpus=0-3,memdev=m0 -numa node,nodeid=1,cpus=4-7,memdev=m1
    -numa dist,src=0,dst=1,val=20"
# no_ipi_broadcast=1: as tests/vm/run.sh (a TCG SMP boot hung right after enabling it)
append="console=ttyS0 panic=-1 loglevel=1 no_ipi_broadcast=1 rdinit=/lib/systemd/systemd systemd.show_status=0"
# shellcheck disable=SC2086 # topo is a word list by design
cmd=(qemu-system-x86_64 -accel tcg -name llcslice-vm-systemd -nodefaults -display none -monitor none
    -no-reboot -serial "file:$log" $topo -kernel "$kernel" -initrd "$initrd" -append "$append")
say "${cmd[*]}"
# A TCG guest now and then hangs in early boot (SMP bring-up); such a boot is killed and
# retried once, and says so.
for try in 1 2; do
    : >"$log"
    t0=$(date +%s)
    timeout --kill-after=10 "$GUEST_TIMEOUT" "${cmd[@]}" </dev/null &
    qpid=$!
    shown=0 boot_hung=
    while kill -0 "$qpid" 2>/dev/null; do
        lines=$(tr -d '\r' <"$log" | wc -l)
        if ((lines > shown)); then
            tr -d '\r' <"$log" | sed -n "$((shown + 1)),${lines}p" | grep -E 'VMT' | sed 's/^/  /' || true
            shown=$lines
        fi
        if (($(date +%s) - t0 > BOOT_TIMEOUT)) && ! grep -q 'VMT-BOOTED' "$log"; then
            boot_hung=1
            kill -TERM "$qpid" 2>/dev/null || true
        fi
        sleep 1
    done
    rc=0
    wait "$qpid" || rc=$?
    qpid=
    [[ -n $boot_hung ]] || break
    cp "$log" "$LOGS/systemd.boot$try.log"
    say "boot $try did not start the scenarios in $BOOT_TIMEOUT s; its console ($LOGS/systemd.boot$try.log) ends:"
    tr -d '\r' <"$log" | tail -n 15 | sed 's/^/    /'
done
tr -d '\r' <"$log" | sed -n "$((shown + 1)),\$p" | grep -E 'VMT' | sed 's/^/  /' || true
summary=$(tr -d '\r' <"$log" | grep -o 'VMT-SUMMARY.*' | tail -n1 || true)
say "guest ran $(($(date +%s) - t0)) s (qemu exit $rc); log $log"
if [[ -z $summary ]]; then
    say "no summary from the guest (timeout after $GUEST_TIMEOUT s, or it died); last lines:"
    tr -d '\r' <"$log" | tail -n 40 | sed 's/^/    /'
    exit 1
fi
say "$summary"
[[ $summary == *" fail=0"* ]]
