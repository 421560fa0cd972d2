#!/usr/bin/env bash
# What a run cost: `run -v` ends with wall time, CPU time, peak memory (the job's cgroup:
# memory.max_usage_in_bytes on v1, memory.peak on v2; else the largest process's max RSS) and
# OOM kills; the slot runner's summary and JSON summary carry the same.
source "$(dirname "$0")/run_lib.sh"
HOST=${FIX:?}/32em64t-2n8c+dax+nvme+mic+dimms
# 100 MiB touched, then 0.4 s of CPU as the process itself counts it
JOB=(python3 -c 'import time
x = bytearray(100 * 2**20)
t = time.process_time()
while time.process_time() - t < 0.4: pass')

# stats_line: the "exit N after ..." line of the last run_rc
stats_line() { grep "^llcslice: python3: exit" "$T/err" || fail "no stats line: $(cat "$T/err")"; }
cpu_of() { sed -n 's/.* wall, \([0-9.]*\)s CPU .*/\1/p'; }

run_rc 0 "$BIN" run -v --fsroot "$HOST" --lock-dir "$L" --cpus 1 -- "${JOB[@]}"
line=$(stats_line)
[[ $line == *"peak memory "*" MiB (largest process's max RSS), no OOM kill" ]] || fail "simulated: $line"
awk -v c="$(cpu_of <<<"$line")" 'BEGIN { exit !(c >= 0.4) }' || fail "CPU under 0.4 s: $line"
ok "run -v without a cgroup: $line"

run_rc 0 "$BIN" run --fsroot "$HOST" --lock-dir "$L" --cpus 1 -- true
! grep -q "wall," "$T/err" || fail "stats without -v: $(cat "$T/err")"
ok "no stats line without -v"

if cgroup_usable; then
    run_rc 0 "$BIN" run -v --memory-max 1G --lock-dir "$L" --cpus 1 -- "${JOB[@]}"
    line=$(stats_line)
    [[ $line =~ peak\ memory\ ([0-9.]+)\ MiB\ \(cgroup\ memory\.(max_usage_in_bytes|peak)\) ]] ||
        fail "cgroup peak: $line"
    awk -v m="${BASH_REMATCH[1]}" 'BEGIN { exit !(m >= 100) }' || fail "peak under 100 MiB: $line"
    ok "run -v in a cgroup: $line"

    run_rc 137 "$BIN" run -v --memory-max 50M --lock-dir "$L" --cpus 1 -- python3 -c 'x = bytearray(200 * 2**20)'
    [[ $(stats_line) == *", 1 OOM kill" ]] || fail "OOM: $(cat "$T/err")"
    ok "run -v counts OOM kills"

    cat >"$T/s.yaml" <<YAML
version: 1
jobs:
  - name: big
    command: [python3, -c, "x = bytearray(100 * 2**20)"]
    memory_max: 1G
    cpus: 1
  - name: oom
    command: [python3, -c, "x = bytearray(200 * 2**20)"]
    memory_max: 50M
    cpus: 1
YAML
    mkdir -m 0700 "$T/logs"
    set +e
    "$BIN" slots "$T/s.yaml" --lock-dir "$L" --log-dir "$T/logs" --json >"$T/out" 2>"$T/err"
    set -e
    jq -e '[.jobs[] | {(.name): .}] | add |
        .big.peak_memory_bytes >= 100 * 1048576 and .big.oom_kills == 0 and .big.cpu_s >= 0 and
        .oom.oom_kills == 1 and (.oom.reason | test("out of memory"))' "$T/out" >/dev/null ||
        fail "slots json: $(cat "$T/out")"
    grep -q "^big  *done .* [0-9.]*M  *1/1 " "$T/err" || fail "slots summary: $(cat "$T/err")"
    grep -q "^oom  *failed .* 1 OOM  *1/1 " "$T/err" || fail "slots summary OOM: $(cat "$T/err")"
    ok "slots summary and JSON: CPU time, peak memory, OOM kills"
else
    echo "ok # skip no usable cgroup here"
fi
no_locks_held
