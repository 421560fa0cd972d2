#!/usr/bin/env bash
# A second initramfs layer for the VM scenario that runs a nested qemu (8-vmm-qemu): the host's
# qemu-system-x86_64 and its TCG accelerator module with every shared library ldd names, and
# the firmware it loads (/usr/share/qemu, /usr/share/seabios). The kernel unpacks concatenated
# cpio archives one after another, so run.sh appends this to the suite's initramfs only for
# the topologies and runs that include the scenario.
# Usage: mkqemu-layer.sh OUT.cpio.gz
set -euo pipefail

out=$1
die() { echo "mkqemu-layer: $*" >&2; exit 1; }
qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found (scripts/deps.sh installs qemu-system-x86)"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"

add_elf() {
    local src=$1 lib
    install -D -m 0755 "$(readlink -f "$src")" "$stage$src"
    for lib in $(ldd "$src" 2>/dev/null | grep -o '/[^ ]*' || true); do
        [[ -e $stage$lib ]] && continue
        install -D -m 0755 "$(readlink -f "$lib")" "$stage$lib"
    done
}
add_elf "$qemu"
# Debian builds TCG as a module qemu loads at start (-accel tcg).
for m in /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so; do
    [[ -e $m ]] && add_elf "$m"
done
for d in /usr/share/qemu /usr/share/seabios; do
    [[ -d $d ]] || continue
    mkdir -p "$stage$(dirname "$d")"
    cp -a "$d" "$stage$d"
done

(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) |
    gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkqemu-layer: $out ($(du -k "$out" | cut -f1) KiB)" >&2
