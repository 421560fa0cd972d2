#!/usr/bin/env python3
"""Sysfs trees for the benchmarks.

  gen_sysfs.py synth DST NCPU PER_LLC NODES [THREADS]
      A synthetic host: NCPU CPUs, THREADS (default 2; POWER: 8) threads per core, PER_LLC CPUs per L3, NODES nodes,
      4 cache indices per CPU, sibling lists and the masks hwloc wants.
  gen_sysfs.py hwloc SRC DST
      Copy fixture SRC to DST and add what hwloc 2.9's sysfs reader insists on and the slimmed
      fixtures dropped: topology/{thread,core}_siblings masks (from the *_list files, or from
      core_id/physical_package_id when a dump has no sibling files) and cpu/online. Both
      llcslice and lstopo then read the same tree.
"""
import os
import re
import shutil
import sys


def put(root, rel, text):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text + "\n")


def parse_list(text):
    out = set()
    for part in text.replace("\0", "").strip().split(","):
        part = part.strip()
        if not part:
            continue
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


def fmt_list(cpus):
    cpus, out, i = sorted(cpus), [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(out)


def fmt_mask(cpus):
    v = 0
    for c in cpus:
        v |= 1 << c
    h = "%x" % v
    h = h.rjust((len(h) + 7) // 8 * 8, "0")
    return ",".join(h[i:i + 8] for i in range(0, len(h), 8))


def synth(root, n, per, nodes, threads=2):
    cpu = "sys/devices/system/cpu"
    put(root, f"{cpu}/online", f"0-{n - 1}")
    put(root, f"{cpu}/possible", f"0-{n - 1}")
    per_node = n // nodes
    for c in range(n):
        core, llc, node = c // threads * threads, c // per * per, c // per_node
        thr = list(range(core, core + threads))
        pkg = list(range(node * per_node, (node + 1) * per_node))
        t = f"{cpu}/cpu{c}/topology"
        put(root, f"{t}/thread_siblings_list", fmt_list(thr))
        put(root, f"{t}/thread_siblings", fmt_mask(thr))
        put(root, f"{t}/core_siblings_list", fmt_list(pkg))
        put(root, f"{t}/core_siblings", fmt_mask(pkg))
        put(root, f"{t}/physical_package_id", str(node))
        put(root, f"{t}/core_id", str(c // threads % max(1, per_node // threads)))
        for i, (lvl, typ, shared, size) in enumerate([
                (1, "Data", thr, "32K"), (1, "Instruction", thr, "32K"),
                (2, "Unified", thr, "1024K"), (3, "Unified", range(llc, llc + per), "16384K")]):
            d = f"{cpu}/cpu{c}/cache/index{i}"
            put(root, f"{d}/level", str(lvl))
            put(root, f"{d}/type", typ)
            put(root, f"{d}/shared_cpu_list", fmt_list(shared))
            put(root, f"{d}/shared_cpu_map", fmt_mask(shared))
            put(root, f"{d}/size", size)
    for k in range(nodes):
        cpus = range(k * per_node, (k + 1) * per_node)
        put(root, f"sys/devices/system/node/node{k}/cpulist", fmt_list(cpus))
        put(root, f"sys/devices/system/node/node{k}/cpumap", fmt_mask(cpus))
        put(root, f"sys/devices/system/node/node{k}/distance",
            " ".join("10" if j == k else "20" for j in range(nodes)))
        put(root, f"sys/devices/system/node/node{k}/meminfo",
            f"Node {k} MemTotal:       16777216 kB")
    put(root, "sys/devices/system/node/online", f"0-{nodes - 1}")


def read(path):
    with open(path) as f:
        return f.read()


def hwloc(src, dst):
    shutil.copytree(src, dst, symlinks=True)
    for dirpath, dirnames, _ in os.walk(dst):
        os.chmod(dirpath, 0o755)
    cpu = os.path.join(dst, "sys/devices/system/cpu")
    ids = sorted(int(m.group(1)) for m in (re.fullmatch(r"cpu(\d+)", e) for e in os.listdir(cpu))
                 if m)
    if not os.path.exists(os.path.join(cpu, "online")):
        online = [c for c in ids
                  if not os.path.exists(f"{cpu}/cpu{c}/online")
                  or read(f"{cpu}/cpu{c}/online").strip("\0\n ") != "0"]
        put(cpu, "online", fmt_list(online))
    key = {}
    for c in ids:
        t = f"{cpu}/cpu{c}/topology"
        if not os.path.isdir(t):
            continue
        pkg = read(f"{t}/physical_package_id").strip() if os.path.exists(
            f"{t}/physical_package_id") else "0"
        core = read(f"{t}/core_id").strip() if os.path.exists(f"{t}/core_id") else str(c)
        key[c] = (pkg, core)
    for c in key:
        t = f"{cpu}/cpu{c}/topology"
        for name, same in (("thread_siblings", lambda o: key[o] == key[c]),
                           ("core_siblings", lambda o: key[o][0] == key[c][0])):
            if os.path.exists(f"{t}/{name}"):
                continue
            lst = f"{t}/{name}_list"
            cpus = parse_list(read(lst)) if os.path.exists(lst) else [o for o in key if same(o)]
            put(t, name, fmt_mask(cpus))
            if not os.path.exists(lst):
                put(t, f"{name}_list", fmt_list(cpus))


if __name__ == "__main__":
    if len(sys.argv) in (6, 7) and sys.argv[1] == "synth":
        synth(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
              int(sys.argv[6]) if len(sys.argv) == 7 else 2)
    elif len(sys.argv) == 4 and sys.argv[1] == "hwloc":
        hwloc(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
