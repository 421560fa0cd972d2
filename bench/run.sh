#!/usr/bin/env bash
# Every benchmark, one command: installs hwloc + hyperfine (scripts/deps.sh --bench), builds
# release into build-bench with -DLLCSLICE_BENCH=ON, runs topology discovery vs hwloc, planning
# at scale, launch overhead, contention and memory, and writes bench/RESULTS.md. Sections run
# by hand (interleaved before/after pairs, the VM and systemd guests) live in bench/hand/ and
# are copied in, so a run does not lose them.
# Needs root (cgroups, 10,000 flocks). Takes ~5 minutes. Not part of the test suite.
#   ./bench/run.sh            full run
#   ./bench/run.sh --quick    fewer repetitions (a smoke run; results still written)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1

./scripts/deps.sh --bench

BUILD=build-bench
BIN=$ROOT/$BUILD/llcslice
# -O3 trips -Wmaybe-uninitialized false positives in code built -O2 elsewhere; keep them
# warnings here rather than fail the benchmark build.
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DLLCSLICE_BENCH=ON -DLLCSLICE_VM_TESTS=OFF \
    -DCMAKE_C_FLAGS="-Wno-error=maybe-uninitialized" >/dev/null
cmake --build "$BUILD" -j2 --target llcslice bench_plan 2>&1 | grep -v -- '-Wmaybe-uninitialized' |
    grep -E '^(.*error|.*warning)' || true

SHARED=${LLCSLICE_SHARED:-$ROOT/../shared}
FIXTURES=${LLCSLICE_FIXTURES:-$SHARED/fixtures/sysfs}
[[ -d "$FIXTURES" ]] || { echo "bench: fixtures not found at $FIXTURES (set LLCSLICE_SHARED)" >&2; exit 1; }
base=/tmp
[[ -w /dev/shm ]] && base=/dev/shm
WORK=$(mktemp -d -p "$base" llcslice-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

if ((QUICK)); then
    TOPO_RUNS=5 PLAN_MS=40 LAUNCH_RUNS=8 CONT_REPEATS=1 MEM_RUNS=2 SLOTS_SIZES="100 1000"
else
    TOPO_RUNS=30 PLAN_MS=300 LAUNCH_RUNS=30 CONT_REPEATS=3 MEM_RUNS=5 SLOTS_SIZES="1000 10000"
fi

out=$WORK/out
mkdir -p "$out"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date +%s)
CMDS=()
section() { # name, command...
    local name=$1
    shift
    CMDS+=("$*")
    echo "== $name" >&2
    "$@" >"$out/$name.md"
}

python3 bench/gen_sysfs.py synth "$WORK/sim16" 64 4 2
python3 bench/gen_sysfs.py synth "$WORK/sim4096" 4096 4 16
python3 bench/gen_sysfs.py synth "$WORK/power256" 256 8 2 8
python3 bench/gen_sysfs.py synth "$WORK/sim256" 256 16 2
python3 bench/gen_sysfs.py synth "$WORK/sim128" 128 4 2

mkdir -p "$WORK/topo" "$WORK/plan"
section topo python3 bench/topo_vs_hwloc.py "$BIN" "$WORK/topo" "$FIXTURES" "$WORK/sim4096" "$TOPO_RUNS" \
    "synthetic POWER 256 CPUs, 8 threads per core=$WORK/power256" \
    "synthetic 256 CPUs / 16 LLCs / 2 nodes=$WORK/sim256"
section plan "$BUILD/bench_plan" "$WORK/plan" "$PLAN_MS"
section launch python3 bench/launch.py "$BIN" "$WORK" "$FIXTURES/8em64t-2s2ca2c" "$LAUNCH_RUNS"
section contention python3 bench/contention.py "$BIN" "$WORK" "$WORK/sim16" "$CONT_REPEATS" 8 32 128
section memory python3 bench/memory.py "$BIN" "$WORK" "$WORK/sim4096" "$MEM_RUNS"
# shellcheck disable=SC2086 # two sizes
section slots python3 bench/slots_scale.py "$BIN" "$WORK" "$WORK/sim128" 128 $SLOTS_SIZES

elapsed=$(($(date +%s) - start))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
cpuset_mount=$(awk '$3 == "cgroup" && $4 ~ /cpuset/ {print "cgroup v1 cpuset at " $2; exit}
                    $3 == "cgroup2" {v2 = $2} END {if (v2 != "") print "cgroup2 at " v2}' /proc/mounts |
    paste -sd';' -)

