#!/usr/bin/env bash
# Discovery at scale, on its own: a synthetic sysfs of NCPU CPUs (2 threads/core, PER_LLC CPUs
# per L3, NODES nodes) on tmpfs, timed through `llcslice topo --json`. bench/run.sh measures
# the same tree against hwloc; this is the quick look.
# Usage: bench/topo_scale.sh [BIN] [NCPU] [PER_LLC] [NODES]
set -euo pipefail
BIN=${1:-build/llcslice} NCPU=${2:-4096} PER_LLC=${3:-4} NODES=${4:-16}
base=/tmp
[[ -w /dev/shm ]] && base=/dev/shm
T=$(mktemp -d -p "$base")
trap 'rm -rf "$T"' EXIT
python3 "$(dirname "$0")/gen_sysfs.py" synth "$T" "$NCPU" "$PER_LLC" "$NODES"
"$BIN" topo --fsroot "$T" --json >"$T/out.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["online_cpus"]), "CPUs,", len(d["llcs"]), "LLCs,", len(d["nodes"]), "nodes")' "$T/out.json"
if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 2 --runs 10 "$BIN topo --fsroot $T --json"
else
    time "$BIN" topo --fsroot "$T" --json >/dev/null
fi
