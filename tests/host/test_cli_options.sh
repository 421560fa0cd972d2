#!/bin/bash
# The option layer every command shares (supervisor/cli/options.c): both value forms, --wait's
# optional value as the next word, slot-file value words on the command line, a missing value
# never taken from "--", `help CMD`, "did you mean", plan taking run's command line, and
# --json errors as a JSON object on stdout for every command that has --json.
source "$(dirname "$0")/run_lib.sh"
HOST=${FIX:?}/32em64t-2n8c+dax+nvme+mic+dimms
SIM=(--fsroot "$HOST" --lock-dir "$L")

# Both forms of every value-taking option give the same result.
same() { # CMD OPT VALUE REST...
    local cmd=$1 opt=$2 val=$3
    shift 3
    set +e
    "$BIN" "$cmd" "$opt" "$val" "$@" >"$T/o1" 2>"$T/e1"
    local r1=$?
    "$BIN" "$cmd" "$opt=$val" "$@" >"$T/o2" 2>"$T/e2"
    local r2=$?
    set -e
    # CPU numbers may differ between two runs (placement spreads); the words may not
    [[ $r1 == "$r2" ]] && cmp -s <(tr -d 0-9 <"$T/e1") <(tr -d 0-9 <"$T/e2") ||
        fail "$cmd $opt VALUE ($r1: $(cat "$T/e1")) and $opt=VALUE ($r2: $(cat "$T/e2")) differ"
}
for o in "--cpus 1" "--cpu-cap 1" "--mode shared" "--perf 1x1x1" "--lock-prefix x" \
    "--allowed-cpus 0-3" "--fsroot $HOST" "--lock-dir $L"; do
    # shellcheck disable=SC2086
    same plan $o "${SIM[@]}"
    # shellcheck disable=SC2086
    same run $o "${SIM[@]}" -- true
done
same run --memory-max 64M "${SIM[@]}" -- true
same run --seccomp none "${SIM[@]}" -- true
same run --wait 5m "${SIM[@]}" -- true
same topo --fsroot "$HOST"
same topo --allowed-cpus 0-1 --fsroot "$HOST"
same locks --lock-dir "$L"
same locks --lock-prefix x --lock-dir "$L"
same sweep --max-age 100d --json
printf 'version: 1\njobs:\n  - name: a\n    command: true\n    cpus: 1\n' >"$T/f.yaml"
same slots --lock-dir "$L" "$T/f.yaml" --check --fsroot "$HOST"
same slots --allowed-cpus 0-3 "$T/f.yaml" --check --fsroot "$HOST"
ok "--opt VALUE and --opt=VALUE agree for every value-taking option"

run_rc 0 "$BIN" run --wait 5m "${SIM[@]}" --cpus 1 -- true
run_rc 0 "$BIN" run --wait 90 "${SIM[@]}" --cpus 1 -- true
run_rc 0 "$BIN" run --wait "${SIM[@]}" --cpus 1 -- true
run_rc 0 "$BIN" run --wait forever "${SIM[@]}" --cpus 1 -- true
run_rc 0 "$BIN" run --wait=forever "${SIM[@]}" --cpus 1 -- true
run_rc 0 "$BIN" run --wait -- true
ok "--wait 5m, --wait 90, --wait forever, --wait=forever and --wait alone"

run_rc 0 "$BIN" run --memory-max max "${SIM[@]}" --cpus 1 -- true
run_rc 0 "$BIN" run --memory-max=max "${SIM[@]}" --cpus 1 -- true
ok "--memory-max max as a slot file's memory_max: max"

run_rc 64 "$BIN" run --memory-max -- true
one_line_error "option '--memory-max' needs a value"
run_rc 64 "$BIN" run --lock-dir --cpus 2 -- true
one_line_error "option '--lock-dir' needs a value"
run_rc 64 "$BIN" run --cpus
one_line_error "option '--cpus' needs a value"
run_rc 64 "$BIN" run --wait -5s -- true
one_line_error "--wait '-5s' is not a valid duration: it is negative"
ok "a missing value is never taken from '--' or the next option; --wait -5s is a negative duration"

for c in run plan topo locks slots sweep pin; do
    run_rc 0 "$BIN" help "$c"
    grep -q "^Usage: llcslice $c" "$T/out" || fail "help $c: $(head -1 "$T/out")"
done
for h in help --help -h; do
    run_rc 0 "$BIN" help "$h"
    grep -q "^Usage: llcslice COMMAND" "$T/out" || fail "help $h: $(cat "$T/out" "$T/err")"
done
grep -q LLCSLICE_CGROUP_MANAGER "$T/out" || fail "llcslice --help does not name LLCSLICE_CGROUP_MANAGER"
run_rc 64 "$BIN" help tpo
one_line_error "unknown command 'tpo'; did you mean 'topo'?"
ok "help CMD prints that command's help"

run_rc 64 "$BIN" tpo
one_line_error "unknown command 'tpo'; did you mean 'topo'?"
run_rc 64 "$BIN" slot x.yaml
one_line_error "did you mean 'slots'?"
run_rc 64 "$BIN" run --cpu 2 -- true
one_line_error "option '--cpu' is ambiguous; did you mean '--cpus' or '--cpu-cap'?"
run_rc 64 "$BIN" topo --jsn
one_line_error "unknown option '--jsn'; did you mean '--json'?"
run_rc 64 "$BIN" slots --chekc x.yaml
one_line_error "did you mean '--check'?"
run_rc 64 "$BIN" locks --frobnicate
one_line_error "unknown option '--frobnicate' (see"
run_rc 64 "$BIN" pin --qpm x.sock
one_line_error "unknown option '--qpm'; did you mean '--qmp'?"
run_rc 64 "$BIN" pin --plan --qmp x.sock
one_line_error "option '--plan' needs a value"
run_rc 64 "$BIN" pin --follow=yes --qmp x.sock
one_line_error "option '--follow' takes no value"
ok "did you mean, for commands and options"