{
    echo "# Benchmark results"
    echo
    echo "Written by \`./bench/run.sh$( ((QUICK)) && echo " --quick")\` on $(date -u '+%Y-%m-%d %H:%M UTC')" \
        "from commit $commit in ${elapsed} s. Every figure is a ratio against a peer measured" \
        "in the same run, or a scaling curve; wall times are noisy here (see the load), so the" \
        "topology ratio also comes as callgrind instruction counts."
    echo
    echo "## Machine"
    echo
    echo "- $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) CPUs" \
        "visible, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM"
    echo "- $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), $cpuset_mount"
    echo "- $(cc --version | head -1); $(lstopo --version); $(hyperfine --version);" \
        "$(valgrind --version)"
    echo "- load average (1/5/15 min) at start: $load_start; at end: $load_end (other builds" \
        "share these CPUs)"
    echo "- build: \`cmake -S . -B $BUILD -DCMAKE_BUILD_TYPE=Release -DLLCSLICE_BENCH=ON" \
        "-DLLCSLICE_VM_TESTS=OFF -DCMAKE_C_FLAGS=-Wno-error=maybe-uninitialized\`"
    echo
    echo "## Targets"
    echo
    cat "$out"/{topo,plan,launch,contention,memory,slots}.md | sed -n 's/^TARGET: /- /p'
    echo
    echo "Where a target is missed, *What was profiled and fixed* below says why and what changed."
    echo
    echo "## 1. Topology discovery: llcslice vs hwloc"
    echo
    echo "\`llcslice topo --json --fsroot T\` against \`lstopo --if fsroot --input T --of xml\`" \
        "(hwloc $(lstopo --version | awk '{print $2}')) on the largest fixtures and a synthetic" \
        "4096-CPU host. hwloc 2.9 refuses the slimmed fixtures (no \`cpu/online\`, no sibling" \
        "masks), so both tools read a copy with those files derived from the fixture's own" \
        "(\`bench/gen_sysfs.py hwloc\`). Speedup = lstopo / llcslice."
    echo
    sed 's/^TARGET: /- /' "$out/topo.md"
    echo
    echo "## 2. Planning at scale"
    echo
    echo "\`bench_plan\`: in-process, synthetic topologies, a real lock dir holding every LLC and" \
        "CPU lockfile, a synthetic /proc/locks file. Each cell repeats until ${PLAN_MS} ms" \
        "(15 to 400 repetitions)."
    echo
    sed 's/^TARGET: /- /' "$out/plan.md"
    echo
    echo "## 3. Launch overhead on this host"
    echo
    echo "hyperfine -N, $LAUNCH_RUNS runs per command and regime."
    echo
    sed 's/^TARGET: /- /' "$out/launch.md"
    echo
    cat bench/hand/launch.md
    echo
    echo "## 4. Contention"
    echo
    sed 's/^TARGET: /- /' "$out/contention.md"
    echo
    cat bench/hand/contention.md
    echo
    echo "## 5. Memory"
    echo
    sed 's/^TARGET: /- /' "$out/memory.md"
    echo
    echo "## 6. Slot files at scale"
    echo
    sed 's/^TARGET: /- /' "$out/slots.md"
    echo
    cat bench/FINDINGS.md
    echo
    echo "## Commands"
    echo
    echo "The exact commands this run executed (\$WORK is a scratch dir under $base):"
    echo
    echo '```'
    echo "./scripts/deps.sh --bench"
    echo "python3 bench/gen_sysfs.py synth \$WORK/sim16 64 4 2"
    echo "python3 bench/gen_sysfs.py synth \$WORK/sim4096 4096 4 16"
    echo "python3 bench/gen_sysfs.py synth \$WORK/power256 256 8 2 8"
    echo "python3 bench/gen_sysfs.py synth \$WORK/sim256 256 16 2"
    echo "python3 bench/gen_sysfs.py synth \$WORK/sim128 128 4 2"
    for c in "${CMDS[@]}"; do
        echo "${c//$WORK/\$WORK}" | sed "s|$ROOT/||g"
    done
    echo '```'
    echo
    echo "Inside them: \`bench/topo_vs_hwloc.py\` runs \`hyperfine -N --warmup 3 --runs R 'llcslice" \
        "topo --json --fsroot T' 'lstopo --if fsroot --input T --of xml'\` and \`valgrind" \
        "--tool=callgrind\` on each; \`bench/launch.py\` runs \`hyperfine -N\` (with \`--prepare" \
        "'sleep 0.1'\` for the cold regime) on the commands in its table and the traced runs" \
        "with \`LLCSLICE_TRACE_TIMING=1\`; \`bench/contention.py\` starts N × \`llcslice run" \
        "--fsroot \$WORK/sim16 --allowed-cpus 0-63 --lock-dir D --mode dedicated --cpus K" \
        "--wait=300s -- bash -c JOB REC\` at once; \`bench/memory.py\` polls VmHWM of" \
        "\`llcslice run --cpus 1 --lock-dir D [--fsroot \$WORK/sim4096] -- sleep 0.3\`."
    echo
    cat bench/hand/vm.md
} >bench/RESULTS.md
echo "bench: wrote bench/RESULTS.md in ${elapsed} s" >&2
