#!/bin/bash
# slots --check catches what --dry-run would (a job with no plan even on the idle host: 77),
# warns about a missing cwd: and a command not found (exit stays 0), and --check --json
# prints the findings as JSON.
source "$(dirname "$0")/run_lib.sh"
HOST=${FIX:?}/32em64t-2n8c+dax+nvme+mic+dimms
cd "$T"
cat >k.yaml <<'YAML'
version: 1
jobs:
  - name: build
    command: [make, -j8]
    cwd: linux
  - name: nope
    command: [no-such-cmd-llcslice]
  - name: script
    command: [./run.sh]
    cwd: .
  - name: sh
    command: "no-such-cmd-llcslice && true"
YAML
run_rc 0 "$BIN" slots "$T/k.yaml" --check --fsroot "$HOST"
grep -q "5 jobs\|4 jobs, valid" "$T/out" || fail "no summary: $(cat "$T/out")"
grep -q "warning: job 'build': cwd $T/linux: No such file or directory" "$T/err" || fail "cwd: $(cat "$T/err")"
grep -q "warning: job 'nope': command not found: no-such-cmd-llcslice (on PATH)" "$T/err" || fail "PATH: $(cat "$T/err")"
grep -qF "warning: job 'script': command ./run.sh not found in its cwd $T/." "$T/err" || fail "relative: $(cat "$T/err")"
! grep -q "job 'sh'" "$T/err" || fail "a shell command was looked up: $(cat "$T/err")"
ok "a missing cwd: and a command not found are warnings"

mkdir linux
printf '#!/bin/sh\n' >run.sh
chmod +x run.sh
run_rc 0 "$BIN" slots "$T/k.yaml" --check --fsroot "$HOST"
! grep -q "job 'build'\|job 'script'" "$T/err" || fail "still warned: $(cat "$T/err")"
ok "no warning once they exist"

# 2 whole LLCs of 4 CPUs: the budget check passes (8+1 CPUs of 10 allowed, 2 LLCs), but LLC 1
# has only 2 allowed CPUs: --dry-run exits 77, and so must --check.
printf '  - name: big\n    perf: 2x4x1\n    command: [true]\n' >>k.yaml
run_rc 77 "$BIN" slots "$T/k.yaml" --dry-run --fsroot "$HOST" --allowed-cpus 0-9
run_rc 77 "$BIN" slots "$T/k.yaml" --check --fsroot "$HOST" --allowed-cpus 0-9
grep -q "unsatisfiable error: job 'big' has no plan even on an idle host" "$T/err" || fail "77: $(cat "$T/err")"
ok "--check exits 77 where --dry-run does"

rmdir linux
run_rc 77 "$BIN" slots "$T/k.yaml" --check --json --fsroot "$HOST" --allowed-cpus 0-9
jq -e '.valid == false and .exit_code == 77 and (.jobs | length) == 5
       and ([.findings[] | select(.severity == "error" and .job == "big" and .key == "plan")] | length) == 1
       and ([.findings[] | select(.severity == "warning" and .job == "build" and .key == "cwd")] | length) == 1
       and ([.findings[] | select(.job == "nope" and .key == "command")] | length) == 1' "$T/out" >/dev/null ||
    fail "--check --json: $(cat "$T/out")"
run_rc 0 "$BIN" slots "$T/k.yaml" --check --json --fsroot "$HOST"
jq -e '.valid == true and .exit_code == 0 and ([.findings[] | select(.severity == "error")] | length) == 0' \
    "$T/out" >/dev/null || fail "--check --json valid: $(cat "$T/out")"
ok "--check --json prints the findings"
