# Shared by tests/host/test_fault_*.sh (sourced after run_lib.sh, not a test itself): a private
# mount namespace for tests that mount, fingerprints of files an attacker wants clobbered, and
# checks that a failed run left nothing behind.

# Re-run this script in a private mount namespace (root only): its bind/tmpfs mounts vanish
# with it and nobody else sees them. Call before sourcing run_lib.sh. Sets FAULT_NS=1 inside.
fault_private_mounts() {
    [[ ${FAULT_NS:-} == 1 ]] && return 0
    if [[ $(id -u) -eq 0 ]] && unshare -m --propagation private true 2>/dev/null; then
        FAULT_NS=1 exec unshare -m --propagation private bash "$0" "$@"
    fi
    FAULT_NS=0
}

# fault_mount MOUNT-ARGS... DIR: mount, and unmount again before run_lib's cleanup removes $T
# (call fault_trap once after sourcing run_lib.sh).
FAULT_MOUNTS=()
fault_mount() {
    mount "$@"
    FAULT_MOUNTS+=("${@: -1}")
}
fault_trap() {
    trap 'for m in "${FAULT_MOUNTS[@]}"; do umount -l "$m" 2>/dev/null || true; done; cleanup' EXIT
}

# run_rc_pid WANT CMD...: run_rc, and LAST is the pid CMD ran as (for groups_of).
run_rc_pid() {
    local want=$1
    shift
    run_rc "$want" sh -c 'echo $$ >"$0"; exec "$@"' "$T/last.pid" "$@"
    LAST=$(cat "$T/last.pid")
}

# Inode, size, mode, owner, mtime and content hash: equal before and after means untouched.
fingerprint() { echo "$(stat -c '%i %s %a %u:%g %Y' "$1") $(sha256sum <"$1" | cut -c1-16)"; }

# failed_cleanly CODE NEEDLE MARKER: the last run_rc (which checked CODE) left one stderr line
# besides warnings, holding NEEDLE; the job never ran (MARKER absent), no lock is held in $L and no job group is left.
failed_cleanly() {
    local lines
    lines=$(grep -vc '^llcslice: warning: ' "$T/err" || true)
    [[ $lines -eq 1 ]] || fail "want one error line (besides warnings), got $lines: $(cat "$T/err")"
    grep -v '^llcslice: warning: ' "$T/err" | grep -qF -- "$2" ||
        fail "error does not mention '$2': $(cat "$T/err")"
    [[ ! -e $3 ]] || fail "the job ran although llcslice failed: $(cat "$T/err")"
    no_holders "$L"
}

# no_holders DIR: nobody holds any lockfile in DIR (llcslice locks' warnings about planted
# files are expected here and dropped).
no_holders() {
    local held
    held=$("$BIN" locks --lock-dir "$1" --json 2>/dev/null |
        jq '[.llcs[].holders[], .cpus[].holders[]] | length')
    [[ $held -eq 0 ]] || fail "locks still held in $1: $("$BIN" locks --lock-dir "$1" 2>&1)"
}