run_rc 0 "$BIN" plan "${SIM[@]}" --cpus 1 --memory-max 1G --strict -v --seccomp build --wait 5m -- make -j8
one_line_error "plan ignores --memory-max, --strict, --seccomp, --wait, the command after --"
grep -q "^CPUs:" "$T/out" || fail "no plan: $(cat "$T/out")"
ok "plan takes run's command line and says what it ignores"

# --json errors: the text on stderr, {"error": {...}} on stdout, same exit code.
json_error() { # WANT_RC CATEGORY ARGS...
    local want=$1 cat=$2
    shift 2
    run_rc "$want" "$BIN" "$@"
    [[ $(wc -l <"$T/err") == 1 ]] || fail "$*: stderr $(cat "$T/err")"
    jq -e --argjson rc "$want" --arg cat "$cat" \
        '.error.exit_code == $rc and .error.category == $cat and (.error.message | length) > 0' \
        "$T/out" >/dev/null || fail "$*: stdout $(cat "$T/out")"
    local msg
    msg=$(jq -r .error.message "$T/out")
    grep -qF -- "$msg" "$T/err" || fail "$*: message differs: $msg vs $(cat "$T/err")"
}
json_error 64 usage topo --json --bogus
json_error 64 usage topo --bogus --json
json_error 64 usage topo --json --fsroot "$T/nowhere"
json_error 64 usage plan --json --cpus 0
json_error 77 unsatisfiable plan --json "${SIM[@]}" --perf 3x1x1
json_error 64 usage locks --json --lock-dir "$T/missing"
json_error 64 usage sweep --json --max-age soon
json_error 64 usage slots "$T/missing.yaml" --json
json_error 64 usage slots --json --bogus "$T/f.yaml"
json_error 64 usage pin --json --bogus
run_rc 64 "$BIN" slots "$T/f.yaml" --log-dir /etc/passwd --lock-dir "$L" --fsroot "$HOST"
one_line_error "log directory /etc/passwd is not a writable directory; pick another with --log-dir"
run_rc 64 "$BIN" slots "$T/f.yaml" --log-dir /etc/passwd/x --lock-dir "$L" --fsroot "$HOST"
one_line_error "cannot create the log directory /etc/passwd/x: Not a directory; pick another"
run_rc 64 "$BIN" run --strict "${SIM[@]}" -- true
one_line_error "--strict with a simulated host (--fsroot)"
run_rc 64 env LLCSLICE_CGROUP_MANAGER=foo "$BIN" plan "${SIM[@]}"
one_line_error "LLCSLICE_CGROUP_MANAGER: unknown cgroup manager 'foo'"
json_error 64 usage plan --json --format qemu --perf 1x1x1 "${SIM[@]}"
grep -qF "contradict" "$T/err" || fail "plan --json --format qemu: $(cat "$T/err")"
run_rc 64 "$BIN" topo --bogus
[[ ! -s $T/out ]] || fail "an error without --json wrote stdout"
ok "--json errors are a JSON object on stdout for topo, plan, locks, sweep, slots, pin"

# Each command's man page (doc/llcslice-CMD.1.scd) names every long option its --help names.
SRC=${LLCSLICE_SRC:-$(dirname "$0")/../..}
"$BIN" run --help >"$T/run-help"
for c in run plan topo locks slots sweep pin; do
    "$BIN" "$c" --help >"$T/h"
    for o in $(grep -oE -- '^  (-[a-zA-Z], )?--[a-z][a-z-]+' "$T/h" | grep -oE -- '--[a-z-]+'); do
        # plan takes run's options "as for llcslice-run(1)"
        [[ $c == plan ]] && grep -qE -- "$o\b" "$T/run-help" &&
            grep -qF -- "*$o" "$SRC/doc/llcslice-run.1.scd" && continue
        grep -qF -- "*$o" "$SRC/doc/llcslice-$c.1.scd" ||
            fail "llcslice-$c(1) does not document $o, which 'llcslice $c --help' lists"
    done
done
ok "every option of every command's --help is in its man page"

# README.md names every option of every command's --help (-v for --verbose).
for c in run plan topo locks slots sweep pin; do
    "$BIN" "$c" --help >"$T/h"
    for o in $(grep -oE -- '^  (-[a-zA-Z], )?--[a-z][a-z-]+' "$T/h" | grep -oE -- '--[a-z-]+'); do
        [[ $o == --verbose ]] && o=-v
        grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" "$SRC/README.md" ||
            fail "README.md does not mention $c's $o"
    done
done
ok "README.md mentions every option of every command"

# Output that cannot be written (a full disk) is exit 125, never a silent 0 with a truncated
# plan or JSON document.
if [[ -w /dev/full ]]; then
    for args in "topo --json --fsroot $HOST" "plan ${SIM[*]}" "plan --json ${SIM[*]}" \
        "slots $T/f.yaml --check --fsroot $HOST" "slots $T/f.yaml --dry-run --json --fsroot $HOST" \
        "--help" "run --help" "--version"; do
        set +e
        # shellcheck disable=SC2086
        "$BIN" $args >/dev/full 2>"$T/err"
        rc=$?
        set -e
        [[ $rc == 125 ]] && grep -q "writing the output failed" "$T/err" ||
            fail "llcslice $args >/dev/full exited $rc: $(cat "$T/err")"
    done
    ok "a failed write of the output is exit 125"
fi
