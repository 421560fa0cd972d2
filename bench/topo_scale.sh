#!/usr/bin/env bash
# Discovery and post-processing at scale: a synthetic sysfs of NCPU CPUs (2 threads/core,
# PER_LLC CPUs per L3, NODES nodes) on tmpfs, timed through `llcslice topo --json`.
# Usage: bench/topo_scale.sh [BIN] [NCPU] [PER_LLC] [NODES]
set -euo pipefail
BIN=${1:-build/llcslice} NCPU=${2:-4096} PER_LLC=${3:-4} NODES=${4:-16}
base=/tmp; [[ -w /dev/shm ]] && base=/dev/shm
T=$(mktemp -d -p "$base")
trap 'rm -rf "$T"' EXIT
python3 - "$T" "$NCPU" "$PER_LLC" "$NODES" <<'PY'
import os, sys
root, n, per, nodes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def put(rel, text):
    p = os.path.join(root, rel); os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "w").write(text + "\n")
cpu = "sys/devices/system/cpu"
put(f"{cpu}/online", f"0-{n-1}")
per_node = n // nodes
for c in range(n):
    core, llc = c // 2 * 2, c // per * per
    put(f"{cpu}/cpu{c}/topology/thread_siblings_list", f"{core}-{core+1}")
    put(f"{cpu}/cpu{c}/topology/physical_package_id", str(c // per_node))
    for i, (lvl, typ, shared, size) in enumerate([(1, "Data", f"{core}-{core+1}", "32K"),
            (1, "Instruction", f"{core}-{core+1}", "32K"), (2, "Unified", f"{core}-{core+1}", "1024K"),
            (3, "Unified", f"{llc}-{llc+per-1}", "16384K")]):
        d = f"{cpu}/cpu{c}/cache/index{i}"
        put(f"{d}/level", str(lvl)); put(f"{d}/type", typ)
        put(f"{d}/shared_cpu_list", shared); put(f"{d}/size", size)
for k in range(nodes):
    put(f"sys/devices/system/node/node{k}/cpulist", f"{k*per_node}-{(k+1)*per_node-1}")
    put(f"sys/devices/system/node/node{k}/distance",
        " ".join("10" if j == k else "20" for j in range(nodes)))
PY
"$BIN" topo --fsroot "$T" --json >"$T/out.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["online_cpus"]), "CPUs,", len(d["llcs"]), "LLCs,", len(d["nodes"]), "nodes")' "$T/out.json"
if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 2 --runs 10 "$BIN topo --fsroot $T --json"
else
    time "$BIN" topo --fsroot "$T" --json >/dev/null
fi
