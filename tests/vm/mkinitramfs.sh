#!/usr/bin/env bash
# Build the VM suite's initramfs: busybox-static (every applet linked), llcslice and the few
# host tools the scenarios use (util-linux flock, jq) with their shared libraries and dynamic
# loader as ldd reports them, the guest /init and the scenario scripts.
# With BUILD_DIR, the cgroup unit tests built there go in too (/vm/bin), for a scenario to run.
# Usage: mkinitramfs.sh OUT.cpio.gz LLCSLICE_BIN [BUILD_DIR]
set -euo pipefail

out=$1
bin=$2
build=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "mkinitramfs: $*" >&2; exit 1; }
[[ -x $bin ]] || die "llcslice binary '$bin' is not executable"
busybox=$(command -v busybox) || die "busybox not found (scripts/deps.sh installs busybox-static)"
ldd "$busybox" >/dev/null 2>&1 && die "$busybox is not static (install busybox-static)"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage" # the guest's / (mktemp made it 0700: nobody could reach any path)
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,vm/scenarios}

# An executable plus everything ldd says it loads, at the same paths.
add_elf() {
    local src=$1 dst=$2 lib
    install -D -m 0755 "$src" "$stage$dst"
    for lib in $(ldd "$src" 2>/dev/null | grep -o '/[^ ]*' || true); do
        [[ -e $stage$lib ]] && continue
        install -D -m 0755 "$(readlink -f "$lib")" "$stage$lib"
    done
}

install -m 0755 "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
    [[ $applet == busybox ]] && continue
    ln -s /bin/busybox "$stage/bin/$applet"
done
add_elf "$bin" /usr/bin/llcslice
# busybox has no flock applet: util-linux's plays the foreign lock holder (as ktstr would).
add_elf "$(command -v flock)" /usr/bin/flock
add_elf "$(command -v jq)" /usr/bin/jq
for t in test_cgroup test_cgroup_detect; do
    if [[ -n $build && -x $build/$t ]]; then add_elf "$build/$t" "/vm/bin/$t"; fi
done

install -m 0755 "$here/init" "$stage/init"
install -m 0644 "$here/lib.sh" "$here/topologies.sh" "$stage/vm/"
install -m 0755 "$here/probe.sh" "$stage/vm/"
install -m 0644 "$here"/scenarios/*.sh "$stage/vm/scenarios/"
echo "root:x:0:0:root:/:/bin/sh" >"$stage/etc/passwd"

(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) |
    gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out ($(du -k "$out" | cut -f1) KiB)" >&2
