#!/usr/bin/env bash
# The main job: install what is missing, build, show the host as planned, and run a short
# command in a real slice that prints its own allowed CPUs and cgroup.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
BUILD_DIR=build ./scripts/build.sh
./build/llcslice topo
./build/llcslice run --cpus 1 -- sh -c \
    'grep Cpus_allowed_list /proc/self/status; grep -E "cpuset|^0::" /proc/self/cgroup;
     echo "LLCSLICE_CPUS=$LLCSLICE_CPUS LLCSLICE_MEMS=$LLCSLICE_MEMS nproc=$(nproc)"'
