#!/usr/bin/env bash
# Install the Debian 12 packages llcslice builds, tests and benchmarks with. Idempotent:
# apt is only touched when something is missing.
set -euo pipefail

PACKAGES=(
    build-essential cmake pkg-config clang libclang-rt-14-dev valgrind
    libcgroup-dev cgroup-tools libseccomp-dev libyaml-dev libcmocka-dev libjson-c-dev
    libsystemd-dev
    qemu-system-x86 busybox-static cpio mmdebstrap
    util-linux procps python3 jq gdb
    scdoc tmux debhelper dpkg-dev man-db
    slurmctld slurmd slurm-client munge iproute2
)
if [[ "${1:-}" == "--bench" ]]; then
    PACKAGES+=(hwloc hyperfine)
fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "deps: installing ${missing[*]}" >&2
    SUDO=
    [[ $(id -u) -eq 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
