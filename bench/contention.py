#!/usr/bin/env python3
"""Contention: N concurrent `llcslice run --mode dedicated --wait` supervisors on a simulated
16-LLC host (64 CPUs, 2 nodes; real lockfiles in a fresh lock dir), each running a short job
(1-8 CPUs, 50 ms) that records when it ran and on which CPUs. Reports throughput, p50/p99
time to acquire (launch -> job start), passes per acquire (from LLCSLICE_TRACE_TIMING), and
checks from the jobs' own records that no CPU was ever given to two jobs at once.

Usage: contention.py BIN WORKDIR SIM_FSROOT REPEATS N [N...]
"""
import os
import resource
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
    passes, failed, per_pass, bookkeeping = [], 0, [], []
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            failed += 1
            sys.stderr.write(err)
        for line in err.splitlines():
            f = line.split()
            if line.startswith("llcslice-timing: discover-locks "):
                passes.append(int(f[3]))
                per_pass.append(float(f[2]) / int(f[3]) / 1e3)
            elif line.startswith("llcslice-timing: wait-queue "):
                bookkeeping.append(float(f[2]) / int(f[3]) / 1e3)
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
        "clashes": clashes, "per_pass": per_pass, "bookkeeping": bookkeeping or [0.0],
    }


def main():
    bin_, work, sim, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    print("| supervisors | runs | failed | throughput jobs/s min / median / max | time to acquire "
          "ms p50 / p99 / max | passes per acquire mean / max | DISCOVER per pass ms (median) | "
          "wait bookkeeping per pass ms (median) | supervisor CPU ms per job | jobs sharing a "
          "CPU at once |")
    print("|---:|---:|---:|---|---|---|---:|---:|---:|---:|")
    clashes_all, total_jobs, worst_p99 = 0, 0, 0.0
    for n in map(int, sys.argv[5:]):
        rs = []
        for _ in range(repeats):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            r = run_batch(bin_, work, sim, n)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            r["cpu"] = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / n
            rs.append(r)
        thr = sorted(n / r["wall"] for r in rs)
        acq = [a * 1e3 for r in rs for a in r["acquire"]]
        passes = [p for r in rs for p in r["passes"]] or [0]
        print(f"| {n} | {repeats} | {sum(r['failed'] for r in rs)} | {thr[0]:.1f} / "
              f"{statistics.median(thr):.1f} / {thr[-1]:.1f} | {pct(acq, 50):.0f} / "
              f"{pct(acq, 99):.0f} / {max(acq):.0f} | {statistics.mean(passes):.1f} / "
              f"{max(passes)} | {statistics.median([x for r in rs for x in r['per_pass']]):.1f} | "
              f"{statistics.median([x for r in rs for x in r['bookkeeping']]):.1f} | "
              f"{statistics.median(r['cpu'] for r in rs) * 1e3:.1f} | "
              f"**{sum(r['clashes'] for r in rs)}** |")
        sys.stdout.flush()
        clashes_all += sum(r["clashes"] for r in rs)
        total_jobs += n * repeats
        worst_p99 = max(worst_p99, pct(acq, 99))
    print(f"\nTARGET: 4. no dedicated CPU handed to two jobs at once: **"
          f"{'met' if clashes_all == 0 else 'missed'}** ({clashes_all} overlapping pairs in "
          f"{total_jobs} jobs); worst p99 time to acquire {worst_p99:.0f} ms.")
    print("\nJobs ask for 1-8 dedicated CPUs (i % 8 + 1) and run 50 ms; the simulated host has "
          "64 CPUs in 16 LLCs of 4, so at most ~14 such jobs fit at once. Time to acquire is "
          "from the supervisor's launch to its job's first line; a pass is one DISCOVER -> PLAN "
          "-> ACQUIRE attempt (1 = no retry); a waiter wakes (inotify; 2 s safety poll) when "
          "what it reserves may be free, or a waiter ahead of it leaves or gives part of its "
          "reservation up, and then locks its reservation without a pass when it can (not "
          "counted as a pass). Supervisor CPU is user+sys of the supervisors and their jobs "
          "(rusage). The "
          "last column counts pairs of jobs whose own records (start/end time, LLCSLICE_CPUS) "
          "overlap in time and CPUs: it must be 0.")


if __name__ == "__main__":
    main()
