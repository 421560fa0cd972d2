#!/usr/bin/env python3
"""Slot files at scale: N one-CPU dedicated jobs (`true`) on a simulated host, run by
`llcslice slots FILE` and, as the peer, by `seq N | xargs -P P llcslice run --wait`, the two
interleaved per size. Reports wall time, jobs/s, the most llcslice processes alive at once
(the runner's or xargs's children, sampled every 20 ms, plus the runner itself) and the
growth from the smallest to the largest N (linear growth = N ratio).

Usage: slots_scale.py BIN WORKDIR SIM_FSROOT NCPUS N [N...]
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return len(f.read().split())
    except OSError:
        return 0


def timed(cmd, stdin=None, extra=0):
    """Run cmd, sampling its children; returns (wall s, peak llcslice processes, rc)."""
    t0 = time.time()
    with tempfile.TemporaryFile() as errf:  # a pipe nobody reads would stall the runs
        p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=errf)
        peak = 0
        while p.poll() is None:
            peak = max(peak, children(p.pid) + extra)
            time.sleep(0.02)
        wall = time.time() - t0
        errf.seek(0)
        err = errf.read().decode(errors="replace")
    if p.returncode != 0:
        sys.stderr.write(f"{cmd[:3]} exited {p.returncode}: {err[-2000:]}\n")
    return wall, peak, p.returncode


def main():
    bin_, work, sim, ncpus = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    sizes = [int(x) for x in sys.argv[5:]]
    par = 2 * ncpus
    print(f"| jobs | runner | wall s | jobs/s | llcslice processes alive at most | load (1 min) |")
    print("|---:|---|---:|---:|---:|---:|")
    res = {}
    for n in sizes:
        d = os.path.join(work, f"slots-{n}")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "locks-s"))
        os.makedirs(os.path.join(d, "locks-x"))
        yaml = os.path.join(d, "jobs.yaml")
        with open(yaml, "w") as f:
            f.write("mode: dedicated\ndefaults:\n  cpus: 1\n  command: [true]\njobs:\n")
            for i in range(n):
                f.write(f"  - name: j{i}\n")
        allowed = f"0-{ncpus - 1}"
        slots = [bin_, "slots", yaml, "--lock-dir", os.path.join(d, "locks-s"), "--fsroot", sim,
                 "--allowed-cpus", allowed,
                 "--log-dir", os.path.join(d, "logs")]
        xargs = ["xargs", "-P", str(par), "-I{}", bin_, "run", "--fsroot", sim, "--allowed-cpus",
                 allowed, "--lock-dir",
                 os.path.join(d, "locks-x"), "--mode", "dedicated", "--cpus", "1", "--wait",
                 "--", "true"]
        with open(os.path.join(d, "seq"), "w") as f:
            f.write("".join(f"{i}\n" for i in range(n)))
        for name in ("slots", "xargs"):
            load = os.getloadavg()[0]
            if name == "slots":
                wall, peak, rc = timed(slots, extra=1)
            else:
                with open(os.path.join(d, "seq")) as f:
                    wall, peak, rc = timed(xargs, stdin=f)
            res[(n, name)] = (wall, peak, rc)
            print(f"| {n} | {'llcslice slots' if name == 'slots' else f'xargs -P {par} run --wait'}"
                  f" | {wall:.1f} | {n / wall:.0f} | {peak} | {load:.1f} |"
                  + ("" if rc == 0 else f" (exit {rc})"))
            sys.stdout.flush()
        shutil.rmtree(d, ignore_errors=True)
    lo, hi = sizes[0], sizes[-1]
    s_lo, s_hi = res[(lo, "slots")], res[(hi, "slots")]
    growth = s_hi[0] / s_lo[0]
    peak = max(res[(n, "slots")][1] for n in sizes)
    print(f"\nTARGET: slots: {hi} jobs take {growth:.1f}x the time of {lo} (goal at most "
          f"{12 * hi // lo // 10}x): **{'met' if growth <= 12 * hi / lo / 10 else 'missed'}**; at "
          f"most {peak} llcslice processes alive on a {ncpus}-CPU simulated host (goal at most "
          f"~{2 * ncpus}): **{'met' if peak <= 2 * ncpus + 1 else 'missed'}**; vs xargs -P {par}: "
          f"{res[(hi, 'xargs')][0] / s_hi[0]:.1f}x the peer's speed at {hi} jobs.")
    print(f"\nJobs are `true` in dedicated mode with 1 CPU on a simulated {ncpus}-CPU host "
          f"(`--fsroot`, no cgroups); the peer runs the same jobs as `llcslice run --wait` under "
          f"xargs -P {par} (2x the CPUs, the bound slots keeps). Processes alive: the runner "
          f"plus its children, or xargs's children, sampled every 20 ms.")


if __name__ == "__main__":
    main()
