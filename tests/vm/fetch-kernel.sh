#!/usr/bin/env bash
# Fetch Debian's cloud kernel for the VM suite and print the path of its vmlinuz.
# The .deb and the unpacked vmlinuz are cached in CACHE_DIR (default
# ${LLCSLICE_BUILD:-build}/vm-cache) so reruns never download again.
set -euo pipefail

CACHE_DIR=${1:-${LLCSLICE_VM_CACHE:-${LLCSLICE_BUILD:-build}/vm-cache}}
mkdir -p "$CACHE_DIR"
CACHE_DIR=$(cd "$CACHE_DIR" && pwd)
log() { echo "fetch-kernel: $*" >&2; }

if [[ -s $CACHE_DIR/vmlinuz && -s $CACHE_DIR/kernel.pkg ]]; then
    log "cached: $(cat "$CACHE_DIR/kernel.pkg")"
    echo "$CACHE_DIR/vmlinuz"
    exit 0
fi

SUDO=
[[ $(id -u) -eq 0 ]] || SUDO=sudo

# linux-image-cloud-amd64 is a metapackage; the kernel is its versioned dependency.
resolve() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\(-unsigned\)\?\)$/\1/p' | head -n1
}
pkg=$(resolve)
if [[ -z $pkg ]]; then
    log "apt lists do not know linux-image-cloud-amd64; running apt-get update"
    $SUDO apt-get update -qq
    pkg=$(resolve)
fi
[[ -n $pkg ]] || { log "cannot resolve the kernel package behind linux-image-cloud-amd64"; exit 1; }

deb=$(ls "$CACHE_DIR"/"${pkg}"_*.deb 2>/dev/null | head -n1 || true)
if [[ -z $deb ]]; then
    log "downloading $pkg"
    (cd "$CACHE_DIR" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
        (cd "$CACHE_DIR" && $SUDO apt-get update -qq && apt-get download -q "$pkg" >/dev/null)
    deb=$(ls "$CACHE_DIR"/"${pkg}"_*.deb | head -n1)
fi

tmp=$(mktemp -d "$CACHE_DIR/unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
vmlinuz=$(ls "$tmp"/boot/vmlinuz-* | head -n1)
[[ -s $vmlinuz ]] || { log "$deb holds no /boot/vmlinuz-*"; exit 1; }
cp "$vmlinuz" "$CACHE_DIR/vmlinuz.tmp"
mv "$CACHE_DIR/vmlinuz.tmp" "$CACHE_DIR/vmlinuz"
basename "$deb" >"$CACHE_DIR/kernel.pkg"
log "unpacked $(basename "$vmlinuz") from $(basename "$deb")"
echo "$CACHE_DIR/vmlinuz"
