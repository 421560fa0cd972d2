#!/usr/bin/env python3
"""Topology discovery: `llcslice topo --json --fsroot T` against `lstopo --if fsroot --input T
--of xml` on the same trees (the largest fixtures, made hwloc-readable by gen_sysfs.py, and a
synthetic 4096-CPU host). Wall time from hyperfine (min/median/max), CPU time (user+sys, mean)
from hyperfine, user-space instructions from callgrind. A second ratio subtracts the exec floor
(`true`, measured in the same hyperfine run) from both medians: what each tool's own work costs.
The raw wall ratio stays the headline. Prints a markdown section.

Usage: topo_vs_hwloc.py BIN WORKDIR FIXTURES_DIR SYNTH_4096_FSROOT RUNS [NAME=FSROOT...]
(SYNTH_4096_FSROOT: `gen_sysfs.py synth DIR 4096 4 16`; NAME=FSROOT: more synthetic trees,
e.g. a 256-CPU POWER host with 8 threads per core from `gen_sysfs.py synth DIR 256 8 2 8`)
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = [
    "128ia64-17n4s2c",
    "64amd64-4s2n4ca2co",
    "40intel64-4n10c+pci-conflicts",
    "40intel64-2g2n4c+pcilocality",
    "32amd64-4s2n4c-cgroup2",
    "32intel64-2p8co2t+8ve",
    "32em64t-2n8c+dax+nvme+mic+dimms",
]
SYNTH = "synthetic 4096 CPUs / 1024 LLCs / 16 nodes"


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, **kw)


def hyperfine(cmds, runs, out):
    run(["hyperfine", "-N", "--warmup", "3", "--runs", str(runs), "--export-json", out,
         "--style", "none", *cmds], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return json.load(f)["results"]


def callgrind_ir(cmd, work):
    log = os.path.join(work, "cg.log")
    run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", f"--log-file={log}",
         *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(log) as f:
        m = re.search(r"Collected\s*:\s*(\d+)", f.read())
    return int(m.group(1))


def shape(bin_, tree):
    out = run([bin_, "topo", "--json", "--fsroot", tree], capture_output=True).stdout
    d = json.loads(out)
    return len(d["online_cpus"]), len(d["llcs"]), len(d["nodes"])


def hwloc_pus(tree):
    out = run(["lstopo", "--if", "fsroot", "--input", tree, "--of", "xml"],
              capture_output=True).stdout
    return out.count('type="PU"')


def ms(x):
    return f"{x * 1e3:.2f}"


def main():
    bin_, work, fixtures, synth, runs = sys.argv[1:5] + [int(sys.argv[5])]
    trees = []
    for name in FIXTURES:
        src = os.path.join(fixtures, name)
        if not os.path.isdir(src):
            print(f"(fixture {name} not found in {fixtures}; skipped)\n")
            continue
        dst = os.path.join(work, name)
        run([sys.executable, os.path.join(HERE, "gen_sysfs.py"), "hwloc", src, dst])
        trees.append((name, dst))
    trees.append((SYNTH, synth))
    for extra in sys.argv[6:]:
        name, _, path = extra.partition("=")
        trees.append((name, path))

    rows, worst, worst_cpu, worst_ir, worst_net = [], None, None, None, None
    for name, tree in trees:
        cpus, llcs, nnodes = shape(bin_, tree)
        pus = hwloc_pus(tree)
        ours = [bin_, "topo", "--json", "--fsroot", tree]
        theirs = ["lstopo", "--if", "fsroot", "--input", tree, "--of", "xml"]
        r = runs if cpus <= 256 else max(5, runs // 4)
        res = hyperfine([" ".join(ours), " ".join(theirs), "true"], r,
                        os.path.join(work, "hf.json"))
        a, b, floor = res
        net = (b["median"] - floor["median"]) / max(a["median"] - floor["median"], 1e-6)
        worst_net = net if worst_net is None else min(worst_net, net)
        ir_a = callgrind_ir(ours, work)
        ir_b = callgrind_ir(theirs, work)
        cpu_a, cpu_b = a["user"] + a["system"], b["user"] + b["system"]
        ratio_med = b["median"] / a["median"]
        ratio_min = b["min"] / a["min"]
        worst = ratio_med if worst is None else min(worst, ratio_med)
        worst_cpu = cpu_b / cpu_a if worst_cpu is None else min(worst_cpu, cpu_b / cpu_a)
        worst_ir = ir_b / ir_a if worst_ir is None else min(worst_ir, ir_b / ir_a)
        rows.append(
            f"| {name} | {cpus}/{llcs}/{nnodes} (hwloc PUs {pus}) | {r} | "
            f"{ms(a['min'])} / {ms(a['median'])} / {ms(a['max'])} | "
            f"{ms(b['min'])} / {ms(b['median'])} / {ms(b['max'])} | "
            f"**{ratio_med:.1f}x** ({ratio_min:.1f}x) | {ms(floor['median'])} | {net:.1f}x | "
            f"{ms(cpu_a)} vs {ms(cpu_b)} = "
            f"{cpu_b / cpu_a:.1f}x | {ir_a / 1e6:.2f}M vs {ir_b / 1e6:.2f}M = "
            f"{ir_b / ir_a:.1f}x |")
    print("| tree | llcslice CPUs/LLCs/nodes | runs | llcslice wall ms min/med/max | "
          "lstopo wall ms min/med/max | speedup median (min) | exec floor `true` ms (median) | "
          "speedup minus floor | CPU ms user+sys mean | instructions (callgrind) |")
    print("|---|---|---:|---|---|---:|---:|---:|---|---|")
    print("\n".join(rows))
    verdict = "met" if worst >= 10 else "missed"
    print(f"\nTARGET: 1. topology discovery at least 10x faster than hwloc on every tree: "
          f"**{verdict}** in wall time (smallest median speedup {worst:.1f}x); smallest CPU-time "
          f"ratio {worst_cpu:.1f}x, smallest instruction ratio {worst_ir:.1f}x, smallest ratio with the "
          f"exec floor (`true`) taken off both {worst_net:.1f}x.")


if __name__ == "__main__":
    main()
