#!/usr/bin/env python3
"""Time from qemu's start to every thread pinned under `llcslice run --perf 1x1x1 --vmm qemu`
(qemu -accel tcg -S, paused), against qemu alone answering query-cpus-fast on QMP (the floor:
qemu's own start-up until QMP serves). Usage: vmm_pin.py LLCSLICE_BIN [RUNS]"""
import json, os, re, signal, socket, statistics, subprocess, sys, tempfile, time

BIN = sys.argv[1]
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
QEMU = ["qemu-system-x86_64", "-accel", "tcg", "-S", "-display", "none", "-nodefaults",
        "-no-user-config", "-m", "64"]


def qemu_alone(tmp):
    sock = os.path.join(tmp, "q.sock")
    t0 = time.monotonic()
    p = subprocess.Popen(QEMU + ["-smp", "1", "-qmp", f"unix:{sock},server=on,wait=off"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            break
        except OSError:
            s.close()
            time.sleep(0.02)
    f = s.makefile("rw")
    f.readline()
    for cmd in ("qmp_capabilities", "query-cpus-fast"):
        f.write(json.dumps({"execute": cmd}) + "\n")
        f.flush()
        while "return" not in json.loads(f.readline()):
            pass
    ms = (time.monotonic() - t0) * 1e3
    p.send_signal(signal.SIGTERM)
    p.wait()
    s.close()
    if os.path.exists(sock):
        os.unlink(sock)
    return ms


def llcslice(tmp):
    err = os.path.join(tmp, "err")
    t0 = time.monotonic()
    with open(err, "w") as e:
        p = subprocess.Popen([BIN, "run", "-v", "--lock-dir", tmp, "--perf", "1x1x1", "--vmm",
                              "qemu", "--"] + QEMU, stdout=subprocess.DEVNULL, stderr=e)
    pat = re.compile(r"qemu \(pid (\d+)\): .* all pinned (\d+) ms after qemu started")
    while True:
        m = pat.search(open(err).read())
        if m:
            break
        if p.poll() is not None:
            sys.exit("llcslice exited: " + open(err).read())
        time.sleep(0.01)
    wall = (time.monotonic() - t0) * 1e3
    os.kill(int(m.group(1)), signal.SIGTERM)
    p.wait()
    return float(m.group(2)), wall


def summary(xs):
    return f"median {statistics.median(xs):7.1f}  min {min(xs):7.1f}  max {max(xs):7.1f}"


with tempfile.TemporaryDirectory() as tmp:
    alone, pinned, wall = [], [], []
    for _ in range(RUNS):
        alone.append(qemu_alone(tmp))
        a, b = llcslice(tmp)
        pinned.append(a)
        wall.append(b)
print(f"runs: {RUNS}, qemu: {' '.join(QEMU)}")
print(f"qemu alone, start -> query-cpus-fast answered (ms):        {summary(alone)}")
print(f"--vmm qemu, qemu start -> all threads pinned (ms):        {summary(pinned)}")
print(f"--vmm qemu, llcslice start -> all threads pinned (ms):    {summary(wall)}")
