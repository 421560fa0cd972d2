#!/usr/bin/env bash
# valgrind-wrap.sh LOGDIR BINARY ARGS...: BINARY under memcheck, same pid (exec), stdout and
# stderr untouched. The valgrind pass (cmake -DLLCSLICE_VALGRIND=ON) generates
# BUILD/llcslice-valgrind calling this and makes it LLCSLICE_BIN (fixed paths: some tests
# scrub LLCSLICE_* from the environment). Every invocation gets a private directory
# LOGDIR/vg.XXXXXX (mktemp: owned by whoever runs it, root or nobody) and writes PID.N.log
# there: a reused pid, or a log root wrote before, can never block an unprivileged run's log.
# -q keeps the log empty unless there is a memory error or a definite/indirect leak, which
# also turns the exit code into 99. host/valgrind_logs fails the run if any log is non-empty.
logs=${1:?log dir} bin=${2:?binary}
shift 2
# LOGDIR is mode 1777: any user may make a directory in it.
if ! mine=$(mktemp -d "$logs/vg.XXXXXX" 2>/dev/null); then
    echo "valgrind-wrap: cannot create a log directory in $logs as uid $(id -u)" >&2
    exit 125
fi
chmod 755 "$mine" # the log checker (root) reads it anyway; others may look
# Runs valgrind cannot host go unwrapped (counted in unwrapped files): a seccomp profile, on
# the command line or in a slot file (valgrind implements no seccomp(2), so libseccomp cannot
# build a filter, and a filter installed before exec would bind valgrind itself), and a TMPDIR
# where nothing can be created (valgrind needs a file there).
unwrapped() {
    echo "$$ ($1) $bin ${*:2}" >>"$mine/unwrapped"
    exec "$bin" "${@:2}"
}
for a in "$@"; do
    [[ $a == -- ]] && break
    [[ $a == --seccomp* ]] && unwrapped seccomp "$@"
    [[ $a == *.y*ml && -f $a ]] && grep -q seccomp "$a" 2>/dev/null && unwrapped "seccomp in $a" "$@"
done
if [[ -n ${TMPDIR:-} ]]; then
    probe=$(mktemp -p "$TMPDIR" .vgprobe.XXXXXX 2>/dev/null) || unwrapped "TMPDIR $TMPDIR" "$@"
    head -c 65536 /dev/zero 2>/dev/null >"$probe" || { rm -f "$probe"; unwrapped "TMPDIR $TMPDIR full" "$@"; }
    rm -f "$probe"
fi
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --trace-children=no --vgdb=no \
    --suppressions="$(dirname "$0")/../sanitizers/valgrind.supp" \
    --log-file="$mine/%p.%n.log" "$bin" "$@"
