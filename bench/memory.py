#!/usr/bin/env python3
"""Memory: peak RSS (VmHWM, polled until it exits) of the `llcslice run` supervisor while a
job runs, against the same job under `taskset` (the floor); then with 10,000 lock holders in
/proc/locks (one helper process holding LOCK_SH on the LLC 0 lockfile through 10,000 open
file descriptions), and on a simulated 4096-CPU / 1024-LLC host. Prints a markdown section.

Usage: memory.py BIN WORKDIR SIM4096_FSROOT RUNS
"""
import fcntl
import os
import resource
import statistics
import subprocess
import sys
import time

HOLDERS = 10000


def peak_kib(cmd, env=None):
    """Poll /proc/PID/status of cmd until it exits; its last VmHWM in KiB."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    hwm = 0
    while p.poll() is None:
        try:
            with open(f"/proc/{p.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        hwm = max(hwm, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
        time.sleep(0.01)
    if p.returncode != 0:
        sys.exit(f"memory.py: {' '.join(cmd)} exited {p.returncode}")
    return hwm


def holder(lockfile, n, ready_w, done_r):
    """Child: take LOCK_SH on lockfile through n separate opens, then wait to be told."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    fds = []
    for _ in range(n):
        fd = os.open(lockfile, os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(fd, fcntl.LOCK_SH)
        fds.append(fd)
    os.write(ready_w, b"x")
    os.read(done_r, 1)
    os._exit(0)


MEDIANS = []


def row(label, ours, floor):
    a, b, c = min(ours), statistics.median(ours), max(ours)
    MEDIANS.append(b)
    f = statistics.median(floor)
    return (f"| {label} | {a / 1024:.2f} / **{b / 1024:.2f}** / {c / 1024:.2f} | "
            f"{f / 1024:.2f} | {b / f:.1f}x |")


def main():
    bin_, work, sim, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    lockdir = os.path.join(work, "memory-locks")
    os.makedirs(lockdir, exist_ok=True)
    job = ["sleep", "0.3"]
    ours = [bin_, "run", "--cpus", "1", "--lock-dir", lockdir, "--", *job]
    sim_cmd = [bin_, "run", "--cpus", "1", "--lock-dir", lockdir, "--fsroot", sim, "--", *job]
    floor_cmd = ["taskset", "-c", "1", *job]

    rows = []
    floor = [peak_kib(floor_cmd) for _ in range(runs)]
    rows.append(row("`llcslice run --cpus 1 -- sleep 0.3` (this host)",
                    [peak_kib(ours) for _ in range(runs)], floor))
    rows.append(row("same, simulated 4096-CPU / 1024-LLC host (`--fsroot`)",
                    [peak_kib(sim_cmd) for _ in range(runs)], floor))

    # 10,000 holders of the LLC 0 lockfile (shared, so the shared-mode run still fits).
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        holder(os.path.join(lockdir, "llcslice-llc-0.lock"), HOLDERS, ready_w, done_r)
    os.read(ready_r, 1)
    with open("/proc/locks") as f:
        lines = sum(1 for _ in f)
    try:
        rows.append(row(f"same on this host, {HOLDERS:,} holders ({lines:,} lines in /proc/locks)",
                        [peak_kib(ours) for _ in range(runs)], floor))
        rows.append(row(f"simulated 4096-CPU host, {HOLDERS:,} holders",
                        [peak_kib(sim_cmd) for _ in range(runs)], floor))
    finally:
        os.write(done_w, b"x")
        os.waitpid(pid, 0)

    print("| supervisor while the job runs | peak RSS MiB min / median / max | "
          "`taskset -c 1 sleep 0.3` MiB (median) | ratio |")
    print("|---|---|---:|---:|")
    print("\n".join(rows))
    worst = max(MEDIANS) / 1024
    print(f"\nTARGET: 5. supervisor peak RSS under 4 MiB (also with {HOLDERS:,} holders): **"
          f"{'met' if worst < 4 else 'missed'}** (largest median {worst:.2f} MiB).")
    print(f"\nPeak RSS is VmHWM of the supervisor process itself (not the job), polled every 10 ms "
          f"until it exits, {runs} runs each. Target: under 4 MiB.")


if __name__ == "__main__":
    main()
