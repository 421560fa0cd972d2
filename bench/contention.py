#!/usr/bin/env python3
"""Contention: N concurrent `llcslice run --mode dedicated --wait` supervisors on a simulated
16-LLC host (64 CPUs, 2 nodes; real lockfiles in a fresh lock dir), each running a short job
(1-8 CPUs, 50 ms) that records when it ran and on which CPUs. Reports throughput, p50/p99
time to acquire (launch -> job start), passes per acquire (from LLCSLICE_TRACE_TIMING), and
checks from the jobs' own records that no CPU was ever given to two jobs at once.

Usage: contention.py BIN WORKDIR SIM_FSROOT N [N...]
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

JOB = ('echo "$EPOCHREALTIME $LLCSLICE_CPUS" > "$0"; sleep 0.05; '
       'echo "$EPOCHREALTIME" >> "$0"')


def parse_list(text):
    out = set()
    for part in text.split(","):
        if part:
            a, _, b = part.partition("-")
            out.update(range(int(a), int(b or a) + 1))
    return out


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def run_batch(bin_, work, sim, n):
    locks = os.path.join(work, f"contention-locks-{n}")
    recs = os.path.join(work, f"contention-recs-{n}")
    for d in (locks, recs):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    env = dict(os.environ, LLCSLICE_TRACE_TIMING="1")
    procs, launched = [], []
    t0 = time.time()
    for i in range(n):
        cpus = 1 + i % 8
        rec = os.path.join(recs, str(i))
        cmd = [bin_, "run", "--fsroot", sim, "--allowed-cpus", "0-63", "--lock-dir", locks,
               "--mode", "dedicated", "--cpus", str(cpus), "--wait=300s", "--", "bash", "-c", JOB,
               rec]
        launched.append(time.time())
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True))
    passes, failed = [], 0
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            failed += 1
            sys.stderr.write(err)
        for line in err.splitlines():
            if line.startswith("llcslice-timing: discover-locks "):
                passes.append(int(line.split()[3]))
    wall = time.time() - t0
    jobs, acquire = [], []
    for i in range(n):
        with open(os.path.join(recs, str(i))) as f:
            lines = f.read().split("\n")
        start, cpus = lines[0].split(" ", 1)
        jobs.append((float(start), float(lines[1]), parse_list(cpus.strip()), i))
        acquire.append(float(start) - launched[i])
    # Overlap check: any two jobs whose recorded lifetimes intersect must share no CPU.
    clashes = 0
    ordered = sorted(jobs)
    for a in range(len(ordered)):
        for b in range(a + 1, len(ordered)):
            if ordered[b][0] >= ordered[a][1]:
                break
            if ordered[a][2] & ordered[b][2]:
                clashes += 1
    return {
        "n": n, "wall": wall, "failed": failed, "acquire": acquire, "passes": passes,
        "clashes": clashes, "cpu_jobs": sum(len(j[2]) for j in jobs),
    }


def main():
    bin_, work, sim = sys.argv[1:4]
    print("| supervisors | failed | wall s | throughput jobs/s | time to acquire ms p50 / p99 / "
          "max | passes per acquire mean / max | jobs sharing a CPU at once |")
    print("|---:|---:|---:|---:|---|---|---:|")
    for n in map(int, sys.argv[4:]):
        r = run_batch(bin_, work, sim, n)
        acq = [a * 1e3 for a in r["acquire"]]
        passes = r["passes"] or [0]
        print(f"| {n} | {r['failed']} | {r['wall']:.2f} | {n / r['wall']:.1f} | "
              f"{pct(acq, 50):.0f} / {pct(acq, 99):.0f} / {max(acq):.0f} | "
              f"{statistics.mean(passes):.1f} / {max(passes)} | **{r['clashes']}** |")
        sys.stdout.flush()
    print("\nJobs ask for 1-8 dedicated CPUs (i % 8 + 1) and run 50 ms; the simulated host has "
          "64 CPUs in 16 LLCs of 4, so at most ~14 such jobs fit at once. Time to acquire is "
          "from the supervisor's launch to its job's first line; a pass is one DISCOVER -> PLAN "
          "-> ACQUIRE attempt (1 = no retry). The last column counts pairs of jobs whose own "
          "records (start/end time, LLCSLICE_CPUS) overlap in time and CPUs: it must be 0.")


if __name__ == "__main__":
    main()
