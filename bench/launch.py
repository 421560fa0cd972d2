#!/usr/bin/env python3
"""Launch overhead on this host: `llcslice run --cpus 1 -- true` against `taskset -c 1 true`
(the floor) and the libcgroup tools doing the same job by hand (cgtools_launch.sh), plus two
reference points: `llcslice run` on a simulated host (no cgroup) and one `cat /proc/locks`.
Two regimes: back to back ("warm") and after 100 ms idle ("cold"), because the kernel charges
a first cgroup attach or /proc/locks read after idle an RCU grace period. Then the per-phase
breakdown from LLCSLICE_TRACE_TIMING=1 in both regimes. Prints a markdown section.

Usage: launch.py BIN WORKDIR SIM_FSROOT RUNS
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PHASES = ["setup", "discover-host", "sweep", "discover-locks", "plan", "acquire", "warnings",
          "cgroup-create", "spawn", "cgroup-attach", "spawn-into-cgroup", "job", "cleanup"]


def mmm(v):
    return min(v), statistics.median(v), max(v)


def fmt3(v, scale=1e3):
    a, b, c = mmm(v)
    return f"{a * scale:.2f} / {b * scale:.2f} / {c * scale:.2f}"


def hyperfine(cmds, runs, out, prepare=None):
    args = ["hyperfine", "-N", "--runs", str(runs), "--export-json", out, "--style", "none"]
    if prepare:
        args += ["--prepare", prepare]
    else:
        args += ["--warmup", "3"]
    subprocess.run(args + cmds, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return {r["command"]: r for r in json.load(f)["results"]}


def traced(cmd, runs, idle):
    phases = {p: [] for p in PHASES}
    walls, rest = [], []
    env = dict(os.environ, LLCSLICE_TRACE_TIMING="1")
    for _ in range(runs):
        if idle:
            time.sleep(idle)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"launch.py: {' '.join(cmd)} failed: {p.stderr}")
        got = {}
        for line in p.stderr.splitlines():
            if line.startswith("llcslice-timing: "):
                _, name, usec, _count = line.split()
                got[name] = float(usec) / 1e6
        for name in PHASES:
            phases[name].append(got.get(name, 0.0))
        walls.append(wall)
        rest.append(wall - sum(got.values()))
    return phases, walls, rest


def main():
    bin_, work, sim, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    lockdir = os.path.join(work, "launch-locks")
    os.makedirs(lockdir, exist_ok=True)
    group = f"llcslice-bench-{os.getpid()}"
    cmds = {
        "taskset": ["taskset", "-c", "1", "true"],
        "llcslice": [bin_, "run", "--cpus", "1", "--lock-dir", lockdir, "--", "true"],
        "cgtools": ["sh", os.path.join(HERE, "cgtools_launch.sh"), group],
        "llcslice-sim": [bin_, "run", "--cpus", "1", "--lock-dir", lockdir, "--fsroot", sim, "--",
                         "true"],
        "proc-locks": ["cat", "/proc/locks"],
    }
    labels = {
        "taskset": "`taskset -c 1 true` (floor)",
        "llcslice": "`llcslice run --cpus 1 -- true`",
        "cgtools": "cgcreate + cgset cpus + cgset mems + cgexec + cgdelete",
        "llcslice-sim": "`llcslice run` on a simulated host (no cgroup; reference)",
        "proc-locks": "`cat /proc/locks` (reference: one kernel lock-table read)",
    }
    line = {k: " ".join(v) for k, v in cmds.items()}
    regimes = [("warm (back to back)", None), ("cold (100 ms idle before each run)", "sleep 0.1")]
    print("| regime | command | wall ms min / median / max | vs taskset (median) |")
    print("|---|---|---|---:|")
    summary = []
    for name, prep in regimes:
        res = hyperfine(list(line.values()), runs, os.path.join(work, "launch.json"), prep)
        base = res[line["taskset"]]["median"]
        for k in cmds:
            r = res[line[k]]
            print(f"| {name} | {labels[k]} | {fmt3(r['times'])} | {r['median'] / base:.1f}x |")
        ours, cg = res[line["llcslice"]]["median"], res[line["cgtools"]]["median"]
        summary.append(f"TARGET: 3. launch, {name}: within 3x of taskset **"
                       f"{'met' if ours / base <= 3 else 'missed'}** ({ours / base:.1f}x); at "
                       f"least 3x faster than the cgroup tools **"
                       f"{'met' if cg / ours >= 3 else 'missed'}** ({cg / ours:.1f}x).")
    print()
    print("\n".join(summary))

    print("\nPer-phase breakdown of `llcslice run --cpus 1 -- true` (LLCSLICE_TRACE_TIMING=1, "
          f"{runs} runs per regime; ms min / median / max):\n")
    print("| phase | warm | cold |")
    print("|---|---|---|")
    warm = traced(cmds["llcslice"], runs, 0)
    cold = traced(cmds["llcslice"], runs, 0.1)
    for p in PHASES:
        print(f"| {p} | {fmt3(warm[0][p])} | {fmt3(cold[0][p])} |")
    print(f"| exec, dynamic loading, exit (wall minus phases) | {fmt3(warm[2])} | "
          f"{fmt3(cold[2])} |")
    print(f"| **total wall** | {fmt3(warm[1])} | {fmt3(cold[1])} |")


if __name__ == "__main__":
    main()
